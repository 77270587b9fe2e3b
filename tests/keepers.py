"""Test helpers for warm connections: find the keepers a test started (by their info files
in the test's own directories) and end them by pid."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from hostlint.keeper import is_keeper
from hostlint.keeper.identity import directories
from tests.utils import gone_within


def keeper_dirs(environ: Mapping[str, str]) -> list[Path]:
    """The socket directories private to this test (not the shared /tmp fallback)."""
    return [d for d in directories(environ) if not str(d).startswith("/tmp/hostlint-")]


def keeper_pids(places: list[Path]) -> list[int]:
    """Pids of the keepers whose info files are in ``places``."""
    pids = []
    for place in places:
        for info in place.glob("k*.json"):
            try:
                pids.append(int(json.loads(info.read_text())["pid"]))
            except (OSError, ValueError, KeyError):
                continue
    return pids


def end_keepers(places: list[Path], extra: tuple[int, ...] = ()) -> None:
    """SIGTERM (a keeper lets its spare shells finish their login files, then closes them),
    SIGKILL for one that does not end (stopped, wedged)."""
    pids = [pid for pid in {*keeper_pids(places), *extra} if is_keeper(pid)]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for pid in pids:
        if not gone_within(pid, 10):
            os.kill(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGCONT)
            assert gone_within(pid, 5), f"keeper {pid} did not end"


def info(places: list[Path]) -> dict[str, object]:
    """The one keeper's info file in ``places`` (a test that expects exactly one)."""
    files = [f for place in places for f in place.glob("k*.json")]
    assert len(files) == 1, files
    data: dict[str, object] = json.loads(files[0].read_text())
    return data


def keeper_pid(places: list[Path]) -> int:
    pid = info(places)["pid"]
    assert isinstance(pid, int)
    return pid
