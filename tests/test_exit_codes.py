"""Every exit code of SPEC's table, in one place (remote 3s live in tests/targets/)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hostlint.errors import report
from hostlint.status import ExitCode, RunResult, exit_code
from tests.utils import PYTHON, child_env, git, hostlint, hostlint_argv, linter, linter_config, make_repo


def _repo(tmp_path: Path, command: str) -> Path:
    return make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])


def test_0_when_every_linter_passed(tmp_path: Path) -> None:
    assert hostlint("check", cwd=_repo(tmp_path, "true")).code == 0


def test_1_when_a_linter_reported_problems(tmp_path: Path) -> None:
    assert hostlint("check", cwd=_repo(tmp_path, linter("fail.py"))).code == 1


def test_1_when_the_command_is_missing_on_the_target(tmp_path: Path) -> None:
    result = hostlint("check", cwd=_repo(tmp_path, "no-such-linter-xyz"))
    assert result.code == 1
    assert b"no-such-linter-xyz" in result.stdout  # the shell's own "not found" line
    assert result.stderr.splitlines()[0] == (
        "hostlint: default: command not found on the local target (exit 127); check `command` "
        "and the PATH of the target's login shell")


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


def test_advisory_turns_1_into_0_only() -> None:
    failed = [RunResult(0), RunResult(1)]
    assert exit_code(failed, advisory=False) == 1
    assert exit_code(failed, advisory=True) == 0
    assert exit_code([RunResult(137, "SIGKILL")], advisory=False) == 1


def test_signal_codes() -> None:
    assert (ExitCode.SIGINT, ExitCode.SIGTERM, ExitCode.SIGHUP) == (130, 143, 129)




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
