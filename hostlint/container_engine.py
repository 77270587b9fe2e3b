"""The container engine as detection and the container target see it: which CLI, which
container is this repository's, and where the repository is inside it.

Engine calls go through ``engine_transport`` (the engine's CLI, or docker's Engine API when
the CLI would use a local Unix socket), so ``DOCKER_HOST``, docker contexts and podman
connections apply exactly as they do for the user. Found containers are cached in the
user cache dir keyed on the repository and the settings, so a warm check makes no engine
call before its one ``exec``; the exec itself verifies the cache (a removed or recreated
container fails it, and the target looks again once). Imported only when the repository
has a devcontainer or compose file or a ``[tool.hostlint.container]`` table: other
projects pay nothing.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import zlib
from collections.abc import Mapping

from hostlint.config import ContainerSettings
from hostlint.engine_transport import ApiTransport, CliTransport, engine_name, engine_path, transport
from hostlint.environment import make_cache_dir, user_cache_dir
from hostlint.fsutil import inside, read_bytes, replace_private
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

DEVCONTAINER_FOLDER = "devcontainer.local_folder"
DEVCONTAINER_CONFIG = "devcontainer.config_file"
DEVCONTAINER_METADATA = "devcontainer.metadata"
COMPOSE_DIR = "com.docker.compose.project.working_dir"
COMPOSE_SERVICE = "com.docker.compose.service"
CACHE_VERSION = 1


class Container(NamedTuple):
    """The repository's container, as found (or cached): everything an exec needs."""

    engine: str  # path of the engine's CLI
    id: str
    name: str
    running: bool
    root: str | None  # the repository root inside; None when no mount reaches it
    root_source: str
    user: str | None  # None: the container's own user
    workdir: str | None
    how: str  # how it was found, for `hostlint detect`
    fix: str  # the command that (re)starts it


# ----------------------------------------------------------------------------------------
# Finding the repository's container
# ----------------------------------------------------------------------------------------

def find(root: str, settings: ContainerSettings, environ: Mapping[str, str], *,
         timeout: float, devcontainer: bool) -> Container | None:
    """Ask the engine for the configured or labelled container of this repository (running
    ones first; devcontainer labels only when the repository has a devcontainer file), or
    None; a running one is cached."""
    engine = engine_path(settings, environ)
    found = _query(transport(engine, environ), root, settings, timeout, devcontainer)
    if found is not None:
        store(root, settings, environ, found)
    return found


def _query(calls: CliTransport | ApiTransport, root: str, settings: ContainerSettings,
           timeout: float, devcontainer: bool) -> Container | None:
    folders, engine = repository_folders(root), calls.engine
    if settings.name:
        data = calls.inspect([settings.name], timeout=timeout, container=settings.name)
        return _describe(engine, data[0], root, settings, how="configured name "
                         f"{settings.name!r}", fix=f"{engine_name(engine)} start {settings.name}")
    if settings.service:
        ids = calls.labelled(f"{COMPOSE_SERVICE}={settings.service}", timeout=timeout)
        for item in _best(calls.inspect(ids, timeout=timeout) if ids else []):
            folder = _labels(item).get(COMPOSE_DIR, "")
            if _same_folder(folder, folders):
                return _describe(engine, item, root, settings,
                                 how=f"Compose labels: {COMPOSE_DIR}={folder}, service "
                                 f"{settings.service!r}",
                                 fix=f"{engine_name(engine)} compose up -d {settings.service}")
    if devcontainer:
        ids = calls.labelled(DEVCONTAINER_FOLDER, timeout=timeout)
        for item in _best(calls.inspect(ids, timeout=timeout) if ids else []):
            labels = _labels(item)
            folder = labels.get(DEVCONTAINER_FOLDER, "")
            if _same_folder(folder, folders):
                how = f"devcontainer labels: {DEVCONTAINER_FOLDER}={folder}"
                if labels.get(DEVCONTAINER_CONFIG):
                    how += f", {DEVCONTAINER_CONFIG}={labels[DEVCONTAINER_CONFIG]}"
                return _describe(engine, item, root, settings, how=how,
                                 fix="devcontainer up --workspace-folder .")
    return None


