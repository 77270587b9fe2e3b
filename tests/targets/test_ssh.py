"""The SSH target against a real OpenSSH sshd (tests/sshd.py). The server runs on this
machine, so the "remote" root is the test repository itself and remote processes show in
/proc."""

from __future__ import annotations

import ast
import contextlib
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.files import arguments
from hostlint.status import RunResult
from hostlint.targets import ssh
from hostlint.targets.base import Cancel, Invocation, run
from tests.sshd import SshdFactory, SshServer
from tests.test_check import (
    HOSTILE,
    NON_UTF8,
    logged_args,
    name_bytes,
    stage,
    thirty_thousand_staged_each_linted_once,
)
from tests.test_parallel import linters_config, spans
from tests.utils import (
    LINTERS,
    PYTHON,
    alive,
    child_env,
    git,
    gone_within,
    hostlint,
    hostlint_argv,
    linter,
    make_repo,
    run_detached,
    toml_string,
)

CHILD_LINES = [f"child {c} line {n}" for c in range(3) for n in range(2)]
ALIAS = "hostlint-test"


def ssh_config(command: str | None, *, root: Path, host: str = ALIAS, **top: str) -> str:
    """``[tool.hostlint]`` for the ssh target whose remote root is ``root``."""
    text = "[tool.hostlint]\n"
    if command is not None:
        text += f"command = {toml_string(command)}\n"
    text += 'target = "ssh"\n' + "".join(f"{k} = {v}\n" for k, v in top.items())
    return text + f"[tool.hostlint.ssh]\nhost = {toml_string(host)}\nroot = {toml_string(str(root))}\n"


def ssh_repo(tmp_path: Path, command: str, *files: str, host: str = ALIAS, **top: str) -> Path:
    root = tmp_path / "repo"
    make_repo(root, ssh_config(command, root=root, host=host, **top))
    if files:
        stage(root, *files)
    return root


@pytest.fixture
def private(sshd_factory: SshdFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Callable[..., SshServer]:
    """A server of this test's own (to kill, freeze or limit), reachable as ``hostlint-test``."""
    def make(*, max_sessions: int = 10) -> SshServer:
        server = sshd_factory(max_sessions=max_sessions)
        home = tmp_path / "home"
        server.write_client_home(home)
        monkeypatch.setenv("HOME", str(home))
        return server
    return make


def popen_check(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env(),
                            start_new_session=True)


def read_ready(proc: subprocess.Popen[bytes]) -> int:
    """The remote slow.py's pid, once it has printed ``ready``."""
    assert proc.stdout is not None
    pid_line = proc.stdout.readline()
    assert proc.stdout.readline() == b"ready\n", pid_line
    return int(pid_line.split()[1])


def accepted(server: SshServer) -> int:
    """How many SSH connections the server has authenticated."""
    return server.log().count("Accepted publickey")


# -- 1. the story over ssh ----------------------------------------------------------------


@pytest.mark.parametrize("status, code", [("0", 0), ("3", 1)])
def test_forking_runner_over_ssh_into_a_file_keeps_every_child_line(
        ssh_home: Path, tmp_path: Path, status: str, code: int) -> None:
    root = ssh_repo(tmp_path, linter("forking_runner.py", status), "app.py")
    out = tmp_path / "check.out"
    environ = child_env()
    assert "PYTHONUNBUFFERED" not in environ
    assert run_detached(hostlint_argv("check"), cwd=root, out=out, env=environ) == code
    data = out.read_bytes()
    for line in CHILD_LINES:
        assert f"{line}\n".encode() in data, data
    assert b"runner done\n" in data
    assert b"\r" not in data


def test_sshd_sessions_do_not_inherit_pythonunbuffered(ssh_home: Path, tmp_path: Path) -> None:
    """The control for the test above: the fixture's sshd was started from an environment that
    may set PYTHONUNBUFFERED, which would hide the lost-output bug; sessions must not see it."""
    root = ssh_repo(tmp_path, linter("show_env.py"), "a.py")
    result = hostlint("check", cwd=root, environ=child_env(PYTHONUNBUFFERED="1"))
    assert result.code == 0, result.stderr
    assert "PYTHONUNBUFFERED" not in result.out


# -- 2. hostile names -----------------------------------------------------------------------


def test_hostile_names_arrive_over_ssh_as_one_argument_each(ssh_home: Path, tmp_path: Path) -> None:
    log = tmp_path / "args.log"
    root = ssh_repo(tmp_path, linter("record_args.py", str(log)))
    names = [*HOSTILE, NON_UTF8, "dir with space/inner.py"]
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x\n")
    git(root, "add", "--", *names)
    remote_home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the remote shell's HOME
    pwned_before = (remote_home / "PWNED").exists()
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert sorted(logged_args(log)) == sorted(arguments(names))  # "-x" as "./-x"
    assert not list(tmp_path.rglob("PWNED"))
    assert (remote_home / "PWNED").exists() == pwned_before


@contextlib.contextmanager
def connected(endpoint: ssh.Endpoint, root: Path) -> Iterator[ssh.SshTarget]:
    """An SshTarget on ``endpoint`` in ``root``, closed afterwards."""
    connection = ssh.connect(endpoint, connect_timeout=10, alive_timeout=30)
    target = ssh.SshTarget(connection, root=str(root))
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def ssh_target(ssh_home: Path, tmp_path: Path) -> Iterator[ssh.SshTarget]:
    with connected(ssh.resolve(ALIAS, environ=os.environ), tmp_path) as target:
        yield target


class Collect:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def flush(self) -> None:
        pass


def run_on(target: ssh.SshTarget, invocation: Invocation) -> tuple[RunResult, bytes]:
    cancel, sink = Cancel(), Collect()
    try:
        return run(target, invocation, sink, cancel), sink.data
    finally:
        cancel.close()


@pytest.mark.timeout(300)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(name_bytes, min_size=1, max_size=8, unique=True))
def test_any_name_reaches_the_remote_linter_byte_for_byte(
        ssh_target: ssh.SshTarget, tmp_path: Path, names: list[bytes]) -> None:
    out = tmp_path / "argv.bin"
    out.unlink(missing_ok=True)
    command = linter("record_args.py", str(out))
    result, _ = run_on(ssh_target, Invocation(command, tuple(map(os.fsdecode, names))))
    assert result == RunResult(0)
    assert out.read_bytes() == b"".join(n + b"\0" for n in names) + b"\0"


