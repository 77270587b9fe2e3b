"""What one check is asked to do (``CheckOptions``), and ``run-hook``'s options as that:
one function the typer command and the lean path in ``__main__`` both call."""

from __future__ import annotations

from hostlint import stages
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence


class CheckOptions(NamedTuple):
    paths: tuple[str, ...] = ()
    all_files: bool = False
    target: str | None = None
    advisory: bool | None = None
    color: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    timings: bool = False
    map_paths: bool = True
    #: The git hook this check runs for, git's arguments to it and its stdin (``stages``).
    hook: str = "pre-commit"
    hook_args: tuple[str, ...] = ()
    hook_input: bytes = b""
    #: pre-push as pre-commit and prek run it: ``paths`` are the pushed files they pass.
    hook_files: bool = False


def hook_options(hook: str, args: Sequence[str], *, target: str | None = None,
                 color: str | None = None, files: bool = False) -> CheckOptions:
    """``run-hook TYPE [ARGS]`` (the installed hook too, without options): git's arguments
    and what git writes on stdin; with ``files``, the files pre-commit or prek pass (they
    read git's ref lines themselves: stdin holds none)."""
    if files:
        return CheckOptions(target=target, color=color, hook=hook, paths=tuple(args),
                            hook_files=True)
    return CheckOptions(target=target, color=color, hook=hook, hook_args=tuple(args),
                        hook_input=stages.hook_input(hook))
