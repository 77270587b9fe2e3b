"""Fixtures shared by the keeper tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sshd import SshdFactory, SshServer


@pytest.fixture
def server(sshd_factory: SshdFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SshServer:
    """A server of this test's own, reachable as ``hostlint-test``."""
    made = sshd_factory()
    home = tmp_path / "home"
    made.write_client_home(home)
    monkeypatch.setenv("HOME", str(home))
    return made
