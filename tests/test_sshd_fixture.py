"""Tests of the sshd fixture itself (tests/sshd.py)."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from tests import sshd as sshd_mod
from tests.sshd import SshdFactory, SshServer


def _ssh(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(home / ".ssh" / "config"), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _connect(server: SshServer, known_hosts: Path | None = None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if known_hosts is None:
        known_hosts = server.workdir / "known_hosts.for-paramiko"
        known_hosts.write_text(server.known_hosts_line + "\n")
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        server.host,
        server.port,
        username=server.user,
        key_filename=str(server.client_key),
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client


def _ppid(pid: int) -> int:
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return int(data[data.rfind(b")") + 2 :].split()[1])


def _state(pid: int) -> str:
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return data[data.rfind(b")") + 2 :].split()[0].decode()


def test_openssh_client_via_ssh_home(sshd: SshServer, ssh_home: Path) -> None:
    assert os.environ["HOME"] == str(ssh_home)
    assert (ssh_home / ".ssh" / "known_hosts").read_text() == sshd.known_hosts_line + "\n"
    assert sshd.known_hosts_line.startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 AAAA")

    result = _ssh(ssh_home, "hostlint-test", "echo ok; pwd")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok\n{pwd.getpwnam(sshd.user).pw_dir}\n"

    tty = _ssh(ssh_home, "-tt", "hostlint-test", "echo ok; tty")
    assert tty.returncode == 0, tty.stderr
    lines = tty.stdout.splitlines()  # a pty turns \n into \r\n
    assert lines[0] == "ok"
    assert lines[1].startswith("/dev/pts/")


def test_sessions_do_not_read_the_accounts_bashrc(sshd: SshServer, ssh_home: Path) -> None:
    """bash sources ~/.bashrc before a command sshd runs only as a top-level shell; the
    fixtures' servers pass SHLVL=1, so the remote bash is at level 2 and skips it (see the
    ~/.bashrc note in tests/sshd.py)."""
    if Path(pwd.getpwnam(sshd.user).pw_shell).name != "bash":
        pytest.skip(f"the account {sshd.user}'s login shell is not bash")
    result = _ssh(ssh_home, "hostlint-test", 'echo "$SHLVL"')
    assert (result.returncode, result.stdout) == (0, "2\n"), result.stderr


def test_unknown_host_key_is_rejected(sshd: SshServer, tmp_path: Path) -> None:
    home = tmp_path / "strict-home"
    sshd.write_client_home(home, known_hosts=False)
    assert (home / ".ssh" / "known_hosts").read_text() == ""
    result = _ssh(home, "hostlint-test", "true")
    assert result.returncode == 255
    assert "Host key verification failed" in result.stderr


def test_paramiko_exec(sshd: SshServer, ssh_home: Path) -> None:
    client = _connect(sshd, ssh_home / ".ssh" / "known_hosts")
    try:
        _, stdout, _ = client.exec_command("echo hi")
        assert stdout.read() == b"hi\n"
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_max_sessions(sshd_factory: SshdFactory) -> None:
    server = sshd_factory(max_sessions=1)
    client = _connect(server)
    try:
        transport = client.get_transport()
        assert transport is not None
        first = transport.open_session()
        first.exec_command("sleep 30.5")
        server.wait_for_process("sleep 30.5")
        with pytest.raises(paramiko.ChannelException):
            transport.open_session(timeout=5)
    finally:
        client.close()


def test_freeze_and_thaw(sshd_factory: SshdFactory) -> None:
    server = sshd_factory()
    client = _connect(server)
    try:
        transport = client.get_transport()
        assert transport is not None
        channel = transport.open_session()
        channel.exec_command("echo ready; read line; echo got:$line")
        channel.settimeout(10.0)
        assert channel.recv(100) == b"ready\n"  # ~/.bashrc is done: safe to freeze
        assert server.descendants()  # per-connection sshd + the shell

        server.freeze()
        assert server.frozen
        assert {_state(pid) for pid in [server.pid, *server.descendants()]} == {"T"}
        channel.sendall(b"x\n")
        channel.settimeout(1.0)
        with pytest.raises(socket.timeout):
            channel.recv(100)
        # The kernel still completes new TCP handshakes, but no banner comes.
        with socket.create_connection((server.host, server.port), timeout=5) as raw:
            raw.settimeout(0.5)
            with pytest.raises(socket.timeout):
                raw.recv(100)

        server.thaw()
        assert not server.frozen
        channel.settimeout(10.0)
        output = b""
        while not output.endswith(b"\n"):
            chunk = channel.recv(100)
            if not chunk:
                break
            output += chunk
        assert output == b"got:x\n"
        assert channel.recv_exit_status() == 0
    finally:
        client.close()


@pytest.mark.parametrize("how", ["kill", "stop", "kill-frozen", "stop-frozen"])
def test_kill_and_stop_leave_nothing_behind(sshd_factory: SshdFactory, how: str) -> None:
    server = sshd_factory()
    client = _connect(server)
    tag = f"{os.getpid() % 1000:03d}{time.monotonic_ns() % 1000:03d}"  # sleep 301.<tag>
    try:
        # An orphan: its session ends at once, the sleep is re-parented to the
        # listener (a child subreaper), not to PID 1.
        _, out, _ = client.exec_command(f"nohup sleep 301.{tag} >/dev/null 2>&1 &")
        assert out.channel.recv_exit_status() == 0
        orphan = server.wait_for_process(f"sleep 301.{tag}")
        assert _ppid(orphan) == server.pid
        for n in (302, 303):
            client.exec_command(f"sleep {n}.{tag}")
        # Don't interrupt ~/.bashrc (pyenv rehash lock): wait for the commands.
        server.wait_for_process(f"sleep 302.{tag}")
        server.wait_for_process(f"sleep 303.{tag}")
        pids = [server.pid, *server.descendants()]
        assert len(pids) >= 5, pids  # listener, per-connection sshd, orphan, two sleeps

        if how.endswith("-frozen"):
            server.freeze()
        if how.startswith("kill"):
            server.kill()
        else:
            server.stop()

        assert server.process.returncode is not None
        assert not server.is_running()
        assert server.descendants() == []
        # Gone for good: not even zombies are left.
        assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []
        server.stop()  # idempotent
    finally:
        client.close()


def test_bad_extra_config_is_reported(tmp_path: Path) -> None:
    if not sshd_mod.sshd_available():
        pytest.skip("no sshd")
    with pytest.raises(RuntimeError, match="NoSuchOption"):
        sshd_mod.start_sshd(tmp_path / "bad", extra_config="NoSuchOption yes")


def test_missing_sshd_skips_or_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sshd_mod, "SSHD_BINARY", tmp_path / "no-sshd")
    monkeypatch.delenv(sshd_mod.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception):
        sshd_mod._require_sshd()
    monkeypatch.setenv(sshd_mod.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="openssh-server"):
        sshd_mod._require_sshd()
