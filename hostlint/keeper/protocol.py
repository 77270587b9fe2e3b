"""The keeper's wire protocol over its Unix socket: frames of one type byte, a 4-byte
length and a payload (bytes, or a ``marshal``-ed value: plain dicts of str/int/float/None,
str keeping non-UTF-8 file names as surrogate escapes). Both ends run the same interpreter
and hostlint version: that is part of the keeper key.

One Unix connection carries one conversation:

* the keeper says ``HELLO`` at once (its pid, start time, whether it is connected), then
  ``READY`` (the roots and the remote command's limits) or ``ERROR`` once its SSH connection
  is up or failed;
* the client then sends ``RUN`` (one linter, one channel), and the keeper streams ``DATA``
  and ends with ``STATUS`` or ``ERROR``; meanwhile the client may send ``INTERRUPT``,
  ``KILL`` and ``PING`` (answered ``PONG``);
* or the client sends ``STOP``: the keeper ends.
"""

from __future__ import annotations

import marshal
import struct
import time

from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from _socket import socket  # ``socket.socket`` is a subclass: both ends pass theirs
    from typing import Any

HELLO, READY, ERROR = b"H", b"R", b"E"
RUN, DATA, STATUS = b"X", b"D", b"S"
INTERRUPT, KILL, PING, PONG, STOP = b"I", b"K", b"P", b"Q", b"Z"

_HEADER = struct.Struct("!cI")
#: A frame larger than this is a broken peer, not a message.
MAX_FRAME = 16 * 1024 * 1024


class Closed(Exception):
    """The other end closed the connection (or broke the protocol)."""


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def message(kind: bytes, value: Any) -> bytes:
    """A frame whose payload is a marshal-ed value."""
    return frame(kind, marshal.dumps(value))


def value(payload: bytes) -> Any:
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError) as exc:
        raise Closed(f"unreadable message: {exc}") from None


class Reader:
    """Frames out of a byte stream, however it was cut."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.pending: list[tuple[bytes, bytes]] = []

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._buffer)
            if size > MAX_FRAME:
                raise Closed(f"frame of {size} bytes")
            if len(self._buffer) < _HEADER.size + size:
                break
            self.pending.append((kind, bytes(self._buffer[_HEADER.size:_HEADER.size + size])))
            del self._buffer[:_HEADER.size + size]


def receive(sock: socket, reader: Reader, *, deadline: float | None) -> tuple[bytes, bytes]:
    """The next whole frame, by ``deadline`` (``time.monotonic``; None: no limit):
    ``TimeoutError`` after it, ``Closed`` at the end of the stream."""
    while not reader.pending:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            raise
        except OSError as exc:
            raise Closed(str(exc)) from None
        finally:
            sock.settimeout(None)
        if not data:
            raise Closed("end of stream")
        reader.feed(data)
    return reader.pending.pop(0)


__all__ = ["DATA", "ERROR", "HELLO", "INTERRUPT", "KILL", "PING", "PONG", "READY", "RUN",
           "STATUS", "STOP", "Closed", "Reader", "frame", "message", "receive", "value"]
