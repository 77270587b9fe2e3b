"""Start-up discipline (docs/architecture.md): the hook and a local check never load
paramiko, python-vagrant or the remote targets, not even lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import hostlint
from tests.utils import child_env, linter, make_repo, stage, toml_string


def imported(importtime: str) -> set[str]:
    """The modules ``-X importtime`` (or ``PYTHONPROFILEIMPORTTIME``) reported on stderr."""
    return {line.rpartition("|")[2].strip() for line in importtime.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args, code", [(("check",), 1), (("hook", "pre-commit"), 1), (("detect",), 0)])
def test_a_local_check_never_imports_paramiko(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    root = make_repo(tmp_path / "repo", f"[tool.hostlint]\ncommand = {toml_string(linter('fail.py'))}\n")
    stage(root, "a.py")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostlint", *args], cwd=root,
                          capture_output=True, text=True, env=child_env(), stdin=subprocess.DEVNULL,
                          check=False)
    assert proc.returncode == code, proc.stderr
    loaded = imported(proc.stderr)
    assert "hostlint.detect" in loaded  # importtime did report
    assert not [m for m in loaded if remote_only(m)]



def test_a_warm_hook_loads_neither_typing_nor_subprocess(tmp_path: Path) -> None:
    """Every commit pays the hook's imports (docs/architecture.md, start-up discipline):
    once the configuration is cached (the first run parses it with tomllib, which loads
    typing), the installed hook runs without typing, shutil and runpy, and starts git, the
    linter and its watchdog without subprocess (hostlint.spawn), nor its selectors and locale;
    with nothing to set aside, nothing of setting aside beyond the one check (the patch
    reader, shlex), and no queue."""
    root = make_repo(tmp_path / "repo", f"[tool.hostlint]\ncommand = {toml_string(linter('fail.py'))}\n")
    stage(root, "a.py")
    subprocess.run([sys.executable, "-m", "hostlint", "install"], cwd=root, env=child_env(),
                   capture_output=True, check=True)
    loaded: set[str] = set()
    for _ in range(2):  # the second run is the warm one
        proc = subprocess.run([root / ".git" / "hooks" / "pre-commit"], cwd=root,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env=child_env(PYTHONPROFILEIMPORTTIME="1"), check=False)
        assert proc.returncode == 1, proc.stderr
        loaded = imported(proc.stderr)
    assert "hostlint.check" in loaded  # importtime did report
    assert not {"typing", "shutil", "runpy", "subprocess", "selectors", "locale", "pty",
                "hostlint.patch", "shlex", "queue"} & loaded


#: The hook's own start (hook.sh) without ``site``, whose editable-install finder in a
#: development virtualenv imports pathlib and re before hostlint does: the hook path is
#: standard library only, so its own imports show.
WITHOUT_SITE = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                "from hostlint.__main__ import main; main()")


def hook_without_site(root: Path) -> subprocess.CompletedProcess[str]:
    """The pre-commit hook in ``root`` as hook.sh starts it, but without ``site``, with
    ``PYTHONPROFILEIMPORTTIME`` set (what it imported is on stderr: ``imported``)."""
    argv = [sys.executable, "-S", "-c", WITHOUT_SITE, str(Path(hostlint.__file__).parents[1]),
            "hook", "pre-commit"]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False, env=child_env(PYTHONPROFILEIMPORTTIME="1"))


def test_a_warm_hook_with_plain_globs_loads_neither_pathlib_nor_re_nor_enum(tmp_path: Path) -> None:
    """Paths on the hook path are ``str`` (pathlib imports re, urllib.parse and ipaddress:
    ~8 ms of every commit), and ``*.py`` or ``tests/**`` is matched as text: only a
    ``[...]`` class compiles a regular expression. Signals come from ``hostlint.signals``,
    not from ``signal``, whose enums import ``enum``."""
    config = (f"[tool.hostlint]\ncommand = {toml_string(linter('fail.py'))}\n"
              'include = ["*.py", "src/**"]\nexclude = ["tests/**", "*_pb2.py"]\n')
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    loaded: set[str] = set()
    for _ in range(2):  # the second run is the warm one
        proc = hook_without_site(root)
        assert proc.returncode == 1, proc.stderr
        loaded = imported(proc.stderr)
    assert "hostlint.check" in loaded and "a.py" in proc.stdout  # it ran, and importtime reported
    assert not {"pathlib", "re", "fnmatch", "urllib.parse", "ipaddress", "signal", "enum"} & loaded


def test_a_hook_that_sets_changes_aside_runs_git_without_subprocess(tmp_path: Path) -> None:
    """A partially staged file: its unstaged changes are set aside and put back by git calls
    fed on stdin (``checkout-index``, ``apply``), started through ``hostlint.spawn`` like
    every other git call, without ``subprocess`` (and its ``locale``, ``selectors``,
    ``signal``). The linter saw the staged content, and the work tree is as it was."""
    config = '[tool.hostlint]\ncommand = "grep -c unstaged"\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    (root / "a.py").write_text("x\nunstaged\n")
    proc = hook_without_site(root)
    assert proc.returncode == 1 and proc.stdout == "0\n", proc.stderr  # grep found none
    loaded = imported(proc.stderr)
    assert "fcntl" in loaded  # the changes were set aside (the patch is locked)
    assert not {"subprocess", "selectors", "locale", "signal"} & loaded
    assert (root / "a.py").read_text() == "x\nunstaged\n"


@pytest.mark.parametrize("args, out", [
    (("commit-msg", "MSG"), b"linted "), (("pre-push", "--files", "--", "a.py"), b"linted a.py\n")])
def test_run_hook_starts_without_typer(tmp_path: Path, args: tuple[str, ...], out: bytes) -> None:
    """pre-commit and prek run ``run-hook`` for every commit-msg, prepare-commit-msg and
    pre-push hook: with plain options it takes the hook's lean path, not the typer app."""
    config = ('[tool.hostlint.linters.say]\ncommand = "echo linted"\n'
              'hooks = ["commit-msg", "pre-push"]\n')
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    (tmp_path / "msg").write_text("a message\n")
    argv = [str(tmp_path / "msg") if arg == "MSG" else arg for arg in args]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostlint", "run-hook", *argv],
                          cwd=root, capture_output=True, env=child_env(), stdin=subprocess.DEVNULL,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(out) and proc.stdout.endswith(b"\n"), proc.stdout
    loaded = imported(proc.stderr.decode(errors="replace"))
    assert "hostlint.check" in loaded  # importtime did report
    assert not [m for m in loaded if m.startswith(("typer", "click", "pydantic", "hostlint.cli"))]


#: Modules the hook and local checks load: none of them may import the remote targets.
LOCAL_PATH = ("__main__.py", "check.py", "config.py", "detect.py", "environment.py", "errors.py",
              "files.py", "fsutil.py", "git.py", "last_log.py", "options.py", "poll.py", "stages.py",
              "status.py", "stream.py", "targets/__init__.py", "targets/base.py", "targets/cancel.py",
              "targets/local.py", "targets/watchdog.py", "vagrant_record.py")
#: Packages and modules only a remote target loads (with everything under them).
REMOTE_ONLY = ("paramiko", "vagrant", "hostlint.targets.ssh", "hostlint.targets.vagrant")


def remote_only(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in REMOTE_ONLY)


@pytest.mark.parametrize("name", LOCAL_PATH)
def test_local_path_modules_never_import_the_remote_targets(name: str) -> None:
    """Not even lazily: the registry (targets/__init__.py) imports them by name, on use."""
    tree = ast.parse((Path(hostlint.__file__).parent / name).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not [m for m in imported if remote_only(m)]


def test_the_ssh_package_loads_paramiko_only_when_a_name_the_target_uses_is_read() -> None:
    """The registry imports the package to ask how to announce the connection: that must
    not cost paramiko's import (it belongs to opening the target)."""
    script = ("import sys; from hostlint.targets import ssh; ssh.connecting; "
              "print('paramiko' in sys.modules); ssh.resolve; print('paramiko' in sys.modules, "
              "'invoke' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=child_env(), check=True)
    assert proc.stdout.split() == ["False", "True", "False"]