def _best(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Running containers first, then the most recently created."""
    items = sorted(items, key=lambda item: str(item.get("Created", "")), reverse=True)
    return sorted(items, key=lambda item: not _running(item))


def _running(item: dict[str, Any]) -> bool:
    state = item.get("State")
    return bool(state.get("Running")) if isinstance(state, dict) else False


def _labels(item: dict[str, Any]) -> dict[str, str]:
    config = item.get("Config") or {}
    labels = config.get("Labels") if isinstance(config, dict) else None
    return labels if isinstance(labels, dict) else {}


def repository_folders(root: str) -> tuple[str, ...]:
    """The folders a label may name for this repository: its root and, for a linked
    worktree, the main worktree's root (as written and resolved)."""
    folders = [root, os.path.realpath(root)]
    main = _main_worktree(root)
    if main is not None:
        folders += [main, os.path.realpath(main)]
    return tuple(dict.fromkeys(folders))


def _main_worktree(root: str) -> str | None:
    """For a linked worktree (``.git`` is a file naming ``.git/worktrees/NAME``), the main
    worktree's root; read from the files, without running git."""
    try:
        gitdir = os.path.join(root, _text(os.path.join(root, ".git")).removeprefix("gitdir:").strip())
        common = os.path.join(gitdir, _text(os.path.join(gitdir, "commondir")))
    except (OSError, UnicodeDecodeError):
        return None
    common = os.path.normpath(common)
    return os.path.dirname(common) if os.path.basename(common) == ".git" else None


def _text(path: str) -> str:
    """A small file's text, stripped: what ``.git`` and ``commondir`` hold."""
    return read_bytes(path).decode().strip()


def _same_folder(folder: str, folders: tuple[str, ...]) -> bool:
    return bool(folder) and (folder in folders or os.path.realpath(folder) in folders)


def _describe(engine: str, item: dict[str, Any], root: str, settings: ContainerSettings, *,
              how: str, fix: str) -> Container:
    mapped = (settings.root, "[tool.hostlint.container] root") if settings.root else \
        root_inside(item.get("Mounts") or [], root)
    labels = _labels(item)
    user = settings.user or _remote_user(labels.get(DEVCONTAINER_METADATA))
    return Container(
        engine=engine, id=str(item.get("Id", "")), name=str(item.get("Name", "")).lstrip("/"),
        running=_running(item), root=mapped[0] if mapped else None,
        root_source=mapped[1] if mapped else "no bind mount of the repository",
        user=user, workdir=settings.workdir, how=how, fix=fix,
    )


def root_inside(mounts: list[dict[str, Any]], root: str) -> tuple[str, str] | None:
    """The repository root inside the container, from the bind mount whose source is the
    repository or the closest directory above it: (path inside, how it was found)."""
    best: tuple[int, str, str] | None = None
    for here in dict.fromkeys((root, os.path.realpath(root))):
        for mount in mounts:
            source, dest = str(mount.get("Source", "")), str(mount.get("Destination", ""))
            if not source.startswith("/") or not dest.startswith("/"):
                continue
            within = inside(here, source) or inside(here, os.path.realpath(source))
            if within is None or (best is not None and best[0] >= len(source)):
                continue
            path = dest.rstrip("/") + ("/" + within if within else "") or "/"
            best = (len(source), path, f"bind mount {source} -> {dest}")
    return (best[1], best[2]) if best else None


def _remote_user(metadata: str | None) -> str | None:
    """``remoteUser`` from the devcontainer metadata label (a JSON list; the last wins)."""
    if not metadata:
        return None
    import json

    try:
        entries = json.loads(metadata)
    except ValueError:
        return None
    entries = entries if isinstance(entries, list) else [entries]
    users = [e["remoteUser"] for e in entries if isinstance(e, dict)
             and isinstance(e.get("remoteUser"), str)]
    return users[-1] if users else None


# ----------------------------------------------------------------------------------------
# The cache
# ----------------------------------------------------------------------------------------


#: The variables that choose which engine or daemon the CLI talks to: docker's host, context
#: and config directory (where the current context is recorded); podman's remote host,
#: named connection and containers.conf files (which name the default connection), and the
#: directories a rootless podman keeps its configuration and socket in. A change made inside
#: a file (`docker context use`) is not seen: it costs one failed exec and a fresh lookup.
DAEMON_VARIABLES = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "CONTAINER_HOST",
                    "CONTAINER_CONNECTION", "CONTAINERS_CONF", "CONTAINERS_CONF_OVERRIDE",
                    "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR")


def _cache_key(root: str, settings: ContainerSettings, environ: Mapping[str, str]) -> tuple[Any, ...]:
    """The repository, the settings and which daemon the CLI talks to."""
    daemon = tuple(environ.get(name) for name in DAEMON_VARIABLES)
    return (CACHE_VERSION, root, tuple(settings), daemon)


def _cache_file(root: str, environ: Mapping[str, str]) -> str:
    name = f"{zlib.crc32(os.fsencode(root)):08x}.marshal"  # hashlib's import costs ~5 ms
    return os.path.join(user_cache_dir(environ), "container", name)


def cached(root: str, settings: ContainerSettings, environ: Mapping[str, str]) -> Container | None:
    """The container a previous check found for these settings (not verified: the exec is).
    Stored with marshal, not json: a warm hook imports nothing for it."""
    try:
        key, fields = marshal.loads(read_bytes(_cache_file(root, environ)))
        if key == _cache_key(root, settings, environ):
            return Container(*fields)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    return None


def cache_path(root: str, environ: Mapping[str, str]) -> str:
    return _cache_file(root, environ)


def store(root: str, settings: ContainerSettings, environ: Mapping[str, str],
          found: Container) -> None:
    """Cache a running container (0600 file in a 0700 directory, replaced atomically)."""
    if not found.running or cached(root, settings, environ) == found:
        return
    path = _cache_file(root, environ)
    with contextlib.suppress(OSError, ValueError):
        data = marshal.dumps((_cache_key(root, settings, environ), tuple(found)))
        make_cache_dir(os.path.dirname(path), environ)
        replace_private(path, data)


def forget(root: str, environ: Mapping[str, str]) -> None:
    with contextlib.suppress(OSError):
        os.unlink(_cache_file(root, environ))
