"""Faults, hostile input and load on the SSH target, against the real sshd
(tests/sshd.py). The server runs on this machine, so remote processes show in /proc.

Every test that signals hostlint waits for the remote linter's ``ready`` line first: before
it, the remote shell may still be starting (a real account's ``~/.bashrc`` may hold a lock
there; see tests/sshd.py)."""

from __future__ import annotations

import os
import re
import select
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.config import command_name
from hostlint.status import RunResult
from hostlint.targets.base import GRACE_SECONDS, Invocation
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.remote import SshTarget, remote_command
from hostlint.targets.ssh.started import START
from tests.ssh_helpers import connected, popen_check, read_ready, run_on, ssh_config, ssh_repo
from tests.sshd import SshdFactory, SshServer
from tests.utils import (
    Result,
    alive,
    child_env,
    gone_within,
    hostlint,
    hostlint_argv,
    linter,
    make_repo,
    none_running_within,
    processes_running,
    stage,
    wait_for_file,
)

# -- the bytes a linter writes ---------------------------------------------------------------

RED, BOLD_GREEN, RESET, SGR0 = b"\x1b[31m", b"\x1b[1;32m", b"\x1b[0m", b"\x1b(B"
#: (bytes, kind): all 256 byte values (the ESC among them, before 0x1c, starts no sequence:
#: a stray ESC), invalid UTF-8, progress-bar ``\r``s, the linter's own ``\r\n``, colours
#: (sgr0's ``ESC ( B`` too), a 1 MB last line without a newline.
PARTS = (
    (bytes(range(0x1b)), "text"), (b"\x1b", "stray"), (bytes(range(0x1c, 256)), "text"),
    (b"\ninvalid utf-8: \xff\xfe\xc3\x28 \xed\xa0\x80 \xe2\x82\n", "text"),
    (b"progress 10%\rprogress 20%\rdone\n", "text"),
    (RED, "colour"), (b"red", "text"), (RESET, "colour"),
    (BOLD_GREEN, "colour"), (b"ok", "text"), (RESET, "colour"), (SGR0, "colour"),
    (b"\ttab\x08\x08back\r\n", "text"),
    (b"L" * 1_000_000, "text"),
)
PAYLOAD = b"".join(data for data, _ in PARTS)
#: What arrives with colour on (the stray ESC removed, as every escape but colours) and off.
COLOURED = b"".join(data for data, kind in PARTS if kind != "stray")
UNCOLOURED = b"".join(data for data, kind in PARTS if kind == "text")
#: What hostlint keeps with colour on (stream.py's definition, restated): SGR, ``ESC ( B``.
SGR = re.compile(rb"\x1b\[[0-9;:]*m|\x1b\(B")


def test_the_payload_holds_what_it_claims() -> None:
    assert set(PAYLOAD) == set(range(256))
    assert b"\x1b" not in UNCOLOURED  # only the colour parts and the stray ESC are escapes
    assert SGR.sub(b"", COLOURED) == UNCOLOURED
    assert not PAYLOAD.endswith(b"\n") and b"\rprogress" in PAYLOAD


def bytes_repo(tmp_path: Path, payload: bytes, chunk: int) -> Path:
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)
    return ssh_repo(tmp_path, linter("bytes_out.py", str(source), str(chunk)), "a.py")


def check_to_files(root: Path, *args: str, timeout: float = 60) -> Result:
    """``hostlint check ARGS`` in its own session, stdout and stderr to files (no terminal)."""
    out, err = root.parent / f"out.{os.getpid()}", root.parent / f"err.{os.getpid()}"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.run(hostlint_argv("check", *args), cwd=root, stdout=stdout, stderr=stderr,
                              stdin=subprocess.DEVNULL, env=child_env(), start_new_session=True,
                              timeout=timeout, check=False).returncode
    return Result(code, out.read_bytes(), err.read_text(errors="replace"))


@pytest.mark.timeout(90)
@pytest.mark.parametrize("color, chunk, expected", [
    ("always", 65536, COLOURED),
    ("always", 7, COLOURED),
    ("never", 7, UNCOLOURED),  # 7-byte writes cut escape sequences between reads
])
def test_every_byte_arrives_unchanged_over_ssh(ssh_home: Path, tmp_path: Path, color: str, chunk: int,
                                               expected: bytes) -> None:
    root = bytes_repo(tmp_path, PAYLOAD, chunk)
    result = check_to_files(root, "--color", color)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout) == len(expected)
    assert result.stdout == expected
    assert (root / ".git" / "hostlint" / "last.log").read_bytes() == UNCOLOURED


@pytest.fixture(scope="module")
def shared_target(sshd: SshServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshTarget]:
    """One connection for many runs (no ~/.ssh: the endpoint is built from the server)."""
    work = tmp_path_factory.mktemp("shared-target")
    known_hosts = work / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line + "\n")
    endpoint = Endpoint(host=sshd.host, port=sshd.port, user=sshd.user,
                        identity_files=(str(sshd.client_key),), identities_only=True,
                        known_hosts=(str(known_hosts),), use_agent=False)
    with connected(endpoint, work) as target:
        yield target


