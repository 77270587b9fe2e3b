"""Every exit code of SPEC's table, in one place (remote 3s live in tests/targets/)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from hostlint.errors import (
    CommandLineError,
    Finished,
    Interrupted,
    TargetUnavailable,
    UsageError,
    exit_status,
    report,
)
from hostlint.status import ExitCode, RunResult, exit_code
from tests.utils import PYTHON, child_env, git, hostlint, hostlint_argv, linter, linter_config, make_repo


def _repo(tmp_path: Path, command: str) -> Path:
    return make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])


def test_0_when_every_linter_passed(tmp_path: Path) -> None:
    assert hostlint("check", cwd=_repo(tmp_path, "true")).code == 0


def test_1_when_a_linter_reported_problems(tmp_path: Path) -> None:
    assert hostlint("check", cwd=_repo(tmp_path, linter("fail.py"))).code == 1


def test_1_when_a_linter_failed_under_a_parent_that_ignores_sigchld(tmp_path: Path) -> None:
    """A parent that ignores SIGCHLD hands that on across ``exec``; the kernel would then reap
    git and the linter itself, their exit statuses lost (a crash, exit 70, or a failing
    linter taken for a passing one). hostlint takes the default back."""
    root = _repo(tmp_path, "false")
    ignoring = ("import os, signal, sys\n"
                "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
                "os.execv(sys.argv[1], sys.argv[1:])\n")
    proc = subprocess.run([PYTHON, "-c", ignoring, *hostlint_argv("check")], cwd=root,
                          capture_output=True, stdin=subprocess.DEVNULL, env=child_env(),
                          timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr


@pytest.mark.parametrize("signum, name", [(signal.SIGTERM, "SIGTERM"),
                                          (signal.SIGRTMIN + 1, f"signal {signal.SIGRTMIN + 1}")])
def test_1_when_a_linter_is_killed_by_a_signal_named_or_not(tmp_path: Path, signum: int,
                                                             name: str) -> None:
    """A real-time signal past SIGRTMIN has no name in ``signal.Signals``: the report gives
    its number (looking the name up made this an internal error, exit 70)."""
    result = hostlint("check", cwd=_repo(tmp_path, f"kill -{signum} $$; true"))
    assert result.code == 1, result.stderr
    assert f"killed by {name} on local" in result.stderr


def test_1_when_the_command_is_missing_on_the_target(tmp_path: Path) -> None:
    root = _repo(tmp_path, "no-such-linter-xyz")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert b"no-such-linter-xyz" in result.stdout  # the shell's own "not found" line
    assert result.stderr.splitlines()[0] == (
        f"hostlint: no-such-linter-xyz: command not found on local {root} (exit 127); check "
        "`command` and the PATH hostlint runs /bin/sh with (not a login shell; a virtualenv's "
        "bin comes first)")


@pytest.mark.parametrize("args", [["check", "--color", "purple"], ["check", "--target", "x"],
                                  ["check", "--no-such-option"], ["frobnicate"]])
def test_2_for_usage_errors(tmp_path: Path, args: list[str]) -> None:
    assert hostlint(*args, cwd=_repo(tmp_path, "true")).code == 2


def test_2_outside_a_repository_and_in_a_bare_one(tmp_path: Path) -> None:
    result = hostlint("check", cwd=tmp_path)
    assert result.code == 2 and "not inside a git repository" in result.stderr
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    result = hostlint("check", cwd=tmp_path / "bare.git")
    assert result.code == 2 and "bare repository" in result.stderr


def test_3_when_the_target_cannot_be_used(tmp_path: Path) -> None:
    """Port 1 on loopback: connection refused (the sshd cases are in tests/targets/)."""
    config = linter_config("true", target='"ssh"')
    config += '[tool.hostlint.ssh]\nhost = "127.0.0.1:1"\nroot = "/tmp"\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert len(result.stderr.splitlines()) == 1 and "refused" in result.stderr


def test_70_for_a_bug_with_one_line_ending_run_with_v() -> None:
    class Stderr:
        text = ""

        def write(self, s: str) -> int:
            self.text += s
            return len(s)

        def flush(self) -> None:
            pass

    stderr = Stderr()
    code = report(ZeroDivisionError("boom"), stderr=stderr, verbose=False)  # type: ignore[arg-type]
    assert code == ExitCode.BUG
    assert int(code) == 70
    assert stderr.text.count("\n") == 1 and "run with -v for the traceback" in stderr.text


def test_one_ladder_ranks_every_way_a_command_ends() -> None:
    assert exit_status(Finished(0)) == (None, 0)
    assert exit_status(UsageError("bad", hint="fix it")) == ("hostlint: bad; fix it", 2)
    assert exit_status(CommandLineError("Usage: x\nError: y")) == ("Usage: x\nError: y", 2)
    assert exit_status(TargetUnavailable("gone"))[1] == 3
    assert exit_status(Interrupted(signal.SIGTERM))[1] == 143
    assert exit_status(KeyboardInterrupt()) == ("hostlint: interrupted (SIGINT)", 130)
    assert exit_status(BrokenPipeError())[1] == 1
    assert exit_status(ZeroDivisionError())[1] == 70


def test_a_usage_error_shows_the_parsers_text_once(tmp_path: Path) -> None:
    result = hostlint("check", "--no-such-option", cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.startswith("Usage: hostlint check [OPTIONS]")
    assert result.stderr.endswith("Error: No such option: --no-such-option\n")
    assert result.stderr.count("Error:") == 1


def test_version_ends_0_with_nothing_on_stderr(tmp_path: Path) -> None:
    result = hostlint("--version", "-v", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert result.out.startswith("hostlint ")


def test_advisory_turns_1_into_0_only() -> None:
    failed = [RunResult(0), RunResult(1)]
    assert exit_code(failed, advisory=False) == 1
    assert exit_code(failed, advisory=True) == 0
    assert exit_code([RunResult(137, "SIGKILL")], advisory=False) == 1


@pytest.mark.parametrize("command, returncode", [("no-such-linter-xyz", 127), ("./not-exec", 126)])
def test_advisory_does_not_hide_a_command_the_shell_could_not_run(
        tmp_path: Path, command: str, returncode: int) -> None:
    """Nothing was linted: that is not a finding, so ``advisory`` does not turn it into 0."""
    root = _repo(tmp_path, command)
    (root / "not-exec").write_text("#!/bin/sh\n")
    result = hostlint("check", "--advisory", cwd=root)
    assert result.code == 1
    assert f"(exit {returncode})" in result.stderr and "not blocked" not in result.stderr
    assert exit_code([RunResult(1), RunResult(returncode)], advisory=True) == 1


def test_signal_codes() -> None:
    assert (ExitCode.SIGINT, ExitCode.SIGTERM, ExitCode.SIGHUP) == (130, 143, 129)




def test_an_error_is_one_line_whatever_it_names() -> None:
    """A path or value with a newline or an escape sequence cannot split the line or reach
    the terminal as a control sequence."""
    from hostlint.errors import ConfigError

    line = ConfigError("/repo\nx/pyproject.toml: bad \x1b]52;c;cHdu\x07", hint="fix\rit").line()
    assert line == "hostlint: /repo\\nx/pyproject.toml: bad \\x1b]52;c;cHdu\\x07; fix\\rit"


@pytest.mark.parametrize("args", [["check"], ["hook", "pre-commit"]])
def test_2_with_one_line_when_stdout_is_closed(tmp_path: Path, args: list[str]) -> None:
    """``hostlint check >&-``: nowhere to show the linters' output, so nothing runs."""
    import subprocess

    from tests.utils import child_env, hostlint_argv

    marker = tmp_path / "ran"
    root = _repo(tmp_path, f"touch {marker}")
    proc = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *hostlint_argv(*args)], cwd=root,
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=child_env(), check=False)
    assert proc.returncode == 2
    assert proc.stderr == ("hostlint: stdout is closed: there is nowhere to show the linters' "
                           "output; run hostlint with stdout open (redirect it to /dev/null to "
                           "discard the output)\n")
    assert not marker.exists()


