"""Shell completion through typer's own protocol (what the installed completion script runs):
``--target`` completes the target kinds, ``--only``/``--skip`` the linters configured in the
repository at the working directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hostlint.config import TARGETS
from tests.utils import child_env, hostlint_argv, make_repo

CONFIG = """[tool.hostlint.linters.ruff]
command = "ruff check"
[tool.hostlint.linters.mypy]
command = "mypy"
[tool.hostlint.linters.eslint]
command = "npx eslint"
"""


def complete(shell: str, line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What the completion script asks hostlint for ``line`` (the cursor at its end)."""
    words = line.split(" ")
    env = child_env(_HOSTLINT_COMPLETE=f"complete_{shell}", _TYPER_COMPLETE_ARGS=line,
                    COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    return subprocess.run(hostlint_argv(), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def bash(line: str, cwd: Path) -> list[str]:
    result = complete("bash", line, cwd)
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout.split()


def test_target_completes_the_target_kinds(tmp_path: Path) -> None:
    assert bash("hostlint check --target ", tmp_path) == list(TARGETS)
    assert bash("hostlint check --target v", tmp_path) == ["vagrant"]
    assert bash("hostlint detect --target l", tmp_path) == ["local"]


@pytest.mark.parametrize("option", ["--only", "--skip"])
def test_only_and_skip_complete_the_configured_linters(tmp_path: Path, option: str) -> None:
    root = make_repo(tmp_path / "repo", CONFIG)
    (root / "sub").mkdir()
    assert bash(f"hostlint check {option} ", root) == ["ruff", "mypy", "eslint"]
    assert bash(f"hostlint check {option} m", root / "sub") == ["mypy"]
    assert bash(f"hostlint check --only ruff {option} e", root) == ["eslint"]


def test_zsh_gets_the_same_names(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", CONFIG)
    result = complete("zsh", "hostlint check --skip r", root)
    assert (result.returncode, result.stderr) == (0, "")
    assert '"ruff"' in result.stdout and "mypy" not in result.stdout


@pytest.mark.parametrize("config", [None, "[tool.hostlint]\ncomand = 'typo'\n", "[tool.hostlint"])
def test_no_repository_or_a_broken_config_completes_nothing_quietly(tmp_path: Path,
                                                                   config: str | None) -> None:
    cwd = tmp_path if config is None else make_repo(tmp_path / "repo", config)
    assert bash("hostlint check --only ", cwd) == []
