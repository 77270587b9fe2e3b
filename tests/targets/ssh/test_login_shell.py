"""The remote shell hostlint's command goes through (hostlint/targets/ssh/remote.py): a login
shell that runs no command is never taken for a linter's verdict, and the terminal it gives
the linter never waits for input nobody will type."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hostlint.status import RunResult
from hostlint.targets.base import Invocation
from hostlint.targets.ssh.endpoint import resolve
from hostlint.targets.ssh.started import START, StartMarker
from tests.ssh_helpers import connected, run_on, ssh_config, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import PYTHON, hostlint, linter_config, make_repo, stage


@pytest.mark.parametrize("advisory", ["false", "true"])
@pytest.mark.parametrize("shell", ["nologin", "false", "true"])
def test_a_login_shell_that_runs_no_command_is_3_even_when_advisory(
        ssh_home: Path, tmp_path: Path, shell_users: dict[str, str], shell: str, advisory: str) -> None:
    """nologin and false exit 1, true exits 0: none ran the linter, so none is a verdict."""
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host=f"{shell_users[shell]}@{ALIAS}",
                    advisory=advisory)
    result = hostlint("check", cwd=root)
    assert result.code == 3, (result.stderr, result.out)
    lines = [line for line in result.stderr.splitlines() if line.startswith("hostlint:")]
    assert len(lines) == 1 and "the remote shell did not run the command" in lines[0], lines
    assert "login shell" in lines[0]
    if shell == "nologin":
        assert "This account is currently not available." in lines[0]
    assert not marker.exists()


def test_what_comes_before_the_start_marker_passes_and_the_marker_never_does(
        ssh_home: Path, tmp_path: Path, shell_users: dict[str, str]) -> None:
    """sshd's own line before the command (a home that does not exist) is shown; hostlint's
    start marker never is."""
    config = ssh_config("printf 'linter\\n'", root=Path("/"), host=f"{shell_users['homeless']}@{ALIAS}")
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])  # "/": a root the account can enter
    result = hostlint("check", "--color", "always", "--no-map-paths", cwd=root)
    assert result.code == 0, result.stderr
    assert result.stdout == (b"Could not chdir to home directory /nonexistent: No such file or "
                             b"directory\r\nlinter\n")


def test_the_start_marker_is_taken_out_wherever_the_reads_cut_it() -> None:
    before, after = b"login file\n\x1ehostlint", b"linter \x1ehostlint-started\x1e output"
    stream = before + START + after
    cuts = [[stream[:n], stream[n:]] for n in range(1, len(stream))]
    for chunks in [*cuts, [bytes([b]) for b in stream]]:
        marker, reads = StartMarker(), iter([*chunks, b""])
        out = b""
        while data := marker.read(reads.__next__):
            out += data
        assert (out, marker.seen) == (before + after, True), chunks


# -- a linter reading its terminal --------------------------------------------------------------

#: Reads the controlling terminal and the terminal on stderr: what a host-key prompt does.
READS_THE_TERMINAL = """import os
try:
    fd = os.open('/dev/tty', os.O_RDONLY)
    print('dev/tty', os.read(fd, 100))
except OSError as exc:
    print('dev/tty', 'not available', exc.errno)
print('stderr', os.read(2, 100))
"""


def reads_the_terminal(tmp_path: Path) -> str:
    script = tmp_path / "reads_the_terminal.py"
    script.write_text(READS_THE_TERMINAL)
    return f"{PYTHON} {script}"


@pytest.mark.timeout(60)
def test_a_local_linter_reading_its_terminal_sees_end_of_input(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(reads_the_terminal(tmp_path)))
    stage(root, "a.py")
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert result.out.splitlines()[-1] == "stderr b''"
    assert time.monotonic() - started < 10


@pytest.mark.timeout(60)
def test_a_remote_linter_reading_its_terminal_sees_end_of_input(ssh_home: Path, tmp_path: Path) -> None:
    with connected(resolve(ALIAS, environ=os.environ), tmp_path) as target:
        started = time.monotonic()
        result, out = run_on(target, Invocation(reads_the_terminal(tmp_path)))
    assert result == RunResult(0)
    assert out == b"dev/tty b''\nstderr b''\n"
    assert time.monotonic() - started < 10


@pytest.mark.timeout(60)
def test_an_ssh_host_key_prompt_inside_a_remote_linter_ends_at_once(
        ssh_home: Path, tmp_path: Path, sshd: SshServer) -> None:
    prompt = (f"ssh -F /dev/null -o StrictHostKeyChecking=ask -o UserKnownHostsFile=/dev/null "
              f"-o BatchMode=no -p {sshd.port} {sshd.host} true")
    with connected(resolve(ALIAS, environ=os.environ), tmp_path) as target:
        result, out = run_on(target, Invocation(prompt))
    assert result == RunResult(255)
    assert b"Are you sure you want to continue connecting" in out
    assert b"Host key verification failed." in out