#: Byte streams rich in what terminals and filters treat specially.
special = st.sampled_from([b"\r", b"\n", b"\r\n", b"\x1b", b"\x1b[", b"m", b"\x03", b"\x04", b"\x00",
                           b"\t", b"\x08", b"\x7f", b"\xff", b"\xc3", b"\x1b[31m", b"\x1b(B"])
streams = st.lists(st.one_of(st.binary(max_size=300), special), max_size=40).map(b"".join)


@pytest.mark.timeout(240)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=streams, chunk=st.integers(1, 700))
def test_random_byte_streams_pass_through_the_remote_pty(shared_target: SshTarget, tmp_path: Path,
                                                         payload: bytes, chunk: int) -> None:
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)
    result, out = run_on(shared_target, Invocation(linter("bytes_out.py", str(source), str(chunk))))
    assert result == RunResult(0)
    assert out == payload


def test_the_remote_pty_does_no_output_processing(shared_target: SshTarget) -> None:
    result, out = run_on(shared_target, Invocation("stty -a </dev/tty"))
    assert result == RunResult(0)
    flags = out.decode().split()
    assert "-opost" in flags and "-echo" in flags


@pytest.mark.timeout(30)
def test_remote_command_undoes_output_flags_that_login_files_set(tmp_path: Path) -> None:
    """A login file may leave the pty translating (``onlcr``, tab expansion, upper case,
    ``\\r`` → ``\\n``): the remote command turns all output processing off. Run here, under a
    local pty set up that way."""
    payload = tmp_path / "payload.bin"
    payload.write_bytes(PAYLOAD[:2000])
    command = remote_command(str(tmp_path), Invocation(linter("bytes_out.py", str(payload))))
    script = f"stty opost onlcr ocrnl olcuc tab3 onlret; {command}"
    master, slave = os.openpty()
    proc = subprocess.Popen(["/bin/sh", "-c", script], stdin=slave, stdout=slave, stderr=slave,
                            env=child_env(), start_new_session=True)
    os.close(slave)
    received = bytearray()
    readable = select.poll()
    readable.register(master, select.POLLIN)
    try:
        while readable.poll(10_000):
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the pty
                break
            if not chunk:
                break
            received += chunk
    finally:
        os.close(master)
    assert proc.wait(timeout=10) == 0
    assert bytes(received) == START + PAYLOAD[:2000]


# -- the command missing on the target ----------------------------------------------------------


