"""The check's side of a warm connection, without paramiko: find this target's keeper (or
start one), and run linters through it as ``Target``/``Process`` objects, so the one run
lifecycle (``targets/base.pump``) drives them exactly as it drives a direct connection.

A keeper that does not answer within ``ANSWER_SECONDS`` (dead, stale, stopped, wedged) is
never trusted: the check starts a new keeper in its place, which connects directly.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shlex
import subprocess
import sys
import threading
import time

# The C socket type ``socket.socket`` extends: all a client uses, without socket.py's enum
# classes, built at its import (~3 ms of every warm check).
from _socket import AF_UNIX, SHUT_RDWR, SOCK_STREAM, socket
from collections.abc import Mapping
from pathlib import Path

from hostlint.environment import make_cache_dir, user_cache_dir
from hostlint.errors import ConnectFailed
from hostlint.keeper import protocol
from hostlint.keeper.identity import Settings, key, socket_path
from hostlint.keeper.lock import locked, peer_uid
from hostlint.poll import readable
from hostlint.status import RunResult
from hostlint.targets.base import Invocation, Process, split
from hostlint.targets.posix import put_by_run, take_by_run
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

#: A keeper must accept and say hello within this (measured from the connect).
ANSWER_SECONDS = 0.5
#: How long a new keeper may take to start listening.
START_SECONDS = 10.0


class Terminal(NamedTuple):
    """The remote pty the linter gets (the SSH target's ``Terminal``, as plain values)."""

    term: str
    width: int
    height: int


class Hello(NamedTuple):
    pid: int
    started: float
    connected: bool


class Session:
    """One conversation with a keeper on its socket."""

    def __init__(self, sock: socket, hello: Hello) -> None:
        self.sock = sock
        self.reader = protocol.Reader()
        self.hello = hello

    def receive(self, seconds: float | None) -> tuple[bytes, bytes]:
        deadline = None if seconds is None else time.monotonic() + seconds
        return protocol.receive(self.sock, self.reader, deadline=deadline)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def attach(path: Path) -> Session | None:
    """A conversation with the keeper at ``path`` once it has said hello within
    ``ANSWER_SECONDS``; None when there is none, or none worth waiting for."""
    sock = socket(AF_UNIX, SOCK_STREAM)
    sock.settimeout(ANSWER_SECONDS)
    deadline = time.monotonic() + ANSWER_SECONDS
    try:
        sock.connect(str(path))
        if peer_uid(sock) != os.getuid():
            raise protocol.Closed("the socket belongs to another user")
        session = Session(sock, Hello(0, 0.0, False))
        kind, payload = protocol.receive(sock, session.reader, deadline=deadline)
        if kind != protocol.HELLO:
            raise protocol.Closed("no hello")
        hello = protocol.value(payload)
        session.hello = Hello(int(hello["pid"]), float(hello["started"]), bool(hello["connected"]))
        return session
    except (OSError, protocol.Closed, KeyError, TypeError, ValueError):
        sock.close()
        return None


def spawn(settings: Settings, path: Path, *, persist: float, environ: Mapping[str, str]) -> bool:
    """Start a keeper for ``settings`` listening on ``path``: True once it listens."""
    start = {"settings": tuple(settings), "socket": str(path), "persist": persist,
             "environ": dict(environ)}
    log = _log_file(environ)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hostlint.keeper.server"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=log, cwd="/", env=dict(environ), close_fds=True,
            start_new_session=True)
    except OSError:
        return False
    finally:
        if log is not subprocess.DEVNULL:
            os.close(log)
    assert proc.stdin is not None and proc.stdout is not None
    with proc.stdin:
        proc.stdin.write(marshal.dumps(start))
    proc.wait()  # the middle process: it exits as soon as the keeper is forked
    with proc.stdout:
        return bool(readable([proc.stdout], START_SECONDS)) and proc.stdout.readline() == b"ready\n"


