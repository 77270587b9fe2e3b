"""``hostlint install`` / ``uninstall``: where git looks, which interpreter, and never
losing a hook hostlint did not write."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hostlint.config import load
from hostlint.errors import UsageError
from hostlint.hook import MARKER, install
from tests.utils import (
    child_env,
    git,
    hostlint,
    linter,
    linter_config,
    make_repo,
    run_detached,
    toml_string,
)

FOREIGN = "#!/bin/sh\necho foreign hook ran >> \"$(git rev-parse --git-dir)/foreign.log\"\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo", linter_config(linter("fail.py")))
    (repo / "ok.txt").write_text("fine\n")
    git(repo, "add", "ok.txt")
    return repo


def _install(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostlint", "install", *args], cwd=root,
                          env=child_env(), capture_output=True, text=True, check=False)


def _commit(root: Path, tmp_path: Path, *, path: str = "/usr/bin:/bin") -> tuple[int, str]:
    out = tmp_path / "commit.out"
    code = run_detached(["git", "commit", "-m", "c"], cwd=root, out=out, env=child_env(PATH=path))
    return code, out.read_text(errors="replace")


def test_install_writes_an_executable_hook_naming_this_interpreter(root: Path) -> None:
    assert _install(root).returncode == 0
    hook = root / ".git" / "hooks" / "pre-commit"
    text = hook.read_text()
    assert MARKER in text and sys.executable in text
    assert hook.stat().st_mode & stat.S_IXUSR


def test_hook_runs_with_no_tty_no_stdin_and_minimal_path(root: Path, tmp_path: Path) -> None:
    _install(root)
    (root / "bad.py").write_text("x\n")
    git(root, "add", "bad.py")
    code, out = _commit(root, tmp_path)
    assert code == 1 and "bad.py:1:1: E999" in out


def test_install_refuses_an_interpreter_that_finds_hostlint_only_here(root: Path,
                                                                      tmp_path: Path) -> None:
    """A checkout run without installing (``python -m hostlint install`` in it): the hook,
    which keeps the repository off the import path, could never import hostlint."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "bare"], check=True)
    bare = str(tmp_path / "bare" / "bin" / "python")
    with pytest.raises(UsageError, match="cannot import hostlint outside this directory"):
        install(str(root), interpreter=bare)
    assert not (root / ".git" / "hooks" / "pre-commit").exists()


