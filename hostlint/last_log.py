"""``.git/hostlint/last.log`` (the common git dir): every run's full output, as written to a
file (no escape sequences), because GUI clients truncate or hide hook output. Written beside
it (``last.log.PID.partial``) and renamed at the end, so two checks at once (two worktrees)
never mix; a partial left by a run that was killed is swept by the next one. A log that
cannot be written (a full disk) is dropped with one warning, never left cut."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hostlint.fsutil import create_private
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO

PATH = os.path.join("hostlint", "last.log")
#: A run's log until it ends: ``last.log.PID.partial``.
_PARTIAL = ("last.log.", ".partial")


class LastLog:
    """This run's log: ``file`` for the output stack, ``write`` for hostlint's own lines;
    ``failed`` once it cannot be written (then there is none)."""

    def __init__(self, common_dir: str, warn: Callable[[str], None]) -> None:
        self.path = os.path.join(common_dir, PATH)
        self._partial = f"{self.path}.{os.getpid()}.partial"
        self._warn = warn
        self.failed: OSError | None = None
        self.file: BinaryIO
        try:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)  # another run may make it meanwhile
            sweep(directory)
            self.file = create_private(self._partial)
        except OSError as exc:
            self.file = open(os.devnull, "wb")  # noqa: SIM115 - closed in finish()
            self.drop(exc)

    def write(self, data: bytes) -> None:
        """One of hostlint's own lines (how the run ended, why nothing ran)."""
        if self.failed is None:
            try:
                self.file.write(data)
                self.file.flush()
            except OSError as exc:
                self.drop(exc)

    def drop(self, exc: OSError) -> None:
        """The log cannot be written: one warning, and no log is kept, neither this cut one
        nor the last run's (which would pass for this run's)."""
        if self.failed is not None:
            return
        self.failed = exc
        for path in (self._partial, self.path):
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._warn(f"warning: cannot write {self.path}: {exc.strerror or exc}; this run's output "
                   "is not kept there")

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
def written(common_dir: str, on_forced_exit: list[Callable[[], None]],
            warn: Callable[[str], None]) -> Iterator[LastLog]:
    """This run's log, replacing the last one however the run ends; ``on_forced_exit`` gets
    the renaming too, for an exit that skips ``finally``."""
    log = LastLog(common_dir, warn)
    on_forced_exit.append(log.finish)
    try:
        yield log
    finally:
        on_forced_exit.remove(log.finish)
        log.finish()


def sweep(directory: str) -> None:
    """Remove the partial logs of runs whose process is gone (killed before the rename)."""
    for name in os.listdir(directory):
        pid = _partial_pid(name)
        if pid is not None and not _alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def _partial_pid(name: str) -> int | None:
    """The PID in the name of a partial log, else None."""
    prefix, suffix = _PARTIAL
    pid = name[len(prefix):-len(suffix)]
    if name.startswith(prefix) and name.endswith(suffix) and pid.isascii() and pid.isdigit():
        return int(pid)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True

