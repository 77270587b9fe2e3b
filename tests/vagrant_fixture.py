"""A fake Vagrant for hostlint's tests.

Load it with ``pytest_plugins = ["tests.vagrant_fixture"]`` in
``tests/conftest.py``.

* :func:`write_machine_record` lays out ``.vagrant/machines/<name>/<provider>/``
  the way ``vagrant up`` leaves it (formats: ``tests/fakes/VAGRANT_FORMATS.md``).
* The ``fake_vagrant`` fixture puts ``tests/fakes/vagrant`` first on ``PATH``
  and returns a :class:`FakeVagrant` that says which machines exist, in what
  state and where their sshd listens, and records every call.

Example::

    def test_x(tmp_path: Path, fake_vagrant: FakeVagrant, sshd: SshServer) -> None:
        write_machine_record(tmp_path)
        fake_vagrant.set_machine("default", port=sshd.port, identity_file=str(key))
        ...
        assert fake_vagrant.calls() == [["ssh-config", "default"]]
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "DEFAULT_MACHINE",
    "FAKE_VAGRANT",
    "FakeVagrant",
    "default_synced_folders",
    "fake_vagrant",
    "write_machine_record",
]

#: The fake ``vagrant`` executable.
FAKE_VAGRANT = Path(__file__).resolve().parent / "fakes" / "vagrant"

#: Fields :meth:`FakeVagrant.set_machine` gives a machine it has not seen yet.
DEFAULT_MACHINE: Mapping[str, Any] = {
    "state": "running",
    "provider": "virtualbox",
    "host": "127.0.0.1",
    "port": 2222,
    "user": "vagrant",
}

_VAGRANTFILE = """\
# Written by tests/vagrant_fixture.py.  The fake vagrant CLI only needs this
# file to exist (Vagrant looks for it to find the project root); the machines
# come from FAKE_VAGRANT_STATE.
Vagrant.configure("2") do |config|
  config.vm.box = "hashicorp/bionic64"
end
"""


def _ruby_json(data: object) -> str:
    """``JSON.dump`` as Ruby writes it: compact, UTF-8, no trailing newline."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_bytes(text.encode())
    path.chmod(mode)


def default_synced_folders(project: Path, provider: str = "virtualbox") -> dict[str, Any]:
    """The ``synced_folders`` record of a Vagrantfile that shares nothing itself.

    Vagrant adds ``config.vm.synced_folder ".", "/vagrant"`` and saves it
    under the implementation it picked (``virtualbox`` for VirtualBox,
    ``docker`` for docker, as the real CLI writes it; ``rsync`` is used here
    for every other provider) with ``hostpath`` expanded to the real absolute
    path of the project.
    """
    impl = provider if provider in ("virtualbox", "docker") else "rsync"
    folder: dict[str, Any] = {}
    if impl == "rsync":
        folder["type"] = "rsync"
    folder.update(
        guestpath="/vagrant",
        hostpath=os.path.realpath(project),
        disabled=False,
        __vagrantfile=True,
    )
    return {impl: {"/vagrant": folder}}


def write_machine_record(
    project: Path,
    name: str = "default",
    provider: str = "virtualbox",
    *,
    machine_id: str | None = None,
    synced_folders: dict[str, Any] | None = None,
    private_key: str | bytes | Path | None = None,
    provisioned: bool = True,
    vagrantfile: bool = True,
) -> Path:
    """Write ``project/.vagrant/machines/<name>/<provider>/`` like ``vagrant up``.

    Files (none ends with a newline, as Vagrant writes them):

    * ``id``: the provider's machine id; default a fresh VirtualBox-style
      UUID (a 64-hex-digit container id for ``docker``).
    * ``index_uuid``: 32 hex digits, the machine's key in
      ``~/.vagrant.d/data/machine-index/index`` (the index itself is not
      written).
    * ``creator_uid``: this process's uid.
    * ``vagrant_cwd``: the real path of ``project``.
    * ``action_set_name`` (VirtualBox only): a Unix timestamp.
    * ``action_provision`` if ``provisioned``: ``1.5:<id>``.
    * ``synced_folders``: ``synced_folders`` (already keyed by
      implementation, then by folder id) as compact JSON; default
      :func:`default_synced_folders`.
    * ``private_key`` (mode 0600) only if ``private_key`` is given: its text,
      or the bytes of the file it names when it is a :class:`~pathlib.Path`.

    With ``vagrantfile`` (the default) a minimal ``project/Vagrantfile`` is
    also written if there is none, since Vagrant (and the fake) finds the
    project by its Vagrantfile.  Returns the machine directory.
    """
    if machine_id is None:
        machine_id = secrets.token_hex(32) if provider == "docker" else str(uuid.uuid4())
    if synced_folders is None:
        synced_folders = default_synced_folders(project, provider)

    if vagrantfile and not (project / "Vagrantfile").exists():
        project.mkdir(parents=True, exist_ok=True)
        _write(project / "Vagrantfile", _VAGRANTFILE)

    machine_dir = project / ".vagrant" / "machines" / name / provider
    machine_dir.mkdir(parents=True, exist_ok=True)
    _write(machine_dir / "vagrant_cwd", os.path.realpath(project))
    if provider == "virtualbox":
        _write(machine_dir / "action_set_name", str(int(time.time())))
    _write(machine_dir / "id", machine_id)
    _write(machine_dir / "creator_uid", str(os.getuid()))
    _write(machine_dir / "index_uuid", uuid.uuid4().hex)
    _write(machine_dir / "synced_folders", _ruby_json(synced_folders))
    if provisioned:
        _write(machine_dir / "action_provision", f"1.5:{machine_id}")
    if private_key is not None:
        key_path = machine_dir / "private_key"
        if isinstance(private_key, Path):
            key_path.write_bytes(private_key.read_bytes())
        elif isinstance(private_key, bytes):
            key_path.write_bytes(private_key)
        else:
            key_path.write_text(private_key)
        key_path.chmod(0o600)
    return machine_dir


