"""Exit codes, and the one pure function that turns linter results into one."""

from __future__ import annotations

from collections.abc import Iterable

from hostlint import signals
from hostlint.typing_lite import NamedTuple


class ExitCode:
    """SPEC's exit codes. Plain ints, not an IntEnum: creating one costs every hook run
    ~1.5 ms of start-up."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    UNAVAILABLE = 3
    BUG = 70
    SIGHUP = 128 + signals.SIGHUP
    SIGINT = 128 + signals.SIGINT
    SIGTERM = 128 + signals.SIGTERM


def for_signal(signum: int) -> int:
    """The exit code hostlint uses when it was stopped by ``signum``."""
    return 128 + signum if signum in signals.STOPPING else ExitCode.SIGINT


#: Exit statuses the shell itself gives when it could not run the linter's command at all.
SHELL_FAILURES = {
    127: "command not found",
    126: "command found but not executable",
}


class RunResult(NamedTuple):
    """How one run of a linter ended: its exit status, or the signal that killed it."""

    returncode: int
    signal: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.signal is None

    @property
    def not_run(self) -> str | None:
        """Why the shell could not run the command (exit 126 or 127), else None."""
        return SHELL_FAILURES.get(self.returncode) if self.signal is None else None

    def describe(self) -> str:
        if self.signal is not None:
            return f"killed by {self.signal}"
        return f"exit {self.returncode}"

    def worse(self, other: RunResult) -> RunResult:
        """The result of two batches of one linter: the first failure wins."""
        return self if not self.ok else other


def exit_code(results: Iterable[RunResult], *, advisory: bool) -> int:
    """Every linter passed → 0; a linter failed → 1, or 0 when advisory — unless a command
    could not be run at all (nothing was linted: not a finding advisory may hide)."""
    results = list(results)
    if all(result.ok for result in results):
        return ExitCode.OK
    if advisory and not any(result.not_run for result in results):
        return ExitCode.OK
    return ExitCode.FINDINGS
