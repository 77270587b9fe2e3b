"""Where to connect (hostlint/targets/ssh/endpoint.py): aliases, ``[user@]host[:port]``
and ``Include`` in ~/.ssh/config."""

from __future__ import annotations

import os
from pathlib import Path

from hostlint.targets.ssh.endpoint import parse_spec, resolve
from tests.sshd import ALIAS, SshServer


def test_resolve_reads_the_alias_and_spec_overrides(sshd: SshServer, ssh_home: Path) -> None:
    endpoint = resolve(ALIAS, environ=os.environ)
    assert (endpoint.host, endpoint.port, endpoint.user) == ("127.0.0.1", sshd.port, sshd.user)
    assert endpoint.identity_files == (str(sshd.client_key),)
    assert endpoint.identities_only and endpoint.check_host_key
    assert endpoint.known_hosts[0] == str(ssh_home / ".ssh" / "known_hosts")
    assert endpoint.known_hosts_name == f"[127.0.0.1]:{sshd.port}"
    other = resolve(f"someone@{ALIAS}:2222", environ=os.environ)
    assert (other.host, other.port, other.user) == ("127.0.0.1", 2222, "someone")
    plain = resolve("example.invalid", environ=os.environ)
    assert (plain.host, plain.port, plain.known_hosts_name) == ("example.invalid", 22, "example.invalid")
    assert parse_spec("u@[::1]:2200") == ("u", "::1", 2200)


def test_resolve_follows_include(sshd: SshServer, ssh_home: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    (ssh_home / ".ssh" / "conf.d").mkdir()
    (ssh_home / ".ssh" / "conf.d" / "test.conf").write_text(config.read_text())
    config.write_text("Include conf.d/*.conf\n")
    assert resolve(ALIAS, environ=os.environ).port == sshd.port