@dataclass
class FakeVagrant:
    """Handle on the fake ``vagrant`` that the ``fake_vagrant`` fixture installed."""

    bin_dir: Path
    state_file: Path
    log_file: Path

    @property
    def executable(self) -> Path:
        """The ``vagrant`` found first on ``PATH``."""
        return self.bin_dir / "vagrant"

    def state(self) -> dict[str, Any]:
        """The current contents of the state file."""
        if not self.state_file.exists():
            return {"machines": {}}
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        data.setdefault("machines", {})
        return data

    def _save(self, data: Mapping[str, Any]) -> None:
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.state_file)  # atomic: a running fake never sees half a file

    def set_machine(self, name: str, **fields: Any) -> None:
        """Create or update machine ``name`` (keys: see ``tests/fakes/vagrant``).

        A new machine starts from :data:`DEFAULT_MACHINE`; ``identity_file``
        may be a path or a list of paths.  Machines keep the order in which
        they were first set (the Vagrantfile order).
        """
        data = self.state()
        machine = data["machines"].get(name)
        if machine is None:
            machine = dict(DEFAULT_MACHINE)
        for key, value in fields.items():
            machine[key] = str(value) if isinstance(value, Path) else value
        data["machines"][name] = machine
        self._save(data)

    def remove_machine(self, name: str) -> None:
        """Forget machine ``name``."""
        data = self.state()
        data["machines"].pop(name, None)
        self._save(data)

    def set_option(self, key: str, value: Any) -> None:
        """Set a top-level state key (``delay``, ``version``, ...)."""
        data = self.state()
        data[key] = value
        self._save(data)

    def set_delay(self, seconds: float) -> None:
        """How long each call sleeps, standing in for Ruby's start-up time."""
        self.set_option("delay", seconds)

    def call_records(self) -> list[dict[str, Any]]:
        """Every logged call: ``{"argv", "exe", "cwd", "time", "pid"}``."""
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def calls(self) -> list[list[str]]:
        """The arguments (without the program name) of every call, in order."""
        return [list(record["argv"]) for record in self.call_records()]

    def clear_calls(self) -> None:
        """Empty the call log."""
        self.log_file.write_text("")


@pytest.fixture
def fake_vagrant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeVagrant:
    """Put the fake ``vagrant`` first on ``PATH`` (no machines, 0.3 s delay).

    ``VAGRANT_HOME`` points into ``tmp_path`` and ``VAGRANT_CWD``,
    ``VAGRANT_VAGRANTFILE`` and ``VAGRANT_DOTFILE_PATH`` are unset.
    """
    root = tmp_path / "fake-vagrant"
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    exe = bin_dir / "vagrant"
    if os.access(FAKE_VAGRANT, os.X_OK):
        exe.symlink_to(FAKE_VAGRANT)
    else:  # e.g. a checkout that lost the executable bit
        shutil.copyfile(FAKE_VAGRANT, exe)
        exe.chmod(0o755)

    fake = FakeVagrant(
        bin_dir=bin_dir,
        state_file=root / "state.json",
        log_file=root / "calls.jsonl",
    )
    fake._save({"machines": {}, "delay": 0.3})
    fake.log_file.write_text("")

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    monkeypatch.setenv("FAKE_VAGRANT_STATE", str(fake.state_file))
    monkeypatch.setenv("FAKE_VAGRANT_LOG", str(fake.log_file))
    # Keep the real user's Vagrant settings out of the fake's answers.
    for var in ("VAGRANT_CWD", "VAGRANT_VAGRANTFILE", "VAGRANT_DOTFILE_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("VAGRANT_HOME", str(root / "vagrant.d"))
    return fake