def test_remote_command_quotes_every_name_for_sh_and_bash(tmp_path: Path) -> None:
    names = (*HOSTILE, NON_UTF8, "", " ", "'", "\\", "a\nb", "~user", "!bang", "{a,b}", "é")
    invocation = Invocation("printf '%s\\0'", names)
    command = ssh.remote_command(str(tmp_path), invocation)
    assert command.index("stty -opost") < command.index("exec </dev/null")  # stty needs the tty
    for shell in ("/bin/sh", "/bin/bash"):
        proc = subprocess.run([shell, "-c", os.fsencode(command)], cwd="/", capture_output=True,
                              stdin=subprocess.DEVNULL, check=True)
        assert proc.stdout == b"".join(os.fsencode(n) + b"\0" for n in names)
    assert not list(tmp_path.rglob("PWNED")) and not Path("/PWNED").exists()


def test_remote_command_runs_in_the_quoted_root_with_stdin_at_end(tmp_path: Path) -> None:
    root = tmp_path / "it's a -root"
    root.mkdir()
    command = ssh.remote_command(str(root), Invocation('pwd; cat; echo "$#"'))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, input=b"stdin data",
                          check=True)
    assert proc.stdout == f"{root}\n0\n".encode()


def test_batches_keep_each_remote_command_under_64_kib() -> None:
    target = ssh.SshTarget(cast(ssh.Connection, None), root="/srv/proj")
    names = tuple(f"pkg/{i:05d}-it's-{'long-name-' * 12}.py" for i in range(30_000))
    batches = target.batches(Invocation("ruff check", names))
    assert len(batches) > 1
    assert [n for b in batches for n in b.files] == list(names)
    for batch in batches:
        assert len(os.fsencode(ssh.remote_command("/srv/proj", batch))) <= ssh.REMOTE_COMMAND_BYTES


# -- 3. where it runs, what it sees -----------------------------------------------------------


def test_runs_in_the_configured_root_without_the_host_environment(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, linter("show_env.py"), "a.py")
    environ = child_env(VIRTUAL_ENV="/host/venv", PYTHONUNBUFFERED="1", HOSTLINT_MARKER="host",
                        GIT_AUTHOR_NAME="Host Author")
    result = hostlint("check", "--no-map-paths", cwd=root, environ=environ)
    assert result.code == 0, result.stderr
    lines = result.out.splitlines()
    assert f"cwd={root}" in lines
    assert "tty=True" in lines
    assert not [line for line in lines if line.startswith("env ")]
    assert "args=1" in lines


