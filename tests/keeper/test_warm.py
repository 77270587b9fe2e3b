"""Warm connections against a real OpenSSH sshd (tests/sshd.py): a keeper started by the
first check serves the next ones over its Unix socket."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostlint.keeper import is_keeper, protocol
from tests.keepers import end_keepers, keeper_dirs, keeper_pid, keeper_pids
from tests.ssh_helpers import accepted, popen_check, read_ready, ssh_config
from tests.sshd import SshdFactory, SshServer
from tests.utils import (
    alive,
    assert_one_sigterm_stops,
    child_env,
    eventually,
    gone_within,
    hostlint,
    hostlint_argv,
    linter,
    make_repo,
    output_closed_command,
)


@pytest.fixture
def places() -> list[Path]:
    return keeper_dirs(dict(os.environ))


def repo(tmp_path: Path, command: str, *, name: str = "repo", **top: str) -> Path:
    root = tmp_path / name
    return make_repo(root, ssh_config(command, root=root, **top), staged=["a.py"])


def warm_up(root: Path) -> None:
    """Start the keeper with a quick check (the keeper key does not depend on the command)."""
    config = root / "pyproject.toml"
    text = config.read_text()
    quick = text.replace("command = ", 'command = "true"\n#', 1)
    config.write_text(quick)
    assert check(root).returncode == 0
    config.write_text(text)


def check(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(hostlint_argv("check", *args), cwd=root, capture_output=True,
                          stdin=subprocess.DEVNULL, env=child_env(), timeout=60, check=False)


# -- 1. one login for many checks --------------------------------------------------------------


def test_checks_in_a_row_log_in_once(server: SshServer, tmp_path: Path, places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted")
    for _ in range(4):
        result = check(root)
        assert (result.returncode, result.stdout) == (0, b"linted a.py\n"), result.stderr
    assert accepted(server) == 1
    assert is_keeper(keeper_pid(places))


def test_two_checks_at_once_share_one_keeper(server: SshServer, tmp_path: Path,
                                             places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted")
    procs = [subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env())
             for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert (proc.returncode, out) == (0, b"linted a.py\n"), err
    assert accepted(server) == 1
    assert len(keeper_pids(places)) == 1


# -- 2. the same bytes and codes as a direct connection ------------------------------------------


@pytest.mark.parametrize("command", [
    linter("forking_runner.py", "0"), linter("forking_runner.py", "3"), linter("bytes_out.py"),
    linter("fail.py"), "printf '\\033[31mred\\033[0m\\n'; exit 4",
])
def test_output_and_exit_code_are_those_of_a_direct_connection(
        server: SshServer, tmp_path: Path, command: str) -> None:
    direct = check(repo(tmp_path, command, name="direct", persist="0"))
    warm_root = repo(tmp_path, command, name="warm")
    check(warm_root)  # starts the keeper
    warm = check(warm_root)
    assert (warm.returncode, warm.stdout) == (direct.returncode, direct.stdout)
    assert warm.stderr.replace(b"/warm/", b"/direct/") == direct.stderr
    assert accepted(server) == 2  # the direct check, and the keeper


def test_several_linters_are_channels_of_the_kept_connection(server: SshServer,
                                                             tmp_path: Path) -> None:
    config = ('[tool.hostlint]\ntarget = "ssh"\n'
              + "".join(f'[tool.hostlint.linters.{n}]\ncommand = "echo {n}; exit {c}"\n'
                        for n, c in (("a", 0), ("b", 1), ("c", 0)))
              + f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = "{tmp_path / "repo"}"\n')
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    first, second = check(root), check(root)
    assert first.returncode == second.returncode == 1
    blocks = [second.stdout.split(b"--- summary ---")[0].count(f"--- {n} ---\n{n}\n".encode())
              for n in "abc"]
    assert blocks == [1, 1, 1]
    assert accepted(server) == 1


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                          (signal.SIGHUP, 129)])
def test_a_signal_stops_the_remote_linter_through_the_keeper(
        server: SshServer, tmp_path: Path, places: list[Path], signum: int, code: int) -> None:
    root = repo(tmp_path, linter("slow.py"))
    warm_up(root)
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    proc.send_signal(signum)
    assert proc.wait(timeout=10) == code
    assert gone_within(remote_pid, 2)
    assert proc.stderr is not None and b"interrupted" in proc.stderr.read()
    assert is_keeper(keeper_pid(places))  # the keeper serves on


@pytest.mark.parametrize("ignore_ctrl_c, within", [(False, 1.5), (True, 3.0)])
def test_one_sigterm_stops_a_linter_whose_output_is_closed_through_the_keeper(
        server: SshServer, tmp_path: Path, ignore_ctrl_c: bool, within: float) -> None:
    """The keeper too waits for the exit after the end of the output hearing the client."""
    pidfile = tmp_path / "pid"
    root = repo(tmp_path, output_closed_command(pidfile, ignore_ctrl_c=ignore_ctrl_c),
                pass_filenames="false")
    warm_up(root)
    assert_one_sigterm_stops(popen_check(root), pidfile, within)


@pytest.mark.timeout(60)
def test_a_target_frozen_mid_run_is_lost_within_the_alive_timeout(
        server: SshServer, tmp_path: Path) -> None:
    root = repo(tmp_path, linter("slow.py"), alive_timeout="3")
    warm_up(root)
    proc = popen_check(root)
    read_ready(proc)
    server.freeze()
    started = time.monotonic()
    assert proc.wait(timeout=30) == 3
    assert time.monotonic() - started < 8
    assert proc.stderr is not None and "lost: no answer for 3 s" in proc.stderr.read().decode()


# -- 3. a dead or stopped keeper is replaced --------------------------------------------------


def test_a_killed_keeper_is_replaced_by_the_next_check(server: SshServer, tmp_path: Path,
                                                       places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted")
    check(root)
    first = keeper_pid(places)
    os.kill(first, signal.SIGKILL)
    assert gone_within(first, 5)
    result = check(root)
    assert (result.returncode, result.stdout) == (0, b"linted a.py\n"), result.stderr
    second = keeper_pid(places)
    assert second != first and is_keeper(second)


def test_a_stopped_keeper_is_not_waited_on(server: SshServer, tmp_path: Path,
                                           places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted", connect_timeout="10")
    check(root)
    stopped = keeper_pid(places)
    os.kill(stopped, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = check(root)
        elapsed = time.monotonic() - started
        assert (result.returncode, result.stdout) == (0, b"linted a.py\n"), result.stderr
        assert elapsed < 10
        assert keeper_pid(places) != stopped
    finally:
        end_keepers(places, (stopped,))


# -- 4. a changed target is never served by an old connection ---------------------------------


def test_a_target_rebuilt_with_a_new_host_key_is_refused(
        sshd_factory: SshdFactory, server: SshServer, tmp_path: Path) -> None:
    root = repo(tmp_path, "echo linted")
    assert check(root).returncode == 0
    rebuilt = _rebuild(server)
    try:
        result = check(root)
        assert result.returncode == 3
        assert b"HOST KEY CHANGED" in result.stderr and result.stdout == b""
    finally:
        rebuilt.kill()
        rebuilt.wait()


def _rebuild(server: SshServer) -> subprocess.Popen[bytes]:
    """The same address and port, a new host key (a reinstalled machine)."""
    server.stop()
    for path in (server.host_key, server.host_key_pub):
        path.unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(server.host_key)],
                   check=True)
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(server.config_path)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((server.host, server.port)) == 0
    assert eventually(listening, 10)
    return proc


def test_a_changed_known_hosts_entry_is_a_new_keeper(server: SshServer, tmp_path: Path,
                                                     places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted")
    check(root)
    known = Path(os.environ["HOME"], ".ssh", "known_hosts")
    known.write_text("")  # the host key is no longer trusted
    result = check(root)
    assert result.returncode == 3 and b"is not known" in result.stderr
    # The new keeper, which could not connect, ends; the old one was never asked.
    assert eventually(lambda: len(keeper_pids(places)) == 1, 5)


# -- 5. private to this user ----------------------------------------------------------------


def test_socket_and_directory_are_private(server: SshServer, tmp_path: Path,
                                          places: list[Path]) -> None:
    check(repo(tmp_path, "echo linted"))
    [sock] = [p for place in places for p in place.glob("k*.sock")]
    assert stat.S_IMODE(os.stat(sock.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert len(os.fsencode(sock)) <= 103


def test_a_client_of_another_user_is_refused(server: SshServer, tmp_path: Path,
                                             places: list[Path]) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to act as another user")
    check(repo(tmp_path, "echo linted"))
    [sock] = [p for place in places for p in place.glob("k*.sock")]
    # Let the other user reach the socket (a second name in a directory it may search, and
    # mode 0666): the peer-uid check is then the only guard.
    shared = Path(tempfile.mkdtemp(prefix="hostlint-peer-"))
    os.chmod(shared, 0o711)
    reachable = shared / "s"
    os.link(sock, reachable)
    os.chmod(sock, 0o666)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as nobody: connect and report what the keeper said
        os.close(read)
        os.setgid(65534)
        os.setuid(65534)
        answer = b"?"
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(5)
                client.connect(str(reachable))
                answer = client.recv(100) or b"closed"
        except OSError as exc:
            answer = type(exc).__name__.encode()
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer_pipe:
        answer = answer_pipe.read()
    os.waitpid(pid, 0)
    reachable.unlink()
    shared.rmdir()
    assert answer == b"closed"
    assert not answer.startswith(protocol.HELLO)


# -- 6. stop, idle expiry, detect --------------------------------------------------------------


def test_stop_leaves_no_keeper(server: SshServer, tmp_path: Path, places: list[Path]) -> None:
    roots = [repo(tmp_path, "echo linted", name=n) for n in ("one", "two")]
    for root in roots:
        check(root)
    pids = keeper_pids(places)
    assert len(pids) == 2
    result = hostlint("stop", cwd=roots[0])
    assert result.code == 0 and "2 " in result.stderr, result.stderr
    assert all(gone_within(pid, 5) for pid in pids)
    assert keeper_pids(places) == []


def test_stop_current_ends_only_this_targets_keeper(server: SshServer, tmp_path: Path,
                                                    places: list[Path]) -> None:
    one, two = (repo(tmp_path, "echo linted", name=n) for n in ("one", "two"))
    check(one)
    first = keeper_pid(places)
    check(two)
    assert hostlint("stop", "--current", cwd=one).code == 0
    assert gone_within(first, 5)
    assert len(keeper_pids(places)) == 1


def test_an_idle_keeper_ends_after_persist(server: SshServer, tmp_path: Path,
                                           places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted", persist="1")
    check(root)
    pid = keeper_pid(places)
    assert gone_within(pid, 5)
    assert keeper_pids(places) == []
    assert check(root).returncode == 0  # and the next check starts another


def test_persist_0_starts_no_keeper(server: SshServer, tmp_path: Path, places: list[Path]) -> None:
    root = repo(tmp_path, "echo linted", persist="0")
    assert check(root).returncode == 0 and check(root).returncode == 0
    assert keeper_pids(places) == []
    assert accepted(server) == 2


def test_detect_says_whether_a_keeper_is_up_and_its_age(server: SshServer, tmp_path: Path) -> None:
    root = repo(tmp_path, "echo linted")
    assert "warm connection: none" in hostlint("detect", cwd=root).out
    check(root)
    out = hostlint("detect", cwd=root).out
    assert "warm connection: up for " in out and "keeper pid" in out


# -- daemon hygiene ---------------------------------------------------------------------------


def test_the_keeper_holds_nothing_of_the_check(server: SshServer, tmp_path: Path,
                                               places: list[Path]) -> None:
    """A GUI git client waits for the hook's stdout and stderr to close: the check's pipe
    reaches end-of-file while the keeper lives on, with no terminal and no tie to the check."""
    root = repo(tmp_path, "echo linted")
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env())
    assert proc.stdout is not None
    assert proc.stdout.read() == b"linted a.py\n"  # returns only at end-of-file
    assert proc.wait(timeout=10) == 0
    pid = keeper_pid(places)
    assert alive(pid)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    ppid, session, tty = int(fields[1]), int(fields[3]), int(fields[4])
    assert tty == 0 and session != pid and ppid != proc.pid and session != os.getsid(0)
    targets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    assert not [t for t in targets if t.startswith("pipe:")], targets
    assert os.readlink(f"/proc/{pid}/fd/0") == os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"


def test_the_client_path_never_imports_paramiko_nor_what_only_a_cold_start_needs(
        server: SshServer, tmp_path: Path) -> None:
    """A warm check loads no paramiko (nor the CLI framework), and none of what costs
    start-up only for others' sake: socket.py's enums, hashlib's OpenSSL, json."""
    root = repo(tmp_path, "echo linted")
    check(root)
    for args in (("check",), ("hook", "pre-commit")):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostlint", *args],
                              cwd=root, capture_output=True, env=child_env(),
                              stdin=subprocess.DEVNULL, check=False)
        assert proc.returncode == 0 and proc.stdout == b"linted a.py\n", proc.stderr
        loaded = {line.rpartition(b"|")[2].strip().decode() for line in proc.stderr.splitlines()
                  if line.startswith(b"import time:")}
        assert "hostlint.keeper.client" in loaded
        assert not [m for m in loaded if m.split(".")[0] in ("paramiko", "typer", "click", "pydantic")]
        assert not loaded & {"socket", "hashlib", "_hashlib", "json"}


