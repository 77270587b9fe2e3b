"""Waiting for descriptors with ``poll``, never ``select``: ``select`` fails past descriptor
1,024, which a hook reaches with many inherited descriptors or many linters at once."""

from __future__ import annotations

import math
import select
from collections.abc import Iterable

from hostlint.typing_lite import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from typing import BinaryIO


class HasFileno(Protocol):
    def fileno(self) -> int: ...


def readable(fds: Iterable[int | HasFileno | None], seconds: float | None) -> list[int]:
    """The descriptors of ``fds`` (None: left out) readable or hung up within ``seconds``
    (None: no limit)."""
    poller = select.poll()
    for fd in [fd for fd in fds if fd is not None]:
        poller.register(fd, select.POLLIN)
    timeout = None if seconds is None else math.ceil(max(seconds, 0) * 1000)
    return [fd for fd, _ in poller.poll(timeout)]


def writable(fd: int) -> None:
    """Wait until ``fd`` can take more (or is broken: the next write says how)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    poller.poll()


def write_waiting(stream: BinaryIO, data: bytes) -> None:
    """All of ``data`` written to ``stream``; one left non-blocking by whoever shares it (a
    CI runner's pipe, a terminal) is waited on when full, as if blocking."""
    view = memoryview(data)
    while view:
        try:
            taken: int | None = stream.write(view)
        except BlockingIOError as exc:  # a buffered stream took part (written or buffered)
            taken = exc.characters_written
        if taken is not None and taken >= len(view):
            return
        view = view[taken or 0:]  # an unbuffered one (``python -u``) says how much, or None
        writable(stream.fileno())


def flush_waiting(stream: BinaryIO) -> None:
    """``stream.flush()``, waiting for room as ``write_waiting`` does."""
    while True:
        try:
            stream.flush()
            return
        except BlockingIOError:
            writable(stream.fileno())
