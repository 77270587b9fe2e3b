"""``hostlint install`` / ``uninstall`` of each hook type: our hook is recognised by a
marker line; a hook we did not write is never overwritten, only kept as ``<type>.legacy``
and run first (with git's arguments and stdin)."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from hostlint import git
from hostlint.config import HOOKS
from hostlint.errors import UsageError
from hostlint.fsutil import create_private

MARKER = "hostlint-hook-v1"
HOOK_TYPES = HOOKS


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(errors="replace")
    except OSError:
        return False


def render(hook_type: str, interpreter: str) -> str:
    template = resources.files("hostlint").joinpath("resources/hook.sh").read_text()
    return (template.replace("@HOOK_TYPE@", shlex.quote(hook_type))
            .replace("@INTERPRETER@", shlex.quote(interpreter)))


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def install(cwd: Path, *, hook_types: Sequence[str] = ("pre-commit",), force: bool = False,
            interpreter: str | None = None) -> str:
    """Install the hooks (all or none: every type is checked before any is written);
    returns the lines to tell the user."""
    types = _check_types(hook_types)
    hooks = git.hooks_dir(git.locate(cwd).root)
    displaced = [t for t in types if _exists(hooks / t) and not is_ours(hooks / t)]
    for hook_type in displaced:
        path, legacy = hooks / hook_type, hooks / f"{hook_type}.legacy"
        if not force:
            raise UsageError(f"{path} exists and was not written by hostlint",
                             hint=f"run `hostlint install --force` to keep it as {legacy.name} "
                             "and run it before hostlint")
        if _exists(legacy):
            raise UsageError(f"{path} and {legacy} both exist; hostlint will not overwrite either",
                             hint="merge or remove one of them, then install again")
    return "\n".join(_write(hooks, t, t in displaced, interpreter or sys.executable) for t in types)


def _write(hooks: Path, hook_type: str, displace: bool, interpreter: str) -> str:
    path, legacy = hooks / hook_type, hooks / f"{hook_type}.legacy"
    note = ""
    if displace:
        path.rename(legacy)
        note = f"; the previous hook is kept as {legacy} and runs first"
    _write_file(path, render(hook_type, interpreter))
    return f"installed the {hook_type} hook at {path}{note}"


def _write_file(path: Path, text: str) -> None:
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


def uninstall(cwd: Path, *, hook_types: Sequence[str] = ()) -> str:
    """Remove hostlint's hooks of ``hook_types`` (default: every one it wrote), restoring
    the hooks they displaced; returns the lines to tell the user."""
    hooks = git.hooks_dir(git.locate(cwd).root)
    if not hook_types:
        found = [t for t in HOOK_TYPES if is_ours(hooks / t)]
        if not found:
            return f"no hostlint hook in {hooks}: nothing to do"
        return "\n".join(_remove(hooks, t) for t in found)
    types = _check_types(hook_types)
    for hook_type in types:
        path = hooks / hook_type
        if _exists(path) and not is_ours(path):
            raise UsageError(f"{path} was not written by hostlint; left as it is",
                             hint="remove it yourself if you no longer want it")
    return "\n".join(_remove(hooks, t) for t in types)


def _remove(hooks: Path, hook_type: str) -> str:
    path, legacy = hooks / hook_type, hooks / f"{hook_type}.legacy"
    if not _exists(path):
        return f"no {hook_type} hook at {path}: nothing to do"
    path.unlink()
    if _exists(legacy):
        legacy.rename(path)
        return f"removed hostlint's {hook_type} hook; restored the previous hook at {path}"
    return f"removed hostlint's {hook_type} hook from {path}"


def _check_types(hook_types: Sequence[str]) -> list[str]:
    for hook_type in hook_types:
        if hook_type not in HOOK_TYPES:
            raise UsageError(f"hook type {hook_type!r} is not supported",
                             hint=f"use one of: {', '.join(HOOK_TYPES)}")
    return list(dict.fromkeys(hook_types))
