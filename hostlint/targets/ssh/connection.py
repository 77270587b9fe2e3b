"""One authenticated SSH connection: session channels (queued beyond the server's
MaxSessions) and liveness (keepalives that must be answered within the alive timeout)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence

from hostlint.errors import ConnectFailed
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.transport import Transport, load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402

#: Reason codes with which a server refuses a session channel when it has too many (OpenSSH
#: beyond MaxSessions says "connect failed", others "administratively prohibited").
SESSION_LIMIT_CODES = (1, 2)


class Connection:
    """One authenticated SSH connection: opens session channels (queueing beyond the
    server's MaxSessions) and watches that the server still answers."""

    def __init__(self, endpoint: Endpoint, transport: Transport, *, alive_timeout: float,
                 via: Sequence[Connection] = ()) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.alive_timeout = alive_timeout
        self._via = list(via)
        self._slots = threading.Condition()
        self._open = 0
        self._limit: int | None = None
        self._lost: str | None = None
        self._last_probe = 0.0
        self._probe_interval = min(5.0, max(0.5, alive_timeout / 4))
        #: Closes one idle spare session of ours, if there is one (the keeper sets it): a
        #: channel that must wait for room takes the room of a spare first.
        self.reclaim: Callable[[], bool] = lambda: False

    # -- channels ----------------------------------------------------------------------

    def open_session(self) -> paramiko.Channel:
        """A new session channel; when the server has as many as it allows (OpenSSH's
        MaxSessions), waits for one of ours to close and tries again. Thread-safe."""
        while True:
            with self._slots:
                while self._limit is not None and self._open >= self._limit:
                    self.check_alive()
                    if not self.reclaim():
                        self._slots.wait(0.25)
                self._open += 1
            try:
                return self.transport.open_session(timeout=self.alive_timeout)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                self._refused(exc)

    def try_open_session(self) -> paramiko.Channel | None:
        """A new session channel if the server has room for it now, else None: never queues
        (for a spare session, which must not take the room of a linter's)."""
        with self._slots:
            if self.lost or (self._limit is not None and self._open >= self._limit):
                return None
            self._open += 1
        try:
            return self.transport.open_session(timeout=self.alive_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            code = getattr(exc, "code", None)
            with self._slots:
                self._open -= 1
                if self._open > 0 and code in SESSION_LIMIT_CODES:
                    self._limit = self._limit or self._open
                self._slots.notify()
            return None

    def _refused(self, exc: BaseException) -> None:
        """Queue after a refusal caused by our other open channels; raise otherwise.
        (paramiko keeps one "last error" per connection, so a thread may see a bare
        "Unable to open channel" for a refusal another thread's error replaced.)"""
        text = str(exc) or type(exc).__name__
        code = getattr(exc, "code", None)
        with self._slots:
            self._open -= 1
            self._slots.notify()
            if (self.transport.is_active() and self._open > 0 and "timeout" not in text.lower()
                    and (code is None or code in SESSION_LIMIT_CODES)):
                self._limit = self._limit or self._open
                self._slots.wait(0.25)
                return
        if self.transport.is_active() and "timeout" in text.lower():
            self.lose(f"no answer for {self.alive_timeout:g} s")
        if self.lost:
            raise self.failure() from None
        raise ConnectFailed("protocol", f"{self.endpoint.label} refused a session channel: "
                            f"{getattr(exc, 'text', text)}",
                            hint="check the server's sshd_config (MaxSessions) and the account") from None

    def release(self) -> None:
        """A channel of this connection has closed: a queued one may open."""
        with self._slots:
            self._open -= 1
            self._slots.notify()

    # -- liveness ----------------------------------------------------------------------

    def check_alive(self) -> None:
        """Raise ``ConnectFailed("lost")`` when the transport died or keepalives have gone
        unanswered for ``alive_timeout``; otherwise keep a keepalive in flight."""
        if self._lost is None and not self.transport.is_active():
            self.lose(_death_reason(self.transport))
        if self._lost is None and self.transport.unanswered_for() >= self.alive_timeout:
            self.lose(f"no answer for {self.alive_timeout:g} s")
        if self._lost is not None:
            raise self.failure(self._lost)
        now = time.monotonic()
        if not self.transport.probes and now - self._last_probe >= self._probe_interval:
            self._last_probe = now
            with contextlib.suppress(Exception):  # a dead transport shows on the next check
                self.transport.probe()

    def lose(self, reason: str) -> None:
        """The connection is gone: close it so every channel's reader sees the end."""
        self._lost = reason
        with contextlib.suppress(Exception):
            self.transport.close()
        with self._slots:
            self._slots.notify_all()

    def failure(self, reason: str | None = None) -> ConnectFailed:
        """The error for a connection lost mid-run."""
        if reason is None:
            reason = self._lost or _death_reason(self.transport)
        return ConnectFailed(
            "lost", f"connection to {self.endpoint.label} lost: {reason}; output so far is kept",
            hint="check the host and the network, then run the check again",
        )

    @property
    def lost(self) -> bool:
        return self._lost is not None or not self.transport.is_active()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()
        for hop in reversed(self._via):
            hop.close()


def _death_reason(transport: paramiko.Transport) -> str:
    error = transport.saved_exception
    if error is None or isinstance(error, EOFError):
        return "the server closed the connection"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__
