"""A private Docker daemon and locally built images for hostlint's tests.

Load it with ``pytest_plugins = ["tests.engine"]`` in ``tests/conftest.py``.

Fixtures:

* ``engine`` (session scope): one private ``dockerd`` (:class:`Engine`) with
  its own data-root, exec-root, pidfile, unix socket and bridge, started for
  the session and stopped at its end (its containers removed first).
* ``dev_image`` (session scope): the tag of a Debian image with python3 and
  procps (:data:`DEV_RECIPE`), for ``docker run --network none -d IMAGE sleep
  infinity``.
* ``guest_image`` (session scope): the tag of a Vagrant-style guest
  (:data:`GUEST_RECIPE`): openssh-server, python3, sudo, a ``vagrant`` user
  with passwordless sudo and Vagrant's insecure public key; its command is
  ``/usr/sbin/sshd -D -e``.
* ``containers`` (function scope): a :class:`Containers` that starts
  containers on the session engine and removes them at teardown.

If no daemon can be started (no ``dockerd``, not root, no ``ip``, no
``debootstrap`` or mirror for an image) the fixtures skip the test, unless
``HOSTLINT_REQUIRE_DOCKER=1`` is set, in which case they fail with the reason.

Images: no registry is reachable, so an image is a Debian root filesystem
made with ``debootstrap --variant=minbase`` from the mirror apt is configured
with (read from ``/etc/apt/sources.list*`` at run time), set up in a chroot,
tarred and ``docker import``-ed.  The tarball is cached under
``$HOSTLINT_TEST_CACHE`` (default ``~/.cache/hostlint-tests`` of the user
running pytest, computed at import time, before the tests' ``$HOME``
isolation) and keyed by a hash of the recipe, so a fresh daemon imports it in
about a second; a first build takes a minute or two (tests that need an image
not yet built get a longer timeout).  Build them ahead with
``python -m tests.engine``.

The data-root persists between sessions (``$CACHE/docker-data``: images stay
imported; deleting a throw-away data-root with two images takes ~20 s here)
and is locked (flock) by the session using it; a concurrent session (another
worktree) gets a throw-away data-root in its own directory.  Containers a
crashed session left in it are removed when the next daemon starts.  Each daemon gets
its own bridge (``hl-XXXXXX``, a free ``10.213.N.0/24``), because two daemons
on one ``docker0`` would hand out the same addresses; containers on it are
reachable from this machine (Vagrant's docker provider needs that to reach the
guest's sshd) and, with ``--ip-masq=false --iptables=false``, from nowhere
else, nor can they reach anything beyond this machine.

Stale daemons: a session that was SIGKILLed leaves its daemon running.  Every
start first sweeps ``/tmp/hl-dk-*`` directories whose owner (pid and start
time in ``owner``) is gone: it stops the processes whose command line names
that directory (its dockerd, the managed containerd and the shims: only
processes this module started name it), unmounts what is left under it,
deletes its bridge and removes it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

import pytest

__all__ = [
    "CACHE_DIR",
    "DEV_RECIPE",
    "GUEST_RECIPE",
    "REQUIRE_ENV",
    "VAGRANT_INSECURE_KEY",
    "Containers",
    "Engine",
    "Recipe",
    "containers",
    "debian_image",
    "dev_image",
    "engine",
    "engine_unavailable",
    "guest_image",
    "start_engine",
]

REQUIRE_ENV = "HOSTLINT_REQUIRE_DOCKER"
CACHE_ENV = "HOSTLINT_TEST_CACHE"
DOCKERD = Path("/usr/sbin/dockerd")
IP = shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin") or "/usr/sbin/ip"
DEBOOTSTRAP = Path("/usr/sbin/debootstrap")
#: Computed at import time: the tests' autouse fixture later points $HOME elsewhere.
CACHE_DIR = Path(
    os.environ.get(CACHE_ENV)
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hostlint-tests"
)
#: The data-root kept between sessions (images stay imported); one session at a time uses it,
#: a concurrent one gets a data-root of its own (slower: import, then deleting it).
DATA_ROOT = CACHE_DIR / "docker-data"
#: Where per-session daemons live: short, since unix socket paths are limited to ~104 bytes.
RUN_PARENT = Path("/tmp")
RUN_PREFIX = "hl-dk-"
SUBNET_POOL = ipaddress.ip_network("10.213.0.0/16")

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 20.0
_POLL = 0.05


def _vagrant_insecure_key() -> Path:
    """The insecure private key shipped in Vagrant's own package (``.pub`` next to it)."""
    gems = sorted(Path("/usr/share/rubygems-integration/all/gems").glob("vagrant-[0-9]*/keys/vagrant"))
    if gems:
        return gems[-1]
    return Path("/opt/vagrant/embedded/gems/gems/vagrant/keys/vagrant")


