"""The facts about where hostlint runs, in one object tests can replace (httpie's
``Environment``): the streams, whether stdout is a terminal, the environment variables."""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Mapping

from hostlint.errors import StdoutError, UsageError
from hostlint.poll import flush_waiting, write_waiting
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from hostlint.fsutil import StrPath

COLOR_MODES = ("auto", "always", "never")
_OPEN_STDOUT = "run hostlint with stdout open (redirect it to /dev/null to discard the output)"


def user_cache_dir(environ: Mapping[str, str]) -> str:
    """``$XDG_CACHE_HOME/hostlint``, else ``~/.cache/hostlint`` (a relative
    ``XDG_CACHE_HOME`` is ignored, as the XDG specification says)."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hostlint")


def cache_home_exists(environ: Mapping[str, str]) -> bool:
    """Whether the directory holding the cache base exists: the home for ``~/.cache``, the
    parent of ``$XDG_CACHE_HOME``. hostlint creates the cache base and what is below it,
    never a missing home (root or a service account whose ``HOME`` names nothing): then it
    keeps no caches."""
    return os.path.isdir(os.path.dirname(os.path.dirname(user_cache_dir(environ))))


def make_cache_dir(path: StrPath, environ: Mapping[str, str]) -> None:
    """``path``, a directory in the user cache dir, created 0700 where missing; ``OSError``
    when it cannot be (``cache_home_exists``), and the caller does without its cache."""
    if not cache_home_exists(environ):
        raise FileNotFoundError(errno.ENOENT, "no home for the cache", user_cache_dir(environ))
    os.makedirs(path, mode=0o700, exist_ok=True)


def which(program: str, environ: Mapping[str, str]) -> str | None:
    """``program`` on the PATH of ``environ``: ``shutil.which`` on POSIX, which a container
    hook would pay ~2 ms of start-up to import (bz2, lzma, fnmatch) for this loop."""
    search = environ.get("PATH", os.environ.get("PATH", os.defpath))
    for directory in search.split(os.pathsep) if search else ():
        path = os.path.join(directory, program)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


def verbose_from(environ: Mapping[str, str]) -> bool:
    """``HOSTLINT_VERBOSE`` set to anything but empty, 0, false, no or off means ``-v``, for
    every command: the hook, and frameworks that run ``hostlint check``, take no options."""
    return environ.get("HOSTLINT_VERBOSE", "").strip().lower() not in ("", "0", "false", "no", "off")


def linters_at_once(count: int) -> int:
    """How many of ``count`` linters may run at once with no ``jobs`` cap: all of them, as
    far as the descriptor limit holds them (each needs a pty or a channel: three descriptors
    at most while it starts; 64 kept for the rest)."""
    if count <= 64:
        return count
    import resource  # only for that many linters

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return count if soft == resource.RLIM_INFINITY else max(1, min(count, (soft - 64) // 3))


def terminal_size(default: tuple[int, int] = (120, 40)) -> tuple[int, int]:
    """(columns, rows) of the host terminal on stdout or stderr, else ``default`` (also when
    the terminal reports a size of 0, as a fresh pty does)."""
    for fd in (1, 2):
        try:
            size = os.get_terminal_size(fd)
        except OSError:
            continue
        if size.columns and size.lines:
            return size.columns, size.lines
    return default


class Environment:
    """Where hostlint runs: its streams, whether stdout is a terminal, the environment."""

    def __init__(
        self,
        *,
        stdout: BinaryIO | None = None,
        stderr: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdout_isatty: bool | None = None,
        verbose: bool = False,
    ) -> None:
        #: hostlint was started with stdout closed (``>&-``): Python's ``sys.stdout`` is None.
        self.stdout_closed = stdout is None and sys.stdout is None
        self.stdout: BinaryIO = stdout if stdout is not None else (
            io.BytesIO() if sys.stdout is None else sys.stdout.buffer)
        self.stderr: TextIO = stderr if stderr is not None else (
            io.StringIO() if sys.stderr is None else sys.stderr)  # 2>&-: messages go nowhere
        self.environ: Mapping[str, str] = dict(os.environ) if environ is None else environ
        self.cwd = cwd if cwd is not None else os.getcwd()
        self.verbose = verbose or verbose_from(self.environ)
        if stdout_isatty is None:
            try:
                stdout_isatty = os.isatty(self.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                stdout_isatty = False
        self.stdout_isatty = stdout_isatty

    def require_stdout(self) -> None:
        """For commands whose output is the point (``check``, ``detect``): a closed stdout
        is a usage error before anything runs."""
        if self.stdout_closed:
            raise UsageError("stdout is closed: there is nowhere to show the linters' output",
                             hint=_OPEN_STDOUT)

    def write(self, data: bytes) -> None:
        """A command's own output (``detect``, ``--version``, the help) on stdout, flushed at
        once. A closed stdout, or one that cannot be written (a full disk), is a
        ``StdoutError``; its descriptor is pointed at /dev/null first, so the interpreter's
        last flush does not fail again. A reader that went away (EPIPE) is left to the CLI
        framework, which ends quietly with 1."""
        if self.stdout_closed:
            raise StdoutError("stdout is closed: there is nowhere to write the output",
                              hint=_OPEN_STDOUT)
        try:
            write_waiting(self.stdout, data)  # a full non-blocking stdout is waited on
            flush_waiting(self.stdout)
        except OSError as exc:
            self.lose_stdout()
            if isinstance(exc, BrokenPipeError):
                raise
            raise StdoutError(f"cannot write to stdout: {exc.strerror or exc}",
                              hint="redirect it to a file or terminal that can be written") from exc

    @property
    def is_tty(self) -> bool:
        return bool(self.stdout_isatty)

    def message(self, text: str) -> None:
        """One of hostlint's own lines, on stderr (a stderr that cannot be written, a full
        disk or a closed pipe, is let go: it changes no result)."""
        try:
            self.stderr.write(f"hostlint: {text}\n")
            self.stderr.flush()
        except (OSError, ValueError):
            _to_devnull(self.stderr)

    def lose_stdout(self) -> None:
        """stdout cannot be written: point its descriptor at /dev/null, so that nothing else
        fails on it (the interpreter's last flush of what it still buffers included)."""
        _to_devnull(self.stdout)

    def debug(self, text: str) -> None:
        if self.verbose:
            self.message(text)

    def color(self, option: str | None) -> bool:
        """Keep colour sequences? option > HOSTLINT_COLOR > NO_COLOR / FORCE_COLOR > auto."""
        source, mode = ("--color", option) if option else (
            "HOSTLINT_COLOR", self.environ.get("HOSTLINT_COLOR") or "")
        if mode and mode not in COLOR_MODES:
            raise UsageError(f"{source}={mode!r} is not allowed",
                             hint=f"use one of: {', '.join(COLOR_MODES)}")
        if not mode or mode == "auto":
            if self.environ.get("NO_COLOR"):
                return False
            if self.environ.get("FORCE_COLOR"):
                return True
            return self.is_tty
        return mode == "always"


class TextStdout(io.TextIOBase):
    """``sys.stdout`` while the CLI framework runs (its help, its completion scripts): text
    written through ``Environment.write``, so a stdout that cannot be written ends those the
    way it ends hostlint's own commands."""

    def __init__(self, env: Environment, real: TextIO | None) -> None:
        super().__init__()
        self._env = env
        self._encoding = real.encoding if real is not None else "utf-8"
        self._errors = real.errors if real is not None else "strict"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._errors

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # as a text stream does (click probes with bytes)
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._env.write(text.encode(self._encoding, self._errors or "strict"))
        return len(text)

    def isatty(self) -> bool:
        return self._env.is_tty

    def fileno(self) -> int:
        return self._env.stdout.fileno()


def _to_devnull(stream: BinaryIO | TextIO) -> None:
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a real file (tests write into memory)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
