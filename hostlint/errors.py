"""Expected failures: each carries a one-line message, a hint and its exit code."""

from __future__ import annotations

import signal
from typing import TextIO

from hostlint.status import ExitCode, for_signal


class HostlintError(Exception):
    """A failure hostlint expects and explains: turned into one line and a code in one place."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def line(self) -> str:
        """The one line shown to the user: what failed, where, and what to do."""
        return one_line(f"hostlint: {self.message}" + (f"; {self.hint}" if self.hint else ""))


def one_line(text: str) -> str:
    """``text`` with control characters (a newline in a path, an escape sequence in a name)
    shown as escapes, so a message stays one line and cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class UsageError(HostlintError):
    """Bad command line or environment (exit 2)."""


class ConfigError(HostlintError):
    """A configuration file that does not follow the schema (exit 2)."""


class GitError(HostlintError):
    """No repository, a bare repository, or a git command that failed (exit 2)."""


class TargetUnavailable(HostlintError):
    """The target could not be used: not running, unreachable, refused, or lost (exit 3)."""

    exit_code = ExitCode.UNAVAILABLE


class Interrupted(BaseException):
    """hostlint received SIGINT, SIGTERM or SIGHUP; the linters are being stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def report(exc: BaseException, *, stderr: TextIO, verbose: bool) -> int:
    """The one place an exception becomes a line on stderr and an exit code."""
    if verbose and not isinstance(exc, (KeyboardInterrupt, Interrupted)):
        import traceback

        traceback.print_exception(exc, file=stderr)
    if isinstance(exc, HostlintError):
        line, code = exc.line(), exc.exit_code
    elif isinstance(exc, Interrupted):
        name = signal.Signals(exc.signum).name
        line, code = f"hostlint: interrupted ({name}): linters stopped", for_signal(exc.signum)
    elif isinstance(exc, KeyboardInterrupt):
        line, code = "hostlint: interrupted (SIGINT)", ExitCode.SIGINT
    elif isinstance(exc, BrokenPipeError):
        line, code = "hostlint: output closed early (broken pipe)", ExitCode.FINDINGS
    else:
        line = one_line(f"hostlint: internal error: {type(exc).__name__}: {exc}; "
                        "this is a bug in hostlint, run with -v for the traceback")
        code = ExitCode.BUG
    try:
        stderr.write(line + "\n")
        stderr.flush()
    except (OSError, ValueError):
        pass
    return code