def test_stderr_closed_too_changes_nothing_but_the_message(tmp_path: Path) -> None:
    import subprocess

    from tests.utils import child_env, hostlint_argv

    root = _repo(tmp_path, linter("fail.py"))
    for redirect, code in ((">&- 2>&-", 2), ("2>&-", 1)):
        proc = subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *hostlint_argv("check")],
                              cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              env=child_env(), check=False)
        assert proc.returncode == code, redirect


#: What ``sh -c 'exec "$@" REDIRECT'`` does to stdout → hostlint's one line for it.
UNWRITABLE = {
    "> /dev/full": "hostlint: cannot write to stdout: No space left on device; redirect it to a "
                   "file or terminal that can be written\n",
    ">&-": "hostlint: stdout is closed: there is nowhere to write the output; run hostlint with "
           "stdout open (redirect it to /dev/null to discard the output)\n",
}


def _with_stdout(redirect: str, args: list[str], cwd: Path,
                 **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *hostlint_argv(*args)],
                          cwd=cwd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=child_env(**extra), check=False)


@pytest.mark.parametrize("redirect", list(UNWRITABLE))
@pytest.mark.parametrize("args, extra", [
    (["detect"], {}), (["--version"], {}), (["--help"], {}), ([], {}), (["detect", "--help"], {}),
    ([], {"_HOSTLINT_COMPLETE": "source_bash"}),
], ids=["detect", "version", "help", "no-arguments", "command-help", "completion-script"])
def test_2_with_one_line_when_a_commands_output_cannot_be_written(
        tmp_path: Path, redirect: str, args: list[str], extra: dict[str, str]) -> None:
    """Output that is the command's point, on a full or closed stdout: how hostlint was
    started is wrong (2), not a bug (70), and no traceback at exit (120)."""
    proc = _with_stdout(redirect, args, _repo(tmp_path, "true"), **extra)
    assert (proc.returncode, proc.stderr) == (2, UNWRITABLE[redirect])


