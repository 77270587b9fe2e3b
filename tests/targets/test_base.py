"""The one run lifecycle (targets/base.py): cancellation reaches a run in every phase."""

from __future__ import annotations

import os
import threading
import time

import pytest

from hostlint.status import RunResult
from hostlint.targets.base import GRACE_SECONDS, Cancel, pump
from tests.utils import Collect


class OutputClosed:
    """A fake ``Process`` at the lifecycle's seam (``pump`` talks only to this protocol): its
    output is over at once, and it exits only when interrupted (or, if ``stubborn``, killed).
    A fake because a test needs to know that ``pump`` has seen the end of the output before
    it cancels; with a real process that moment cannot be observed without a race."""

    def __init__(self, *, stubborn: bool) -> None:
        self._r, w = os.pipe()
        os.close(w)  # readable at once: end of output
        self.stubborn = stubborn
        self.output_over = threading.Event()
        self.ended = threading.Event()
        self.killed = False

    def fileno(self) -> int:
        return self._r

    def read(self) -> bytes:
        self.output_over.set()
        return b""

    def exited(self) -> bool:
        return self.ended.is_set()

    def wait(self) -> RunResult:
        self.ended.wait(30)  # bounded, so a lifecycle that never cancels fails, not hangs
        return RunResult(137, "SIGKILL") if self.killed else RunResult(130, "SIGINT")

    def idle(self) -> bool:
        return False

    def interrupt(self) -> None:
        if not self.stubborn:
            self.ended.set()

    def kill(self) -> None:
        self.killed = True
        self.ended.set()

    def close(self) -> None:
        os.close(self._r)


@pytest.mark.parametrize("stubborn, result, within", [
    (False, RunResult(130, "SIGINT"), GRACE_SECONDS / 2),
    (True, RunResult(137, "SIGKILL"), GRACE_SECONDS + 1),
])
def test_cancel_after_the_output_ended_still_stops_the_linter(stubborn: bool, result: RunResult,
                                                              within: float) -> None:
    process, cancel = OutputClosed(stubborn=stubborn), Cancel()
    results: list[RunResult] = []
    runner = threading.Thread(target=lambda: results.append(pump(process, Collect(), cancel)),
                              daemon=True)
    try:
        runner.start()
        assert process.output_over.wait(10)
        started = time.monotonic()
        cancel.set()
        runner.join(within + 5)
        assert results == [result]
        assert time.monotonic() - started < within
    finally:
        process.kill()
        runner.join(35)
        process.close()
        cancel.close()


class LateOutput:
    """A fake ``Process`` at the lifecycle's seam: quiet for a tick, then, just as ``idle``
    is asked (the linter exited), its last output lands. With a real process that moment
    falls between ``poll`` timing out and ``idle`` only by chance (a linter that sleeps a
    second, then prints and exits, under load: 10 of 300 such outputs were lost)."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()

    def fileno(self) -> int:
        return self._r

    def read(self) -> bytes:
        return os.read(self._r, 65536)

    def idle(self) -> bool:
        if self._w >= 0:
            os.write(self._w, b"last words\n")
            os.close(self._w)
            self._w = -1
        return True

    def exited(self) -> bool:
        return True

    def wait(self) -> RunResult:
        return RunResult(0)

    def interrupt(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def close(self) -> None:
        os.close(self._r)


def test_output_that_lands_as_the_quiet_linter_exits_is_kept() -> None:
    process, cancel, sink = LateOutput(), Cancel(), Collect()
    try:
        assert pump(process, sink, cancel, tick=0.05) == RunResult(0)
    finally:
        process.close()
        cancel.close()
    assert sink.data == b"last words\n"
