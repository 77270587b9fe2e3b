"""The local target: the command under a pseudo-terminal on this machine."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
import threading
from collections.abc import Mapping
from pathlib import Path

from hostlint.environment import terminal_size
from hostlint.files import local_arg_limit, local_cost
from hostlint.status import RunResult
from hostlint.targets.base import Context, Invocation, Process, split

SHELL = "/bin/sh"


def shell_argv(invocation: Invocation) -> list[str]:
    """``sh -c 'COMMAND "$@"' hostlint FILE...``: the names are arguments, never shell text."""
    return [SHELL, "-c", f'{invocation.command} "$@"', "hostlint", *invocation.files]


class LocalTarget:
    name = "local"
    roots: tuple[str, ...] = ()

    def __init__(self, root: Path, *, environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.environ = dict(os.environ if environ is None else environ)

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = sum(map(local_cost, shell_argv(Invocation(invocation.command))))
        return split(invocation, limit=local_arg_limit(self.environ), fixed=fixed, cost=local_cost)

    def start(self, invocation: Invocation) -> Process:
        return PtyProcess(shell_argv(invocation), cwd=self.root, environ=self.environ)

    def close(self) -> None:
        pass


def _open_pty() -> tuple[int, int]:
    """A pty whose slave passes output bytes unchanged (OPOST cleared, so no ``\\r`` is added
    before ``\\n``), sized like the host terminal when there is one."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~(termios.OPOST | termios.ONLCR)
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    cols, rows = terminal_size()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


class Watchdog:
    """Kills the linters' process groups when hostlint dies without stopping them (``kill
    -9``): they have sessions of their own and no controlling terminal, so nothing the kernel
    does on hostlint's death reaches them (and giving them the pty as controlling terminal
    would hang a linter that reads ``/dev/tty``). One small shell per hostlint process, in a
    session of its own, reads ``+GROUP`` / ``-GROUP`` lines from a pipe only hostlint holds;
    at its end (hostlint exited or died) it sends SIGKILL to every group still listed."""

    SCRIPT = """trap '' INT TERM HUP
live=' '
while read -r line; do
  case $line in
    +*) live="$live${line#+} " ;;
    -*) group=${line#-}
        case $live in *" $group "*) live="${live%% "$group" *} ${live#* "$group" }" ;; esac ;;
  esac
done
for group in $live; do kill -s KILL -- "-$group" 2>/dev/null; done
"""
    _lock = threading.Lock()
    _pipe: int | None = None

    @classmethod
    def tell(cls, line: str) -> None:
        """Start watching (``+GROUP``) or stop (``-GROUP``); best effort: without a
        watchdog (it could not start, or was killed) the check runs as before."""
        with cls._lock:
            if cls._pipe is None:
                cls._pipe = cls._start()
            with contextlib.suppress(OSError):
                os.write(cls._pipe, f"{line}\n".encode())

    @classmethod
    def _start(cls) -> int:
        read, write = os.pipe()  # not inherited: only this process holds the writing end
        try:
            subprocess.Popen([SHELL, "-c", cls.SCRIPT], stdin=read, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError:
            os.close(write)
            write = os.open(os.devnull, os.O_WRONLY)
        finally:
            os.close(read)
        return write


class PtyProcess:
    """One local linter: its own session and process group, stdin at end-of-file,
    stdout and stderr the pty's slave; watched, so that it does not outlive hostlint."""

    def __init__(self, argv: list[str], *, cwd: Path, environ: Mapping[str, str]) -> None:
        self._master, slave = _open_pty()
        try:
            self._proc = subprocess.Popen(
                argv, cwd=cwd, env=environ, stdin=subprocess.DEVNULL, stdout=slave,
                stderr=slave, start_new_session=True, close_fds=True,
            )
        except BaseException:
            os.close(self._master)
            raise
        finally:
            os.close(slave)
        Watchdog.tell(f"+{self._proc.pid}")
        self._eof = False

    def fileno(self) -> int:
        return self._master

    def read(self) -> bytes:
        if self._eof:
            return b""
        try:
            data = os.read(self._master, 65536)
        except OSError as exc:  # EIO: every holder of the slave has closed it
            if exc.errno != errno.EIO:
                raise
            data = b""
        self._eof = not data
        return data

    def exited(self) -> bool:
        return self._proc.poll() is not None

    def wait(self) -> RunResult:
        code = self._proc.wait()
        if code < 0:
            return RunResult(128 - code, signal.Signals(-code).name)
        return RunResult(code)

    def idle(self) -> bool:
        """Output is over once the linter and its whole process group are gone, even if a
        daemon that left the group still holds the terminal."""
        return self._proc.poll() is not None and not self._group_alive()

    def _group_alive(self) -> bool:
        try:
            os.killpg(self._proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - a member changed user
            return True
        return True

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signum)

    def interrupt(self) -> None:
        self._signal_group(signal.SIGINT)

    def kill(self) -> None:
        self._signal_group(signal.SIGKILL)

    def close(self) -> None:
        if self._proc.poll() is None:
            self.kill()
            self._proc.wait()
        Watchdog.tell(f"-{self._proc.pid}")
        os.close(self._master)


def open_target(context: Context) -> LocalTarget:
    return LocalTarget(context.root, environ=context.env.environ)


def describe(context: Context) -> list[tuple[str, str]]:
    return [("runs in", str(context.root)), ("shell", SHELL)]


def connecting(context: Context) -> None:
    """Nothing to say: a local target opens at once."""
    return None
