"""``hostlint check`` on the local target: the file list, blocking, advisory, skipping."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.files import arguments
from hostlint.status import RunResult
from hostlint.targets.base import Cancel, Invocation, run
from hostlint.targets.local import LocalTarget
from tests.utils import (
    HOSTILE,
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
    logged_runs,
    make_repo,
    name_bytes,
    output_closed_command,
    run_detached,
    stage,
    thirty_thousand_staged_each_linted_once,
)


def test_failing_linter_blocks_the_commit(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fail.py")))
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=child_env(), capture_output=True)
    stage(root, "bad.py")
    out = tmp_path / "commit.out"
    assert run_detached(["git", "commit", "-m", "bad"], cwd=root, out=out) == 1
    assert b"bad.py:1:1: E999" in out.read_bytes()
    assert git(root, "log", "--format=%s").split() == ["init"]


@pytest.mark.parametrize("how", ["option", "env", "config"])
def test_advisory_lets_the_commit_through_and_still_prints(tmp_path: Path, how: str) -> None:
    config = linter_config(linter("fail.py"), **({"advisory": "true"} if how == "config" else {}))
    root = make_repo(tmp_path / "repo", config)
    stage(root, "bad.py")
    args = ["check", "--advisory"] if how == "option" else ["check"]
    environ = dict(os.environ, **({"HOSTLINT_ADVISORY": "1"} if how == "env" else {}))
    result = hostlint(*args, cwd=root, environ=environ)
    assert result.code == 0
    assert "bad.py:1:1: E999" in result.out
    assert "advisory" in result.stderr


def test_option_beats_environment_beats_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fail.py"), advisory="true"))
    stage(root, "bad.py")
    assert hostlint("check", cwd=root).code == 0
    environ = dict(os.environ, HOSTLINT_ADVISORY="0")
    assert hostlint("check", cwd=root, environ=environ).code == 1


def test_commit_all_lints_the_files_that_commit_records(args_repo: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = args_repo
    stage(root, "tracked.py", "other.py")
    git(root, "commit", "-q", "-m", "files", "--no-verify")
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=child_env(), capture_output=True)
    (root / "tracked.py").write_text("y = 2\n")  # modified, not staged
    (root / "untracked.py").write_text("z = 3\n")
    assert run_detached(["git", "commit", "-a", "-m", "all"], cwd=root, out=tmp_path / "out") == 0
    assert logged_runs(log) == [["tracked.py"]]


def test_commit_with_a_path_lints_only_that_path(args_repo: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = args_repo
    stage(root, "a.py", "b.py")
    git(root, "commit", "-q", "-m", "files", "--no-verify")
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=child_env(), capture_output=True)
    (root / "a.py").write_text("changed\n")
    stage(root, "b.py", content="staged change\n")
    assert run_detached(["git", "commit", "-m", "only a", "--", "a.py"], cwd=root, out=tmp_path / "out") == 0
    assert logged_runs(log) == [["a.py"]]


def test_hostile_names_arrive_as_one_argument_each(args_repo: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = args_repo
    names = [*HOSTILE, NON_UTF8, "dir with space/inner.py"]
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x\n")
    subprocess.run(["git", "add", "--", *names], cwd=root, check=True)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert sorted(logged_args(log)) == sorted(arguments(names))  # "-x" as "./-x"
    assert not list(tmp_path.rglob("PWNED")) and not (Path.home() / "PWNED").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(name_bytes, min_size=1, max_size=8, unique=True))
def test_any_name_reaches_the_local_linter_byte_for_byte(tmp_path: Path, names: list[bytes]) -> None:
    """Property: whatever the bytes, each name is one argv entry, unchanged."""
    out = tmp_path / "argv.bin"
    out.unlink(missing_ok=True)
    command = linter("record_args.py", str(out))
    target = LocalTarget(str(tmp_path))
    cancel = Cancel()
    try:
        result = run(target, Invocation(command, tuple(map(os.fsdecode, names))), _Null(), cancel)
    finally:
        cancel.close()
    assert result == RunResult(0)
    assert out.read_bytes() == b"".join(n + b"\0" for n in names) + b"\0"


class _Null:
    def write(self, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass


def test_thirty_thousand_staged_files_each_linted_once(args_repo: tuple[Path, Path]) -> None:
    thirty_thousand_staged_each_linted_once(*args_repo)


def test_no_matching_files_runs_nothing(args_repo: tuple[Path, Path]) -> None:
    root, log = args_repo
    result = hostlint("check", cwd=root)
    assert (result.code, result.stdout) == (0, b"")
    assert not log.exists()


def test_hostlint_zero_skips_with_one_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fail.py")))
    stage(root, "bad.py")
    result = hostlint("check", cwd=root, environ=dict(os.environ, HOSTLINT="0"))
    assert result.code == 0
    assert result.stdout == b""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("hostlint: HOSTLINT=0")


def test_explicit_paths_and_all_files(args_repo: tuple[Path, Path]) -> None:
    root, log = args_repo
    stage(root, "a.py", "sub/b.py")
    git(root, "commit", "-q", "-m", "files", "--no-verify")
    assert hostlint("check", "sub", cwd=root).code == 0
    assert logged_args(log) == ["sub/b.py"]
    log.unlink()
    assert hostlint("check", "b.py", cwd=root / "sub").code == 0
    assert logged_args(log) == ["sub/b.py"]
    log.unlink()
    assert hostlint("check", "--all-files", cwd=root).code == 0
    assert sorted(logged_args(log)) == ["a.py", "pyproject.toml", "sub/b.py"]


def test_linter_reading_stdin_gets_end_of_file_at_once(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "repo", linter_config(f"{PYTHON} -c 'import sys; print(repr(sys.stdin.read()))'")
    )
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (0, "''\n")


def test_linter_has_a_terminal_and_no_carriage_returns(tmp_path: Path) -> None:
    script = "import sys; print(sys.stdout.isatty(), sys.stderr.isatty()); print('two')"
    root = make_repo(tmp_path / "repo", linter_config(f"{PYTHON} -c {script!r}"))
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.stdout == b"True True\ntwo\n"


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signal_stops_the_linter_and_exits_with_its_code(tmp_path: Path, signum: int, code: int) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("slow.py")))
    stage(root, "a.py")
    proc = subprocess.Popen(
        hostlint_argv("check"),
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=child_env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    pid_line = proc.stdout.readline()
    assert proc.stdout.readline() == b"ready\n"
    linter_pid = int(pid_line.split()[1])
    started = time.monotonic()
    proc.send_signal(signum)
    assert proc.wait(timeout=10) == code
    assert time.monotonic() - started < 3
    assert not alive(linter_pid)
    assert b"interrupted" in proc.stderr.read() if proc.stderr else False


def test_second_interrupt_exits_at_once(tmp_path: Path) -> None:
    """The first Ctrl-C starts the grace period (the linter survives it); the second ends
    everything at once, well before that period is over, and keeps last.log."""
    from hostlint.targets.base import GRACE_SECONDS

    marker = tmp_path / "sigint-seen"
    root = make_repo(tmp_path / "repo", linter_config(linter("stubborn.py", str(marker))))
    stage(root, "a.py")
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env(),
                            start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    linter_pid = int(proc.stdout.readline().split()[1])
    assert proc.stdout.readline() == b"ready\n"  # the linter and its child are both ready
    proc.send_signal(signal.SIGINT)
    assert proc.stdout.readline() == b"cleaning up after SIGINT\n"  # the first one arrived
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=5) == 130
    assert time.monotonic() - started < GRACE_SECONDS
    # The forced exit, not the end of the grace period: that path reports "linters stopped".
    assert b"linters stopped" not in proc.stderr.read()
    assert gone_within(linter_pid, 2)  # SIGKILLed on the way out; the kernel reaps it
    log = root / ".git" / "hostlint"
    assert b"cleaning up after SIGINT" in (log / "last.log").read_bytes()
    assert not list(log.glob("*.partial"))


@pytest.mark.parametrize("ignore_ctrl_c, within", [(False, 1.0), (True, 3.0)])
def test_one_sigterm_stops_a_linter_whose_output_is_closed(tmp_path: Path, ignore_ctrl_c: bool,
                                                           within: float) -> None:
    """After the end of the output hostlint waits for the linter's exit: a signal still
    stops it (a linter ignoring Ctrl-C is killed after the grace period)."""
    pidfile = tmp_path / "pid"
    root = make_repo(tmp_path / "repo", linter_config(
        output_closed_command(pidfile, ignore_ctrl_c=ignore_ctrl_c), pass_filenames="false"))
    stage(root, "a.py")
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=child_env(),
                            start_new_session=True)
    assert_one_sigterm_stops(proc, pidfile, within)


def test_linter_killed_by_a_signal_is_a_failure(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "repo",
        linter_config(f"{PYTHON} -c 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'"),
    )
    stage(root, "a.py")
    assert hostlint("check", cwd=root).code == 1


def test_the_local_linter_gets_the_environment_hostlint_was_given(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config('printf "%s\\n" "$HOSTLINT_PROBE"',
                                                      pass_filenames="false"))
    stage(root, "a.py")
    result = hostlint("check", cwd=root, environ={**os.environ, "HOSTLINT_PROBE": "seen"})
    assert result.out == "seen\n"


OPTION_NAMES = ["--exit-zero", "--fix", "--output-file=VICTIM", "-"]


@pytest.mark.parametrize("name", OPTION_NAMES)
def test_a_file_named_like_an_option_is_never_read_as_one(tmp_path: Path, name: str) -> None:
    """A linter that parses options (argparse) gets ``./--exit-zero``: it lints that file
    instead of exiting 0, rewrites nothing, writes no report file, reads no stdin."""
    root = make_repo(tmp_path / "repo", linter_config(linter("takes_options.py")))
    stage(root, name, "bad.py", content="bad\n")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert sorted(result.out.splitlines()) == [
        f"./{name}:1:1: B001 contains 'bad'", "bad.py:1:1: B001 contains 'bad'"]
    assert (root / "bad.py").read_text() == "bad\n"
    assert not (root / "VICTIM").exists()


RUFF = Path(PYTHON).with_name("ruff")


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed beside this interpreter")
def test_ruff_is_not_turned_off_or_redirected_by_file_names(tmp_path: Path) -> None:
    command = f"{RUFF} check --isolated --no-cache --output-format concise"
    root = make_repo(tmp_path / "repo", linter_config(command))
    stage(root, *OPTION_NAMES[:3], content="x = 1\n")
    stage(root, "bad.py", content="import os\n")
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.out
    assert "bad.py:1:8: F401" in result.out
    assert (root / "bad.py").read_text() == "import os\n"
    assert not (root / "VICTIM").exists()
