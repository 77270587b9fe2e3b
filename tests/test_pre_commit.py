"""hostlint as a hook of the pre-commit framework, from this repository's
.pre-commit-hooks.yaml, installed by real pre-commit by local path and commit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils import child_env, git, linter, linter_config, make_repo, run_detached, toml_string

HERE = Path(__file__).resolve().parents[1]


PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """This checkout as one commit (pre-commit clones by commit, and the test must see files
    not committed yet), its id, and a pre-commit home the module's tests share (its
    environment for hostlint is built once)."""
    top = tmp_path_factory.mktemp("pre-commit")
    source = top / "hostlint-src"
    shutil.copytree(HERE, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", "build"))
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "snapshot")
    return source, git(source, "rev-parse", "HEAD").strip(), top / "pre-commit-home"


def _use(root: Path, snapshot: tuple[Path, str, Path], hook_id: str, *types: str) -> dict[str, str]:
    """Configure and install pre-commit in ``root`` with this checkout's ``hook_id``."""
    source, rev, home = snapshot
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source}\n  rev: {rev}\n  hooks:\n  - id: {hook_id}\n")
    env = child_env(PRE_COMMIT_HOME=str(home))
    args = [a for t in types for a in ("--hook-type", t)]
    subprocess.run([*PRE_COMMIT, "install", *args], cwd=root, env=env, check=True,
                   capture_output=True)
    subprocess.run([*PRE_COMMIT, "install-hooks"], cwd=root, env=env, check=True,
                   capture_output=True, timeout=540)
    return env


@pytest.mark.timeout(600)
def test_pre_commit_runs_hostlint_from_this_repository(
        tmp_path: Path, snapshot: tuple[Path, str, Path]) -> None:
    root = make_repo(tmp_path / "project", linter_config(linter("grep_bad.py")))
    env = _use(root, snapshot, "hostlint")

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


@pytest.mark.timeout(600)
def test_commit_msg_through_pre_commits_own_hook(
        tmp_path: Path, snapshot: tuple[Path, str, Path]) -> None:
    log = tmp_path / "probe.log"
    command = linter("hook_probe.py", str(log), "--reject", "WIP")
    root = make_repo(tmp_path / "project", f'[tool.hostlint]\ncommand = {toml_string(command)}\n'
                     'hooks = ["commit-msg"]\n')
    env = _use(root, snapshot, "hostlint-commit-msg", "commit-msg")
    git(root, "add", ".pre-commit-config.yaml")
    out = tmp_path / "out"
    assert run_detached(["git", "commit", "-m", "WIP: not yet"], cwd=root, out=out, env=env) == 1
    assert "message rejected: it contains WIP" in out.read_text()
    message = "Subject \u00e9 $(x)\n\nBody\ttab\n"
    assert run_detached(["git", "commit", "-m", message], cwd=root, out=out, env=env) == 0, \
        out.read_text()
    last = json.loads(log.read_text().splitlines()[-1])
    assert bytes.fromhex(last["stdin"]) == bytes.fromhex(last["file"]) == message.encode()
    assert git(root, "log", "-1", "--format=%s").strip() == "Subject \u00e9 $(x)"
