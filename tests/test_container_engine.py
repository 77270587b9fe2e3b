"""The engine-independent parts of the container target: the in-container script's name
decoding (run by this machine's /bin/sh, the same POSIX shell family a container has),
batching, and the root mapping from bind mounts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hostlint.config import ContainerSettings, load
from hostlint.container_engine import (
    DAEMON_VARIABLES,
    Container,
    _cache_file,
    cached,
    root_inside,
    store,
)
from hostlint.engine_transport import engine_failure
from hostlint.environment import Environment
from hostlint.targets.base import Context, Invocation
from hostlint.targets.container.script import encode, wrapper
from hostlint.targets.container.target import ContainerTarget
from tests.utils import HOSTILE, NON_UTF8, make_repo


def test_the_script_decodes_every_name_byte_for_byte(tmp_path: Path) -> None:
    names = [*HOSTILE, NON_UTF8, "trailing-newline\n", "é", "%percent", "=equals", "\\101"]
    script = wrapper("printf '%s\\0'", encoded=True)
    out = subprocess.run(["/bin/sh", "-c", script, "hostlint", *map(encode, names)],
                         capture_output=True, check=True, cwd=tmp_path).stdout
    marker, _, args = out.partition(b"\n")
    assert marker.startswith(b"\036hostlint-pid ")
    assert args.split(b"\0")[:-1] == [os.fsencode(n) for n in names]
    assert not (tmp_path / "PWNED").exists()


def _target(tmp_path: Path, root: str = "/workspaces/repo", workdir: str | None = None
            ) -> ContainerTarget:
    repo = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    context = Context(str(repo), load(str(repo)), Environment(cwd=str(repo)))
    container = Container("/usr/bin/docker", "abc", "dev", True, root, "test", None, workdir,
                          "test", "docker start dev")
    return ContainerTarget(container, context, cached=False)


def test_batches_stay_under_the_argument_limit_and_keep_every_name(tmp_path: Path) -> None:
    target = _target(tmp_path)
    names = tuple(f"pkg/{i:05d}-{'long-name-' * 12}.py" for i in range(8000))
    batches = target.batches(Invocation("lint", names))
    assert len(batches) > 1
    assert [n for b in batches for n in b.files] == list(names)
    for batch in batches:
        assert sum(len(os.fsencode(a)) + 9 for a in target.exec_argv(batch)) < 512 * 1024


def test_only_a_batch_with_a_non_utf8_name_is_encoded(tmp_path: Path) -> None:
    target = _target(tmp_path)
    plain = target.exec_argv(Invocation("lint", ("a.py", "-b.py")))
    assert plain[-2:] == ["a.py", "-b.py"]
    mixed = target.exec_argv(Invocation("lint", ("a.py", NON_UTF8)))
    assert mixed[-2:] == ["=a.py", "%" + "".join(f"\\{b:03o}" for b in os.fsencode(NON_UTF8))]


def test_a_workdir_makes_names_absolute_inside(tmp_path: Path) -> None:
    argv = _target(tmp_path, workdir="/srv").exec_argv(Invocation("lint", ("a.py",)))
    assert argv[argv.index("-w") + 1] == "/srv" and argv[-1] == "/workspaces/repo/a.py"


def test_the_root_inside_comes_from_the_closest_bind_mount(tmp_path: Path) -> None:
    repo = str(tmp_path / "src" / "repo")
    mounts = [{"Source": str(tmp_path), "Destination": "/host"},
              {"Source": str(tmp_path / "src"), "Destination": "/workspaces"},
              {"Source": str(tmp_path / "src" / "repo-other"), "Destination": "/other"}]
    assert root_inside(mounts, repo) == ("/workspaces/repo",
                                         f"bind mount {tmp_path / 'src'} -> /workspaces")
    assert root_inside(mounts[2:], repo) is None


def test_engine_complaints_become_the_fix() -> None:
    daemon = engine_failure("/usr/bin/docker", b"Cannot connect to the Docker daemon at "
                            b"unix:///x.sock. Is the docker daemon running?\n")
    assert daemon.reason == "daemon" and "systemctl start docker" in (daemon.hint or "")
    denied = engine_failure("/usr/bin/docker", b"permission denied while trying to connect to "
                            b"the Docker daemon socket at unix:///var/run/docker.sock")
    assert denied.reason == "permission" and "docker` group" in (denied.hint or "")
    stopped = engine_failure("/usr/bin/docker", b"Error response from daemon: container abc is "
                             b"not running", container="dev")
    assert stopped.reason == "stopped"


@pytest.mark.parametrize("name", DAEMON_VARIABLES)
def test_a_cached_container_is_not_reused_for_another_daemon(tmp_path: Path, name: str) -> None:
    """A variable that points the engine's CLI elsewhere (set, changed or unset) misses the
    cache: the container found for one daemon is never exec'd into on another."""
    root, settings = str(tmp_path / "repo"), ContainerSettings()
    found = Container("/usr/bin/podman", "abc", "dev", True, "/workspaces/repo", "test", None,
                      None, "test", "podman start dev")
    environ = dict(os.environ)  # whatever of DAEMON_VARIABLES the test environment sets
    store(root, settings, environ, found)
    assert cached(root, settings, environ) == found
    assert cached(root, settings, {**environ, name: "elsewhere"}) is None
    store(root, settings, {**environ, name: "elsewhere"}, found)
    assert cached(root, settings, {**environ, name: "elsewhere"}) == found
    assert cached(root, settings, {**environ, name: "another"}) is None
    assert cached(root, settings, environ) is None


def test_the_cache_is_not_written_through_a_symlink_planted_at_its_temporary_file(
        tmp_path: Path) -> None:
    root, environ = str(tmp_path / "repo"), {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    cache = Path(_cache_file(root, environ))
    cache.parent.mkdir(parents=True)
    os.symlink(victim, cache.with_name(f"{cache.name}.{os.getpid()}"))
    found = Container("/usr/bin/docker", "abc", "dev", True, "/w", "test", None, None, "test", "x")
    store(root, ContainerSettings(), environ, found)
    assert victim.read_text() == "precious\n"
    assert cached(root, ContainerSettings(), environ) == found
    assert (cache.stat().st_mode & 0o777) == 0o600
