from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sshd import SshdFactory, SshServer


@pytest.fixture
def private(sshd_factory: SshdFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Callable[..., SshServer]:
    """A server of this test's own (to kill, freeze or limit), reachable as ``hostlint-test``."""
    def make(*, max_sessions: int = 10) -> SshServer:
        server = sshd_factory(max_sessions=max_sessions)
        home = tmp_path / "home"
        server.write_client_home(home)
        monkeypatch.setenv("HOME", str(home))
        return server
    return make