@pytest.fixture(autouse=True)
def _no_stray(places: list[Path]) -> Iterator[None]:
    yield
    end_keepers(places)




# -- the hooks' input through a kept connection ------------------------------------------------

def test_message_hooks_through_the_keeper_are_byte_exact(server: SshServer, tmp_path: Path,
                                                         places: list[Path]) -> None:
    """stdin, the variables and the message file travel through the keeper too."""
    import json

    log = tmp_path / "probe.log"
    root = repo(tmp_path, linter("hook_probe.py", str(log), "--append", "Kept:1"),
                hooks='["prepare-commit-msg"]')
    warm_up(root)
    message = b"Title $(x) 'q'\t\xe9\xff\n\n" + bytes(c for c in range(1, 256)) * 4100
    (tmp_path / "msg").write_bytes(message)
    for _ in range(2):
        proc = subprocess.run(hostlint_argv("run-hook", "prepare-commit-msg", str(tmp_path / "msg"),
                                            "message"), cwd=root, capture_output=True,
                              env=child_env(), timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert bytes.fromhex(first["stdin"]) == bytes.fromhex(first["file"]) == message
    assert bytes.fromhex(second["file"]) == message + b"\nKept:1\n"
    assert second["env"]["HOSTLINT_COMMIT_SOURCE"] == "message"
    assert (tmp_path / "msg").read_bytes() == message + b"\nKept:1\n" * 2
    assert accepted(server) == 1 and is_keeper(keeper_pid(places))
