"""Reaching a host (hostlint/targets/ssh/connect.py): refused, dropped, unresolvable and
silent hosts are exit 3 within the connect timeout; ProxyJump and ProxyCommand reach the
host through another."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ssh_helpers import accepted, marker_repo, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import hostlint


def test_closed_port_is_3_within_the_timeout(ssh_home: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host=f"127.0.0.1:{port}", connect_timeout="3")
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert time.monotonic() - started < 3
    assert f"connection to 127.0.0.1 port {port} refused" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def test_a_host_that_drops_connections_is_3_within_the_connect_timeout(ssh_home: Path,
                                                                      tmp_path: Path) -> None:
    with socket.socket() as full, socket.socket() as pending:
        full.bind(("127.0.0.1", 0))
        full.listen(0)  # one unaccepted connection fills the queue: later SYNs are dropped
        pending.connect(full.getsockname())
        port = full.getsockname()[1]
        root = ssh_repo(tmp_path, "true", "a.py", host=f"127.0.0.1:{port}", connect_timeout="1")
        started = time.monotonic()
        result = hostlint("check", cwd=root)
        elapsed = time.monotonic() - started
    assert result.code == 3
    assert 0.9 < elapsed < 3
    assert f"connection to 127.0.0.1 port {port} timed out after 1 s" in result.stderr


def test_a_name_that_does_not_resolve_is_3(ssh_home: Path, tmp_path: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text() + "\nHost nowhere\n    HostName nowhere.invalid\n")
    root = ssh_repo(tmp_path, "true", "a.py", host="nowhere")
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert "cannot resolve host name 'nowhere.invalid' (for nowhere)" in result.stderr


def test_a_server_that_never_answers_is_3_within_the_connect_timeout(
        private: Callable[..., SshServer], tmp_path: Path) -> None:
    server = private()
    root, marker = marker_repo(tmp_path, connect_timeout="2")
    server.freeze()  # the kernel still accepts the TCP connection; no SSH banner comes
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    elapsed = time.monotonic() - started
    assert result.code == 3, result.stderr
    assert 1.5 < elapsed < 4
    assert "did not answer as an SSH server within 2 s" in result.stderr
    assert not marker.exists()


def proxied_home(server: SshServer, home: Path, proxy: str) -> None:
    """``Host via`` reaches ``server`` through ``proxy`` (a ProxyJump or ProxyCommand line)."""
    block = server.ssh_config_block(home)
    via = block.replace(f"Host {ALIAS}\n", "Host via\n").replace("    HostName 127.0.0.1\n",
                                                                 "    HostName localhost\n")
    (home / ".ssh" / "config").write_text(via.rstrip("\n") + f"\n    {proxy}\n\n" + block)
    known_hosts = home / ".ssh" / "known_hosts"
    known_hosts.write_text(known_hosts.read_text() + server.known_hosts_line.replace("127.0.0.1", "localhost")
                           + "\n")


@pytest.mark.parametrize("proxy", ["ProxyJump hostlint-test",
                                   "ProxyCommand ssh -F {config} -W %h:%p hostlint-test"])
def test_proxies_reach_the_host_through_another(private: Callable[..., SshServer], tmp_path: Path,
                                                 proxy: str) -> None:
    server = private()
    home = Path(os.environ["HOME"])
    proxied_home(server, home, proxy.format(config=home / ".ssh" / "config"))
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host="via")
    before = accepted(server)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert marker.exists()
    assert accepted(server) - before == 2  # the jump (or -W) connection, then the target through it