@pytest.mark.parametrize("redirect", list(UNWRITABLE))
@pytest.mark.parametrize("args", [["install"], ["uninstall"], ["stop"]])
def test_commands_that_only_report_on_stderr_do_not_need_stdout(
        tmp_path: Path, redirect: str, args: list[str]) -> None:
    proc = _with_stdout(redirect, args, _repo(tmp_path, "true"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("hostlint: ") and len(proc.stderr.splitlines()) == 1


def test_run_hook_with_stdout_closed_runs_nothing(tmp_path: Path) -> None:
    """As ``hook``: nowhere to show the linters' output."""
    marker = tmp_path / "ran"
    proc = _with_stdout(">&-", ["run-hook", "pre-commit"], _repo(tmp_path, f"touch {marker}"))
    assert proc.returncode == 2 and "stdout is closed" in proc.stderr
    assert not marker.exists()


def completion_script(shell: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The completion script for ``shell``, asked for as the guide shows."""
    return subprocess.run(hostlint_argv(), cwd=cwd, capture_output=True, text=True,
                          env=child_env(_HOSTLINT_COMPLETE=f"source_{shell}"), check=False)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_for_a_named_shell_exits_0(tmp_path: Path, shell: str) -> None:
    result = completion_script(shell, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "_HOSTLINT_COMPLETE" in result.stdout


def test_show_completion_exits_0_from_bash(tmp_path: Path) -> None:
    """``--show-completion`` takes no value: it finds the shell among its parent processes,
    so it runs under bash here, not under whatever started pytest (``sh``: exit 1)."""
    script = 'python="$0"; "$python" -m hostlint --show-completion; exit $?'  # bash stays a parent
    result = subprocess.run(["bash", "-c", script, PYTHON], cwd=tmp_path, capture_output=True,
                            text=True, env=child_env(), check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == completion_script("bash", tmp_path).stdout.strip()
