"""The remote run (fabric's ``runners.Remote``): the one quoted remote command, the
``SshTarget`` (one session channel with a pty per run, all over one connection) and the
``SshProcess`` of one linter."""

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
from hostlint.targets.ssh.connect import connect
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402

if TYPE_CHECKING:
    from hostlint.environment import Environment
    from hostlint.targets.base import Context

#: One remote command line, all of it: Linux caps one ``sh -c`` argument at 128 KiB, and
#: OpenSSH's sshd resets the connection on oversized exec requests.
REMOTE_COMMAND_BYTES = 64 * 1024
#: Terminal settings when hostlint's stdout is not a terminal.
DEFAULT_TERM, DEFAULT_SIZE = "xterm-256color", (120, 40)


def remote_command(root: str, invocation: Invocation) -> str:
    """THE shell string hostlint sends: the pty passes output bytes untouched (``-opost``: no
    ``\\r`` before ``\\n``, no tab expansion or case mapping, whatever the system or the login
    files set) and does not echo the Ctrl-C that ``interrupt`` types (``stty``, which needs
    the pty as stdin, so it comes first), stdin at end-of-file, into the root, then the
    configured command verbatim with every file name quoted as one word."""
    words = [invocation.command, *(shlex.quote(name) for name in invocation.files)]
    return (f"stty -opost -echo 2>/dev/null; exec </dev/null; cd -- {_quote_root(root)} || "
            f"exit {ROOT_FAILED}; " + " ".join(words))


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


def _command_bytes(text: str) -> bytes:
    """File names that are not UTF-8 travel as the bytes git gave (surrogate escapes)."""
    return os.fsencode(text)


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
    """Linters on an SSH host: one session channel with a pty per run, all over one
    connection. ``start`` is thread-safe."""

    def __init__(self, connection: Connection, *, root: str, name: str = "ssh",
                 terminal: Terminal = Terminal()) -> None:
        self.connection = connection
        self.root = root
        # Output naming files under these is shown repository-relative: the root as written
        # and normalised (`/srv//proj/` → `/srv/proj`).
        self.roots: tuple[str, ...] = tuple(dict.fromkeys((root, posixpath.normpath(root))))
        self.name = name
        self.terminal = terminal

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = len(_command_bytes(remote_command(self.root, Invocation(invocation.command))))
        return split(invocation, limit=REMOTE_COMMAND_BYTES, fixed=fixed,
                     cost=lambda name: len(_command_bytes(shlex.quote(name))) + 1)

    def start(self, invocation: Invocation) -> Process:
        connection = self.connection
        channel = connection.open_session()
        command = _command_bytes(remote_command(self.root, invocation))
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
        return SshProcess(connection, channel, root=self.root)

    def close(self) -> None:
        self.connection.close()


def quick(connection: Connection, command: str) -> tuple[int | None, bytes]:
    """Run a short command in a channel of its own (no pty): its status (None when it gave
    none within the alive timeout) and its first 4 KiB of output."""
    channel = connection.open_session()
    try:
        channel.settimeout(connection.alive_timeout)
        channel.exec_command(command)
        if not channel.status_event.wait(connection.alive_timeout):
            return None, b""
        output = channel.recv(4096) if channel.recv_ready() else b""
        return channel.exit_status, output
    except (paramiko.SSHException, OSError):
        return None, b""
    finally:
        channel.close()
        connection.release()


class SshProcess:
    """One linter running in a session channel."""

    def __init__(self, connection: Connection, channel: paramiko.Channel, *, root: str) -> None:
        self._connection = connection
        self._channel = channel
        self._root = root
        self._fileno = channel.fileno()
        self._killed = False
        self._closed = False

    def fileno(self) -> int:
        return self._fileno

    def read(self) -> bytes:
        return self._channel.recv(65536)

    def exited(self) -> bool:
        """The exit status came (or the channel closed); the connection is checked."""
        self._connection.check_alive()
        return self._channel.status_event.is_set()

    def wait(self) -> RunResult:
        while not self._channel.status_event.wait(0.5):
            self._connection.check_alive()
        status = self._status()
        if status == RunResult(ROOT_FAILED) and not self._root_is_there():
            raise ConnectFailed("root", f"{self._connection.endpoint.label} has no directory "
                                f"{self._root} to run the linters in",
                                hint="check the configured root (for Vagrant: is the synced folder "
                                "mounted?)")
        if status is not None:
            return status
        if self._killed:
            return RunResult(128 + signal.SIGHUP, "SIGHUP")
        if self._connection.lost:
            raise self._connection.failure()
        raise ConnectFailed("lost", f"{self._connection.endpoint.label} closed the channel without "
                            "reporting how the command ended", hint="see the output above")

    def _root_is_there(self) -> bool:
        """``test -d ROOT`` on the target; when it cannot tell, assume so (the linter's own
        status is then reported as it is)."""
        status, _ = quick(self._connection, f"test -d {_quote_root(self._root)}")
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
        """Checks the connection (raising when it is lost); output is over once the exit
        status has come, even if a background process still holds the remote pty."""
        self._connection.check_alive()
        return self._status() is not None

    def interrupt(self) -> None:
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


def open_ssh_target(endpoint: Endpoint, context: Context, *, root: str, name: str = "ssh") -> SshTarget:
    """Connect to ``endpoint`` with the context's timeouts; the target the Vagrant target
    reuses too."""
    config = context.config
    connection = connect(endpoint, connect_timeout=config.connect_timeout,
                         alive_timeout=config.alive_timeout, environ=context.env.environ)
    target = SshTarget(connection, root=root, name=name, terminal=Terminal.of(context.env))
    if root.startswith("~"):  # output names the expanded path: learn it (one channel, only then)
        status, output = quick(connection, f"cd -- {_quote_root(root)} && pwd -P")
        resolved = output.decode(errors="surrogateescape").strip()
        if status == 0 and resolved.startswith("/"):
            target.roots = (*target.roots, resolved)
    return target
