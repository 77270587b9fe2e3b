"""``Cancel``: the flag every run of a check listens to (targets/base.py's lifecycle), which
``poll`` can wait on, and the linters it may have to kill at once."""

from __future__ import annotations

import contextlib
import os
import threading

from hostlint.typing_lite import Protocol


class Killable(Protocol):
    """What a forced exit needs of a running linter (``targets.base.Process`` has it)."""

    def kill(self) -> None: ...


class Cancel:
    """A cancellation flag that ``poll`` can wait on (a pipe), shared by every run."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        self._set = threading.Event()
        self._lock = threading.Lock()
        self._live: set[Killable] = set()

    def fileno(self) -> int:
        return self._r

    def is_set(self) -> bool:
        return self._set.is_set()

    def set(self) -> None:
        if not self._set.is_set():
            self._set.set()
            os.write(self._w, b"x")

    def track(self, process: Killable) -> None:
        with self._lock:
            self._live.add(process)

    def untrack(self, process: Killable) -> None:
        with self._lock:
            self._live.discard(process)

    def kill_all(self) -> None:
        """Second Ctrl-C: stop every running linter at once."""
        with self._lock:
            live = list(self._live)
        for process in live:
            with contextlib.suppress(Exception):  # best effort on the way out
                process.kill()

    def close(self) -> None:
        os.close(self._r)
        os.close(self._w)
