"""hostlint as a hook of the pre-commit framework, from this repository's
.pre-commit-hooks.yaml, installed by real pre-commit by local path and commit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hook_helpers import args_of, bare_remote, commit_files, probe_repo, remote_of
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


def _manifest_entry(hook_id: str) -> str:
    """The ``entry`` of ``hook_id`` in this checkout's .pre-commit-hooks.yaml."""
    lines = (HERE / ".pre-commit-hooks.yaml").read_text().splitlines()
    start = lines.index(f"- id: {hook_id}")
    for line in lines[start + 1:]:
        if line.startswith("  entry: "):
            return line.removeprefix("  entry: ").split("  #")[0].strip()
    raise AssertionError(f"{hook_id} has no entry")


def _use_prek(root: Path, hook_id: str, home: Path) -> dict[str, str]:
    """prek with ``hook_id``'s entry from the manifest as a local ``system`` hook run by this
    interpreter: prek builds Python hook environments with uv, which it would download (the
    tests fetch nothing); what is tested here is what prek hands the entry."""
    entry = _manifest_entry(hook_id)
    assert entry.startswith("hostlint ")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: local\n  hooks:\n  - id: {hook_id}\n    name: {hook_id}\n"
        f"    entry: {sys.executable} -m {entry}\n    language: system\n"
        "    pass_filenames: true\n    require_serial: true\n    stages: [pre-push]\n")
    env = child_env(PREK_HOME=str(home))
    subprocess.run([str(Path(sys.executable).with_name("prek")), "install", "--hook-type",
                    "pre-push"], cwd=root, env=env, check=True, capture_output=True, timeout=120)
    return env


@pytest.mark.timeout(600)
@pytest.mark.parametrize("tool", ["pre-commit", "prek"])
def test_pre_push_through_the_frameworks_own_hook(
        tmp_path: Path, snapshot: tuple[Path, str, Path], tool: str) -> None:
    """The framework reads git's ref lines; hostlint's pre-push linters get exactly the
    files it passes (those the pushed commits change), the remote's name and URL as
    hostlint's own hook gives them, and no stdin; a failing linter stops the push."""
    probe = probe_repo(tmp_path, "local", {"push": ("--fail-on", "bad.py")},
                       hooks={"push": '["pre-push"]'})
    if tool == "prek":
        env = _use_prek(probe.root, "hostlint-pre-push", tmp_path / "prek-home")
    else:
        env = _use(probe.root, snapshot, "hostlint-pre-push", "pre-push")
    bare = bare_remote(probe, tmp_path)
    url = str(bare)
    git(probe.root, "add", ".pre-commit-config.yaml")
    git(probe.root, "commit", "-q", "--no-verify", "-m", "config")
    out = tmp_path / "out"

    def push() -> int:
        return run_detached(["git", "push", "-q", "origin", "main"], cwd=probe.root, out=out,
                            env=env, timeout=300)

    assert push() == 0, out.read_text()  # a new branch from the root commit: every file
    [first] = probe.records()
    assert sorted(args_of(first)) == sorted(git(probe.root, "ls-files").split())

    commit_files(probe.root, "a.py", "sub/b c.py", "--d.py")
    commit_files(probe.root, "e.py", message="more")
    assert push() == 0, out.read_text()
    [_, pushed] = probe.records()
    assert sorted(args_of(pushed)) == ["./--d.py", "a.py", "e.py", "sub/b c.py"]
    assert remote_of(pushed) == {"HOSTLINT_REMOTE_NAME": "origin", "HOSTLINT_REMOTE_URL": url}
    assert pushed["stdin"] == "" and not pushed["stdin_tty"]

    commit_files(probe.root, "bad.py")
    before = git(bare, "rev-parse", "main")
    assert push() == 1
    assert "bad.py:1:1: X001 refused" in out.read_text()
    assert args_of(probe.records()[-1]) == ["bad.py"]
    assert git(bare, "rev-parse", "main") == before
