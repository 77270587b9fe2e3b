"""Files hostlint creates in places others may write to (``.git/hostlint``, the hooks
directory, the user cache): created afresh, private, and never through a symbolic link;
a cache file replaced whole. Paths are ``str`` on the hook path (pathlib costs a hook
~8 ms of start-up: it imports ``re``, ``urllib.parse``, ``ipaddress``)."""

from __future__ import annotations

import contextlib
import os

from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO, TypeAlias

    #: Any path ``os.open`` takes: these helpers serve modules on ``str`` and on pathlib.
    StrPath: TypeAlias = str | os.PathLike[str]

#: Create, or fail if anything (a file, a dangling or live symlink) is at the name already.
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def read_bytes(path: StrPath) -> bytes:
    """The whole file (``Path.read_bytes`` for a ``str``)."""
    with open(path, "rb") as f:
        return f.read()


def inside(path: str, top: str) -> str | None:
    """``path`` relative to ``top`` when it is ``top`` (``""``) or below it, else None. Both
    absolute, compared as written: resolve them first to compare the places they name."""
    top = top.rstrip("/") or "/"
    if path == top:
        return ""
    prefix = top if top.endswith("/") else top + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def create_private(path: StrPath, mode: int = 0o600) -> BinaryIO:
    """A new file at ``path`` open for writing, ``mode`` 0600. Something already at that
    name (a crashed run's leftover, or a symlink someone planted) is unlinked — the link
    itself, never what it points to — and creation is tried once more; ``OSError`` if
    that fails too."""
    try:
        fd = os.open(path, _NEW, mode)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, _NEW, mode)
    return os.fdopen(fd, "wb")


def replace_private(path: StrPath, data: bytes) -> None:
    """``path`` holding ``data``, 0600: written to a new file beside it (``create_private``)
    and renamed over it, so a reader sees the old contents or all the new ones. ``OSError``
    if it fails, and then no partial file is left behind."""
    partial = f"{os.fspath(path)}.{os.getpid()}"
    try:
        with create_private(partial) as f:
            f.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
