"""A private rootful Podman for hostlint's tests: its own storage, run and temp dirs.

Podman is daemonless, so nothing global is started: a :class:`Podman` is a directory
(``/tmp/hl-pm-XXXXXX``) holding a ``containers.conf`` and a ``storage.conf`` that every
CLI call is pointed at through ``CONTAINERS_CONF`` and ``CONTAINERS_STORAGE_CONF``; the
machine's /etc/containers, /var/lib/containers and /run/libpod are never read or written.
The settings in them are what works here without systemd or a session bus: cgroupfs, file
events, the overlay driver. Containers get low ulimits: Podman asks for nofile 1048576 by
default, which runc may not set without CAP_SYS_RESOURCE ("error setting rlimit type 7:
operation not permitted"); here even the caller's own hard limits were refused, lower ones
work. No ``--init``: that needs catatonit, which Debian's podman only recommends.

No image is imported: ``podman import`` would write the machine-wide blob-info cache
(/var/lib/containers/cache). Containers run from the Debian test image's root filesystem
(tests/engine.py's cached tarball, unpacked once into ``$CACHE/podman-rootfs``) with
``--rootfs DIR:O``: an overlay on top, so the unpacked tree stays as it was and sessions
share it (unpacking and deleting it took 8 + 13 s a session on a busy machine).

If Podman cannot run a container here, the fixture skips, unless
``HOSTLINT_REQUIRE_PODMAN=1``, in which case it fails with the reason. A session that died
leaves its directory: the next start removes its containers, unmounts and deletes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.engine import (
    CACHE_DIR,
    DEV_RECIPE,
    _kill_naming,
    _locked,
    _pids_naming,
    _run,
    _start_time,
    _unmount_under,
    _wait_gone,
    build_tarball,
)

REQUIRE_ENV = "HOSTLINT_REQUIRE_PODMAN"
RUN_PARENT = Path("/tmp")
RUN_PREFIX = "hl-pm-"
#: What every test container gets: no network; limits the caller may set (see above).
RUN_ARGS = ("--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096")


def podman_cli() -> str | None:
    return shutil.which("podman")


def podman_unavailable() -> str | None:
    """Why a private rootful Podman cannot be tried here, or None."""
    if podman_cli() is None:
        return "podman is not installed (Debian package podman)"
    if os.geteuid() != 0:
        return "a private rootful podman needs root"
    return None


def _config(workdir: Path) -> dict[str, str]:
    """Write the private containers.conf and storage.conf; the environment naming them."""
    conf, storage = workdir / "containers.conf", workdir / "storage.conf"
    conf.write_text(
        "[engine]\n"
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
        f'events_logfile_path = "{workdir}/events.log"\n'
        f'tmp_dir = "{workdir}/tmp"\n'
        f'image_copy_tmp_dir = "{workdir}/tmp"\n'
        f'volume_path = "{workdir}/volumes"\n'
        "[network]\n"
        f'network_config_dir = "{workdir}/net"\n')
    storage.write_text(
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{workdir}/root"\n'
        f'runroot = "{workdir}/run"\n')
    return {"CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage)}


@dataclass
class Podman:
    """The session's private Podman: its directory, the environment naming its settings,
    the unpacked test root filesystem, and the containers the tests started."""

    workdir: Path
    environ: dict[str, str]
    cli: str
    rootfs: Path
    ids: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("CONTAINER_HOST", "CONTAINER_CONNECTION")}
        env.update(self.environ)
        return env

    def podman(self, *args: str, check: bool = True,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``podman ARGS`` with the private settings; RuntimeError with its output if
        *check* and it fails."""
        if check:
            return _run([self.cli, *args], "podman failed", timeout=timeout, env=self.env())
        return subprocess.run([self.cli, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, env=self.env(), check=False)

    def run(self, *args: str, command: tuple[str, ...] = ("sleep", "infinity")) -> str:
        """``podman run -d RUN_ARGS ARGS --rootfs ROOTFS:O COMMAND``: the container's id."""
        cid = self.podman("run", "-d", *RUN_ARGS, *args, "--rootfs", f"{self.rootfs}:O",
                          *command).stdout.strip()
        self.ids.append(cid)
        return cid

    def remove_all(self) -> None:
        if self.ids:
            self.podman("rm", "-f", "-t", "0", *self.ids, check=False)
        self.ids.clear()

    def stop(self) -> None:
        """Remove every container, unmount and delete the directory. Idempotent."""
        _remove_dir(self.workdir, self.cli)


def _remove_dir(workdir: Path, cli: str) -> None:
    env = {**os.environ, **_config(workdir)} if workdir.is_dir() else None
    if env is not None:
        subprocess.run([cli, "rm", "-a", "-f", "-t", "0"], stdin=subprocess.DEVNULL,
                       capture_output=True, env=env, timeout=60, check=False)
    _await_cleanups(workdir)
    _unmount_under(workdir)
    shutil.rmtree(workdir, ignore_errors=True)


def _await_cleanups(workdir: Path, timeout: float = 20.0) -> None:
    """Let the processes naming the directory end: conmon runs ``podman container cleanup``
    (with the directory's --root) when a container dies, and that one mounts the storage
    again if it comes after the unmount. What is still there after *timeout* is killed."""
    needle = str(workdir) + "/"
    deadline = time.monotonic() + timeout
    while (pids := _pids_naming(needle)) and time.monotonic() < deadline:
        _wait_gone(pids, deadline - time.monotonic())
    _kill_naming(needle)


def _rootfs() -> Path:
    """The test image's root filesystem, unpacked in the cache (once; read-only after)."""
    tarball = build_tarball(DEV_RECIPE)
    tree = CACHE_DIR / "podman-rootfs" / tarball.stem
    with _locked(tree.with_suffix(".lock")):
        if not tree.is_dir():
            partial = tree.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            _run(["tar", "--numeric-owner", "-C", str(partial), "-xf", str(tarball)],
                 "unpacking the test image failed", timeout=300)
            partial.rename(tree)
    return tree


def _sweep_stale(cli: str) -> None:
    """Directories of sessions that died without cleaning up (their owner is gone)."""
    for workdir in RUN_PARENT.glob(RUN_PREFIX + "*"):
        try:
            pid, start = (int(x) for x in (workdir / "owner").read_text().split())
        except (OSError, ValueError):
            continue  # not ours, or still being set up
        if _start_time(pid) != start:
            _remove_dir(workdir, cli)


def start_podman() -> Podman:
    """A private Podman that has run a container; RuntimeError saying why not."""
    reason = podman_unavailable()
    if reason:
        raise RuntimeError(reason)
    cli = podman_cli() or "podman"
    _sweep_stale(cli)
    workdir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=RUN_PARENT))
    (workdir / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
    try:
        found = Podman(workdir=workdir, environ=_config(workdir), cli=cli, rootfs=_rootfs())
        probe = found.run(command=("true",))
        found.podman("wait", probe)
        found.remove_all()
        return found
    except BaseException:
        with contextlib.suppress(Exception):
            _remove_dir(workdir, cli)
        raise
