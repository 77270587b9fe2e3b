"""A check that cannot reach its SSH target still replaces .git/hostlint/last.log: a GUI
client's user reads this run's error there, not an older run's findings."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.ssh_helpers import marker_repo, ssh_repo
from tests.sshd import SshServer
from tests.utils import hostlint


def stale_log(root: Path) -> Path:
    log = root / ".git" / "hostlint" / "last.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text("an older run's findings\n")
    return log


def assert_log_is_the_error(root: Path, log: Path) -> None:
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert log.read_text() == result.stderr  # the one error line, nothing older


def test_connection_refused_writes_the_error_into_the_log(ssh_home: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = ssh_repo(tmp_path, "true", "a.py", host=f"127.0.0.1:{port}")
    assert_log_is_the_error(root, stale_log(root))


def test_a_host_name_typo_writes_the_error_into_the_log(ssh_home: Path, tmp_path: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text() + "\nHost typo\n    HostName typo.invalid\n")
    root = ssh_repo(tmp_path, "true", "a.py", host="typo")
    assert_log_is_the_error(root, stale_log(root))


def test_an_unknown_host_key_writes_the_error_into_the_log(sshd: SshServer, ssh_home: Path,
                                                           tmp_path: Path) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    root, _ = marker_repo(tmp_path)
    log = stale_log(root)
    assert_log_is_the_error(root, log)
    assert "is not known" in log.read_text()
