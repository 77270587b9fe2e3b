"""The keeper: a per-user daemon holding one authenticated SSH connection for one keeper key,
serving checks over a Unix socket (one session channel per request) until it has been idle
for ``persist`` seconds, its connection is lost, or ``hostlint stop`` ends it.

Started by ``client.spawn`` as ``python -m hostlint.keeper.server`` in a new session, with
its start-up values (``marshal``) on stdin. It forks once more (so it is no session leader
and can never get a controlling terminal, and its starter reaps the middle process at once),
binds its socket, writes ``ready`` on stdout, and from then on holds no descriptor of its
starter's: stdin and stdout are ``/dev/null``, stderr its log in the user cache dir.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from hostlint.keeper import protocol
from hostlint.keeper.identity import Settings
from hostlint.keeper.lock import locked, peer_uid
from hostlint.poll import readable

if TYPE_CHECKING:
    from hostlint.keeper.spares import Pool
    from hostlint.targets.ssh.connection import Connection
    from hostlint.targets.ssh.remote import SshTarget

#: How long an idle connection may go unchecked before a request first probes the server.
PROBE_AFTER = 5.0
TICK = 1.0


def log(text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"{stamp} keeper {os.getpid()}: {text}\n")
        sys.stderr.flush()


class Keeper:
    """The listener, the connection, and the bookkeeping for idle expiry."""

    def __init__(self, settings: Settings, path: Path, persist: float,
                 environ: dict[str, str]) -> None:
        self.settings = settings
        self.path = path
        self.persist = persist
        self.environ = environ
        self.started = time.time()
        self.listener = bind(path)
        self.inode = os.stat(path).st_ino
        self.connected = threading.Event()  # set when connecting ended, either way
        self.target: SshTarget | None = None
        self.failure: dict[str, Any] | None = None
        self.spares: Pool | None = None
        self.lock = threading.Lock()
        self.active = 0
        self.last_used = time.monotonic()
        self.stopping = threading.Event()

    # -- the connection -------------------------------------------------------------------

    def connect(self) -> None:
        """Connect as a direct check would (the same errors, word for word)."""
        from hostlint.errors import TargetUnavailable

        try:
            self.target = _open(self.settings, self.environ)
            from hostlint.keeper.spares import Pool

            self.spares = Pool(self.target.connection, log)
            log(f"connected to {self.settings.name} ({self.settings.spec})")
        except TargetUnavailable as exc:
            self.failure = {"reason": getattr(exc, "reason", "unavailable"),
                            "message": exc.message, "hint": exc.hint}
            log(f"could not connect: {exc.line()}")
        except BaseException as exc:  # a bug: reported to the check as one line
            self.failure = {"reason": "protocol", "message": f"the keeper failed: {exc!r}",
                            "hint": "run with -v, and see the keeper log"}
            log(f"could not connect: {exc!r}")
        finally:
            self.connected.set()

    @property
    def connection(self) -> Connection:
        assert self.target is not None
        return self.target.connection

    def ready(self) -> dict[str, Any] | None:
        """What READY says, or None when the connection turns out to be dead (the client
        then replaces this keeper). A connection idle for a while is probed first."""
        connection = self.connection
        if not connection.lost and time.monotonic() - self.last_used > PROBE_AFTER:
            _probe(connection, self.settings.connect_timeout)
        if connection.lost:
            return None
        from hostlint.targets.base import Invocation
        from hostlint.targets.ssh.remote import REMOTE_COMMAND_BYTES, remote_command

        assert self.target is not None
        prefix = len(os.fsencode(remote_command(self.settings.root, Invocation(""))))
        return {"roots": list(self.target.roots), "prefix": prefix, "limit": REMOTE_COMMAND_BYTES}

    # -- serving ----------------------------------------------------------------------------

    def serve(self) -> None:
        threading.Thread(target=self.connect, daemon=True).start()
        while not self.stopping.is_set():
            if readable([self.listener], TICK):
                self.accept()
            elif self.should_end():
                break
        self.end()

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        if peer_uid(conn) != os.getuid():
            log("refused a client of another user")
            conn.close()
            return
        with self.lock:
            self.active += 1
        threading.Thread(target=self.converse, args=(conn,), daemon=True).start()

    def should_end(self) -> bool:
        """Idle for ``persist``, connection lost or failed, or the socket path taken over."""
        with self.lock:
            if self.active:
                return False
            idle = time.monotonic() - self.last_used
        if not self.connected.is_set():
            return False
        reason = ("connection failed" if self.target is None
                  else "connection lost" if not self.alive()
                  else f"idle for {self.persist:g} s" if idle >= self.persist
                  else "socket taken over" if not self.owns_path() else None)
        if reason:
            log(f"ending: {reason}")
        return reason is not None

    def alive(self) -> bool:
        """Keepalives while idle, as ``ServerAliveInterval``: a target that went away ends
        the keeper rather than failing the next check."""
        from hostlint.errors import TargetUnavailable

        try:
            self.connection.check_alive()
        except TargetUnavailable:
            return False
        return True

    def owns_path(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def end(self) -> None:
        """Leave under the clients' lock: a check either found this socket before it went
        (and is served) or finds none (and connects directly)."""
        with locked(self.path, timeout=2.0):
            if self.owns_path():
                for name in (self.path, info_path(self.path)):
                    with contextlib.suppress(OSError):
                        os.unlink(name)
            self.listener.close()
        if self.spares is not None:
            self.spares.close()
        if self.target is not None:
            self.target.close()
        log("ended")

    def converse(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        except (protocol.Closed, OSError) as exc:
            log(f"client gone: {exc}")
        except BaseException as exc:
            log(f"bug: {exc!r}")
        finally:
            conn.close()
            with self.lock:
                self.active -= 1
                self.last_used = time.monotonic()

    def _converse(self, conn: socket.socket) -> None:
        conn.sendall(protocol.message(protocol.HELLO, {
            "pid": os.getpid(), "started": self.started, "connected": self.connected.is_set()}))
        self.connected.wait()
        if self.failure is not None:
            conn.sendall(protocol.message(protocol.ERROR, self.failure))
            return
        ready = self.ready()
        if ready is None:
            conn.sendall(protocol.message(protocol.ERROR, {"reason": "stale", "message": "",
                                                           "hint": None}))
            self.stopping.set()
            return
        conn.sendall(protocol.message(protocol.READY, ready))
        reader = protocol.Reader()
        kind, payload = protocol.receive(conn, reader, deadline=time.monotonic() + 3600)
        if kind == protocol.STOP:
            log("stop requested")
            self.stopping.set()
        elif kind == protocol.RUN:
            from hostlint.keeper.run import Run

            Run(self.connection, self.settings, self.spares, conn, reader,
                protocol.value(payload)).serve()


def _open(settings: Settings, environ: dict[str, str]) -> SshTarget:
    """The SSH target, connected exactly as a direct check connects."""
    from hostlint.environment import Environment
    from hostlint.targets.ssh import endpoint, remote

    where = endpoint.resolve(settings.spec, environ=environ, ssh_config=settings.ssh_config)
    config = SimpleNamespace(connect_timeout=settings.connect_timeout,
                             alive_timeout=settings.alive_timeout)
    with open(os.devnull, "wb") as devnull:
        env = Environment(stdout=devnull, environ=environ, stdout_isatty=False)
    context: Any = SimpleNamespace(config=config, env=env)
    return remote.open_ssh_target(where, context, root=settings.root, name=settings.name)


def _probe(connection: Connection, timeout: float) -> None:
    """One keepalive, answered within ``timeout``, or the connection counts as lost."""
    try:
        connection.transport.probe()
    except Exception:
        connection.lose("the server closed the connection")
        return
    deadline = time.monotonic() + timeout
    while connection.transport.probes and not connection.lost:
        if time.monotonic() > deadline:
            connection.lose(f"no answer for {timeout:g} s")
            return
        time.sleep(0.002)


# ----------------------------------------------------------------------------------------
# Start-up: the socket, the daemon, the info file
# ----------------------------------------------------------------------------------------


def info_path(path: Path) -> Path:
    """Beside the socket: the keeper's pid, start time and target (for ``hostlint stop``,
    ``hostlint detect`` and tests)."""
    return path.with_suffix(".json")


def bind(path: Path) -> socket.socket:
    """Listen on ``path`` (0600), atomically replacing a stale socket left there."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError):
        os.unlink(partial)
    old = os.umask(0o177)
    try:
        listener.bind(str(partial))
    finally:
        os.umask(old)
    os.chmod(partial, 0o600)
    listener.listen(128)
    os.replace(partial, path)
    return listener


def _daemonize() -> None:
    """The second fork: the starter reaps the middle process at once; this one is no session
    leader (no controlling terminal, ever) and its parent becomes init or a subreaper."""
    if os.fork():
        os._exit(0)


def main() -> None:
    start = marshal.loads(sys.stdin.buffer.read())
    settings = Settings(*start["settings"])
    path = Path(start["socket"])
    _daemonize()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.chdir("/")
    keeper = Keeper(settings, path, float(start["persist"]), dict(start["environ"]))
    signal.signal(signal.SIGTERM, lambda *_: keeper.stopping.set())
    _write_info(keeper)
    log(f"listening on {path} for {settings.name} ({settings.spec}), persist {keeper.persist:g} s")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    keeper.serve()


def _write_info(keeper: Keeper) -> None:
    info = {"pid": os.getpid(), "started": keeper.started, "name": keeper.settings.name,
            "spec": keeper.settings.spec, "root": keeper.settings.root,
            "socket": str(keeper.path), "persist": keeper.persist}
    partial = keeper.path.with_name(f".{keeper.path.stem}.{os.getpid()}.json")
    partial.write_text(json.dumps(info))
    os.replace(partial, info_path(keeper.path))


if __name__ == "__main__":
    main()