@pytest.mark.parametrize("make_command, status, what", [
    pytest.param(lambda tmp: "hostlint-no-such-linter --check", 127, "command not found", id="missing"),
    pytest.param(lambda tmp: str(tmp), 126, "command found but not executable", id="a-directory"),
])
def test_a_command_the_target_cannot_run_is_1_with_one_clear_line(
        ssh_home: Path, tmp_path: Path, make_command: Callable[[Path], str], status: int,
        what: str) -> None:
    root = ssh_repo(tmp_path, make_command(tmp_path), "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    line = (f"hostlint: {command_name(make_command(tmp_path))}: {what} on ssh hostlint-test:{root} (exit "
            f"{status}); check `command` and the PATH of the remote account's shell on "
            "hostlint-test (sshd runs the command with `$SHELL -c`, not as a login shell: "
            "~/.profile is not read)")
    lines = result.stderr.splitlines()
    assert lines.count(line) == 1, result.stderr
    assert sum(what in x for x in lines) == 1 and "Traceback" not in result.stderr


# -- signals ----------------------------------------------------------------------------------------


def test_sighup_stops_the_remote_linter_and_is_129(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py")
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    assert alive(remote_pid)
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=10) == 129
    assert gone_within(remote_pid, 2)
    assert proc.stderr is not None
    assert proc.stderr.read().decode() == "hostlint: interrupted (SIGHUP): linters stopped\n"


@pytest.mark.timeout(30)
def test_a_second_sigint_exits_at_once_and_leaves_nothing_running_remotely(ssh_home: Path,
                                                                          tmp_path: Path) -> None:
    """The first SIGINT is typed into the linter's pty and shrugged off; the second ends
    hostlint at once (not after the grace period), and closing the channel hangs up the
    remote session, so nothing of it is left."""
    marker = tmp_path / "got SIGINT"
    root = ssh_repo(tmp_path, linter("stubborn.py", str(marker)), "a.py")
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    assert remote_pid in processes_running(str(marker))
    assert len(processes_running(str(marker))) >= 2  # the linter and its child
    proc.send_signal(signal.SIGINT)
    wait_for_file(marker, GRACE_SECONDS)  # the first SIGINT reached the linter, which went on
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    assert time.monotonic() - started < GRACE_SECONDS  # it did not wait out the grace period
    assert proc.stderr is not None  # ...which ends by reporting "linters stopped"
    assert b"linters stopped" not in proc.stderr.read()
    assert gone_within(remote_pid, 5)
    assert none_running_within(str(marker), 5)


@pytest.mark.timeout(30)
def test_output_after_ctrl_c_is_shown_as_it_arrives(ssh_home: Path, tmp_path: Path) -> None:
    """What a linter prints while it is being stopped (the grace period) is not held back."""
    marker = tmp_path / "got SIGINT"
    root = ssh_repo(tmp_path, linter("stubborn.py", str(marker)), "a.py")
    proc = popen_check(root)
    read_ready(proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"cleaning up after SIGINT\n"
    assert time.monotonic() - started < GRACE_SECONDS / 2 and proc.poll() is None
    assert proc.wait(timeout=10) == 130  # killed after the grace period: the channel closed
    assert none_running_within(str(marker), 5)


@pytest.mark.timeout(30)
def test_ctrl_c_before_the_linter_starts_echoes_nothing(
        sshd_factory: SshdFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the remote shell is still in its start-up files (no start marker yet, the
    pty still echoing: a typed ``^C`` would come back as output): hostlint hangs up instead."""
    in_login, gate = tmp_path / "in login files", tmp_path / "gate"
    os.mkfifo(gate)
    bash_env = tmp_path / "bash_env"  # sourced by bash before the command, as ~/.bashrc is
    bash_env.write_text(f": > {shlex.quote(str(in_login))}; read -r _ < {gate}\n")
    server = sshd_factory(extra_config=f"SetEnv SHLVL=1 BASH_ENV={bash_env}\n")
    server.write_client_home(tmp_path / "home")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    proc = popen_check(ssh_repo(tmp_path, "echo linted", "a.py", persist="0"))
    wait_for_file(in_login, 20)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert b"^C" not in out and b"linted" not in out, out


# -- load ----------------------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_twenty_checks_at_once_against_one_sshd_all_finish_clearly(ssh_home: Path, tmp_path: Path) -> None:
    payload = b"".join(b"%05d %s\n" % (i, b"y" * 90) for i in range(2000))  # ~200 KB each
    root = bytes_repo(tmp_path, payload, 4096)
    runs = []
    for number in range(20):
        out, err = tmp_path / f"out{number}", tmp_path / f"err{number}"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            runs.append((subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=stdout, stderr=stderr,
                                          stdin=subprocess.DEVNULL, env=child_env(),
                                          start_new_session=True), out, err))
    outcomes = []
    try:
        for proc, out, err in runs:
            code = proc.wait(timeout=120)  # none hangs
            outcomes.append(Result(code, out.read_bytes(), err.read_text(errors="replace")))
    finally:
        for proc, _, _ in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for outcome in outcomes:
        if outcome.code == 3:  # allowed: the server turned it away, said in one line
            assert outcome.stderr.count("\n") == 1 and outcome.stderr.startswith("hostlint: ")
            assert outcome.stdout == b""
        else:
            assert (outcome.code, outcome.stderr) == (0, "")
            # Whole, in order, nothing before or after it (the fixture's sshd reads no
            # ~/.bashrc: nothing else prints).
            assert outcome.stdout == payload, outcome.stdout[:300]
    assert sum(o.code == 0 for o in outcomes) >= 1


# -- a hostile root ------------------------------------------------------------------------------------


def test_a_root_with_spaces_quotes_and_shell_syntax_is_where_the_linter_runs(ssh_home: Path,
                                                                              tmp_path: Path) -> None:
    root = tmp_path / "x y" / "it's \"q\" $(touch PWNED) `touch PWNED` ;&"
    make_repo(root, ssh_config(linter("where.py"), root=root))
    stage(root, "a b.py")
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert result.code == 0, result.stderr
    assert result.out == f"cwd {root}\nargs ['a b.py']\n"
    assert not list(tmp_path.rglob("PWNED"))


# -- a root that is not there -------------------------------------------------------------------


@pytest.mark.parametrize("advisory", [False, True])
def test_a_missing_remote_root_is_3_even_when_advisory(ssh_home: Path, tmp_path: Path,
                                                       advisory: bool) -> None:
    """A wrong root (or an unmounted synced folder) means nothing was linted: never a pass."""
    root = ssh_repo(tmp_path, "true", "a.py")
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace(str(root), str(tmp_path / "no such dir")))
    result = hostlint("check", *(["--advisory"] if advisory else []), cwd=root)
    assert result.code == 3, result.stderr
    assert "has no directory" in result.stderr and "no such dir" in result.stderr


def test_a_linter_exiting_255_in_an_existing_root_is_a_finding(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "sh -c 'echo status 255; exit 255'", "a.py")
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "status 255\n")
    assert "has no directory" not in result.stderr