def test_remote_terminal_defaults_without_a_host_terminal(ssh_target: ssh.SshTarget) -> None:
    result, out = run_on(ssh_target, Invocation("stty size </dev/tty; echo $TERM"))
    assert result == RunResult(0)
    assert out == b"40 120\nxterm-256color\n"


def test_a_linter_reading_stdin_gets_end_of_file_at_once(ssh_target: ssh.SshTarget) -> None:
    result, out = run_on(ssh_target, Invocation(f"{PYTHON} -c 'import sys; print(repr(sys.stdin.read()))'"))
    assert (result, out) == (RunResult(0), b"''\n")


def test_remote_paths_are_shown_relative_to_the_repository(ssh_home: Path, tmp_path: Path) -> None:
    remote_path = tmp_path / "repo" / "app.py"  # fail.py reports each argument as a finding
    root = ssh_repo(tmp_path, f"{PYTHON} {LINTERS / 'fail.py'} {remote_path}", "app.py",
                    pass_filenames="false")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert result.out == "app.py:1:1: E999 something is wrong\n"


# -- 4. many files ----------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_thirty_thousand_staged_long_names_each_linted_once_over_ssh(ssh_home: Path, tmp_path: Path) -> None:
    log = tmp_path / "args.log"
    root = ssh_repo(tmp_path, linter("record_args.py", str(log)))
    thirty_thousand_staged_each_linted_once(root, log)


# -- 5. exit codes ------------------------------------------------------------------------------


