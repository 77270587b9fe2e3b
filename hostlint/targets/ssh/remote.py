"""The remote run (fabric's ``runners.Remote``): the one quoted remote command, ``SshTarget``
(a session channel with a pty per run, all over one connection), ``SshProcess`` (one linter)."""

from __future__ import annotations

import contextlib
import os
import posixpath
import shlex
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hostlint.environment import terminal_size
from hostlint.errors import ConnectFailed
from hostlint.status import RunResult
from hostlint.targets.base import Invocation, Process, split
from hostlint.targets.posix import stdin_prefix
from hostlint.targets.ssh import channel as files
from hostlint.targets.ssh.connect import connect
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.started import PRINT_START, StartMarker
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402

if TYPE_CHECKING:
    from hostlint.environment import Environment
    from hostlint.targets.base import Context

#: One remote command line: Linux caps a ``sh -c`` argument at 128 KiB; sshd resets on more.
REMOTE_COMMAND_BYTES = 64 * 1024
#: Room kept in a batch's command line for the path of the file holding its stdin.
STDIN_PATH_BYTES = 1024
#: Terminal settings when hostlint's stdout is not a terminal.
DEFAULT_TERM, DEFAULT_SIZE = "xterm-256color", (120, 40)


def remote_command(root: str, invocation: Invocation, stdin: str = "/dev/null") -> str:
    """THE shell string hostlint sends: the pty passes output bytes untouched (``-opost``,
    whatever the login files set), echoes nothing (not the Ctrl-C ``interrupt`` types), and
    a read of it returns end-of-input at once (``-icanon min 0 time 0``: no prompt waits);
    ``stty`` needs the pty as stdin, so it comes first. Then the start marker (``started``),
    stdin from ``/dev/null`` or from the file ``stdin`` put there first (removed once open),
    into the root, the invocation's variables exported, and the command verbatim, each file
    quoted."""
    words = [invocation.command, *(shlex.quote(name) for name in invocation.files)]
    source = "exec </dev/null; " if stdin == "/dev/null" else stdin_prefix(stdin)
    export = "".join(f"export {name}={shlex.quote(value)}; " for name, value in invocation.environ)
    return (f"stty -opost -echo -icanon min 0 time 0 2>/dev/null; {PRINT_START}; {source}"
            f"cd -- {_quote_root(root)} 2>/dev/null || exit {ROOT_FAILED}; {export}" + " ".join(words))


#: The remote command's status when ``cd`` to the root failed. A linter may exit 255 too, so
#: on this status the root is checked (one more channel, only then) before calling it missing.
ROOT_FAILED = 255


def _quote_root(root: str) -> str:
    """The root quoted as one word, leaving a leading ``~/`` to the remote shell (the remote
    home is not known here)."""
    if root == "~":
        return "~"
    if root.startswith("~/"):
        return "~/" + shlex.quote(root[2:])
    return shlex.quote(root)


@dataclass(frozen=True)
class Terminal:
    """The remote pty: TERM and size of the host terminal, or defaults."""

    term: str = DEFAULT_TERM
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]

    @classmethod
    def of(cls, env: Environment) -> Terminal:
        if not env.is_tty:
            return cls()
        width, height = terminal_size(DEFAULT_SIZE)  # the same source as the local pty's
        return cls(env.environ.get("TERM") or DEFAULT_TERM, width, height)


