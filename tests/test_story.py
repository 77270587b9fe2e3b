"""The bug that started it all: a runner's forked children end with os._exit() without
flushing, and their output vanished when git ran the hook with no terminal."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.utils import (
    LINTERS,
    PYTHON,
    child_env,
    git,
    hostlint_argv,
    linter,
    linter_config,
    make_repo,
    run_detached,
)

CHILD_LINES = [f"child {c} line {n}" for c in range(3) for n in range(2)]


def _stage(root: Path) -> None:
    (root / "app.py").write_text("x = 1\n")
    git(root, "add", "app.py")


def test_the_runner_loses_output_without_a_pty(tmp_path: Path) -> None:
    """The control: run straight into a file, the children's lines are lost. If this ever
    passes with the lines present, the tests below prove nothing."""
    out = tmp_path / "direct.out"
    run_detached([PYTHON, str(LINTERS / "forking_runner.py")], cwd=tmp_path, out=out)
    text = out.read_text()
    assert "runner done" in text
    assert not any(line in text for line in CHILD_LINES)


def test_check_into_a_file_keeps_every_child_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("forking_runner.py")))
    _stage(root)
    out = tmp_path / "check.out"
    code = run_detached(hostlint_argv("check"), cwd=root, out=out)
    data = out.read_bytes()
    assert code == 0, data
    for line in CHILD_LINES:
        assert f"{line}\n".encode() in data
    assert b"\r" not in data


def test_commit_hook_without_terminal_keeps_every_child_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("forking_runner.py")))
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=child_env(),
                   capture_output=True)
    _stage(root)
    out = tmp_path / "commit.out"
    code = run_detached(["git", "commit", "-m", "add app"], cwd=root, out=out,
                        env=child_env(PATH="/usr/bin:/bin"))
    data = out.read_bytes()
    assert code == 0, data
    for line in CHILD_LINES:
        assert f"{line}\n".encode() in data
    assert b"\r" not in data
    assert git(root, "log", "--format=%s", "-1").strip() == "add app"
