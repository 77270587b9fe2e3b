"""The target protocol's input side (hostlint/targets/base.py), held to the same contract on
every target: an invocation's ``stdin`` reaches the linter byte for byte and then ends (not
through the pty), its ``environ`` is set there, and ``put_file`` / ``take_file`` carry any
bytes to the target and back. Local, and over the fixture's sshd (Vagrant is SSH)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostlint.targets.base import Cancel, Invocation, Target, run
from hostlint.targets.local import LocalTarget
from hostlint.targets.ssh.endpoint import resolve
from hostlint.targets.ssh.remote import STDIN_PATH_BYTES, remote_command
from tests.hook_helpers import HOSTILE_MESSAGE
from tests.ssh_helpers import connected
from tests.sshd import ALIAS
from tests.utils import Collect, linter

#: Every byte value, NUL and the pty's special characters included, then 1 MB more.
ALL_BYTES = bytes(range(256)) * 2 + os.urandom(1024 * 1024)


@pytest.fixture(params=["local", "ssh"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "local":
        yield LocalTarget(str(tmp_path))
        return
    request.getfixturevalue("ssh_home")
    with connected(resolve(ALIAS, environ=os.environ), tmp_path) as ssh:
        yield ssh


def _run(target: Target, invocation: Invocation) -> tuple[int, bytes]:
    cancel, sink = Cancel(), Collect()
    try:
        return run(target, invocation, sink, cancel).returncode, sink.data
    finally:
        cancel.close()


@pytest.mark.parametrize("data", [ALL_BYTES, HOSTILE_MESSAGE, b"one line\n"],
                         ids=["1MB-binary", "message", "line"])
def test_stdin_reaches_the_linter_byte_for_byte_then_end_of_file(
        target: Target, tmp_path: Path, data: bytes) -> None:
    copy = tmp_path / "stdin.copy"
    code, out = _run(target, Invocation(linter("stdin_probe.py", str(copy)), stdin=data))
    assert copy.read_bytes() == data
    assert code == len(data) % 7
    assert f"stdin_tty=False read={len(data)}".encode() in out


def test_without_stdin_the_linter_reads_end_of_file_at_once(target: Target, tmp_path: Path) -> None:
    copy = tmp_path / "stdin.copy"
    code, out = _run(target, Invocation(linter("stdin_probe.py", str(copy))))
    assert (code, copy.read_bytes()) == (0, b"")
    assert b"stdin_tty=False read=0" in out


def test_environ_is_set_on_the_target_quoted(target: Target, tmp_path: Path) -> None:
    value = "it's $(touch PWNED) `x` \"q\"\t\\ \xe9"
    invocation = Invocation(linter("stdin_probe.py", str(tmp_path / "c")),
                            environ=(("HOSTLINT_REMOTE_URL", value), ("HOSTLINT_REMOTE_NAME", "o")))
    code, out = _run(target, invocation)
    assert code == 0
    assert f"env HOSTLINT_REMOTE_URL={value}\n".encode() in out
    assert b"env HOSTLINT_REMOTE_NAME=o\n" in out
    assert not list(tmp_path.rglob("PWNED"))


def test_put_file_and_take_file_round_trip_any_bytes(target: Target) -> None:
    path = target.put_file(ALL_BYTES)
    assert os.stat(path).st_mode & 0o077 == 0  # private to the linter's user
    with open(path, "ab") as f:  # as a prepare-commit-msg linter edits it
        f.write(b"\xff edited")
    assert target.take_file(path) == ALL_BYTES + b"\xff edited"
    assert not os.path.exists(path)


def test_batches_keep_stdin_and_environ(target: Target) -> None:
    invocation = Invocation("true", tuple(f"f{i:06d}" * 20 for i in range(30_000)), b"in",
                            (("HOSTLINT_REMOTE_NAME", "o"),))
    batches = target.batches(invocation)
    assert len(batches) > 1
    assert {(b.stdin, b.environ) for b in batches} == {(b"in", (("HOSTLINT_REMOTE_NAME", "o"),))}


def test_the_remote_command_reads_stdin_from_the_file_and_removes_it() -> None:
    command = remote_command("/srv/p", Invocation("lint", ("a b",), b"x", (("K", "v w"),)),
                             "/tmp/hostlint.AB'C")
    assert "exec <'/tmp/hostlint.AB'\"'\"'C'; rm -f -- '/tmp/hostlint.AB'\"'\"'C';" in command
    assert command.endswith("export K='v w'; lint 'a b'")
    assert len("'" + "/" * STDIN_PATH_BYTES) > len("/tmp/hostlint.AB'C")
