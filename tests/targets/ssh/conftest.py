from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
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


#: Throwaway accounts by name: (login shell, home). All but ``homeless`` run no command;
#: ``homeless`` makes sshd print a line before the command. The fixture's sshd authorizes its
#: client key for every account.
SHELLS = {"nologin": ("/usr/sbin/nologin", "/"), "false": ("/bin/false", "/"),
          "true": ("/bin/true", "/"), "missing": ("/nonexistent/shell", "/"),
          "homeless": ("/bin/sh", "/nonexistent")}


@pytest.fixture(scope="session")
def shell_users() -> Iterator[dict[str, str]]:
    """Accounts by their key in ``SHELLS`` (created with ``useradd`` as
    root, with no password but not locked, removed afterwards); the test is skipped where
    accounts cannot be made."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd to create throwaway accounts")
    made: dict[str, str] = {}
    try:
        for key, (shell, home) in SHELLS.items():
            name = f"hl{os.getpid()}{key}"[:32]
            subprocess.run(["useradd", "-M", "-N", "-d", home, "-p", "*", "-s", shell, name],
                           check=True, capture_output=True)
            made[key] = name
        yield made
    finally:
        for name in made.values():
            subprocess.run(["userdel", name], check=False, capture_output=True)