VAGRANT_INSECURE_KEY = _vagrant_insecure_key()


# --------------------------------------------------------------------------
# Small process helpers
# --------------------------------------------------------------------------


def _start_time(pid: int) -> int | None:
    """Start time (clock ticks) of *pid*, or None if it is gone or a zombie."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()
    if rest[0] in (b"Z", b"X"):
        return None
    return int(rest[19])


def _pids_naming(text: str) -> list[int]:
    """PIDs whose command line contains *text* (our unique session directory)."""
    needle = text.encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in Path(f"/proc/{name}/cmdline").read_bytes():
                    found.append(int(name))
    return found


def _wait_gone(pids: Sequence[int], timeout: float) -> bool:
    starts = {pid: _start_time(pid) for pid in pids}
    deadline = time.monotonic() + timeout
    while True:
        if all(_start_time(pid) != start for pid, start in starts.items()):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


def _kill_naming(text: str) -> None:
    """SIGKILL every process whose command line names *text*; wait until they are gone."""
    for _round in range(5):
        pids = _pids_naming(text)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _wait_gone(pids, 5.0)


def _unmount_under(root: Path) -> None:
    """Lazily unmount every mount point under *root* (deepest first)."""
    prefix = str(root) + "/"
    points = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as table:
        for line in table:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
    libc = ctypes.CDLL(None, use_errno=True)
    for point in sorted(points, key=len, reverse=True):
        libc.umount2(point.encode(), 2)  # MNT_DETACH


def _run(argv: Sequence[str], what: str, *, timeout: float = 600,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} (exit {proc.returncode}): {' '.join(argv)}\n"
                           + proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


# --------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------


def _docker_cli() -> str:
    """The CLI matching Debian's daemon if installed, else whatever ``docker`` is on PATH."""
    if os.access("/usr/bin/docker", os.X_OK):
        return "/usr/bin/docker"
    return shutil.which("docker") or "docker"


