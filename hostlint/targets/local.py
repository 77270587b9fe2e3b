"""The local target: the command under a pseudo-terminal on this machine."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import termios
from collections.abc import Mapping

from hostlint import signals
from hostlint.environment import terminal_size
from hostlint.files import local_arg_limit, local_cost
from hostlint.fsutil import inside
from hostlint.spawn import DEVNULL, spawn
from hostlint.status import RunResult
from hostlint.targets.base import Context, Invocation, Process, split
from hostlint.targets.watchdog import Watchdog

SHELL = "/bin/sh"


def shell_argv(invocation: Invocation) -> list[str]:
    """``sh -c 'COMMAND "$@"' hostlint FILE...``: the names are arguments, never shell text."""
    return [SHELL, "-c", f'{invocation.command} "$@"', "hostlint", *invocation.files]


class LocalTarget:
    name = "local"
    roots: tuple[str, ...] = ()

    def __init__(self, root: str, *, environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.where = f"local {root}"
        self.path_hint = (f"the PATH hostlint runs {SHELL} with (not a login shell; a "
                          "virtualenv's bin comes first)")
        self.environ = dict(os.environ if environ is None else environ)

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = sum(map(local_cost, shell_argv(Invocation(invocation.command))))
        return split(invocation, limit=local_arg_limit(self.environ), fixed=fixed, cost=local_cost)

    def start(self, invocation: Invocation) -> Process:
        environ = {**self.environ, **dict(invocation.environ)} if invocation.environ else self.environ
        bins = venv_bins(invocation.command, self.root, environ)
        if bins:
            path = [*bins, *environ.get("PATH", os.defpath).split(os.pathsep)]
            environ = {**environ, "PATH": os.pathsep.join(dict.fromkeys(path))}
        return PtyProcess(shell_argv(invocation), cwd=self.root, environ=environ,
                          stdin=invocation.stdin)

    def put_file(self, data: bytes) -> str:
        import tempfile  # only the message hooks need it: the hook's start-up stays lean

        fd, path = tempfile.mkstemp(prefix="hostlint-msg.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def take_file(self, path: str) -> bytes:
        try:
            with open(path, "rb") as f:
                return f.read()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def close(self) -> None:
        pass


def venv_bins(command: str, root: str, environ: Mapping[str, str],
              prefixes: tuple[str, str] = (sys.prefix, sys.base_prefix)) -> list[str]:
    """The ``bin`` directories that lead the linter's PATH, as pre-commit's hook environments
    do: the virtualenv the command's first word lies in (``.venv/bin/python tools/lint``),
    the active one (``VIRTUAL_ENV``), and the one hostlint runs from when it lies in the
    repository (a tool manager's, such as pipx's, is not the project's)."""
    found = []
    words = command.split(maxsplit=1)
    if words and os.sep in words[0]:
        directory = os.path.dirname(os.path.join(root, os.path.expanduser(words[0])))
        if os.path.isfile(os.path.join(os.path.dirname(directory), "pyvenv.cfg")):
            found.append(directory)
    if environ.get("VIRTUAL_ENV"):
        found.append(os.path.join(environ["VIRTUAL_ENV"], "bin"))
    own, base = prefixes
    if own != base and inside(os.path.realpath(own), os.path.realpath(root)) is not None:
        found.append(os.path.join(own, "bin"))
    return list(dict.fromkeys(found))


def _open_pty() -> tuple[int, int]:
    """A pty whose slave passes output bytes unchanged (OPOST cleared, so no ``\\r`` is added
    before ``\\n``), where a read returns end-of-input at once (ICANON off, MIN 0, TIME 0:
    nothing will ever be typed there), sized like the host terminal when there is one."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~(termios.OPOST | termios.ONLCR)
    attrs[3] &= ~termios.ICANON
    attrs[6][termios.VMIN], attrs[6][termios.VTIME] = 0, 0
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    cols, rows = terminal_size()
    if sys.version_info >= (3, 11):
        termios.tcsetwinsize(slave, (rows, cols))
    else:  # pragma: no cover - exercised on 3.10 only
        import fcntl
        import struct

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


def _stdin(data: bytes) -> int:
    """The linter's standard input: ``/dev/null``, or an unlinked file holding ``data`` (a
    regular file, as on remote targets: end-of-file after the last byte, no writer thread)."""
    if not data:
        return DEVNULL
    import tempfile

    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        return os.dup(f.fileno())  # the offset is shared: rewind through the duplicate


class PtyProcess:
    """One local linter: its own session and process group, stdin the invocation's bytes
    then end-of-file, stdout and stderr the pty's slave (or ``stderr``: the container target
    keeps the engine CLI's own complaints apart from the linter's output); watched, so that
    it does not outlive hostlint."""

    def __init__(self, argv: list[str], *, cwd: str, environ: Mapping[str, str],
                 stdin: bytes = b"", stderr: int | None = None) -> None:
        self._master, slave = _open_pty()
        source = DEVNULL
        try:
            source = _stdin(stdin)
            if source != DEVNULL:
                os.lseek(source, 0, os.SEEK_SET)
            self._proc = spawn(argv, env=environ, stdin=source, stdout=slave,
                               stderr=slave if stderr is None else stderr, cwd=cwd,
                               new_session=True)
        except BaseException:
            os.close(self._master)
            raise
        finally:
            os.close(slave)
            if source != DEVNULL:
                os.close(source)
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
            return RunResult(128 - code, signals.name(-code))
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
        self._signal_group(signals.SIGINT)

    def kill(self) -> None:
        self._signal_group(signals.SIGKILL)

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