def test_clean_is_0_and_findings_are_1(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, linter("fail.py"))
    assert hostlint("check", cwd=root).code == 0  # nothing staged: nothing to lint
    stage(root, "bad.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert "bad.py:1:1: E999 something is wrong" in result.out


def test_a_remote_death_by_signal_is_a_failure_naming_the_signal(ssh_home: Path, tmp_path: Path) -> None:
    killer = f"{PYTHON} -c 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'"
    root = tmp_path / "repo"
    config = ssh_config(None, root=root) + (
        f"[tool.hostlint.linters.killed]\ncommand = {toml_string(killer)}\n"
        "[tool.hostlint.linters.fine]\ncommand = \"true\"\n")
    make_repo(root, config)
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert re.search(r"killed\s+failed \(killed by SIGKILL\)", result.out), result.out


def marker_repo(tmp_path: Path, **top: str) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", **top)
    return root, marker


def test_closed_port_is_3_within_the_timeout(ssh_home: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host=f"127.0.0.1:{port}", connect_timeout="3")
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert time.monotonic() - started < 3
    assert f"connection to 127.0.0.1 port {port} refused" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_a_host_that_drops_connections_is_3_within_the_connect_timeout(ssh_home: Path,
                                                                      tmp_path: Path) -> None:
    with socket.socket() as full, socket.socket() as pending:
        full.bind(("127.0.0.1", 0))
        full.listen(0)  # one unaccepted connection fills the queue: later SYNs are dropped
        pending.connect(full.getsockname())
        port = full.getsockname()[1]
        root = ssh_repo(tmp_path, "true", "a.py", host=f"127.0.0.1:{port}", connect_timeout="1")
        started = time.monotonic()
        result = hostlint("check", cwd=root)
        elapsed = time.monotonic() - started
    assert result.code == 3
    assert 0.9 < elapsed < 3
    assert f"connection to 127.0.0.1 port {port} timed out after 1 s" in result.stderr


def test_a_name_that_does_not_resolve_is_3(ssh_home: Path, tmp_path: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text() + "\nHost nowhere\n    HostName nowhere.invalid\n")
    root = ssh_repo(tmp_path, "true", "a.py", host="nowhere")
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert "cannot resolve host name 'nowhere.invalid' (for nowhere)" in result.stderr


def test_a_server_that_never_answers_is_3_within_the_connect_timeout(
        private: Callable[..., SshServer], tmp_path: Path) -> None:
    server = private()
    root, marker = marker_repo(tmp_path, connect_timeout="2")
    server.freeze()  # the kernel still accepts the TCP connection; no SSH banner comes
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    elapsed = time.monotonic() - started
    assert result.code == 3, result.stderr
    assert 1.5 < elapsed < 4
    assert "did not answer as an SSH server within 2 s" in result.stderr
    assert not marker.exists()


def host_key_fingerprint(server: SshServer) -> str:
    listing = subprocess.run(["ssh-keygen", "-l", "-f", str(server.host_key_pub)], capture_output=True,
                             text=True, check=True).stdout
    return listing.split()[1]


def test_unknown_host_key_is_3_with_the_fingerprint(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    fingerprint = host_key_fingerprint(sshd)
    assert fingerprint.startswith("SHA256:") and f" {fingerprint}" in result.stderr
    assert "is not known" in result.stderr and "ssh-keyscan -p" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_changed_host_key_is_3_and_loud(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    key_type, blob = other.with_suffix(".pub").read_text().split()[:2]
    (ssh_home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {key_type} {blob}\n")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert "HOST KEY CHANGED" in result.stderr and host_key_fingerprint(sshd) in result.stderr
    assert "known_hosts:1" in result.stderr and "ssh-keygen -R" in result.stderr
    assert not marker.exists()


def test_rejected_key_is_3_naming_the_user_and_the_keys_tried(sshd: SshServer, ssh_home: Path,
                                                               tmp_path: Path) -> None:
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text().replace(str(sshd.client_key), str(stranger)))
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert f"authentication failed for user {sshd.user!r}" in result.stderr
    assert str(stranger) in result.stderr and str(sshd.client_key) not in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_hashed_known_hosts_entries_are_trusted(ssh_home: Path, tmp_path: Path) -> None:
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    subprocess.run(["ssh-keygen", "-H", "-f", str(known_hosts)], check=True, capture_output=True)
    assert "|1|" in known_hosts.read_text()
    root, marker = marker_repo(tmp_path)
    assert hostlint("check", cwd=root).code == 0
    assert marker.exists()


def test_a_revoked_host_key_is_refused(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    key_type, blob = sshd.host_key_pub.read_text().split()[:2]
    known_hosts.write_text(known_hosts.read_text() + f"@revoked * {key_type} {blob}\n")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3 and "REVOKED" in result.stderr
    assert not marker.exists()


# -- 6. Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_stops_the_remote_linter(ssh_home: Path, tmp_path: Path, signum: int, code: int) -> None:
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py")
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    assert alive(remote_pid)
    started = time.monotonic()
    proc.send_signal(signum)
    assert proc.wait(timeout=10) == code
    assert time.monotonic() - started < 2
    assert gone_within(remote_pid, 2)
    assert proc.stderr is not None and b"interrupted" in proc.stderr.read()


def test_a_linter_ignoring_ctrl_c_is_ended_by_closing_its_channel(ssh_home: Path, tmp_path: Path) -> None:
    script = ("import os, signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
              "print('pid', os.getpid(), flush=True); print('ready', flush=True); time.sleep(600)")
    root = ssh_repo(tmp_path, f"{PYTHON} -c {script!r}", "a.py")
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    assert gone_within(remote_pid, 2)


# -- 7, 8. a target lost mid-run -----------------------------------------------------------------


def test_sshd_killed_mid_output_is_3_keeping_the_output(private: Callable[..., SshServer],
                                                        tmp_path: Path) -> None:
    server = private()
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py")
    proc = popen_check(root)
    read_ready(proc)
    server.kill()
    assert proc.wait(timeout=10) == 3
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read() == b""  # "pid" and "ready" came before, nothing is lost after
    errors = proc.stderr.read().decode()
    assert errors.startswith("hostlint: connection to hostlint-test (") and " lost: " in errors
    assert errors.count("\n") == 1 and "Traceback" not in errors


@pytest.mark.timeout(60)
def test_a_frozen_target_is_lost_within_the_alive_timeout(private: Callable[..., SshServer],
                                                          tmp_path: Path) -> None:
    server = private()
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py", alive_timeout="5")
    proc = popen_check(root)
    read_ready(proc)  # after "ready", the remote .bashrc is done: nothing holds a lock
    server.freeze()
    started = time.monotonic()
    assert proc.wait(timeout=30) == 3
    assert time.monotonic() - started < 10
    assert proc.stderr is not None
    errors = proc.stderr.read().decode()
    assert "lost: no answer for 5 s" in errors and errors.count("\n") == 1


# -- several linters, one connection -----------------------------------------------------------


def ssh_linters_repo(tmp_path: Path, log: Path, specs: dict[str, tuple[float, int, str]]) -> Path:
    """A repository whose timed linters (tests/test_parallel.py) run over ssh, a.py staged."""
    root = tmp_path / "repo"
    config = linters_config(log, specs)
    config = config.replace("[tool.hostlint]\n", "[tool.hostlint]\ntarget = \"ssh\"\n", 1)
    config += f'[tool.hostlint.ssh]\nhost = "{ALIAS}"\nroot = {toml_string(str(root))}\n'
    make_repo(root, config)
    stage(root, "a.py")
    return root


def test_several_linters_share_one_connection_and_overlap(private: Callable[..., SshServer],
                                                         tmp_path: Path) -> None:
    server = private()
    log = tmp_path / "times.log"
    root = ssh_linters_repo(tmp_path, log, {n: (1.5, 0, "*") for n in "abc"})
    before = accepted(server)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    times = spans(log)
    assert max(start for start, _ in times.values()) < min(end for _, end in times.values())
    for name in "abc":
        assert f"--- {name} ---\n{name} line 0 files=a.py\n" in result.out
    assert accepted(server) - before == 1


@pytest.mark.timeout(60)
def test_linters_beyond_max_sessions_wait_for_a_channel(private: Callable[..., SshServer],
                                                        tmp_path: Path) -> None:
    server = private(max_sessions=2)
    log = tmp_path / "times.log"
    root = ssh_linters_repo(tmp_path, log, {n: (0.6, 0, "*") for n in "abcd"})
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert set(spans(log)) == set("abcd")
    summary = result.out.split("--- summary ---\n")[1].splitlines()
    assert len(summary) == 4 and all(" passed " in line for line in summary)
    assert "no more sessions" in server.log()  # the limit was reached: some linters waited
    assert accepted(server) == 1


# -- settings: ~/.ssh/config, proxies, detect ---------------------------------------------------


def test_resolve_reads_the_alias_and_spec_overrides(sshd: SshServer, ssh_home: Path) -> None:
    endpoint = ssh.resolve(ALIAS, environ=os.environ)
    assert (endpoint.host, endpoint.port, endpoint.user) == ("127.0.0.1", sshd.port, sshd.user)
    assert endpoint.identity_files == (str(sshd.client_key),)
    assert endpoint.identities_only and endpoint.check_host_key
    assert endpoint.known_hosts[0] == str(ssh_home / ".ssh" / "known_hosts")
    assert endpoint.known_hosts_name == f"[127.0.0.1]:{sshd.port}"
    other = ssh.resolve(f"someone@{ALIAS}:2222", environ=os.environ)
    assert (other.host, other.port, other.user) == ("127.0.0.1", 2222, "someone")
    plain = ssh.resolve("example.invalid", environ=os.environ)
    assert (plain.host, plain.port, plain.known_hosts_name) == ("example.invalid", 22, "example.invalid")
    assert ssh.parse_spec("u@[::1]:2200") == ("u", "::1", 2200)


def test_resolve_follows_include(sshd: SshServer, ssh_home: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    (ssh_home / ".ssh" / "conf.d").mkdir()
    (ssh_home / ".ssh" / "conf.d" / "test.conf").write_text(config.read_text())
    config.write_text("Include conf.d/*.conf\n")
    assert ssh.resolve(ALIAS, environ=os.environ).port == sshd.port


def test_vagrant_style_config_accepts_any_host_key_and_writes_nothing(sshd: SshServer,
                                                                     ssh_home: Path) -> None:
    text = (f"Host default\n  HostName 127.0.0.1\n  User {sshd.user}\n  Port {sshd.port}\n"
            "  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  PasswordAuthentication no\n"
            f"  IdentityFile {sshd.client_key}\n  IdentitiesOnly yes\n  LogLevel FATAL\n")
    endpoint = ssh.resolve("default", environ=os.environ, ssh_config=text)
    assert not endpoint.check_host_key and endpoint.known_hosts == ("/dev/null", *ssh.GLOBAL_KNOWN_HOSTS)
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    connection = ssh.connect(endpoint, connect_timeout=10, alive_timeout=10)
    try:
        result, out = run_on(ssh.SshTarget(connection, root="/"), Invocation("echo vagrant"))
    finally:
        connection.close()
    assert (result, out) == (RunResult(0), b"vagrant\n")
    assert (ssh_home / ".ssh" / "known_hosts").read_text() == ""


def proxied_home(server: SshServer, home: Path, proxy: str) -> None:
    """``Host via`` reaches ``server`` through ``proxy`` (a ProxyJump or ProxyCommand line)."""
    block = server.ssh_config_block(home)
    via = block.replace(f"Host {ALIAS}\n", "Host via\n").replace("    HostName 127.0.0.1\n",
                                                                 "    HostName localhost\n")
    (home / ".ssh" / "config").write_text(via.rstrip("\n") + f"\n    {proxy}\n\n" + block)
    known_hosts = home / ".ssh" / "known_hosts"
    known_hosts.write_text(known_hosts.read_text() + server.known_hosts_line.replace("127.0.0.1", "localhost")
                           + "\n")


@pytest.mark.parametrize("proxy", ["ProxyJump hostlint-test",
                                   "ProxyCommand ssh -F {config} -W %h:%p hostlint-test"])
def test_proxies_reach_the_host_through_another(private: Callable[..., SshServer], tmp_path: Path,
                                                 proxy: str) -> None:
    server = private()
    home = Path(os.environ["HOME"])
    proxied_home(server, home, proxy.format(config=home / ".ssh" / "config"))
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host="via")
    before = accepted(server)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert marker.exists()
    assert accepted(server) - before == 2  # the jump (or -W) connection, then the target through it


def test_detect_shows_the_resolved_settings_and_no_key_material(sshd: SshServer, ssh_home: Path,
                                                               tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "true")
    result = hostlint("detect", cwd=root)
    assert result.code == 0, result.stderr
    out = result.out
    for row in (f"host: {ALIAS} -> 127.0.0.1", f"user: {sshd.user}", f"port: {sshd.port}",
                f"identity files: {sshd.client_key}", f"root: {root}",
                f"known_hosts: {ssh_home / '.ssh' / 'known_hosts'}"):
        assert row in out, out
    assert sshd.client_key_pub.read_text().split()[1] not in out
    assert "PRIVATE KEY" not in out


@pytest.mark.parametrize("args, code", [(("check",), 1), (("hook", "pre-commit"), 1), (("detect",), 0)])
def test_a_local_check_never_imports_paramiko(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    root = make_repo(tmp_path / "repo", f"[tool.hostlint]\ncommand = {toml_string(linter('fail.py'))}\n")
    stage(root, "a.py")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostlint", *args], cwd=root,
                          capture_output=True, text=True, env=child_env(), stdin=subprocess.DEVNULL,
                          check=False)
    assert proc.returncode == code, proc.stderr
    loaded = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    assert "hostlint.detect" in loaded  # importtime did report
    assert not [m for m in loaded if m in REMOTE_ONLY or m.startswith(("paramiko.", "vagrant."))]


#: Modules the hook and local checks load: none of them may import the remote targets.
LOCAL_PATH = ("__main__.py", "check.py", "config.py", "detect.py", "environment.py", "errors.py",
              "files.py", "fsutil.py", "git.py", "status.py", "stream.py", "targets/__init__.py",
              "targets/base.py", "targets/local.py", "targets/vagrant_record.py")
REMOTE_ONLY = ("paramiko", "vagrant", "hostlint.targets.ssh", "hostlint.targets.ssh_config",
               "hostlint.targets.known_hosts", "hostlint.targets.vagrant")


@pytest.mark.parametrize("name", LOCAL_PATH)
def test_local_path_modules_never_import_the_remote_targets(name: str) -> None:
    """Not even lazily: the registry (targets/__init__.py) imports them by name, on use."""
    tree = ast.parse((Path(ssh.__file__).parents[1] / name).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not [m for m in imported if m in REMOTE_ONLY or m.startswith(("paramiko.", "vagrant."))]


def test_a_root_under_the_remote_home_is_expanded_there(tmp_path: Path) -> None:
    home = tmp_path / "remote home"
    (home / "proj dir").mkdir(parents=True)
    command = ssh.remote_command("~/proj dir", Invocation("pwd"))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, check=True,
                          env={**child_env(), "HOME": str(home)})
    assert proc.stdout == f"{home}/proj dir\n".encode()


def test_roots_include_the_normalised_form() -> None:
    target = ssh.SshTarget(cast(ssh.Connection, None), root="/srv//proj/")
    assert target.roots == ("/srv//proj/", "/srv/proj")
