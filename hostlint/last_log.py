"""``.git/hostlint/last.log`` (the common git dir): every run's full output, as written to a
file (no colours), because GUI clients truncate or hide hook output."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from hostlint.fsutil import create_private

PATH = Path("hostlint") / "last.log"


@contextmanager
def written(common_dir: Path, on_forced_exit: list[Callable[[], None]]) -> Iterator[BinaryIO]:
    """This run's full output, replacing the last one. Written beside it and renamed at the
    end, so two checks at once (two worktrees) never mix; ``on_forced_exit`` gets the
    renaming too, for an exit that skips ``finally``."""
    path = common_dir / PATH
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(exist_ok=True)
        log = create_private(partial)
    except OSError:
        with open(os.devnull, "wb") as devnull:
            yield devnull
        return
    def finish() -> None:
        with contextlib.suppress(OSError, ValueError):
            log.flush()
        with contextlib.suppress(OSError):
            os.replace(partial, path)

    on_forced_exit.append(finish)
    try:
        with log:
            yield log
    finally:
        on_forced_exit.remove(finish)
        finish()


