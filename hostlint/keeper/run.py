"""One run served by the keeper: one linter in a session channel of the kept connection (a
spare session when one fits, ``keeper/spares.py``), its output streamed to one client, the
client's interrupt, kill and ping acted on, and its status or error sent back."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any

from hostlint.keeper import protocol
from hostlint.keeper.identity import Settings
from hostlint.poll import readable

if TYPE_CHECKING:
    from hostlint.keeper.spares import Pool
    from hostlint.targets.base import Invocation, Process
    from hostlint.targets.ssh.connection import Connection
    from hostlint.targets.ssh.remote import SshTarget

TICK = 1.0


class Run:
    """One linter in one channel, streamed to one client."""

    def __init__(self, connection: Connection, settings: Settings, spares: Pool | None,
                 conn: socket.socket, reader: protocol.Reader, request: dict[str, Any]) -> None:
        self.connection = connection
        self.settings = settings
        self.spares = spares
        self.conn = conn
        self.reader = reader
        self.request = request

    def serve(self) -> None:
        from hostlint.errors import TargetUnavailable
        from hostlint.keeper.spares import Pool

        target, invocation = self._target(), self._invocation()
        spares = self.spares if self.spares is not None and Pool.fits(invocation) else None
        try:
            process, first = self._start(target, invocation, spares)
        except TargetUnavailable as exc:
            self._error(exc)
            self._done(spares, target)
            return
        try:
            if first:
                self.conn.sendall(protocol.frame(protocol.DATA, first))
            self._pump(process)
        except TargetUnavailable as exc:
            self._error(exc)
        finally:
            process.close()
            self._done(spares, target)

    @staticmethod
    def _start(target: SshTarget, invocation: Invocation,
               spares: Pool | None) -> tuple[Process, bytes]:
        """In a spare session if one fits and is up, else in a new channel."""
        started = spares.start(target, invocation) if spares is not None else None
        return started or (target.start(invocation), b"")

    @staticmethod
    def _done(spares: Pool | None, target: SshTarget) -> None:
        if spares is not None:
            spares.done(target.terminal)

    def _target(self) -> SshTarget:
        from hostlint.targets.ssh.remote import SshTarget, Terminal

        request, settings = self.request, self.settings
        default = Terminal()
        terminal = Terminal(request["term"] or default.term, request["width"] or default.width,
                            request["height"] or default.height)
        return SshTarget(self.connection, root=settings.root, name=settings.name,
                         terminal=terminal, root_hint=request.get("root_hint"))

    def _invocation(self) -> Invocation:
        from hostlint.targets.base import Invocation

        request = self.request
        environ = tuple((str(k), str(v)) for k, v in request.get("environ", ()))
        return Invocation(request["command"], tuple(request["files"]), request.get("stdin", b""),
                          environ)

    def _pump(self, process: Any) -> None:
        """Output out as it comes; the client's interrupt, kill and ping in; after each
        quiet second (whatever the client sent) the target's liveness, as ``pump`` checks it."""
        heard = time.monotonic()
        while True:
            ready = readable([process.fileno(), self.conn], TICK)
            if self.conn.fileno() in ready and not self._client(process):
                process.kill()
                return
            if process.fileno() in ready:
                heard = time.monotonic()
                data = process.read()
                if data:
                    self.conn.sendall(protocol.frame(protocol.DATA, data))
                    continue
                if not self._exited(process):
                    process.kill()
                    return
                self._status(process.wait())
                return
            if time.monotonic() - heard >= TICK:
                heard = time.monotonic()
                if process.idle():
                    self._status(process.wait())
                    return

    def _exited(self, process: Any) -> bool:
        """After the end of the output, wait for the exit still hearing the client (a linter
        may close its output and run on; Ctrl-C must reach it); False if the client went."""
        from hostlint.targets.base import wait_exit

        while not wait_exit(process, cancel=self.conn.fileno()):
            if not self._client(process):
                return False
        return True

    def _client(self, process: Any) -> bool:
        """Act on what the client sent; False when it has gone."""
        data = self.conn.recv(4096)
        if not data:
            return False
        self.reader.feed(data)
        for kind, _ in self.reader.pending:
            if kind == protocol.INTERRUPT:
                process.interrupt()
            elif kind == protocol.KILL:
                process.kill()
            elif kind == protocol.PING:
                self.conn.sendall(protocol.frame(protocol.PONG))
        self.reader.pending.clear()
        return True

    def _status(self, result: Any) -> None:
        self.conn.sendall(protocol.message(protocol.STATUS, {"returncode": result.returncode,
                                                            "signal": result.signal}))

    def _error(self, exc: Any) -> None:
        self.conn.sendall(protocol.message(protocol.ERROR, {
            "reason": getattr(exc, "reason", "unavailable"), "message": exc.message,
            "hint": exc.hint}))


__all__ = ["Run"]
