"""Tests of the private docker engine fixture itself (tests/engine.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests import engine as engine_mod
from tests.engine import Containers, Engine
from tests.utils import eventually


def test_daemon_is_private(engine: Engine) -> None:
    assert engine.is_running()
    assert engine.environ() == {"DOCKER_HOST": f"unix://{engine.workdir}/docker.sock"}
    assert len(engine.docker_host) < 100  # unix socket paths are limited to ~104 bytes
    info = engine.docker("info", "--format", "{{.DockerRootDir}} {{.Driver}}").stdout.split()
    assert info[0] == str(engine.data_root)
    # Its own bridge, with the gateway address on it; nothing else on this machine uses it.
    bridge = engine.docker("network", "inspect", "bridge", "--format",
                           '{{index .Options "com.docker.network.bridge.name"}}').stdout.strip()
    assert bridge == engine.bridge
    addresses = subprocess.run([engine_mod.IP, "-4", "-o", "addr", "show", "dev", engine.bridge],
                               capture_output=True, text=True, check=True).stdout
    assert f"inet {engine.gateway}/24" in addresses


def test_network_none_container_runs_python(engine: Engine, dev_image: str,
                                            containers: Containers) -> None:
    container = containers.run(dev_image, "sleep", "infinity")
    assert engine.docker("inspect", "-f", "{{.HostConfig.NetworkMode}} {{.State.Running}}",
                         container).stdout.split() == ["none", "true"]
    result = engine.docker("exec", container, "python3", "-c", "print(1)")
    assert result.stdout == "1\n"
    assert engine.docker("exec", container, "ps", "-o", "comm=", "-p", "1").stdout == "sleep\n"


def _banner(host: str) -> bool:
    try:
        with socket.create_connection((host, 22), timeout=1) as conn:
            conn.settimeout(1)
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def test_guest_sshd_accepts_vagrant_insecure_key(engine: Engine, guest_image: str,
                                                 containers: Containers, tmp_path: Path) -> None:
    container = containers.run(guest_image, args=())  # its own command: sshd -D -e
    address = engine.container_ip(container)
    assert address.rsplit(".", 1)[0] == engine.gateway.rsplit(".", 1)[0]  # on our bridge
    assert eventually(lambda: _banner(address), 15), engine.docker("logs", container).stderr
    key = tmp_path / "insecure_key"
    shutil.copyfile(engine_mod.VAGRANT_INSECURE_KEY, key)
    key.chmod(0o600)
    result = subprocess.run(
        ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", f"vagrant@{address}",
         "sudo -n id -u && python3 -c 'print(1)' && id -un"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0\n1\nvagrant\n"


def test_stale_daemon_of_a_dead_session_is_swept() -> None:
    if engine_mod.engine_unavailable():
        pytest.skip(engine_mod.engine_unavailable() or "")
    stale = engine_mod.start_engine()
    try:
        # Make it look like the daemon of a session that was SIGKILLed.
        dead = subprocess.Popen(["true"])
        dead.wait()
        (stale.workdir / "owner").write_text(f"{dead.pid} 1\n")
        containerd = [pid for pid in engine_mod._pids_naming(str(stale.workdir) + "/")
                      if pid != stale.pid]
        assert containerd  # the managed containerd names our directory too

        engine_mod._sweep_stale()

        assert stale.process.wait(5) is not None
        assert eventually(lambda: not engine_mod._pids_naming(str(stale.workdir) + "/"), 10)
        assert not stale.workdir.exists()
        links = subprocess.run([engine_mod.IP, "-o", "link", "show"], capture_output=True,
                               text=True, check=True).stdout
        assert f" {stale.bridge}:" not in links
    finally:
        stale.stop()


def test_apt_mirror_from_both_source_formats(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb deb-src\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\n")
    assert engine_mod.apt_mirror("bookworm", tmp_path) == "http://mirror.invalid/debian"
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://old.invalid/debian bookworm main\n")
    assert engine_mod.apt_mirror("bookworm", tmp_path) == "http://old.invalid/debian"
    with pytest.raises(RuntimeError, match="no apt source for 'trixie'"):
        engine_mod.apt_mirror("trixie", tmp_path)


def test_missing_dockerd_skips_or_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(engine_mod, "DOCKERD", tmp_path / "no-dockerd")
    reason = engine_mod.engine_unavailable()
    assert reason is not None and "install docker.io" in reason
    monkeypatch.delenv(engine_mod.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception):
        engine_mod._unavailable(reason)
    monkeypatch.setenv(engine_mod.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=r"docker\.io \(HOSTLINT_REQUIRE_DOCKER=1\)"):
        engine_mod._unavailable(reason)
