"""The remote run (hostlint/targets/ssh/remote.py) against a real OpenSSH sshd
(tests/sshd.py): the one quoted remote command, where and how it runs, output, exit codes,
interrupts, and paths shown as the host sees them. The server runs on this machine, so the
"remote" root is the test repository itself and remote processes show in /proc."""

from __future__ import annotations

import os
import pwd
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.files import arguments
from hostlint.status import RunResult
from hostlint.targets.base import Invocation
from hostlint.targets.ssh.channel import quick
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.endpoint import resolve
from hostlint.targets.ssh.remote import REMOTE_COMMAND_BYTES, SshTarget, remote_command
from hostlint.targets.ssh.started import START
from tests.ssh_helpers import connected, popen_check, read_ready, run_on, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import (
    HOSTILE,
    LINTERS,
    NON_UTF8,
    PYTHON,
    alive,
    assert_one_sigterm_stops,
    child_env,
    git,
    gone_within,
    hostlint,
    hostlint_argv,
    linter,
    linter_config,
    logged_args,
    make_repo,
    name_bytes,
    output_closed_command,
    run_detached,
    stage,
    thirty_thousand_staged_each_linted_once,
    toml_string,
    with_descriptors,
)

CHILD_LINES = [f"child {c} line {n}" for c in range(3) for n in range(2)]


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


@pytest.fixture
def ssh_target(ssh_home: Path, tmp_path: Path) -> Iterator[SshTarget]:
    with connected(resolve(ALIAS, environ=os.environ), tmp_path) as target:
        yield target


@pytest.mark.timeout(300)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(name_bytes, min_size=1, max_size=8, unique=True))
def test_any_name_reaches_the_remote_linter_byte_for_byte(
        ssh_target: SshTarget, tmp_path: Path, names: list[bytes]) -> None:
    out = tmp_path / "argv.bin"
    out.unlink(missing_ok=True)
    command = linter("record_args.py", str(out))
    result, _ = run_on(ssh_target, Invocation(command, tuple(map(os.fsdecode, names))))
    assert result == RunResult(0)
    assert out.read_bytes() == b"".join(n + b"\0" for n in names) + b"\0"


def test_remote_command_quotes_every_name_for_sh_and_bash(tmp_path: Path) -> None:
    names = (*HOSTILE, NON_UTF8, "", " ", "'", "\\", "a\nb", "~user", "!bang", "{a,b}", "é")
    invocation = Invocation("printf '%s\\0'", names)
    command = remote_command(str(tmp_path), invocation)
    assert command.index("stty -opost") < command.index("exec </dev/null")  # stty needs the tty
    for shell in ("/bin/sh", "/bin/bash"):
        proc = subprocess.run([shell, "-c", os.fsencode(command)], cwd="/", capture_output=True,
                              stdin=subprocess.DEVNULL, check=True)
        assert proc.stdout == START + b"".join(os.fsencode(n) + b"\0" for n in names)
    assert not list(tmp_path.rglob("PWNED")) and not Path("/PWNED").exists()


def test_remote_command_runs_in_the_quoted_root_with_stdin_at_end(tmp_path: Path) -> None:
    root = tmp_path / "it's a -root"
    root.mkdir()
    command = remote_command(str(root), Invocation('pwd; cat; echo "$#"'))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, input=b"stdin data",
                          check=True)
    assert proc.stdout == START + f"{root}\n0\n".encode()


def test_batches_keep_each_remote_command_under_64_kib() -> None:
    target = SshTarget(cast(Connection, None), root="/srv/proj")
    names = tuple(f"pkg/{i:05d}-it's-{'long-name-' * 12}.py" for i in range(30_000))
    batches = target.batches(Invocation("ruff check", names))
    assert len(batches) > 1
    assert [n for b in batches for n in b.files] == list(names)
    for batch in batches:
        assert len(os.fsencode(remote_command("/srv/proj", batch))) <= REMOTE_COMMAND_BYTES


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


def test_remote_terminal_defaults_without_a_host_terminal(ssh_target: SshTarget) -> None:
    result, out = run_on(ssh_target, Invocation("stty size </dev/tty; echo $TERM"))
    assert result == RunResult(0)
    assert out == b"40 120\nxterm-256color\n"


def test_a_linter_reading_stdin_gets_end_of_file_at_once(ssh_target: SshTarget) -> None:
    result, out = run_on(ssh_target, Invocation(f"{PYTHON} -c 'import sys; print(repr(sys.stdin.read()))'"))
    assert (result, out) == (RunResult(0), b"''\n")


@pytest.mark.timeout(300)
def test_thirty_thousand_staged_long_names_each_linted_once_over_ssh(ssh_home: Path, tmp_path: Path) -> None:
    log = tmp_path / "args.log"
    root = ssh_repo(tmp_path, linter("record_args.py", str(log)))
    thirty_thousand_staged_each_linted_once(root, log)


