"""Tests of the fake vagrant CLI (tests/fakes/vagrant) and tests/vagrant_fixture.py.

They check the fake against python-vagrant, the library hostlint drives
Vagrant with, and against the exact bytes Vagrant 2.4 prints
(tests/fakes/VAGRANT_FORMATS.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import vagrant

from tests.vagrant_fixture import FakeVagrant, write_machine_record

# python-vagrant ships py.typed but no annotations; go through Any for mypy --strict.
VagrantCls: Any = vagrant.Vagrant

RUNNING_LONG = (
    "The VM is running. To stop this VM%!(VAGRANT_COMMA) you can run `vagrant halt` to\\n"
    "shut it down forcefully%!(VAGRANT_COMMA) or you can run `vagrant suspend` to simply\\n"
    "suspend the virtual machine. In either case%!(VAGRANT_COMMA) to restart it again"
    "%!(VAGRANT_COMMA)\\nsimply run `vagrant up`."
)
SSH_NOT_READY = (
    "The provider for this Vagrant-managed machine is reporting that it\n"
    "is not yet ready for SSH. Depending on your provider this can carry\n"
    "different meanings. Make sure your machine is created and running and\n"
    "try again. Additionally, check the output of `vagrant status` to verify\n"
    "that the machine is in the state that you expect. If you continue to\n"
    "get this error message, please view the documentation for the provider\n"
    "you're using.\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    write_machine_record(path)
    return path


@pytest.fixture
def fake(fake_vagrant: FakeVagrant) -> FakeVagrant:
    """The fake without the start-up delay, for tests that do not time it."""
    fake_vagrant.set_delay(0)
    return fake_vagrant


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["vagrant", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def _strip_timestamps(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    for line in lines:
        assert re.match(r"^\d{10},", line), line
    return [line.split(",", 1)[1] for line in lines]


# --- python-vagrant against the fake -------------------------------------------------


def test_python_vagrant_finds_the_fake(fake: FakeVagrant, project: Path) -> None:
    v = VagrantCls(root=str(project))
    assert v.version() == "2.4.1"
    assert Path(v._vagrant_exe) == fake.executable
    assert fake.calls() == [["--version"]]


def test_python_vagrant_parses_ssh_config(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default", user="root", port=40022, identity_file="/keys/id_ed25519")
    v = VagrantCls(root=str(project))

    conf = v.conf(vm_name="default")

    assert conf == {
        "Host": "default",
        "HostName": "127.0.0.1",
        "User": "root",
        "Port": "40022",
        "UserKnownHostsFile": "/dev/null",
        "StrictHostKeyChecking": "no",
        "PasswordAuthentication": "no",
        "IdentityFile": "/keys/id_ed25519",
        "IdentitiesOnly": "yes",
        "LogLevel": "FATAL",
        "PubkeyAcceptedKeyTypes": "+ssh-rsa",
        "HostKeyAlgorithms": "+ssh-rsa",
    }
    assert v.user_hostname_port(vm_name="default") == "root@127.0.0.1:40022"
    assert v.keyfile(vm_name="default") == "/keys/id_ed25519"
    # python-vagrant caches the parsed config per Vagrant object: one CLI call.
    assert fake.calls() == [["ssh-config", "default"]]
    assert fake.call_records()[0]["cwd"] == str(project)


def test_python_vagrant_ssh_config_fails_when_not_running(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default", state="poweroff")
    with pytest.raises(subprocess.CalledProcessError) as info:
        VagrantCls(root=str(project)).conf(vm_name="default")
    assert info.value.returncode == 1
    assert info.value.cmd[1:] == ["ssh-config", "default"]


@pytest.mark.parametrize("state", ["running", "poweroff", "saved", "aborted", "not_created"])
def test_python_vagrant_parses_status(fake: FakeVagrant, project: Path, state: str) -> None:
    fake.set_machine("default", state=state)
    statuses = VagrantCls(root=str(project)).status()
    assert [tuple(s) for s in statuses] == [("default", state, "virtualbox")]
    assert fake.calls() == [["status", "--machine-readable"]]


def test_python_vagrant_status_multi_machine(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("web", state="running")
    fake.set_machine("db", state="poweroff", provider="libvirt")
    v = VagrantCls(root=str(project))
    assert [tuple(s) for s in v.status()] == [
        ("web", "running", "virtualbox"),
        ("db", "poweroff", "libvirt"),
    ]
    assert [tuple(s) for s in v.status(vm_name="db")] == [("db", "poweroff", "libvirt")]
    assert fake.calls() == [
        ["status", "--machine-readable"],
        ["status", "--machine-readable", "db"],
    ]


# --- exact output -----------------------------------------------------------------


def test_ssh_config_bytes(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default", port=2200, identity_file="/home/u/my keys/id")
    result = _run(project, "ssh-config")
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout == (
        "Host default\n"
        "  HostName 127.0.0.1\n"
        "  User vagrant\n"
        "  Port 2200\n"
        "  UserKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking no\n"
        "  PasswordAuthentication no\n"
        '  IdentityFile "/home/u/my keys/id"\n'
        "  IdentitiesOnly yes\n"
        "  LogLevel FATAL\n"
        "  PubkeyAcceptedKeyTypes +ssh-rsa\n"
        "  HostKeyAlgorithms +ssh-rsa\n"
        "\n"
    )


def test_ssh_config_default_identity_is_the_machine_key(fake: FakeVagrant, tmp_path: Path) -> None:
    project = tmp_path / "p"
    machine_dir = write_machine_record(project, private_key="KEY")
    fake.set_machine("default")
    out = _run(project, "ssh-config", "--host", "box").stdout
    assert out.startswith("Host box\n")
    assert f"  IdentityFile {machine_dir / 'private_key'}\n" in out


def test_ssh_config_optional_lines(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine(
        "default",
        identity_file=["/a", "/b"],
        keys_only=False,
        verify_host_key=True,
        disable_deprecated_algorithms=True,
        forward_agent=True,
    )
    assert _run(project, "ssh-config").stdout == (
        "Host default\n"
        "  HostName 127.0.0.1\n"
        "  User vagrant\n"
        "  Port 2222\n"
        "  PasswordAuthentication no\n"
        "  IdentityFile /a\n"
        "  IdentityFile /b\n"
        "  LogLevel FATAL\n"
        "  ForwardAgent yes\n"
        "\n"
    )


def test_ssh_config_not_running(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default", state="saved")
    result = _run(project, "ssh-config", "default")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", SSH_NOT_READY)


def test_ssh_config_multi_machine(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("web", port=2222)
    fake.set_machine("db", port=2200)
    result = _run(project, "ssh-config")
    assert result.returncode == 0
    hosts = [block.splitlines()[0] for block in result.stdout.split("\n\n") if block]
    assert hosts == ["Host web", "Host db"]
    assert result.stdout.endswith("HostKeyAlgorithms +ssh-rsa\n\n")

    fake.set_machine("db", state="poweroff")
    result = _run(project, "ssh-config")
    assert result.returncode == 1
    assert result.stdout.startswith("Host web\n")  # printed before db failed
    assert result.stderr == SSH_NOT_READY

    fake.set_option("ssh_config_single_target", True)
    result = _run(project, "ssh-config")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "This command requires a specific VM name to target in a multi-VM environment.\n"
    )


def test_status_machine_readable_bytes(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default")
    result = _run(project, "status", "--machine-readable", "default")
    assert result.returncode == 0
    assert _strip_timestamps(result.stdout) == [
        "default,metadata,provider,virtualbox",
        "default,provider-name,virtualbox",
        "default,state,running",
        "default,state-human-short,running",
        f"default,state-human-long,{RUNNING_LONG}",
        ",ui,info,Current machine states:\\n\\ndefault                   running (virtualbox)"
        f"\\n\\n{RUNNING_LONG}",
    ]


def test_status_human(fake: FakeVagrant, project: Path) -> None:
    fake.set_machine("default", state="not_created")
    fake.set_machine("a-rather-long-machine-name-here", state="poweroff")
    result = _run(project, "status")
    assert result.returncode == 0
    assert result.stdout == (
        "Current machine states:\n"
        "\n"
        "default                         not created (virtualbox)\n"
        "a-rather-long-machine-name-here poweroff (virtualbox)\n"
        "\n"
        "This environment represents multiple VMs. The VMs are all listed\n"
        "above with their current state. For more information about a specific\n"
        "VM, run `vagrant status NAME`.\n"
    )


def test_machine_readable_errors(fake: FakeVagrant, project: Path) -> None:
    result = _run(project, "status", "--machine-readable", "api")
    assert (result.returncode, result.stderr) == (1, "")
    message = (
        "The machine with the name 'api' was not found configured for\\nthis Vagrant environment."
    )
    assert _strip_timestamps(result.stdout) == [
        f",ui,error,{message}",
        f",error-exit,Vagrant::Errors::MachineNotFound,{message}",
    ]


def test_no_vagrantfile(fake: FakeVagrant, tmp_path: Path) -> None:
    result = _run(tmp_path, "ssh-config")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "A Vagrant environment or target machine is required to run this\n"
    )
    assert _run(tmp_path, "--version").stdout == "Vagrant 2.4.1\n"


def test_unknown_subcommand(fake: FakeVagrant, project: Path) -> None:
    result = _run(project, "up")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "unsupported subcommand 'up'" in result.stderr


def test_delay_and_log(fake_vagrant: FakeVagrant, project: Path) -> None:
    start = time.monotonic()
    assert _run(project / ".vagrant", "--version").returncode == 0
    assert time.monotonic() - start >= 0.3
    (record,) = fake_vagrant.call_records()
    assert record["argv"] == ["--version"]
    assert record["cwd"] == str(project / ".vagrant")
    fake_vagrant.clear_calls()
    assert fake_vagrant.calls() == []


# --- write_machine_record ----------------------------------------------------------


def test_machine_record_layout(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    machine_dir = write_machine_record(project, machine_id="0b2c4a8e-1f3d-4e5a-9b7c-6d8e0f1a2b3c")
    assert machine_dir == project / ".vagrant" / "machines" / "default" / "virtualbox"
    assert sorted(p.name for p in machine_dir.iterdir()) == [
        "action_provision",
        "action_set_name",
        "creator_uid",
        "id",
        "index_uuid",
        "synced_folders",
        "vagrant_cwd",
    ]
    read = {p.name: p.read_bytes().decode() for p in machine_dir.iterdir()}
    assert all(not text.endswith("\n") for text in read.values())
    assert read["id"] == "0b2c4a8e-1f3d-4e5a-9b7c-6d8e0f1a2b3c"
    assert read["action_provision"] == "1.5:0b2c4a8e-1f3d-4e5a-9b7c-6d8e0f1a2b3c"
    assert read["creator_uid"] == str(os.getuid())
    assert re.fullmatch(r"[0-9a-f]{32}", read["index_uuid"])
    assert read["vagrant_cwd"] == os.path.realpath(project)
    assert read["synced_folders"] == (
        '{"virtualbox":{"/vagrant":{"guestpath":"/vagrant","hostpath":'
        + json.dumps(os.path.realpath(project))
        + ',"disabled":false,"__vagrantfile":true}}}'
    )
    assert (project / "Vagrantfile").is_file()


def test_machine_record_options(tmp_path: Path) -> None:
    folders = {"rsync": {"/srv": {"type": "rsync", "guestpath": "/srv", "hostpath": "/x"}}}
    machine_dir = write_machine_record(
        tmp_path,
        "web",
        "libvirt",
        synced_folders=folders,
        private_key=b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
        provisioned=False,
        vagrantfile=False,
    )
    assert machine_dir == tmp_path / ".vagrant" / "machines" / "web" / "libvirt"
    uuid.UUID((machine_dir / "id").read_text())
    assert not (machine_dir / "action_provision").exists()
    assert not (machine_dir / "action_set_name").exists()
    assert json.loads((machine_dir / "synced_folders").read_text()) == folders
    assert (machine_dir / "private_key").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "Vagrantfile").exists()
