"""Reaching a host (hostlint/targets/ssh/connect.py): refused, dropped, unresolvable and
silent hosts are exit 3 within the connect timeout; ProxyJump and ProxyCommand reach the
host through another."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ssh_helpers import accepted, marker_repo, popen_check, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import (
    PYTHON,
    child_env,
    eventually,
    gone_within,
    hostlint,
    hostlint_argv,
    with_descriptors,
)


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


def test_a_proxy_command_with_1100_inherited_descriptors(private: Callable[..., SshServer],
                                                         tmp_path: Path) -> None:
    """paramiko's own ProxyCommand class waits with ``select()``: past descriptor 1,023 that
    was exit 3 ("did not answer as an SSH server"). The ProxyCommand runs over a socket pair."""
    server = private()
    home = Path(os.environ["HOME"])
    proxied_home(server, home, f"ProxyCommand ssh -F {home / '.ssh' / 'config'} -W %h:%p {ALIAS}")
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host="via", persist="0")
    proc = subprocess.run(with_descriptors(hostlint_argv("check"), hold=1100), cwd=root,
                          capture_output=True, stdin=subprocess.DEVNULL, env=child_env(),
                          timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert marker.exists()


#: A ProxyCommand that relays stdin/stdout to ``%h %p`` (no netcat needed).
RELAY = (f"{PYTHON} -c \"import os, socket, sys, threading; "
         "s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); "
         "threading.Thread(target=lambda: [os.write(1, d) for d in iter(lambda: s.recv(65536), b'')], "
         "daemon=True).start(); [s.sendall(d) for d in iter(lambda: os.read(0, 65536), b'')]\" %h %p")


def test_a_relaying_proxy_command_reaches_the_host(private: Callable[..., SshServer], tmp_path: Path) -> None:
    server = private()
    home = Path(os.environ["HOME"])
    proxied_home(server, home, f"ProxyCommand {RELAY}")
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", host="via")
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert marker.exists()


def test_a_proxy_command_that_exits_at_once_is_3_at_once_with_its_stderr(
        ssh_home: Path, tmp_path: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    failing = f"{PYTHON} -c \"import sys; sys.exit('proxy: no route to %h')\""
    config.write_text(config.read_text() + f"    ProxyCommand {failing}\n")
    root, marker = marker_repo(tmp_path, connect_timeout="10")
    started = time.monotonic()
    result = hostlint("check", cwd=root)
    assert result.code == 3, result.stderr
    assert time.monotonic() - started < 3
    assert "ProxyCommand" in result.stderr and "proxy: no route to 127.0.0.1" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_while_connecting_stops_the_proxy_command_and_exits_with_its_code(
        ssh_home: Path, tmp_path: Path, signum: int, code: int) -> None:
    pid_file = tmp_path / "proxy.pid"
    silent = (f"{PYTHON} -c \"import os, time; open('{pid_file}', 'w').write(str(os.getpid())); "
              "time.sleep(60)\"")
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text() + f"    ProxyCommand {silent}\n")
    # persist = 0: the check connects itself (through a warm connection, the ProxyCommand is
    # the keeper's, which gives up after connect_timeout)
    root, _ = marker_repo(tmp_path, connect_timeout="30", persist="0")
    proc = popen_check(root)
    try:
        assert eventually(lambda: pid_file.exists() and pid_file.read_text() != "", 20)
        proxy_pid = int(pid_file.read_text())
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == code
        assert gone_within(proxy_pid, 3)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_proxy_jump_loop_is_3_with_one_line(ssh_home: Path, tmp_path: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text() + "\nHost loop-a\n    ProxyJump loop-b\n"
                      "Host loop-b\n    ProxyJump loop-a\n")
    root, marker = marker_repo(tmp_path)
    root = ssh_repo(tmp_path / "loop", f"touch {marker}", "a.py", host="loop-a")
    result = hostlint("check", cwd=root)
    assert result.code == 3, result.stderr
    assert "ProxyJump loops: loop-a -> loop-b -> loop-a" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()