def test_the_repositorys_own_modules_never_run_inside_the_hook(root: Path, tmp_path: Path) -> None:
    """A repository with its own ``queue.py`` (or any module hostlint imports) at the top:
    the hook still runs hostlint's, and the repository's code never runs in hostlint."""
    _install(root)
    ran = tmp_path / "repository code ran"
    for module in ("queue", "signal", "typing"):
        (root / f"{module}.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    git(root, "add", "queue.py", "signal.py", "typing.py")
    for pythonpath in (None, ":", "."):  # an empty or "." PYTHONPATH entry names it too
        extra = {} if pythonpath is None else {"PYTHONPATH": pythonpath}
        out = tmp_path / "commit.out"
        code = run_detached(["git", "commit", "-m", "c"], cwd=root, out=out,
                            env=child_env(PATH="/usr/bin:/bin", **extra))
        text = out.read_text(errors="replace")
        assert code == 1 and "queue.py:1:1: E999" in text, text  # linted, as usual
        assert not ran.exists()


def test_a_hook_whose_interpreter_lost_hostlint_says_so_in_one_line(root: Path,
                                                                    tmp_path: Path) -> None:
    """The interpreter is still there but hostlint is not (a virtualenv rebuilt without it):
    one line naming the fix, exit 2, no traceback."""
    _install(root)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "bare"], check=True)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(hook.read_text().replace(sys.executable, str(tmp_path / "bare" / "bin" / "python")))
    proc = subprocess.run([hook], cwd=root, env=child_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("hostlint: the pre-commit hook cannot import hostlint with ")
    assert proc.stderr.count("\n") == 1 and "HOSTLINT=0" in proc.stderr
    code, out = _commit(root, tmp_path)  # and git refuses the commit with that line
    assert code == 1 and out.strip() == proc.stderr.strip()


def test_hook_falls_back_to_hostlint_on_path(root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "python"
    result = hostlint("install", cwd=root)
    assert result.code == 0
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(hook.read_text().replace(sys.executable, str(missing)))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "hostlint"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m hostlint \"$@\"\n")
    shim.chmod(0o755)
    (root / "bad.py").write_text("x\n")
    git(root, "add", "bad.py")
    code, out = _commit(root, tmp_path, path=f"{bindir}:/usr/bin:/bin")
    assert code == 1 and "bad.py:1:1: E999" in out


def test_hook_says_clearly_when_hostlint_is_nowhere(root: Path, tmp_path: Path) -> None:
    hostlint("install", cwd=root)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(hook.read_text().replace(sys.executable, str(tmp_path / "gone")))
    code, out = _commit(root, tmp_path)
    assert code == 1  # git's status for any failed hook
    assert "hostlint: the pre-commit hook cannot find hostlint" in out
    assert git(root, "log", "--format=%s").split() == ["init"]


def test_hostlint_zero_skips_in_the_hook_itself_when_its_interpreter_is_gone(
        root: Path, tmp_path: Path) -> None:
    """The advice in the "cannot find hostlint" line works: the script reads HOSTLINT itself,
    before looking for an interpreter, and says what ``check`` says."""
    hostlint("install", cwd=root)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(hook.read_text().replace(sys.executable, str(tmp_path / "gone")))
    out = tmp_path / "commit.out"
    code = run_detached(["git", "commit", "-q", "-m", "c"], cwd=root, out=out,
                        env=child_env(PATH="/usr/bin:/bin", HOSTLINT="0"))
    check = hostlint("check", cwd=root, environ=child_env(HOSTLINT="0"))
    assert (code, out.read_text()) == (0, check.stderr)
    assert check.stderr == "hostlint: HOSTLINT=0: check skipped\n"
    assert git(root, "log", "--format=%s").split() == ["c", "init"]


def test_foreign_hook_is_refused_without_force(root: Path) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(FOREIGN)
    result = _install(root)
    assert result.returncode == 2
    assert "not written by hostlint" in result.stderr and "--force" in result.stderr
    assert hook.read_text() == FOREIGN


def test_force_keeps_the_foreign_hook_as_legacy_and_runs_it_first(root: Path, tmp_path: Path) -> None:
    hooks = root / ".git" / "hooks"
    (hooks / "pre-commit").write_text(FOREIGN)
    (hooks / "pre-commit").chmod(0o755)
    assert _install(root, "--force").returncode == 0
    assert (hooks / "pre-commit.legacy").read_text() == FOREIGN
    code, out = _commit(root, tmp_path)
    assert (root / ".git" / "foreign.log").read_text() == "foreign hook ran\n"
    assert code == 1 and "ok.txt:1:1: E999" in out  # then hostlint ran, and its finding blocks


def test_failing_legacy_hook_blocks_before_hostlint_runs(root: Path, tmp_path: Path) -> None:
    hooks = root / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\necho legacy says no\nexit 7\n")
    (hooks / "pre-commit").chmod(0o755)
    _install(root, "--force")
    code, out = _commit(root, tmp_path)
    assert code == 1 and "legacy says no" in out
    assert "E999" not in out  # hostlint never ran


def test_uninstall_restores_the_displaced_hook(root: Path) -> None:
    hooks = root / ".git" / "hooks"
    (hooks / "pre-commit").write_text(FOREIGN)
    _install(root, "--force")
    result = hostlint("uninstall", cwd=root)
    assert result.code == 0 and "restored" in result.stderr
    assert (hooks / "pre-commit").read_text() == FOREIGN
    assert not (hooks / "pre-commit.legacy").exists()


def test_uninstall_leaves_a_foreign_hook_alone(root: Path) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(FOREIGN)
    result = hostlint("uninstall", cwd=root)
    assert result.code == 0 and "nothing to do" in result.stderr and hook.read_text() == FOREIGN
    named = hostlint("uninstall", "--hook-type", "pre-commit", cwd=root)
    assert named.code == 2 and "not written by hostlint" in named.stderr
    assert hook.read_text() == FOREIGN


def test_reinstall_over_our_own_hook_is_fine(root: Path) -> None:
    assert _install(root).returncode == 0
    assert _install(root).returncode == 0
    assert not (root / ".git" / "hooks" / "pre-commit.legacy").exists()


def test_core_hooks_path_is_honoured(root: Path, tmp_path: Path) -> None:
    git(root, "config", "core.hooksPath", "my hooks")
    assert _install(root).returncode == 0
    assert MARKER in (root / "my hooks" / "pre-commit").read_text()
    assert not (root / ".git" / "hooks" / "pre-commit").exists()
    (root / "bad.py").write_text("x\n")
    git(root, "add", "bad.py")
    assert _commit(root, tmp_path)[0] == 1


def test_linked_worktree_shares_the_hook(root: Path, tmp_path: Path) -> None:
    git(root, "commit", "-q", "-m", "ok", "--no-verify")
    worktree = tmp_path / "wt"
    git(root, "worktree", "add", "-q", str(worktree))
    assert _install(worktree).returncode == 0
    assert MARKER in (root / ".git" / "hooks" / "pre-commit").read_text()
    (worktree / "bad.py").write_text("x\n")
    git(worktree, "add", "bad.py")
    assert _commit(worktree, tmp_path)[0] == 1


def test_repository_path_with_quotes_and_spaces(tmp_path: Path) -> None:
    """The installed script quotes every path it holds."""
    root = make_repo(tmp_path / "it's a \"repo\" $(x)", linter_config(linter("fail.py")))
    assert _install(root).returncode == 0
    (root / "bad.py").write_text("x\n")
    git(root, "add", "bad.py")
    code, out = _commit(root, tmp_path)
    assert code == 1 and "bad.py:1:1: E999" in out


def test_unsupported_hook_type_is_exit_2(root: Path) -> None:
    result = hostlint("install", "--hook-type", "post-commit", cwd=root)
    assert result.code == 2 and "post-commit" in result.stderr and "pre-push" in result.stderr
    assert not (root / ".git" / "hooks" / "post-commit").exists()


ALL_TYPES = ("pre-commit", "commit-msg", "prepare-commit-msg", "pre-push", "pre-merge-commit")


def _types(*types: str) -> list[str]:
    return [arg for t in types for arg in ("--hook-type", t)]


def test_install_and_uninstall_several_hook_types(root: Path) -> None:
    hooks = root / ".git" / "hooks"
    assert _install(root, *_types(*ALL_TYPES)).returncode == 0
    for hook_type in ALL_TYPES:
        text = (hooks / hook_type).read_text()
        assert MARKER in text and f"HOOK_TYPE={hook_type}\n" in text
    result = hostlint("uninstall", "--hook-type", "pre-push", cwd=root)
    assert result.code == 0 and not (hooks / "pre-push").exists()
    result = hostlint("uninstall", cwd=root)  # every other hook hostlint wrote
    assert result.code == 0 and result.stderr.count("removed hostlint's") == 4
    assert not [t for t in ALL_TYPES if (hooks / t).exists()]


def test_a_foreign_hook_refuses_the_whole_install(root: Path) -> None:
    """All or nothing: no hook type is installed when one of them is refused."""
    hooks = root / ".git" / "hooks"
    (hooks / "commit-msg").write_text(FOREIGN)
    result = _install(root, *_types("pre-push", "commit-msg"))
    assert result.returncode == 2 and "commit-msg exists" in result.stderr
    assert not (hooks / "pre-push").exists() and (hooks / "commit-msg").read_text() == FOREIGN


LOG_ARGS_AND_STDIN = ('#!/bin/sh\n{ echo "legacy $*"; cat; } '
                      '>> "$(git rev-parse --git-common-dir)/legacy.log"\n')


def test_foreign_hooks_are_kept_run_first_with_gits_arguments_and_stdin_then_restored(
        tmp_path: Path) -> None:
    log = tmp_path / "probe.log"
    command = linter("hook_probe.py", str(log))
    config = (f"[tool.hostlint.linters.probe]\ncommand = {toml_string(command)}\n"
              'hooks = ["commit-msg", "pre-push"]\n')
    root = make_repo(tmp_path / "repo", config)
    hooks = root / ".git" / "hooks"
    for hook_type in ("commit-msg", "pre-push"):
        (hooks / hook_type).write_text(LOG_ARGS_AND_STDIN)
        (hooks / hook_type).chmod(0o755)
    assert _install(root, "--force", *_types("commit-msg", "pre-push")).returncode == 0
    assert (hooks / "pre-push.legacy").read_text() == LOG_ARGS_AND_STDIN
    out = tmp_path / "out"
    assert run_detached(["git", "commit", "-q", "--allow-empty", "-m", "hello"], cwd=root,
                        out=out) == 0, out.read_text()
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert run_detached(["git", "push", "-q", str(bare), "main"], cwd=root, out=out) == 0, \
        out.read_text()
    head = git(root, "rev-parse", "HEAD").strip()
    ref_line = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    assert (root / ".git" / "legacy.log").read_text() == (
        "legacy .git/COMMIT_EDITMSG\n" + f"legacy {bare} {bare}\n{ref_line}")
    msg, push = (json.loads(line) for line in log.read_text().splitlines())
    assert bytes.fromhex(msg["stdin"]) == b"hello\n"
    assert bytes.fromhex(push["stdin"]) == ref_line.encode()  # the legacy hook read it too
    result = hostlint("uninstall", cwd=root)
    assert result.code == 0 and result.stderr.count("restored the previous hook") == 2
    assert (hooks / "commit-msg").read_text() == LOG_ARGS_AND_STDIN
    assert not (hooks / "pre-push.legacy").exists()


def test_message_hooks_in_a_worktree_with_core_hooks_path(tmp_path: Path) -> None:
    """A linked worktree's message file lives in its own git dir; core.hooksPath moves the
    hooks: both are honoured."""
    command = linter("hook_probe.py", "/dev/null", "--reject", "WIP")
    config = f'[tool.hostlint]\ncommand = {toml_string(command)}\nhooks = ["commit-msg"]\n'

    root = make_repo(tmp_path / "repo", config)
    shared = tmp_path / "shared hooks"
    git(root, "config", "core.hooksPath", str(shared))
    worktree = tmp_path / "wt"
    git(root, "worktree", "add", "-q", str(worktree))
    assert _install(worktree, *_types("commit-msg")).returncode == 0
    assert MARKER in (shared / "commit-msg").read_text()
    out = tmp_path / "out"
    assert run_detached(["git", "commit", "-q", "--allow-empty", "-m", "WIP"], cwd=worktree,
                        out=out) == 1
    assert "message rejected" in out.read_text()
    assert run_detached(["git", "commit", "-q", "--allow-empty", "-m", "Done"], cwd=worktree,
                        out=out) == 0, out.read_text()




def test_a_planted_symlink_at_the_temporary_hook_is_not_written_through(root: Path,
                                                                       tmp_path: Path) -> None:
    import os

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    hooks = root / ".git" / "hooks"
    os.symlink(victim, hooks / ".pre-commit.hostlint-tmp")
    assert _install(root).returncode == 0
    assert victim.read_text() == "precious\n" and (victim.stat().st_mode & 0o777) == 0o600
    hook = hooks / "pre-commit"
    assert not hook.is_symlink() and MARKER in hook.read_text()
    assert hook.stat().st_mode & stat.S_IXUSR


# -- no configuration --------------------------------------------------------------------------


def snippet(stderr: str) -> str:
    """The indented TOML after hostlint's line, as a user would copy it."""
    return "".join(line[4:] + "\n" for line in stderr.splitlines() if line.startswith("    "))


def test_install_without_configuration_warns_with_a_snippet_that_works(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[project]\nname = "x"\n')
    result = hostlint("install", cwd=root)
    assert result.code == 0  # installed: the hook then fails loudly until configured
    assert (root / ".git" / "hooks" / "pre-commit").exists()
    first, warning = result.stderr.splitlines()[:2]
    assert first.startswith("hostlint: installed the pre-commit hook")
    assert warning.startswith(f"hostlint: warning: no configuration in {root}")
    assert "docs/" not in result.stderr  # no path into hostlint's own repository
    toml = snippet(result.stderr)
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "pyproject.toml").write_text(toml)
    assert load(str(tmp_path / "alone")).linters  # the snippet alone is a whole configuration
    with (root / "pyproject.toml").open("a") as f:
        f.write("\n" + toml.replace("ruff check", linter("fail.py")))
    assert hostlint("install", cwd=root).stderr.count("\n") == 1  # configured: no warning
    assert hostlint("check", "pyproject.toml", cwd=root).code == 1  # and the config works


def test_check_without_configuration_shows_the_same_snippet(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[project]\nname = "x"\n', staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 2
    assert result.stderr.startswith(f"hostlint: no configuration in {root}")
    assert "docs/" not in result.stderr
    assert snippet(result.stderr) == snippet(hostlint("install", cwd=root).stderr)


# -- another hook manager's hook -------------------------------------------------------------------


def _manager_hook(tool: str, root: Path, tmp_path: Path) -> Path:
    """Let the real ``tool`` write its pre-commit hook."""
    env = child_env(PRE_COMMIT_HOME=str(tmp_path / "cache"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    if tool == "pre-commit":
        (root / ".pre-commit-config.yaml").write_text("repos: []\n")
        argv = [sys.executable, "-m", "pre_commit", "install"]
    elif tool == "prek":
        (root / ".pre-commit-config.yaml").write_text("repos: []\n")
        argv = [str(Path(sys.executable).with_name("prek")), "install"]
    else:
        (root / "lefthook.yml").write_text("pre-commit:\n  commands:\n    x:\n      run: 'true'\n")
        argv = [str(Path(sys.executable).with_name("lefthook")), "install"]
    subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True, timeout=120)
    return root / ".git" / "hooks" / "pre-commit"


@pytest.mark.parametrize("tool", ["pre-commit", "prek", "lefthook"])
def test_install_over_a_hook_managers_hook_points_to_the_integration(
        root: Path, tmp_path: Path, tool: str) -> None:
    """Chaining two hook managers (``--force``) is not the way: hostlint runs as one of the
    manager's hooks. One line, exit 2, the hook left alone."""
    hook = _manager_hook(tool, root, tmp_path)
    before = hook.read_bytes()
    result = hostlint("install", cwd=root)
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and "--force" not in result.stderr
    assert f"written by {tool}" in result.stderr and "hostlint check" in result.stderr
    assert hook.read_bytes() == before and not hook.with_name("pre-commit.legacy").exists()
    assert hostlint("install", "--force", cwd=root).code == 0  # asked for, chaining still works
    assert hook.with_name("pre-commit.legacy").read_bytes() == before