def _log_file(environ: Mapping[str, str]) -> int:
    """The keepers' log, in the user cache dir."""
    directory = user_cache_dir(environ)
    try:
        make_cache_dir(directory, environ)
        return os.open(os.path.join(directory, "keeper.log"),
                       os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return subprocess.DEVNULL


def open_target(settings: Settings, *, persist: float, environ: Mapping[str, str],
                terminal: Terminal, words: Mapping[str, str] = {}) -> KeeperTarget | None:
    """The target through this user's keeper for ``settings`` (started if need be), or None
    when there can be none (``persist = 0``, no private socket directory, no keeper could be
    started): the caller then connects directly. Raises ``ConnectFailed`` with the same
    message a direct connection gives when the target cannot be reached."""
    if persist <= 0:
        return None
    path = socket_path(key(settings, environ), environ)
    if path is None:
        return None
    stale: int | None = None
    session = attach(path)
    if session is not None:
        ready = _ready(session, settings)
        if ready is not None:
            return KeeperTarget(settings, path, ready, terminal, spare=session, words=words)
        stale = session.hello.pid
    session = _start(settings, path, persist, environ, stale=stale)
    ready = _ready(session, settings) if session is not None else None
    if session is None or ready is None:
        return None
    return KeeperTarget(settings, path, ready, terminal, spare=session, words=words)


def _start(settings: Settings, path: Path, persist: float, environ: Mapping[str, str], *,
           stale: int | None) -> Session | None:
    """Under the key's lock: the keeper another check started meanwhile (not the ``stale``
    one, which found its connection dead), or a new one."""
    with locked(path, timeout=START_SECONDS) as held:
        if not held:
            return None
        session = attach(path)
        if session is not None and session.hello.pid == stale:
            session.close()
            session = None
        if session is None and spawn(settings, path, persist=persist, environ=environ):
            session = attach(path)
        return session


def _ready(session: Session, settings: Settings) -> dict[str, Any] | None:
    """READY's values; None when the keeper found its connection dead (it ends, and a new
    one is started). Raises the keeper's connection error."""
    wait = ANSWER_SECONDS if session.hello.connected else 3 * settings.connect_timeout + 5
    try:
        kind, payload = session.receive(wait + settings.connect_timeout)
        message = protocol.value(payload)
    except (TimeoutError, OSError, protocol.Closed):
        session.close()
        return None
    if kind == protocol.READY:
        return dict(message)
    session.close()
    if kind == protocol.ERROR and message["reason"] != "stale":
        raise ConnectFailed(message["reason"], message["message"], hint=message["hint"])
    return None


#: Room in a batch's command line for redirecting stdin from the file put there first.
STDIN_ROOM = 1100


class KeeperTarget:
    """Linters on an SSH target, through its keeper: one keeper conversation per run."""

    def __init__(self, settings: Settings, path: Path, ready: dict[str, Any],
                 terminal: Terminal, *, spare: Session | None = None,
                 words: Mapping[str, str] = {}) -> None:
        self.name = settings.name
        self.where = words.get("where") or f"{settings.name} {settings.spec}:{settings.root}"
        self.path_hint = words.get("path_hint") or "the PATH of the remote account's shell"
        self._root_hint = words.get("root_hint")
        self.roots: tuple[str, ...] = tuple(ready["roots"])
        self.settings = settings
        self.path = path
        self.terminal = terminal
        self._prefix = int(ready["prefix"])
        self._limit = int(ready["limit"])
        self._spare = spare
        self._lock = threading.Lock()

    def batches(self, invocation: Invocation) -> list[Invocation]:
        """As the SSH target splits them: the keeper told the fixed part of the command."""
        fixed = self._prefix + len(os.fsencode(invocation.command)) + sum(
            len(os.fsencode(f"export {k}={shlex.quote(v)}; ")) for k, v in invocation.environ)
        fixed += STDIN_ROOM if invocation.stdin else 0
        return split(invocation, limit=self._limit, fixed=fixed,
                     cost=lambda name: len(os.fsencode(shlex.quote(name))) + 1)

    def start(self, invocation: Invocation) -> Process:
        session = self._session()
        request = {"command": invocation.command, "files": list(invocation.files),
                   "stdin": invocation.stdin, "environ": list(invocation.environ),
                   "root_hint": self._root_hint, **self.terminal._asdict()}
        try:
            session.send(protocol.message(protocol.RUN, request))
        except OSError:
            session.close()
            raise self._lost("the keeper process ended") from None
        return KeeperProcess(session, self)

    def put_file(self, data: bytes) -> str:
        return put_by_run(self, data)

    def take_file(self, path: str) -> bytes:
        return take_by_run(self, path)

    def _session(self) -> Session:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            return spare
        session = attach(self.path)
        if session is not None:
            with contextlib.suppress(TimeoutError, OSError, protocol.Closed):
                kind, _ = session.receive(self.settings.alive_timeout)
                if kind == protocol.READY:
                    return session
            session.close()
        raise self._lost("the keeper process did not answer")

    def _lost(self, why: str) -> ConnectFailed:
        return ConnectFailed("lost", f"connection to {self.name} lost: {why}; output so far "
                             "is kept", hint="run the check again (`hostlint stop` ends kept "
                             "connections)")

    def close(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()


class KeeperProcess:
    """One linter running in a channel of the keeper's connection. A thread reads the
    keeper's frames: output goes into a pipe (``fileno``/``read``), the status or error is
    kept for ``wait``."""

    def __init__(self, session: Session, target: KeeperTarget) -> None:
        self._session = session
        self._target = target
        self._alive_timeout = target.settings.alive_timeout
        self._read_fd, self._write_fd = os.pipe()
        self._result: RunResult | None = None
        self._error: ConnectFailed | None = None
        self._ping_sent: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            while self._result is None and self._error is None:
                kind, payload = self._session.receive(None)
                self._frame(kind, payload)
        except (OSError, protocol.Closed):
            if self._result is None and self._error is None:
                self._error = self._target._lost("the keeper process ended")
        finally:
            with contextlib.suppress(OSError):
                os.close(self._write_fd)

    def _frame(self, kind: bytes, payload: bytes) -> None:
        if kind == protocol.DATA:
            view = memoryview(payload)
            while view:
                view = view[os.write(self._write_fd, view):]
        elif kind == protocol.PONG:
            self._ping_sent = None
        elif kind == protocol.STATUS:
            status = protocol.value(payload)
            self._result = RunResult(status["returncode"], status["signal"])
        elif kind == protocol.ERROR:
            error = protocol.value(payload)
            self._error = ConnectFailed(error["reason"], error["message"], hint=error["hint"])

    def fileno(self) -> int:
        return self._read_fd

    def read(self) -> bytes:
        return os.read(self._read_fd, 65536)

    def exited(self) -> bool:
        """The status (or an error) came: the thread reading the keeper's frames is done."""
        return not self._thread.is_alive()

    def wait(self) -> RunResult:
        """The status; output not read by now is dropped (as a closed channel drops it)."""
        os.set_blocking(self._read_fd, False)
        while self._thread.is_alive():
            if readable([self._read_fd], 0.5):
                with contextlib.suppress(OSError):
                    os.read(self._read_fd, 65536)
            elif self._thread.is_alive():
                self.idle()
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise self._target._lost("the keeper process ended")
        return self._result

    def idle(self) -> bool:
        """The keeper watches the target; this watches the keeper (a ping, answered within
        the alive timeout)."""
        now = time.monotonic()
        if self._ping_sent is None:
            self._ping_sent = now
            self._send(protocol.PING)
        elif now - self._ping_sent > self._alive_timeout:
            raise self._target._lost(f"the keeper process gave no answer for "
                                     f"{self._alive_timeout:g} s")
        return False

    def interrupt(self) -> None:
        self._send(protocol.INTERRUPT)

    def kill(self) -> None:
        self._send(protocol.KILL)

    def _send(self, kind: bytes) -> None:
        with contextlib.suppress(OSError):
            self._session.send(protocol.frame(kind))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._session.sock.shutdown(SHUT_RDWR)
        self._thread.join(1.0)
        self._session.close()
        with contextlib.suppress(OSError):
            os.close(self._read_fd)


__all__ = ["ANSWER_SECONDS", "Hello", "KeeperProcess", "KeeperTarget", "Session", "Terminal",
           "attach", "open_target", "spawn"]
