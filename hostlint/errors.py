"""Expected failures, each with a one-line message, a hint and its exit code; and the one
ladder (``exit_status``) that turns every way a command can end into a line and a code
(pre-commit's ``error_handler.py``)."""

from __future__ import annotations

from hostlint import signals
from hostlint.status import ExitCode, for_signal
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO


class HostlintError(Exception):
    """A failure hostlint expects and explains: turned into one line and a code in one place."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail  # hostlint's own lines to show after it (a snippet to paste)

    def line(self) -> str:
        """The one line shown to the user: what failed, where, and what to do (then the
        ``detail`` lines, if any, as they are)."""
        line = one_line(f"hostlint: {self.message}" + (f"; {self.hint}" if self.hint else ""))
        return line + (f"\n{self.detail}" if self.detail else "")


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


class StdoutError(UsageError):
    """stdout is closed or cannot be written (a full disk, ``> /dev/full``) for a command whose
    output is the point (exit 2: how hostlint was started, like a closed stdout for ``check``;
    not a finding, not the target, not a bug)."""


class CommandLineError(HostlintError):
    """The command line could not be parsed; the parser's own text says why (exit 2)."""

    def line(self) -> str:
        return self.message


class TargetUnavailable(HostlintError):
    """The target could not be used: not running, unreachable, refused, or lost (exit 3)."""

    exit_code = ExitCode.UNAVAILABLE


class ConnectFailed(TargetUnavailable):
    """A connection that could not be made (exit 3); ``reason`` says which step failed:
    ``resolve``, ``refused``, ``timeout``, ``unreachable``, ``protocol``, ``host-key-unknown``,
    ``host-key-changed``, ``host-key-revoked``, ``auth``, ``proxy``, ``lost``, ``root`` (the
    remote root is not a directory), ``shell`` (the login shell did not run the command)."""

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class Interrupted(BaseException):
    """hostlint received SIGINT, SIGTERM or SIGHUP; the linters are being stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Finished(BaseException):
    """A command that ended by itself with ``code`` and has nothing to add (``--version``,
    ``--help``, the completion commands): the CLI framework's exits, in our terms."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def exit_status(exc: BaseException) -> tuple[str | None, int]:
    """The one ladder: how a command ended → the line for stderr (None: nothing to say) and
    the exit code. Outcomes of a check that ran (linters passed or failed) are
    ``status.exit_code``'s."""
    if isinstance(exc, Finished):
        return None, exc.code
    if isinstance(exc, HostlintError):
        return exc.line(), exc.exit_code
    if isinstance(exc, Interrupted):
        name = signals.name(exc.signum)
        return f"hostlint: interrupted ({name}): linters stopped", for_signal(exc.signum)
    if isinstance(exc, KeyboardInterrupt):
        return "hostlint: interrupted (SIGINT)", ExitCode.SIGINT
    if isinstance(exc, BrokenPipeError):
        return "hostlint: output closed early (broken pipe)", ExitCode.FINDINGS
    return one_line(f"hostlint: internal error: {type(exc).__name__}: {exc}; "
                    "this is a bug in hostlint, run with -v for the traceback"), ExitCode.BUG


#: Endings whose traceback says nothing (a signal, a translated framework exit).
_NO_TRACEBACK = (KeyboardInterrupt, Interrupted, Finished, CommandLineError)


def report(exc: BaseException, *, stderr: TextIO, verbose: bool) -> int:
    """Write ``exit_status``'s line on stderr (with ``verbose``, the traceback first) and
    return its code."""
    if verbose and not isinstance(exc, _NO_TRACEBACK):
        import traceback

        traceback.print_exception(exc, file=stderr)
    line, code = exit_status(exc)
    if line is None:
        return code
    try:
        stderr.write(line + "\n")
        stderr.flush()
    except (OSError, ValueError):
        pass
    return code
