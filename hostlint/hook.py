"""``hostlint install`` / ``uninstall``: our hook is recognised by a marker line; a hook we
did not write is never overwritten, only kept as ``<type>.legacy`` and run first."""

from __future__ import annotations

import os
import shlex
import sys
from importlib import resources
from pathlib import Path

from hostlint import git
from hostlint.errors import UsageError
from hostlint.fsutil import create_private

MARKER = "hostlint-hook-v1"
HOOK_TYPES = ("pre-commit", "pre-merge-commit")


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(errors="replace")
    except OSError:
        return False


def render(hook_type: str, interpreter: str) -> str:
    template = resources.files("hostlint").joinpath("resources/hook.sh").read_text()
    return (template.replace("@HOOK_TYPE@", shlex.quote(hook_type))
            .replace("@INTERPRETER@", shlex.quote(interpreter)))


def install(cwd: Path, *, hook_type: str = "pre-commit", force: bool = False,
            interpreter: str | None = None) -> str:
    """Install the hook; returns the line to tell the user."""
    _check_type(hook_type)
    hooks = git.hooks_dir(git.locate(cwd).root)
    path, legacy = hooks / hook_type, hooks / f"{hook_type}.legacy"
    note = ""
    if (path.exists() or path.is_symlink()) and not is_ours(path):
        if not force:
            raise UsageError(f"{path} exists and was not written by hostlint",
                             hint=f"run `hostlint install --force` to keep it as {legacy.name} "
                             "and run it before hostlint")
        if legacy.exists() or legacy.is_symlink():
            raise UsageError(f"{path} and {legacy} both exist; hostlint will not overwrite either",
                             hint="merge or remove one of them, then install again")
        path.rename(legacy)
        note = f"; the previous hook is kept as {legacy} and runs first"
    _write(path, render(hook_type, interpreter or sys.executable))
    return f"installed the {hook_type} hook at {path}{note}"


def _write(path: Path, text: str) -> None:
    """Write the hook beside its place and rename it there (never through a symlink
    planted at the temporary name)."""
    tmp = path.with_name(f".{path.name}.hostlint-tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with create_private(tmp) as f:
            f.write(os.fsencode(text))
            os.fchmod(f.fileno(), 0o755)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot write the hook {path}: {exc.strerror}",
                         hint="check that you may write to the hooks directory") from None


def uninstall(cwd: Path, *, hook_type: str = "pre-commit") -> str:
    _check_type(hook_type)
    hooks = git.hooks_dir(git.locate(cwd).root)
    path, legacy = hooks / hook_type, hooks / f"{hook_type}.legacy"
    if not (path.exists() or path.is_symlink()):
        return f"no {hook_type} hook at {path}: nothing to do"
    if not is_ours(path):
        raise UsageError(f"{path} was not written by hostlint; left as it is",
                         hint="remove it yourself if you no longer want it")
    path.unlink()
    if legacy.exists() or legacy.is_symlink():
        legacy.rename(path)
        return f"removed hostlint's {hook_type} hook; restored the previous hook at {path}"
    return f"removed hostlint's {hook_type} hook from {path}"


def _check_type(hook_type: str) -> None:
    if hook_type not in HOOK_TYPES:
        raise UsageError(f"hook type {hook_type!r} is not supported",
                         hint=f"use one of: {', '.join(HOOK_TYPES)}")