@dataclass
class Engine:
    """A private ``dockerd`` started by :func:`start_engine`."""

    workdir: Path
    process: subprocess.Popen[bytes]
    bridge: str
    gateway: str
    data_root: Path
    cli: str = field(default_factory=_docker_cli)
    # Held while this daemon uses the shared DATA_ROOT (None: a data-root of its own).
    data_lock: IO[str] | None = field(default=None, repr=False)

    @property
    def docker_host(self) -> str:
        """The value for ``DOCKER_HOST``."""
        return f"unix://{self.workdir / 'docker.sock'}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / "dockerd.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def environ(self) -> dict[str, str]:
        """Additions to the environment of a docker CLI (or hostlint) using this daemon."""
        return {"DOCKER_HOST": self.docker_host}

    def env(self) -> dict[str, str]:
        """``os.environ`` with :meth:`environ` applied (and no DOCKER_CONTEXT)."""
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_CONTEXT"}
        env.update(self.environ())
        return env

    def docker(self, *args: str, check: bool = True,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` against this daemon; RuntimeError with its output if *check* fails."""
        proc = subprocess.run([self.cli, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, env=self.env(), check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed (exit {proc.returncode}):\n"
                               + proc.stdout + proc.stderr)
        return proc

    def is_running(self) -> bool:
        return self.process.poll() is None

    def has_image(self, tag: str) -> bool:
        return self.docker("image", "inspect", tag, check=False).returncode == 0

    def container_ip(self, container: str) -> str:
        """The container's address on this daemon's bridge."""
        return self.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", container).stdout.strip()

    def stop(self) -> None:
        """Remove every container, stop the daemon, remove its bridge and directory.  Idempotent."""
        if self.is_running():
            with contextlib.suppress(Exception):
                ids = self.docker("ps", "-aq", timeout=30).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, timeout=60, check=False)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        _cleanup_dir(self.workdir, self.bridge)
        if self.data_lock is not None:
            _unmount_under(self.data_root)
            self.data_lock.close()  # releases the flock
            self.data_lock = None


def _cleanup_dir(workdir: Path, bridge: str | None) -> None:
    """Everything a (stopped or dead) daemon left: processes naming *workdir*, mounts, bridge."""
    _kill_naming(str(workdir) + "/")
    _unmount_under(workdir)
    if bridge is None:
        with contextlib.suppress(OSError):
            bridge = (workdir / "bridge").read_text().strip() or None
    if bridge:
        subprocess.run([IP, "link", "delete", bridge], capture_output=True, check=False)
    shutil.rmtree(workdir, ignore_errors=True)


def _sweep_stale() -> None:
    """Clean up after sessions that died without stopping their daemon (see module docstring)."""
    for workdir in RUN_PARENT.glob(RUN_PREFIX + "*"):
        try:
            pid, start = (int(x) for x in (workdir / "owner").read_text().split())
        except (OSError, ValueError):
            continue  # not ours, or still being set up
        if _start_time(pid) == start:
            continue  # its session is alive
        daemon = [p for p in _pids_naming(str(workdir) + "/") if b"dockerd" in
                  Path(f"/proc/{p}/comm").read_bytes()]
        for p in daemon:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGTERM)
        _wait_gone(daemon, _STOP_TIMEOUT)
        _cleanup_dir(workdir, None)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _used_networks() -> list[ipaddress.IPv4Network]:
    out = _run([IP, "-4", "-o", "addr", "show"], "listing addresses").stdout
    nets = [ipaddress.IPv4Interface(m.group(1)).network for m in re.finditer(r"inet (\S+)", out)]
    out = _run([IP, "-4", "route", "show"], "listing routes").stdout
    for line in out.splitlines():
        word = line.split()[0]
        if word != "default":
            with contextlib.suppress(ValueError):
                nets.append(ipaddress.IPv4Network(word, strict=False))
    return nets


def _make_bridge(workdir: Path) -> tuple[str, str]:
    """Create ``hl-XXXXXX`` on a free 10.213.N.0/24; return (name, gateway address)."""
    name = "hl-" + workdir.name[len(RUN_PREFIX):][-8:]
    with _locked(RUN_PARENT / (RUN_PREFIX + "bridges.lock")):
        used = _used_networks()
        for subnet in SUBNET_POOL.subnets(new_prefix=24):
            if not any(subnet.overlaps(net) for net in used):
                break
        else:
            raise RuntimeError(f"no free /24 in {SUBNET_POOL} for a test bridge")
        gateway = f"{subnet.network_address + 1}/{subnet.prefixlen}"
        (workdir / "bridge").write_text(name + "\n")
        _run([IP, "link", "add", "name", name, "type", "bridge"], f"creating bridge {name}")
        _run([IP, "addr", "add", gateway, "dev", name], f"addressing bridge {name}")
        _run([IP, "link", "set", name, "up"], f"bringing up bridge {name}")
    return name, gateway.split("/")[0]


def engine_unavailable() -> str | None:
    """Why no private daemon can be started here, or None if it can be tried."""
    if not os.access(DOCKERD, os.X_OK):
        return f"{DOCKERD} is missing; install docker.io"
    if os.geteuid() != 0:
        return "a private dockerd needs root"
    if not os.access(IP, os.X_OK):
        return f"{IP} is missing; install iproute2"
    if not (os.access("/usr/bin/docker", os.X_OK) or shutil.which("docker")):
        return "no docker CLI; install docker.io"
    return None


def _wait_ready(engine: Engine) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if engine.docker("version", check=False, timeout=10).returncode == 0:
            return
        if not engine.is_running():
            raise RuntimeError(f"dockerd exited with {engine.process.returncode}:\n{engine.log()[-4000:]}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"dockerd did not answer within {_START_TIMEOUT}s:\n{engine.log()[-4000:]}")
        time.sleep(_POLL)


def start_engine() -> Engine:
    """Start a private dockerd (see module docstring); RuntimeError with its log if it fails."""
    reason = engine_unavailable()
    if reason:
        raise RuntimeError(reason)
    _sweep_stale()
    workdir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=RUN_PARENT))
    (workdir / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
    data_lock = _lock_data_root()
    data_root = DATA_ROOT if data_lock is not None else workdir / "data"
    try:
        bridge, gateway = _make_bridge(workdir)
        with (workdir / "dockerd.log").open("wb") as log:
            process = subprocess.Popen(
                [str(DOCKERD), "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                 f"--bridge={bridge}", f"--data-root={data_root}",
                 f"--exec-root={workdir / 'x'}", f"--pidfile={workdir / 'dockerd.pid'}",
                 f"--host=unix://{workdir / 'docker.sock'}", "--userland-proxy=true",
                 f"--config-file={_daemon_config(workdir)}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=workdir, start_new_session=True)
        engine = Engine(workdir=workdir, process=process, bridge=bridge, gateway=gateway,
                        data_root=data_root, data_lock=data_lock)
        try:
            _wait_ready(engine)
            leftovers = engine.docker("ps", "-aq").stdout.split()  # of a crashed session
            if leftovers:
                engine.docker("rm", "-f", *leftovers, timeout=120)
        except BaseException:
            engine.stop()
            raise
        return engine
    except BaseException:
        _cleanup_dir(workdir, None)
        if data_lock is not None:
            data_lock.close()
        raise


def _lock_data_root() -> IO[str] | None:
    """Take the shared DATA_ROOT for this session, or None if another live session has it.

    Whoever holds the lock is the only user of DATA_ROOT: the sweep has already
    ended the daemons of dead sessions, so what still names it or is mounted under it is stale.
    """
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    handle = DATA_ROOT.with_name(DATA_ROOT.name + ".lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    _kill_naming(f"--data-root={DATA_ROOT}")
    _unmount_under(DATA_ROOT)
    return handle


def _daemon_config(workdir: Path) -> Path:
    """An empty daemon.json: never read the machine's /etc/docker/daemon.json."""
    path = workdir / "daemon.json"
    path.write_text("{}\n")
    return path


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """A Debian image: ``debootstrap --variant=minbase --include=...``, then *setup* in a chroot."""

    name: str
    include: tuple[str, ...]
    setup: str = ""
    changes: tuple[str, ...] = ()  # ``docker import --change`` lines (CMD, USER, ...)
    files: tuple[tuple[str, Path], ...] = ()  # (path in the image, host file) copied before setup

    def key(self, suite: str) -> str:
        digest = hashlib.sha256()
        for part in (_BUILDER_VERSION, suite, self.name, ",".join(self.include), self.setup,
                     *self.changes):
            digest.update(part.encode() + b"\0")
        for dest, src in self.files:
            digest.update(dest.encode() + b"\0" + src.read_bytes() + b"\0")
        return digest.hexdigest()[:12]


_BUILDER_VERSION = "1"

DEV_RECIPE = Recipe(name="dev", include=("python3", "procps"),
                    changes=('CMD ["sleep", "infinity"]',))

GUEST_RECIPE = Recipe(
    name="vagrant-guest",
    include=("openssh-server", "python3", "sudo", "procps"),
    files=(("/tmp/vagrant.pub", VAGRANT_INSECURE_KEY.with_name("vagrant.pub")),),
    setup="""
set -eu
useradd --create-home --shell /bin/bash vagrant
echo vagrant:vagrant | chpasswd
install -d -m 700 -o vagrant -g vagrant /home/vagrant/.ssh
install -m 600 -o vagrant -g vagrant /tmp/vagrant.pub /home/vagrant/.ssh/authorized_keys
rm /tmp/vagrant.pub
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/vagrant
chmod 440 /etc/sudoers.d/vagrant
install -d -m 755 /run/sshd
echo 'UseDNS no' > /etc/ssh/sshd_config.d/hostlint-test.conf
""",
    changes=('CMD ["/usr/sbin/sshd", "-D", "-e"]', "EXPOSE 22"),
)


def _os_release() -> dict[str, str]:
    values = {}
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = value.strip().strip('"')
    return values


def _host_suite() -> str:
    suite = _os_release().get("VERSION_CODENAME", "")
    if _os_release().get("ID") != "debian" or not suite:
        raise RuntimeError("test images are built with debootstrap from this Debian machine's "
                           "release; this is not Debian")
    return suite


def apt_mirror(suite: str, apt: Path = Path("/etc/apt")) -> str:
    """The URI apt uses for *suite* (from *apt*/sources.list and sources.list.d)."""
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for path in files:
        with contextlib.suppress(OSError):
            for line in path.read_text().splitlines():
                words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
                if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                    return words[1]
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        with contextlib.suppress(OSError):
            for stanza in re.split(r"\n\s*\n", path.read_text()):
                fields: dict[str, str] = dict(re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", stanza))
                if ("deb" in fields.get("Types", "").split()
                        and suite in fields.get("Suites", "").split()
                        and fields.get("Enabled", "yes") != "no"):
                    return fields["URIs"].split()[0]
    raise RuntimeError(f"no apt source for {suite!r} in {apt}/sources.list*")


def image_tag(recipe: Recipe) -> str:
    return f"hostlint-test/{recipe.name}:{recipe.key(_host_suite())}"


def _tarball(recipe: Recipe) -> Path:
    return CACHE_DIR / "images" / f"{recipe.name}-{recipe.key(_host_suite())}.tar"


def is_cached(recipe: Recipe) -> bool:
    """True if the recipe's root filesystem tarball is already in the cache."""
    try:
        return _tarball(recipe).is_file()
    except RuntimeError:
        return False


def build_tarball(recipe: Recipe) -> Path:
    """The recipe's root filesystem as a tarball in the cache (built if missing)."""
    tarball = _tarball(recipe)
    with _locked(tarball.with_suffix(".lock")):
        if tarball.is_file():
            return tarball
        if not os.access(DEBOOTSTRAP, os.X_OK):
            raise RuntimeError(f"{DEBOOTSTRAP} is missing; install debootstrap")
        suite = _host_suite()
        root = tarball.with_suffix(".rootfs")
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)
        try:
            debs = CACHE_DIR / "debs"  # downloaded packages, shared by the recipes
            debs.mkdir(parents=True, exist_ok=True)
            _run([str(DEBOOTSTRAP), "--variant=minbase", f"--include={','.join(recipe.include)}",
                  f"--cache-dir={debs}", suite, str(root), apt_mirror(suite)],
                 f"debootstrap of {recipe.name} failed", timeout=1200)
            for dest, src in recipe.files:
                shutil.copyfile(src, root / dest.lstrip("/"))
            if recipe.setup:
                _run(["chroot", str(root), "/bin/sh", "-c", recipe.setup],
                     f"set-up of {recipe.name} failed")
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for path in (root / junk).glob("*"):
                    if path.is_file():
                        path.unlink()
            partial = tarball.with_suffix(".partial")
            _run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(partial), "."],
                 f"tar of {recipe.name} failed")
            partial.rename(tarball)
        finally:
            _unmount_under(root)
            shutil.rmtree(root, ignore_errors=True)
    return tarball


def debian_image(engine: Engine, recipe: Recipe) -> str:
    """The tag of *recipe*'s image in *engine*, built and imported if needed."""
    tag = image_tag(recipe)
    if engine.has_image(tag):
        return tag
    tarball = build_tarball(recipe)
    args = ["import"]
    for change in recipe.changes:
        args += ["--change", change]
    engine.docker(*args, str(tarball), tag, timeout=300)
    return tag


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------


@dataclass
class Containers:
    """Starts containers on *engine*; :meth:`remove_all` removes exactly those."""

    engine: Engine
    ids: list[str] = field(default_factory=list)

    def run(self, image: str, *command: str, args: Sequence[str] = ("--network", "none"),
            name: str | None = None) -> str:
        """``docker run -d ARGS IMAGE COMMAND``; returns the container id."""
        argv = ["run", "-d", *args]
        if name:
            argv += ["--name", name]
        container = self.engine.docker(*argv, image, *command).stdout.strip()
        self.ids.append(container)
        return container

    def remove_all(self) -> None:
        if self.ids and self.engine.is_running():
            self.engine.docker("rm", "-f", *self.ids, check=False, timeout=60)
        self.ids.clear()


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    msg = f"no private docker engine: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{msg} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The session's private dockerd.  Don't stop it; remove what you create."""
    reason = engine_unavailable()
    if reason:
        _unavailable(reason)
    try:
        started = start_engine()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _unavailable(str(exc))
    try:
        yield started
    finally:
        started.stop()


def _image(engine: Engine, recipe: Recipe) -> str:
    try:
        return debian_image(engine, recipe)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _unavailable(f"cannot build image {recipe.name}: {exc}")


@pytest.fixture(scope="session")
def dev_image(engine: Engine) -> str:
    """Tag of :data:`DEV_RECIPE` in the session engine."""
    return _image(engine, DEV_RECIPE)


@pytest.fixture(scope="session")
def guest_image(engine: Engine) -> str:
    """Tag of :data:`GUEST_RECIPE` in the session engine."""
    return _image(engine, GUEST_RECIPE)


@pytest.fixture
def containers(engine: Engine) -> Iterator[Containers]:
    """Start containers with ``containers.run(image, ...)``; they are removed at teardown."""
    started = Containers(engine)
    try:
        yield started
    finally:
        started.remove_all()


_IMAGE_FIXTURES = {"dev_image": DEV_RECIPE, "guest_image": GUEST_RECIPE}
#: Timeout for a test whose session-scoped image still has to be built (debootstrap).
BUILD_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give the tests that may build an uncached image the time debootstrap needs."""
    uncached = {name for name, recipe in _IMAGE_FIXTURES.items() if not is_cached(recipe)}
    if not uncached:
        return
    for item in items:
        if uncached & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT), append=False)


def main() -> int:
    """``python -m tests.engine``: build (or find) the cached image tarballs and time them."""
    for recipe in _IMAGE_FIXTURES.values():
        began = time.monotonic()
        tarball = build_tarball(recipe)
        print(f"{recipe.name}: {tarball} ({tarball.stat().st_size // 2**20} MiB, "
              f"{time.monotonic() - began:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
