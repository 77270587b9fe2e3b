"""Host keys (hostlint/targets/ssh/known_hosts.py): unknown, changed and revoked keys are
exit 3 before anything runs; hashed entries are trusted; a Vagrant-style config accepts
any key and writes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hostlint.keeper.identity import GLOBAL_KNOWN_HOSTS
from hostlint.status import RunResult
from hostlint.targets.base import Invocation
from hostlint.targets.ssh.connect import connect
from hostlint.targets.ssh.endpoint import resolve
from hostlint.targets.ssh.remote import SshTarget
from tests.ssh_helpers import marker_repo, run_on
from tests.sshd import SshServer
from tests.utils import hostlint


def host_key_fingerprint(server: SshServer) -> str:
    listing = subprocess.run(["ssh-keygen", "-l", "-f", str(server.host_key_pub)], capture_output=True,
                             text=True, check=True).stdout
    return listing.split()[1]


def test_unknown_host_key_is_3_with_the_fingerprint(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    fingerprint = host_key_fingerprint(sshd)
    assert fingerprint.startswith("SHA256:") and f" {fingerprint}" in result.stderr
    assert "is not known" in result.stderr and "ssh-keyscan -p" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_changed_host_key_is_3_and_loud(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    key_type, blob = other.with_suffix(".pub").read_text().split()[:2]
    (ssh_home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {key_type} {blob}\n")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert "HOST KEY CHANGED" in result.stderr and host_key_fingerprint(sshd) in result.stderr
    assert "known_hosts:1" in result.stderr and "ssh-keygen -R" in result.stderr
    assert not marker.exists()


def test_hashed_known_hosts_entries_are_trusted(ssh_home: Path, tmp_path: Path) -> None:
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    subprocess.run(["ssh-keygen", "-H", "-f", str(known_hosts)], check=True, capture_output=True)
    assert "|1|" in known_hosts.read_text()
    root, marker = marker_repo(tmp_path)
    assert hostlint("check", cwd=root).code == 0
    assert marker.exists()


def test_a_revoked_host_key_is_refused(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    key_type, blob = sshd.host_key_pub.read_text().split()[:2]
    known_hosts.write_text(known_hosts.read_text() + f"@revoked * {key_type} {blob}\n")
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3 and "REVOKED" in result.stderr
    assert not marker.exists()


def test_vagrant_style_config_accepts_any_host_key_and_writes_nothing(sshd: SshServer,
                                                                     ssh_home: Path) -> None:
    text = (f"Host default\n  HostName 127.0.0.1\n  User {sshd.user}\n  Port {sshd.port}\n"
            "  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  PasswordAuthentication no\n"
            f"  IdentityFile {sshd.client_key}\n  IdentitiesOnly yes\n  LogLevel FATAL\n")
    endpoint = resolve("default", environ=os.environ, ssh_config=text)
    assert not endpoint.check_host_key and endpoint.known_hosts == ("/dev/null", *GLOBAL_KNOWN_HOSTS)
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    connection = connect(endpoint, connect_timeout=10, alive_timeout=10)
    try:
        result, out = run_on(SshTarget(connection, root="/"), Invocation("echo vagrant"))
    finally:
        connection.close()
    assert (result, out) == (RunResult(0), b"vagrant\n")
    assert (ssh_home / ".ssh" / "known_hosts").read_text() == ""
