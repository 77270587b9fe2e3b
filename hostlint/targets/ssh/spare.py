"""A spare session: a session channel with its pty whose remote shell has already started
(its ``~/.bashrc`` done, as for any remote command) and waits for hostlint's command. Handing
it the command costs a few milliseconds; opening a channel and starting the shell costs the
login files' time again (on this machine ~90 ms of ``pyenv init``) plus a server round trip.

The spare's command is ``BOOTSTRAP``, run by sshd exactly as a direct command is (``$SHELL -c``,
so the same login files). It turns the pty's echo off, prints ``READY``, reads lines until an
empty one, decodes them (``printf`` octal escapes: only printable ASCII travels, so no byte is
a tty special character and no line nears the pty's 4 KiB line limit) and ``eval``s THE remote
command (``remote.remote_command``) in its two parts: the prefix (stty, start marker, stdin,
``cd``, exports), then the linter's words. A direct ``sh -c`` runs its last command in its own
process (``exec``, no fork); so the words are run with ``exec`` when ``command -v`` finds a
program (under bash with ``_`` set to its path, as bash does for a program it runs), else
(builtin, function, alias, not found) as they are, both at the top level as a direct run does.
Only a plain command (``plain``: words of safe characters, no shell syntax)
is run this way; anything else is run in a fresh channel, as without spares.

What the login files printed while the spare started is its ``prelude``: the run that takes
the spare shows it first, where a direct run shows it (before the start marker). A spare that
is gone (its shell ended, the channel closed) or never gets ready is never trusted: ``start``
returns None before anything of the run is shown, and the caller opens a fresh channel.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time

from hostlint.errors import ConnectFailed
from hostlint.targets.base import Invocation
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.remote import SshProcess, SshTarget, Terminal, remote_command
from hostlint.targets.ssh.started import StartMarker
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402

#: What the spare prints once its shell has started and the echo is off.
READY = b"\x1ehostlint-spare\x1e"
BOOTSTRAP = (
    "stty -echo 2>/dev/null; printf '\\036hostlint-spare\\036'; hl_c=; hl_p=; hl_ok=; "
    "while IFS= read -r hl_l; do case $hl_l in '') hl_ok=1; break;; '\\') hl_p=$hl_c; hl_c=;; "
    "*) hl_c=$hl_c$hl_l;; esac; done; [ -n \"$hl_ok\" ] || exit 0; "
    "hl_p=$(printf \"${hl_p}x\"); hl_c=$(printf \"${hl_c}x\"); hl_c=${hl_c%x}; eval \"${hl_p%x}\"; "
    "hl_x=$(command -v \"${hl_c%% *}\"); case $hl_x in 'alias '*) hl_l=;; "
    "*/*) hl_l=\"${BASH_VERSION:+_=\\$hl_x }exec\";; *) hl_l=;; esac; "
    "eval \"unset hl_c hl_l hl_ok hl_p; $hl_l $hl_c\""
)
#: Characters per handed-over line (the pty's canonical mode takes 4,095).
LINE = 480
#: One token per byte: printable ASCII as itself, the rest (and printf's ``\\`` and ``%``) as
#: an octal escape.
_TOKENS = [bytes([b]) if 32 <= b < 127 and b not in b"\\%" else b"\\%03o" % b for b in range(256)]
_WORD = "[A-Za-z0-9_./+@%,:=-]+"
_PLAIN = re.compile(rf"[A-Za-z0-9_./+@%,:-]+(?: +{_WORD})* *")
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "case", "esac", "for", "select",
                       "while", "until", "do", "done", "in", "function", "time", "coproc"})


def plain(command: str) -> bool:
    """A simple command without shell syntax: the words ``hl_x`` may run as a direct ``sh -c``
    runs its last command (the first word no assignment, option or reserved word)."""
    return (_PLAIN.fullmatch(command) is not None and not command.startswith("-")
            and command.split()[0] not in _RESERVED)


def handover(prefix: str, words: str) -> bytes:
    """THE remote command, cut after its prefix (everything before the linter's words), as
    the lines the bootstrap reads: escaped, cut between tokens, the two parts parted by a line
    ``\\`` (no line of escaped text is that), ended by an empty line. File names that are not
    UTF-8 travel as the bytes git gave (surrogate escapes)."""
    return b"\n".join([*_lines(prefix), b"\\", *_lines(words), b"", b""])


def _lines(text: str) -> list[bytes]:
    lines: list[bytes] = []
    line: list[bytes] = []
    size = 0
    for byte in text.encode(errors="surrogateescape"):
        token = _TOKENS[byte]
        if size + len(token) > LINE:
            lines.append(b"".join(line))
            line, size = [], 0
        line.append(token)
        size += len(token)
    return [*lines, b"".join(line)] if line else lines


class Spare:
    """One spare session on ``connection``, its pty set up for ``terminal``."""

    def __init__(self, connection: Connection, channel: paramiko.Channel, terminal: Terminal) -> None:
        self.connection = connection
        self.channel = channel
        self.terminal = terminal
        self.prelude: bytes | None = None  # set once READY came
        self._seen = b""
        self._closed = False

    @classmethod
    def open(cls, connection: Connection, terminal: Terminal) -> Spare | None:
        """Open one (never queueing for a session: None when the server has no room)."""
        channel = connection.try_open_session()
        if channel is None:
            return None
        watchdog = threading.Timer(connection.alive_timeout, channel.close)
        watchdog.daemon = True
        watchdog.start()
        try:
            channel.get_pty(term=terminal.term, width=terminal.width, height=terminal.height)
            channel.exec_command(BOOTSTRAP)
        except (paramiko.SSHException, EOFError, OSError):
            channel.close()
            connection.release()
            return None
        finally:
            watchdog.cancel()
        return cls(connection, channel, terminal)

    def gone(self) -> bool:
        channel = self.channel
        return bool(self._closed or channel.closed or channel.eof_received
                    or channel.exit_status_ready() or self.connection.lost)

    def ready(self, seconds: float) -> bool:
        """Whether the shell has started and waits (within ``seconds``); the prelude kept."""
        deadline = time.monotonic() + seconds
        while self.prelude is None:
            if self.gone() and not self.channel.recv_ready():
                return False
            data = self._recv(deadline)
            if data is None or data == b"":
                return False
            self._seen += data
            before, found, after = self._seen.partition(READY)
            if found:
                self.prelude, self._seen = before + after, b""
        return not self.gone()

    def start(self, target: SshTarget, invocation: Invocation) -> tuple[SshProcess, bytes] | None:
        """Run ``invocation`` (a plain command, no stdin) in this spare: the process and what
        to show before its output; None when the spare turned out to be gone (nothing of the
        run has been shown, the linter has not started; the channel is closed)."""
        wait = self.connection.alive_timeout
        if self.terminal.term != target.terminal.term or not self.ready(wait):
            self.close()
            return None
        size = (target.terminal.width, target.terminal.height)
        prefix = remote_command(target.root, invocation._replace(command="", files=()))
        words = remote_command(target.root, invocation)[len(prefix):]
        try:
            if size != (self.terminal.width, self.terminal.height):
                self.channel.resize_pty(width=size[0], height=size[1])
            self.channel.sendall(handover(prefix, words))
        except (paramiko.SSHException, EOFError, OSError):
            self.close()
            return None
        first = self._started(time.monotonic() + wait)
        if first is None:
            self.close()
            return None
        assert self.prelude is not None
        self._closed = True  # the process owns the channel now
        process = SshProcess(self.connection, self.channel, root=target.root,
                             root_hint=target.root_hint)
        process.started()
        return process, self.prelude + first

    def _started(self, deadline: float) -> bytes | None:
        """The output up to the start marker (taken out), or None when it never comes."""
        marker, out = StartMarker(), b""
        while not marker.seen:
            data = self._recv(deadline)
            if not data:
                return None
            out += marker.feed(data)
        return out

    def _recv(self, deadline: float) -> bytes | None:
        """The next output; None past ``deadline`` or when the connection is lost."""
        while time.monotonic() < deadline:
            self.channel.settimeout(min(0.25, max(0.001, deadline - time.monotonic())))
            try:
                return self.channel.recv(65536)
            except TimeoutError:
                with contextlib.suppress(ConnectFailed):
                    self.connection.check_alive()
                if self.connection.lost:
                    return None
            except (paramiko.SSHException, EOFError, OSError):
                return None
            finally:
                with contextlib.suppress(Exception):
                    self.channel.settimeout(None)
        return None

    def close(self) -> None:
        """End the spare (sshd closes its pty: the shell gets SIGHUP) and free its session."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.channel.close()
        self.connection.release()


__all__ = ["BOOTSTRAP", "READY", "Spare", "handover", "plain"]
