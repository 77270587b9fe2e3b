"""Two small guards shared by the keeper and its clients: the per-key lock that makes
"find the keeper, else start one" and "leave" atomic, and the peer's uid (``SO_PEERCRED``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import time
from _socket import SO_PEERCRED, SOL_SOCKET, socket  # not socket.py: see keeper/client.py
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path, *, timeout: float) -> Iterator[bool]:
    """Hold the lock of the keeper at ``path`` (``flock`` on a file beside it; the kernel
    drops it when its holder dies). Yields False when it could not be had within
    ``timeout``: the caller then goes on without it."""
    try:
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.005)
        yield True
    finally:
        os.close(fd)


_UCRED = struct.Struct("3i")  # pid, uid, gid


def peer_uid(sock: socket) -> int | None:
    """The uid of the process at the other end of a Unix socket (Linux ``SO_PEERCRED``)."""
    try:
        data = sock.getsockopt(SOL_SOCKET, SO_PEERCRED, _UCRED.size)
    except (OSError, AttributeError):
        return None
    return int(_UCRED.unpack(data)[1])


__all__ = ["locked", "peer_uid"]
