"""``.git/hostlint/last.log``: every run's full output, because GUI clients truncate or hide
hook output. Written beside it (``last.log.PID.partial``) and renamed at the end, so two
checks at once (two worktrees) never mix; a partial left by a run that was killed is swept
by the next one. A log that cannot be written (a full disk) is dropped, never left cut."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

LAST_LOG = Path("hostlint") / "last.log"
_PARTIAL = re.compile(r"last\.log\.([0-9]+)\.partial")


class LastLog:
    """This run's log: ``file`` to write, ``failed`` once it cannot be (then there is none)."""

    def __init__(self, common_dir: Path) -> None:
        self.path = common_dir / LAST_LOG
        self._partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        self.failed: OSError | None = None
        try:
            self.path.parent.mkdir(exist_ok=True)
            sweep(self.path.parent)
            self.file: BinaryIO = open(self._partial, "wb")  # noqa: SIM115 - closed in finish()
        except OSError as exc:
            self.failed = exc
            self.file = open(os.devnull, "wb")  # noqa: SIM115

    def drop(self, exc: OSError) -> None:
        """The log cannot be written: none is kept, neither this cut one nor the last run's
        (which would pass for this run's)."""
        self.failed = self.failed or exc
        for path in (self._partial, self.path):
            with contextlib.suppress(OSError):
                path.unlink()

    def finish(self) -> None:
        """Hand the log over as ``last.log`` (also on a forced exit: no ``finally`` runs)."""
        with contextlib.suppress(OSError, ValueError):
            self.file.flush()
        if self.failed is None:
            with contextlib.suppress(OSError):
                os.replace(self._partial, self.path)
        with contextlib.suppress(OSError):
            self.file.close()


@contextmanager
def last_log(common_dir: Path, on_forced_exit: list[Callable[[], None]]) -> Iterator[LastLog]:
    """The log for one run, finished however the run ends."""
    log = LastLog(common_dir)
    on_forced_exit.append(log.finish)
    try:
        yield log
    finally:
        on_forced_exit.remove(log.finish)
        log.finish()


def sweep(directory: Path) -> None:
    """Remove the partial logs of runs whose process is gone (killed before the rename)."""
    for name in os.listdir(directory):
        match = _PARTIAL.fullmatch(name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(directory / name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True
