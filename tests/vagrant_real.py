"""Real Vagrant for hostlint's tests: Debian's ``vagrant`` with its docker provider, on the
session's private ``dockerd`` (tests/engine.py), guests from its locally built Vagrant
guest image (openssh-server, python3, sudo, a ``vagrant`` user with Vagrant's insecure key).

Load it with ``pytest_plugins = [..., "tests.engine", "tests.vagrant_real"]``.

Fixtures:

* ``vagrant_home`` (session scope): a :class:`VagrantSetup`: the engine, the guest image's
  tag, and the environment every ``vagrant`` call gets (``DOCKER_HOST`` of the private
  engine, ``VAGRANT_HOME`` in the session's temporary directory so the real home is never
  touched, no update checks). No box or plugin is ever downloaded: the docker provider
  runs the image directly.
* ``vagrant_machine`` (session scope): a :class:`VagrantProject` with one machine,
  ``default``, brought up with ``vagrant up --provider=docker`` at first use and destroyed
  at the end of the session. Its project directory is synced to ``/srv/proj`` in the
  guest; tests make their repositories in it (:meth:`VagrantProject.repo`). Tests may
  halt, destroy or reload it: :meth:`VagrantProject.running` brings it back.
* ``vagrant_pair`` (session scope): a project with two machines, ``web`` and ``db``.
* ``vagrant_calls`` (function scope): puts a ``vagrant`` wrapper first on ``PATH`` that logs
  each call and execs the real one, and sets the session's Vagrant environment in
  ``os.environ`` (conftest clears ``DOCKER_HOST`` for every test); returns
  :class:`VagrantCalls`.

If Vagrant is not installed, or no private engine or guest image can be had, the fixtures
skip the test, unless ``HOSTLINT_REQUIRE_VAGRANT=1`` is set, in which case they fail.

Teardown removes only what the session created: ``vagrant destroy -f`` for each project,
then ``docker rm -f`` of any container id this module saw in a machine record and that is
still there.

Costs here (2 cores, loaded): ``vagrant up`` of a new container ~20 s, of a halted one
~10 s, ``vagrant halt`` ~10 s, each ``vagrant`` call 1.5-5 s (Ruby start-up).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from tests.engine import BUILD_TIMEOUT, GUEST_RECIPE, Engine, is_cached
from tests.utils import make_repo

__all__ = [
    "GUEST_ROOT",
    "REQUIRE_ENV",
    "VAGRANT",
    "VagrantCalls",
    "VagrantProject",
    "VagrantSetup",
    "counting_wrapper",
    "new_project",
    "vagrant_calls",
    "vagrant_home",
    "vagrant_machine",
    "vagrant_pair",
]

REQUIRE_ENV = "HOSTLINT_REQUIRE_VAGRANT"
VAGRANT = Path("/usr/bin/vagrant")
#: Where each project's directory is synced in its guests.
GUEST_ROOT = "/srv/proj"
_TIMEOUT = 300


def _unavailable(reason: str) -> NoReturn:
    msg = f"no real Vagrant: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{msg} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class VagrantSetup:
    """What every project of the session shares."""

    engine: Engine
    image: str
    home: Path  # VAGRANT_HOME
    base: Path  # where the projects live

    def environ(self) -> dict[str, str]:
        """The variables a ``vagrant`` call (or hostlint calling it) needs here."""
        return {**self.engine.environ(), "VAGRANT_HOME": str(self.home),
                "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1",
                "VAGRANT_DEFAULT_PROVIDER": "docker"}


def vagrantfile(image: str, machines: dict[str, int]) -> str:
    """A Vagrantfile of docker machines running ``image`` (sshd), each with its ssh port
    forwarded from the given 127.0.0.1 port (``auto_correct`` as Vagrant's own default),
    the project directory synced to GUEST_ROOT instead of /vagrant."""
    blocks = []
    for name, port in machines.items():
        blocks.append(f"""  config.vm.define "{name}" do |m|
    m.vm.network "forwarded_port", guest: 22, host: {port}, host_ip: "127.0.0.1", id: "ssh",
      auto_correct: true
  end""")
    return f"""# Written by tests/vagrant_real.py
Vagrant.configure("2") do |config|
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.synced_folder ".", "{GUEST_ROOT}"
  config.vm.provider "docker" do |d|
    d.image = "{image}"
    d.has_ssh = true
  end
{chr(10).join(blocks)}
end
"""


@dataclass
class VagrantProject:
    """A Vagrant project directory and its machines, driven by the real CLI."""

    setup: VagrantSetup
    root: Path
    machines: tuple[str, ...]
    containers: set[str] = field(default_factory=set)  # every container id seen in a record

    def vagrant(self, *args: str, check: bool = True,
                timeout: float = _TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run the real ``vagrant ARGS`` in the project; RuntimeError with its output on failure."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAGRANT_")}
        env.update(self.setup.environ())
        proc = subprocess.run([str(VAGRANT), *args], cwd=self.root, env=env, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              check=False)
        self._note_containers()
        if check and proc.returncode != 0:
            raise RuntimeError(f"vagrant {' '.join(args)} failed (exit {proc.returncode}):\n"
                               + proc.stdout[-3000:] + proc.stderr[-3000:])
        return proc

    def record(self, machine: str = "default") -> Path:
        return self.root / ".vagrant" / "machines" / machine / "docker"

    def container(self, machine: str = "default") -> str | None:
        """The machine's container id from its record, or None (not created)."""
        try:
            return (self.record(machine) / "id").read_text().strip() or None
        except OSError:
            return None

    def _note_containers(self) -> None:
        self.containers.update(c for c in map(self.container, self.machines) if c)

    def state(self, machine: str = "default") -> str:
        """The state id ``vagrant status --machine-readable`` reports."""
        out = self.vagrant("status", "--machine-readable", machine).stdout
        for line in out.splitlines():
            fields = line.split(",", 3)
            if len(fields) == 4 and fields[1] == machine and fields[2] == "state":
                return fields[3]
        raise RuntimeError(f"no state for {machine} in:\n{out}")

    def port(self, machine: str = "default") -> int:
        """The 127.0.0.1 port the engine forwards to the guest's sshd (no Vagrant call)."""
        container = self.container(machine)
        assert container, f"{machine} is not created"
        out = self.setup.engine.docker("port", container, "22/tcp").stdout
        return int(out.split()[0].rpartition(":")[2])

    def running(self, *machines: str) -> VagrantProject:
        """Bring the machines (default: all) up unless Docker says they run already."""
        wanted = machines or self.machines
        down = [m for m in wanted if not self._container_running(m)]
        if down:
            self.vagrant("up", "--provider=docker", *down)
        return self

    def halted(self, machine: str = "default") -> None:
        if self._container_running(machine):
            self.vagrant("halt", machine)

    def destroyed(self, machine: str = "default") -> None:
        if self.container(machine):
            self.vagrant("destroy", "-f", machine)

    def _container_running(self, machine: str) -> bool:
        container = self.container(machine)
        if container is None:
            return False
        out = self.setup.engine.docker("inspect", "-f", "{{.State.Running}}", container,
                                       check=False).stdout
        return out.strip() == "true"

    def repo(self, name: str, config: str) -> Path:
        """A git repository at ``<project>/<name>`` (in the guest: GUEST_ROOT/<name>)."""
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        return make_repo(path, config)

    def teardown(self) -> None:
        """``vagrant destroy -f``, then remove any container of ours that is left."""
        try:
            self.vagrant("destroy", "-f", check=False, timeout=120)
        finally:
            left = [c for c in self.containers
                    if self.setup.engine.docker("inspect", c, check=False).returncode == 0]
            if left:
                self.setup.engine.docker("rm", "-f", *left, check=False)


@dataclass
class VagrantCalls:
    """The counting ``vagrant`` wrapper first on ``PATH``."""

    bin_dir: Path
    log: Path

    def calls(self) -> list[list[str]]:
        """The arguments of every ``vagrant`` call since the last :meth:`clear`."""
        if not self.log.exists():
            return []
        return [line.split("\0")[:-1] for line in self.log.read_text().split("\n") if line]

    def clear(self) -> None:
        self.log.write_text("")


_WRAPPER = """#!/bin/sh
# Logs its arguments (NUL after each, one call a line), then runs the real Vagrant.
for arg in "$@"; do printf '%s\\0' "$arg"; done >> {log}
echo >> {log}
exec {vagrant} "$@"
"""


@pytest.fixture(scope="session")
def vagrant_home(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> VagrantSetup:
    if not os.access(VAGRANT, os.X_OK):
        _unavailable(f"{VAGRANT} is missing; install vagrant")
    try:
        engine: Engine = request.getfixturevalue("engine")
        image: str = request.getfixturevalue("guest_image")
    except pytest.skip.Exception as exc:
        _unavailable(str(exc))
    base = tmp_path_factory.mktemp("vagrant")
    base.chmod(0o755)
    return VagrantSetup(engine, image, base / "vagrant.d", base)


def _session_project(setup: VagrantSetup, name: str,
                     machines: tuple[str, ...]) -> Iterator[VagrantProject]:
    project = new_project(setup, name, machines)
    try:
        try:
            project.running()
        except (RuntimeError, subprocess.SubprocessError) as exc:
            _unavailable(f"vagrant up failed: {exc}")
        yield project
    finally:
        project.teardown()


@pytest.fixture(scope="session")
def vagrant_machine(vagrant_home: VagrantSetup) -> Iterator[VagrantProject]:
    """One docker machine, ``default``; call ``.running()`` if your test needs it up."""
    yield from _session_project(vagrant_home, "project", ("default",))


@pytest.fixture(scope="session")
def vagrant_pair(vagrant_home: VagrantSetup) -> Iterator[VagrantProject]:
    """Two docker machines, ``web`` and ``db``, in one Vagrantfile."""
    yield from _session_project(vagrant_home, "pair", ("web", "db"))


def counting_wrapper(directory: Path) -> VagrantCalls:
    """``directory/bin/vagrant``: logs each call to ``directory/calls.log``, then execs the
    real one."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True)
    calls = VagrantCalls(bin_dir, directory / "calls.log")
    calls.clear()
    wrapper = bin_dir / "vagrant"
    wrapper.write_text(_WRAPPER.format(log=shlex.quote(str(calls.log)), vagrant=VAGRANT))
    wrapper.chmod(0o755)
    return calls


def new_project(setup: VagrantSetup, name: str, machines: tuple[str, ...]) -> VagrantProject:
    """A project directory under ``setup.base`` with a Vagrantfile (see :func:`vagrantfile`);
    nothing is created until :meth:`VagrantProject.running`."""
    root = setup.base / name
    root.mkdir()
    root.chmod(0o755)  # the guest's `vagrant` user reads the synced folder
    (root / "Vagrantfile").write_text(vagrantfile(setup.image, {m: free_port() for m in machines}))
    return VagrantProject(setup, root, machines)


@pytest.fixture
def vagrant_calls(vagrant_home: VagrantSetup, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> VagrantCalls:
    calls = counting_wrapper(tmp_path / "vagrant-wrapper")
    bin_dir = calls.bin_dir
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    for name, value in vagrant_home.environ().items():
        monkeypatch.setenv(name, value)
    return calls


_PROJECT_FIXTURES = {"vagrant_home", "vagrant_machine", "vagrant_pair", "vagrant_calls"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The guest image comes through ``getfixturevalue``, which tests/engine.py's own hook
    cannot see: give these tests the time debootstrap needs when it is not built yet."""
    if is_cached(GUEST_RECIPE):
        return
    for item in items:
        if _PROJECT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT), append=False)