def test_clean_is_0_and_findings_are_1(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, linter("fail.py"))
    assert hostlint("check", cwd=root).code == 0  # nothing staged: nothing to lint
    stage(root, "bad.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert "bad.py:1:1: E999 something is wrong" in result.out


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


@pytest.mark.parametrize("ignore_ctrl_c, within", [(False, 1.5), (True, 3.0)])
def test_one_sigterm_stops_a_remote_linter_whose_output_is_closed(
        ssh_home: Path, tmp_path: Path, ignore_ctrl_c: bool, within: float) -> None:
    pidfile = tmp_path / "pid"
    root = ssh_repo(tmp_path, output_closed_command(pidfile, ignore_ctrl_c=ignore_ctrl_c), "a.py",
                    pass_filenames="false")
    assert_one_sigterm_stops(popen_check(root), pidfile, within)


def test_a_check_over_ssh_started_with_1100_open_descriptors(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "echo fine", "a.py")
    proc = subprocess.run(with_descriptors(hostlint_argv("check"), hold=1100), cwd=root,
                          capture_output=True, stdin=subprocess.DEVNULL, env=child_env(),
                          timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"fine a.py\n", b"")


def test_a_linter_ignoring_ctrl_c_is_ended_by_closing_its_channel(ssh_home: Path, tmp_path: Path) -> None:
    script = ("import os, signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
              "print('pid', os.getpid(), flush=True); print('ready', flush=True); time.sleep(600)")
    root = ssh_repo(tmp_path, f"{PYTHON} -c {script!r}", "a.py")
    proc = popen_check(root)
    remote_pid = read_ready(proc)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    assert gone_within(remote_pid, 2)


def test_remote_paths_are_shown_relative_to_the_repository(ssh_home: Path, tmp_path: Path) -> None:
    remote_path = tmp_path / "repo" / "app.py"  # fail.py reports each argument as a finding
    root = ssh_repo(tmp_path, f"{PYTHON} {LINTERS / 'fail.py'} {remote_path}", "app.py",
                    pass_filenames="false")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert result.out == "app.py:1:1: E999 something is wrong\n"


def test_a_root_under_the_remote_home_is_expanded_there(tmp_path: Path) -> None:
    home = tmp_path / "remote home"
    (home / "proj dir").mkdir(parents=True)
    command = remote_command("~/proj dir", Invocation("pwd"))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, check=True,
                          env={**child_env(), "HOME": str(home)})
    assert proc.stdout == START + f"{home}/proj dir\n".encode()


def test_roots_include_the_normalised_form() -> None:
    target = SshTarget(cast(Connection, None), root="/srv//proj/")
    assert target.roots == ("/srv//proj/", "/srv/proj")


def _repo(tmp_path: Path, remote_root: Path) -> Path:
    remote_root.mkdir(parents=True)
    config = linter_config(linter("split_path.py", str(remote_root)), target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(remote_root))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    return root


def test_remote_paths_are_repository_relative_across_reads(tmp_path: Path, ssh_home: Path,
                                                           sshd: SshServer) -> None:
    root = _repo(tmp_path, tmp_path / "guest" / "root")
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert result.out == "pkg/x.py:3:1: E999 syntax error\n"
    assert (root / ".git" / "hostlint" / "last.log").read_text() == result.out


def test_no_map_paths_keeps_them(tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    remote = tmp_path / "guest" / "root"
    root = _repo(tmp_path, remote)
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert result.out == f"{remote}/pkg/x.py:3:1: E999 syntax error\n"


def test_a_root_under_the_remote_home_is_mapped_by_its_expanded_path(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    remote = tmp_path / "guest" / "home root"
    remote.mkdir(parents=True)
    home = Path(pwd.getpwnam(sshd.user).pw_dir)
    relative = os.path.relpath(remote, home)  # "~/../tmp/..." reaches it from the remote home
    config = linter_config("""printf '%s/pkg/x.py:3:1: E999\\n' "$(pwd -P)"; false""",
                           target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string("~/" + relative)}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "pkg/x.py:3:1: E999\n"), result.stderr


def test_a_name_passed_as_dot_slash_is_mapped_to_that_host_path(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    """``-x.py`` reaches the linter as ``./-x.py``; a remote linter printing it under the root
    (`/root/./-x.py:1:1`) shows `./-x.py:1:1`, a path relative to the repository on the host."""
    remote = tmp_path / "guest" / "root"
    remote.mkdir(parents=True)
    script = """printf '%s/%s:1:1: E999\\n' "$(pwd -P)" "$1"; exit 1"""
    config = linter_config(f"sh -c {shlex.quote(script)} sh", target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(remote))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["-x.py"])
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "./-x.py:1:1: E999\n"), result.stderr


def test_a_short_commands_output_after_its_exit_status_is_read(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    """sshd may send a command's exit status before the last of its output (a loaded machine
    lost `pwd -P`'s answer, and with it a `~/` root's path mapping): a short command's output
    is read to its end. Here the output comes from a child after the shell has exited."""
    with connected(resolve(ALIAS, environ=os.environ), tmp_path) as target:
        status, output = quick(target.connection, "(sleep 0.3; echo late) & exit 0")
    assert (status, output) == (0, b"late\n")


def test_a_short_command_whose_output_stays_open_ends_within_the_alive_timeout(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    """A process left in the background that holds the output open and writes now and then
    does not keep a short command waiting past the alive timeout (each read's own timeout
    would start again with every byte)."""
    with connected(resolve(ALIAS, environ=os.environ), tmp_path, alive_timeout=2) as target:
        started = time.monotonic()
        status, output = quick(target.connection, "(while :; do printf x; sleep 0.5; done) & exit 0")
        took = time.monotonic() - started
    assert status == 0 and output.startswith(b"x")
    assert took < 6

