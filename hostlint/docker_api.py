"""The Docker Engine API over its local Unix socket: which socket the ``docker`` CLI would
use, and the few HTTP/1.1 requests an exec needs, written and parsed here.

``http.client`` would import ``email``, ``ssl`` and more (tens of ms on every commit) for
what is one request line, a few headers, and a body sized by ``Content-Length`` or sent in
chunks. Each request has a connection of its own (``Connection: close``); ``attach`` asks
for the connection to be upgraded (``Upgrade: tcp``) and hands back the raw socket, which
then carries the exec's stream. Failures are ``ApiError`` (the daemon answered, not 2xx)
or ``OSError`` (no daemon, no permission, a timeout); the caller words them.
"""

from __future__ import annotations

import _socket  # socket.py's C core: socket.py builds its enums on import (ms per commit)
import os
from collections.abc import Mapping

from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

Socket = _socket.socket
SHUT_WR, SHUT_RDWR = _socket.SHUT_WR, _socket.SHUT_RDWR

DEFAULT_SOCKET = "/var/run/docker.sock"
_MAX_HEAD = 64 * 1024


class ApiError(Exception):
    """The daemon answered with a status other than 2xx; ``message`` is its own text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


def socket_path(environ: Mapping[str, str]) -> str | None:
    """The Unix socket the ``docker`` CLI would talk to, or None when it would use anything
    else: a ``DOCKER_HOST`` that is not ``unix://``, or a context other than ``default``
    (``DOCKER_CONTEXT``, else ``currentContext`` in its config.json), as the CLI chooses:
    ``DOCKER_HOST`` first. The default socket counts only when it exists."""
    host = environ.get("DOCKER_HOST")
    if host:
        return (host[len("unix://"):] or DEFAULT_SOCKET) if host.startswith("unix://") else None
    if (environ.get("DOCKER_CONTEXT") or _current_context(environ)) not in (None, "", "default"):
        return None
    return DEFAULT_SOCKET if os.path.exists(DEFAULT_SOCKET) else None


def _current_context(environ: Mapping[str, str]) -> str | None:
    """``currentContext`` of the CLI's config.json (a config it could not read: not ours)."""
    folder = environ.get("DOCKER_CONFIG") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".docker")
    try:
        with open(os.path.join(folder, "config.json"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"currentContext" not in data:  # the usual case: no json import
        return None
    import json

    try:
        value = json.loads(data).get("currentContext")
    except (ValueError, AttributeError):
        return "?"
    return value if isinstance(value, str) else "?"


def call(path: str, method: str, url: str, body: Any = None, *, timeout: float) -> Any:
    """One request; the decoded JSON answer (None when empty). ``ApiError`` for non-2xx."""
    sock = _request(path, method, url, body, timeout=timeout)
    try:
        status, headers, rest = _head(sock)
        data = _body(sock, headers, rest)
    finally:
        sock.close()
    if not 200 <= status < 300:
        raise ApiError(status, _message(data))
    if not data.strip():
        return None
    import json

    return json.loads(data)


def attach(path: str, url: str, body: Any, *, timeout: float) -> Socket:
    """A request whose answer is a stream (``/exec/ID/start``): the upgraded socket, in
    blocking mode, holding the stream from its first byte."""
    sock = _request(path, "POST", url, body, timeout=timeout, upgrade=True)
    try:
        status, headers, rest = _head(sock, exact=True)
        if status not in (101, 200):
            raise ApiError(status, _message(_body(sock, headers, rest)))
    except BaseException:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def _request(path: str, method: str, url: str, body: Any, *, timeout: float,
             upgrade: bool = False) -> Socket:
    data = b""
    if body is not None:
        import json

        data = json.dumps(body).encode()
    head = (f"{method} {url} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n"
            + ("Connection: Upgrade\r\nUpgrade: tcp\r\n" if upgrade else "Connection: close\r\n")
            + "\r\n")
    sock = Socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(head.encode() + data)
    except BaseException:
        sock.close()
        raise
    return sock


def _head(sock: Socket, *, exact: bool = False) -> tuple[int, dict[str, str], bytes]:
    """The status, the headers (names in lower case) and what followed them. ``exact``:
    read nothing past the head (peek first), so what follows is still readable on the
    socket, where ``poll`` sees it."""
    buffer = b""
    while True:
        chunk = sock.recv(65536, _socket.MSG_PEEK if exact else 0)
        if not chunk or len(buffer) > _MAX_HEAD:
            raise ConnectionError("the daemon's answer ended before its headers")
        end = (buffer + chunk).find(b"\r\n\r\n")
        if exact:  # take what was peeked, up to the head's end
            chunk = _exactly(sock, len(chunk) if end < 0 else end + 4 - len(buffer))
        buffer += chunk
        if end >= 0:
            break
    head, rest = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"not an HTTP answer: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, rest


def _exactly(sock: Socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += _more(sock, size - len(data))
    return data


def _body(sock: Socket, headers: dict[str, str], rest: bytes) -> bytes:
    """The body: chunked, sized by Content-Length, or up to the end of the connection."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return _chunked(sock, rest)
    size = headers.get("content-length")
    data = rest
    while (size is None or len(data) < int(size)) and (chunk := sock.recv(65536)):
        data += chunk
    return data if size is None else data[:int(size)]


def _chunked(sock: Socket, data: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in data:
            data += _more(sock)
        line, data = data.split(b"\r\n", 1)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return body
        while len(data) < size + 2:
            data += _more(sock)
        body, data = body + data[:size], data[size + 2:]


def _more(sock: Socket, size: int = 65536) -> bytes:
    chunk = sock.recv(size)
    if not chunk:
        raise ConnectionError("the daemon's answer ended mid-body")
    return chunk


def _message(data: bytes) -> str:
    """The daemon's ``{"message": ...}``, else the body's text."""
    import json

    try:
        value = json.loads(data)
    except ValueError:
        return data.decode(errors="replace").strip() or "no message"
    message = value.get("message") if isinstance(value, dict) else None
    return str(message) if message else data.decode(errors="replace").strip()


def frames(data: bytes) -> tuple[dict[int, bytes], bytes]:
    """A multiplexed stream (an exec without a tty) split by stream number (1 stdout, 2
    stderr): each frame is a byte for the stream, three zero bytes, a 4-byte big-endian
    size, the payload. Returns the streams and an incomplete last frame's bytes."""
    out: dict[int, bytes] = {}
    while len(data) >= 8:
        size = int.from_bytes(data[4:8], "big")
        if len(data) < 8 + size:
            break
        out[data[0]] = out.get(data[0], b"") + data[8:8 + size]
        data = data[8 + size:]
    return out, data
