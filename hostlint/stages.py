"""Which git hook runs what, with which input: a hook's type, git's arguments and its stdin
→ a ``Stage`` (the linters it selects, their files, stdin and environment); and the commit
message's round trip through the target (put there for the linters, read back into the
host's message file), so a target that cannot see ``.git`` still gets the exact bytes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence

from hostlint import git
from hostlint.config import HOOKS, Linter
from hostlint.errors import UsageError
from hostlint.fsutil import read_bytes
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hostlint.targets.base import Target

#: Hooks that lint the staged files (and set unstaged changes aside for the run).
STAGED = ("pre-commit", "pre-merge-commit")
#: Hooks whose linters get the commit message instead of files.
MESSAGE = ("commit-msg", "prepare-commit-msg")


class Stage(NamedTuple):
    """One hook's run: which linters, on which files, with which input."""

    name: str = "pre-commit"
    #: The files to lint: ``None`` for the staged files (or ``check``'s own selection);
    #: pre-push: the files the pushed commits change; message hooks: none.
    files: tuple[str, ...] | None = None
    #: The host's message file (commit-msg, prepare-commit-msg).
    message: str | None = None
    stdin: bytes = b""
    environ: tuple[tuple[str, str], ...] = ()

    @property
    def staged(self) -> bool:
        return self.name in STAGED

    def selects(self, linter: Linter) -> bool:
        """Whether ``linter`` runs in this hook (pre-commit linters run for merges too)."""
        return self.name in linter.hooks or (
            self.name == "pre-merge-commit" and "pre-commit" in linter.hooks)


PRE_COMMIT = Stage()


def hook_input(hook: str, fd: int = 0) -> bytes:
    """What git writes on the hook's stdin, read to the end: pre-push's ref lines (git closes
    the pipe after them; a closed stdin reads as none). The other hooks read nothing."""
    if hook != "pre-push":
        return b""
    if os.isatty(fd):
        raise UsageError("pre-push reads git's ref lines on stdin, not from a terminal",
                         hint='pipe them in: echo "refs/heads/main $(git rev-parse main) '
                         'refs/heads/main $(git rev-parse origin/main)" | '
                         "hostlint run-hook pre-push origin URL")
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:  # no stdin at all
        pass
    return b"".join(chunks)


#: What pre-commit and prek tell a pre-push hook about the remote, as hostlint's own hook
#: names it for the linters.
FRAMEWORK_REMOTE = (("PRE_COMMIT_REMOTE_NAME", "HOSTLINT_REMOTE_NAME"),
                    ("PRE_COMMIT_REMOTE_URL", "HOSTLINT_REMOTE_URL"))


def from_git(hook: str, args: Sequence[str], *, root: str, cwd: str, stdin: bytes,
             framework: Mapping[str, str] | None = None) -> Stage:
    """The stage of hook type ``hook`` called with git's ``args`` and ``stdin``; or, given
    the ``framework``'s environment (``run-hook pre-push --files``), the pre-push stage
    pre-commit or prek run, whose files are ``check``'s given paths."""
    if hook not in HOOKS:
        raise UsageError(f"hook type {hook!r} is not supported", hint=f"use one of: {', '.join(HOOKS)}")
    if framework is not None:
        return _framework_push(hook, framework)
    if hook in MESSAGE:
        return _message(hook, args, cwd)
    if hook == "pre-push":
        return _pre_push(args, root, stdin)
    return Stage(hook)


def _message(hook: str, args: Sequence[str], cwd: str) -> Stage:
    if not args:
        raise UsageError(f"{hook} needs the message file as its first argument",
                         hint=f"hostlint run-hook {hook} .git/COMMIT_EDITMSG")
    path = os.path.join(cwd, args[0])
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the commit message: {exc.strerror}",
                         hint="pass the message file git gives the hook") from None
    environ: tuple[tuple[str, str], ...] = ()
    if hook == "prepare-commit-msg":  # where the message came from, as git says
        extra = [*args[1:3], "", ""]
        environ = (("HOSTLINT_COMMIT_SOURCE", extra[0]), ("HOSTLINT_COMMIT_OBJECT", extra[1]))
    return Stage(hook, files=(), message=path, stdin=data, environ=environ)


def _pre_push(args: Sequence[str], root: str, lines: bytes) -> Stage:
    if len(args) < 2:
        raise UsageError("pre-push needs git's two arguments: the remote's name and URL",
                         hint="hostlint run-hook pre-push origin URL < ref-lines")
    remote, url = args[0], args[1]
    names: dict[str, None] = {}
    for line in os.fsdecode(lines).splitlines():
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise UsageError(f"pre-push: not a ref line: {line!r}",
                             hint="git writes `<local ref> <local sha> <remote ref> <remote sha>`")
        local_sha, remote_sha = parts[1], parts[3]
        if local_sha.strip("0"):  # deleting a ref pushes no files
            names.update(dict.fromkeys(git.pushed_files(root, remote, local_sha, remote_sha)))
    return Stage("pre-push", files=tuple(names), stdin=lines,
                 environ=(("HOSTLINT_REMOTE_NAME", remote), ("HOSTLINT_REMOTE_URL", url)))


def _framework_push(hook: str, environ: Mapping[str, str]) -> Stage:
    """pre-push under pre-commit or prek: they read git's ref lines themselves and pass the
    changed files; the remote comes from their variables (set for a push, not for
    ``pre-commit run --hook-stage pre-push``). The linters' stdin is empty."""
    if hook != "pre-push":
        raise UsageError(f"run-hook --files is for pre-push, not {hook}",
                         hint=f"pass git's arguments instead: hostlint run-hook {hook} ARGS")
    return Stage("pre-push", environ=tuple(
        (ours, environ[theirs]) for theirs, ours in FRAMEWORK_REMOTE if theirs in environ))


@contextlib.contextmanager
def message_on(target: Target, stage: Stage) -> Iterator[str | None]:
    """The message put in a file on ``target`` for the linters (its path there; ``None`` for
    hooks without a message). Afterwards what the file holds goes back into the host's
    message file when it changed, as git lets these hooks edit the message in place."""
    if stage.message is None:
        yield None
        return
    path = target.put_file(stage.stdin)
    try:
        yield path
    except BaseException:
        with contextlib.suppress(Exception):  # on the way out: the run's error matters
            target.take_file(path)
        raise
    edited = target.take_file(path)
    if edited != stage.stdin:
        with open(stage.message, "wb") as f:
            f.write(edited)
