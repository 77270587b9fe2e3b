"""hostlint as a hook of the pre-commit framework, from this repository's
.pre-commit-hooks.yaml, installed by real pre-commit by local path and commit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils import child_env, git, linter, linter_config, make_repo, run_detached

HERE = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_pre_commit_runs_hostlint_from_this_repository(tmp_path: Path) -> None:
    # pre-commit clones by commit: use a snapshot of the working tree as one commit, so the
    # test sees this checkout's files even when they are not committed yet.
    source = tmp_path / "hostlint-src"
    shutil.copytree(HERE, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", "build"))
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "snapshot")
    rev = git(source, "rev-parse", "HEAD").strip()

    root = make_repo(tmp_path / "project", linter_config(linter("grep_bad.py")))
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source}\n  rev: {rev}\n  hooks:\n  - id: hostlint\n")
    env = child_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([*pre_commit, "install-hooks"], cwd=root, env=env, check=True,
                   capture_output=True, timeout=540)

    (root / "good.py").write_text("fine\n")
    git(root, "add", "good.py", ".pre-commit-config.yaml")
    out = tmp_path / "out"
    assert run_detached(["git", "commit", "-m", "clean"], cwd=root, out=out, env=env) == 0, \
        out.read_text()

    (root / "worse.py").write_text("bad\n")
    (root / "--advisory").write_text("bad\n")  # pre-commit appends names: not an option
    git(root, "add", "--", "worse.py", "--advisory")
    assert run_detached(["git", "commit", "-m", "finding"], cwd=root, out=out, env=env) == 1
    assert "worse.py:1:1: B001 contains 'bad'" in out.read_text()
    assert "./--advisory:1:1: B001 contains 'bad'" in out.read_text()
    assert git(root, "log", "--format=%s", "-1").strip() == "clean"
