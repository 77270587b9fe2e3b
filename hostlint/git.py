"""Every git call hostlint makes. Paths are ``str`` decoded with ``os.fsdecode`` so that any
byte sequence git can hold survives the round trip to the linter's argv."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from hostlint.errors import GitError


def _git(args: Sequence[str], cwd: Path | str | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ("git", *args), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH",
                       hint="install git, or run hostlint from an environment that has it") from None
    if proc.returncode != 0:
        detail = os.fsdecode(proc.stderr).strip().splitlines()
        raise GitError(f"`git {' '.join(args)}` failed: {detail[-1] if detail else proc.returncode}")
    return proc.stdout


class Repo(NamedTuple):
    root: Path  # the top of the work tree
    common_dir: Path  # the git dir every worktree shares (where last.log lives)


def locate(cwd: Path | str | None = None) -> Repo:
    """The repository around ``cwd``, in one git call; a clear error outside a repository
    or in a bare one."""
    where = Path(cwd or os.getcwd())
    bare = GitError(f"{where} is a bare repository or has no work tree: nothing to lint",
                    hint="run hostlint from a clone with a work tree")
    try:
        out = _git(("rev-parse", "--is-bare-repository", "--path-format=absolute",
                    "--git-common-dir", "--show-toplevel"), cwd)
    except GitError as exc:
        if "must be run in a work tree" in exc.message:
            raise bare from None
        raise GitError(f"not inside a git repository: {where}",
                       hint="run hostlint from a repository's work tree") from None
    lines = os.fsdecode(out).split("\n")
    if lines[0] == "true" or len(lines) < 3 or not lines[2]:
        raise bare
    return Repo(root=Path(lines[2]), common_dir=Path(lines[1]))


def hooks_dir(root: Path) -> Path:
    """Where git looks for hooks: honours core.hooksPath and worktrees."""
    out = _git(("rev-parse", "--path-format=absolute", "--git-path", "hooks"), root)
    return Path(os.fsdecode(out.strip()))


#: The index mode of a submodule (a "gitlink"): a commit, not a file a linter could read.
GITLINK = "160000"


def staged_files(root: Path) -> list[str]:
    """Files the commit will record, from the index git gave this process (GIT_INDEX_FILE):
    added, copied, modified, renamed and type-changed (a symlink that became a file) entries,
    by their new names; never submodules. The modes come from the index, not the work tree."""
    out = _git(("diff", "--cached", "--raw", "-z", "--no-renames", "--no-ext-diff",
                "--diff-filter=ACMRT"), root)
    fields = out.split(b"\0")[:-1]  # ":oldmode newmode oldsha newsha status", path, ...
    return [os.fsdecode(name) for meta, name in zip(fields[::2], fields[1::2], strict=True)
            if meta.split(b" ")[1] != GITLINK.encode()]


def tracked_files(root: Path, paths: Sequence[str] = ()) -> list[str]:
    """Every tracked file (``--all-files``), or those under ``paths``; never submodules."""
    names: dict[str, None] = {}
    for entry in _git(("ls-files", "-s", "-z", "--", *paths), root).split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        if name and not meta.startswith(GITLINK.encode()):
            names[os.fsdecode(name)] = None  # an unmerged path has one entry per stage
    return list(names)
