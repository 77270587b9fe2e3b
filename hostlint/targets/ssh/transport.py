"""The only module touching paramiko's internals: how paramiko is imported (without
``invoke``), a transport that records exit signals and counts answered keepalives, and the
TCP tuning of the socket under it.

Every module of this package imports this one before ``import paramiko``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast


def load_paramiko() -> None:
    """Import paramiko without ``invoke``, which paramiko.config loads only for ``Match exec``
    and which costs ~50 ms per check. A config that uses ``Match exec`` gets it on demand."""
    if "paramiko" in sys.modules:
        return
    blocked = "invoke" not in sys.modules
    if blocked:
        sys.modules["invoke"] = None  # type: ignore[assignment]
    try:
        import paramiko  # noqa: F401
    finally:
        if blocked and sys.modules.get("invoke", 0) is None:
            del sys.modules["invoke"]


load_paramiko()

import paramiko  # noqa: E402
from paramiko.common import (  # noqa: E402
    MSG_CHANNEL_REQUEST,
    MSG_REQUEST_FAILURE,
    MSG_REQUEST_SUCCESS,
    cMSG_GLOBAL_REQUEST,
)

logging.getLogger("paramiko").addHandler(logging.NullHandler())

KEEPALIVE = "keepalive@openssh.com"

_paramiko_channel_request = cast(
    "Callable[[paramiko.Channel, paramiko.Message], None]", paramiko.Channel._handle_request  # type: ignore[attr-defined]
)


def _channel_request(channel: paramiko.Channel, message: paramiko.Message) -> None:
    """paramiko ignores ``exit-signal`` (a remote death by signal); record it."""
    start = message.packet.tell()
    if message.get_text() == "exit-signal":
        message.get_boolean()
        name = message.get_text()
        transport = channel.get_transport()
        if isinstance(transport, Transport):
            transport.exit_signals[channel.get_id()] = name
        channel.status_event.set()
        return
    message.packet.seek(start)
    _paramiko_channel_request(channel, message)


class Transport(paramiko.Transport):
    """paramiko's transport, plus exit signals and answered-keepalive accounting."""

    _channel_handler_table = {  # noqa: RUF012 - paramiko's own class-level table
        **paramiko.Transport._channel_handler_table,  # type: ignore[attr-defined]
        MSG_CHANNEL_REQUEST: _channel_request,
    }

    def __init__(self, sock: Any) -> None:
        super().__init__(sock)
        self.exit_signals: dict[int, str] = {}
        self.probes: deque[float] = deque()  # send times of unanswered global requests
        self.probe_lock = threading.Lock()
        table = cast("dict[int, Callable[[paramiko.Message], None]]", self._handler_table)  # type: ignore[attr-defined]
        for kind in (MSG_REQUEST_SUCCESS, MSG_REQUEST_FAILURE):
            table[kind] = self._answered(table[kind])

    def _answered(self, handler: Callable[[paramiko.Message], None]) -> Callable[[paramiko.Message], None]:
        def answered(message: paramiko.Message) -> None:
            with self.probe_lock:
                if self.probes:
                    self.probes.popleft()
            handler(message)
        return answered

    def probe(self) -> None:
        """Send a keepalive that OpenSSH answers (with a failure reply), without waiting."""
        message = paramiko.Message()
        message.add_byte(cMSG_GLOBAL_REQUEST)
        message.add_string(KEEPALIVE)
        message.add_boolean(True)
        with self.probe_lock:
            self.probes.append(time.monotonic())
        self._send_user_message(message)  # type: ignore[attr-defined]

    def unanswered_for(self) -> float:
        with self.probe_lock:
            return time.monotonic() - self.probes[0] if self.probes else 0.0


def tuned(sock: socket.socket) -> Any:
    """The TCP socket with Nagle off and, where Linux offers it, quick ACKs."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _QuickAck(sock) if hasattr(socket, "TCP_QUICKACK") else sock


class _QuickAck:
    """A TCP socket that acknowledges what it receives at once. sshd writes small packets
    without TCP_NODELAY until a pty is requested, so after authentication its channel-open
    reply waits for the ACK of its previous packet, which Linux delays by 40 ms."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return data