class SshTarget:
    """Linters on an SSH host: a session channel with a pty per run; ``start`` is thread-safe."""

    def __init__(self, connection: Connection, *, root: str, name: str = "ssh",
                 terminal: Terminal = Terminal(), where: str | None = None,
                 path_hint: str | None = None, root_hint: str | None = None) -> None:
        self.connection = connection
        self.root = root
        self.where = where or f"ssh {root}"
        self.path_hint = path_hint or "the PATH of the remote account's shell"
        self.root_hint = root_hint or "check the configured root"
        # Output naming files under the root as written or normalised is shown repo-relative.
        self.roots: tuple[str, ...] = tuple(dict.fromkeys((root, posixpath.normpath(root))))
        self.name = name
        self.terminal = terminal

    def batches(self, invocation: Invocation) -> list[Invocation]:
        stdin = "/" * STDIN_PATH_BYTES if invocation.stdin else "/dev/null"
        fixed = len(os.fsencode(remote_command(self.root, invocation._replace(files=()), stdin)))
        return split(invocation, limit=REMOTE_COMMAND_BYTES, fixed=fixed,
                     cost=lambda name: len(os.fsencode(shlex.quote(name))) + 1)

    def start(self, invocation: Invocation) -> Process:
        connection = self.connection
        stdin = files.put(connection, invocation.stdin) if invocation.stdin else "/dev/null"
        command = os.fsencode(remote_command(self.root, invocation, stdin))  # names: git's bytes
        channel = connection.open_session()
        # get_pty/exec wait for the server's reply without a timeout: a watchdog ends the
        # connection if a frozen server never answers.
        watchdog = threading.Timer(connection.alive_timeout, connection.lose,
                                   (f"no answer for {connection.alive_timeout:g} s",))
        watchdog.daemon = True
        watchdog.start()
        try:
            channel.get_pty(term=self.terminal.term, width=self.terminal.width,
                            height=self.terminal.height)
            channel.exec_command(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            channel.close()
            connection.release()
            if connection.lost:
                raise connection.failure() from None
            raise ConnectFailed("protocol", f"{connection.endpoint.label} refused to run the "
                                f"command: {exc}", hint="check the account's shell on the host") from None
        finally:
            watchdog.cancel()
        return SshProcess(connection, channel, root=self.root, root_hint=self.root_hint)

    def put_file(self, data: bytes) -> str:
        return files.put(self.connection, data)

    def take_file(self, path: str) -> bytes:
        return files.take(self.connection, path)

    def close(self) -> None:
        self.connection.close()


class SshProcess:
    """One linter running in a session channel."""

    def __init__(self, connection: Connection, channel: paramiko.Channel, *, root: str,
                 root_hint: str) -> None:
        self._connection = connection
        self._channel = channel
        self._root = root
        self._root_hint = root_hint
        self._fileno = channel.fileno()
        self._killed = self._closed = self._interrupted = False
        self._started = StartMarker()

    def fileno(self) -> int:
        return self._fileno

    def started(self) -> None:
        """The start marker was read already (a spare session's, ``spare.Spare``)."""
        self._started.seen = True

    def read(self) -> bytes:
        return self._started.read(lambda: self._channel.recv(65536))

    def exited(self) -> bool:  # the status came (or the channel closed); the connection checked
        self._connection.check_alive()
        return self._channel.status_event.is_set()

    def wait(self) -> RunResult:
        while not self._channel.status_event.wait(0.5):
            self._connection.check_alive()
        status = self._status()
        if status == RunResult(ROOT_FAILED) and not self._root_is_there():
            raise ConnectFailed("root", f"{self._connection.endpoint.label} has no directory "
                                f"{self._root} to run the linters in", hint=self._root_hint)
        if status is not None and not self._interrupted:
            self._started.check(status, self._connection.endpoint.label, self._connection.endpoint.user)
        if status is not None:
            return status
        if self._killed:
            return RunResult(128 + signal.SIGHUP, "SIGHUP")
        if self._connection.lost:
            raise self._connection.failure()
        raise ConnectFailed("lost", f"{self._connection.endpoint.label} closed the channel without "
                            "reporting how the command ended", hint="see the output above")

    def _root_is_there(self) -> bool:
        """``test -d ROOT`` on the target; when it cannot tell, assume so (the status stands)."""
        status, _ = files.quick(self._connection, f"test -d {_quote_root(self._root)}", output=False)
        return status != 1

    def _status(self) -> RunResult | None:
        transport = self._connection.transport
        name = transport.exit_signals.get(self._channel.get_id())
        if name is not None:
            full = name if name.startswith("SIG") else f"SIG{name}"
            number = getattr(signal, full, None)
            return RunResult(128 + int(number) if number is not None else 255, full)
        code = self._channel.exit_status
        return RunResult(code) if code >= 0 else None

    def idle(self) -> bool:
        """Checks the connection; output is over once the exit status came (pty held or not)."""
        self._connection.check_alive()
        return self._status() is not None

    def interrupt(self) -> None:
        self._interrupted = True
        if not self._started.seen:  # its shell in the login files, the pty echoing: no `^C`
            return self.kill()
        with contextlib.suppress(Exception):
            self._channel.send(b"\x03")

    def kill(self) -> None:
        """Close the channel: sshd closes the pty, and the session gets SIGHUP."""
        self._killed = True
        with contextlib.suppress(Exception):
            self._channel.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._channel.close()
        self._connection.transport.exit_signals.pop(self._channel.get_id(), None)
        self._connection.release()


def open_ssh_target(endpoint: Endpoint, context: Context, *, root: str, name: str = "ssh",
                    **words: str) -> SshTarget:
    """Connect to ``endpoint`` with the context's timeouts; the target the Vagrant target
    reuses too (``words``: its own ``where``, ``path_hint`` and ``root_hint``)."""
    config = context.config
    connection = connect(endpoint, connect_timeout=config.connect_timeout,
                         alive_timeout=config.alive_timeout, environ=context.env.environ,
                         note=lambda text: context.env.message(f"warning: {text}"))
    target = SshTarget(connection, root=root, name=name, terminal=Terminal.of(context.env),
                       **words)
    if root.startswith("~"):  # output names the expanded path: learn it (one channel, only then)
        status, output = files.quick(connection, f"cd -- {_quote_root(root)} && pwd -P")
        resolved = output.decode(errors="surrogateescape").strip()
        if status == 0 and resolved.startswith("/"):
            target.roots = (*target.roots, resolved)
    return target
