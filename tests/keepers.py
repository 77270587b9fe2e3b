"""Test helpers for warm connections: find the keepers a test started (by their info files
in the test's own directories) and end them by pid."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from pathlib import Path

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


def is_keeper(pid: int) -> bool:
    try:
        return b"hostlint.keeper.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def end_keepers(places: list[Path], extra: tuple[int, ...] = ()) -> None:
    for pid in {*keeper_pids(places), *extra}:
        if is_keeper(pid):
            os.kill(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGCONT)
            assert gone_within(pid, 5), f"keeper {pid} did not end"
