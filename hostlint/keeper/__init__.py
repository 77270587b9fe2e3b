"""Warm connections: after a remote check, a per-user background keeper holds the
authenticated SSH connection for ``persist`` seconds of idleness, and later checks run
their linters over it through a Unix socket (see docs/architecture.md, "Warm connections").

* ``identity`` — the keeper key (a hash of every setting that decides the connection) and
  the private socket directory, without paramiko;
* ``protocol`` — the frames spoken over the socket;
* ``lock`` — the per-key lock and the peer-uid check both sides use;
* ``client`` — find or start the keeper, ``KeeperTarget``/``KeeperProcess`` (no paramiko);
* ``server`` — the daemon itself (the only part that imports the SSH target).

This module holds what the targets and the CLI call: ``open_target``, ``describe`` (for
``hostlint detect``) and ``stop`` (``hostlint stop``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from hostlint.environment import terminal_size
from hostlint.keeper.identity import Settings, directories, key, socket_path
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hostlint.keeper.client import KeeperTarget
    from hostlint.targets.base import Context

__all__ = ["Keeper", "Settings", "describe", "is_keeper", "keepers", "open_target",
           "settings_of", "stop"]


def settings_of(context: Context, *, spec: str, root: str, name: str,
                ssh_config: str | None = None) -> Settings:
    config = context.config
    return Settings(spec, root, name, ssh_config, float(config.connect_timeout),
                    float(config.alive_timeout))


def open_target(settings: Settings, context: Context, **words: str) -> KeeperTarget | None:
    """The target through its keeper, or None: connect directly (see ``client.open_target``);
    ``words``: how the target names itself (``where``, ``path_hint``, ``root_hint``)."""
    from hostlint.keeper import client

    env = context.env
    width, height = terminal_size((0, 0)) if env.is_tty else (0, 0)
    terminal = client.Terminal(env.environ.get("TERM", "") if env.is_tty else "", width, height)
    return client.open_target(settings, persist=context.config.persist, environ=env.environ,
                              terminal=terminal, words=words)


class Keeper(NamedTuple):
    """A running keeper, as its info file and its hello describe it."""

    pid: int
    started: float
    name: str
    spec: str
    socket: Path
    answering: bool


def keepers(environ: Mapping[str, str]) -> list[Keeper]:
    """This user's keepers (those with an info file), each asked whether it answers."""
    import json  # only ``detect`` and ``stop`` read info files: a check does not pay for it

    from hostlint.keeper.client import attach

    found = []
    for directory in dict.fromkeys(directories(environ)):
        for info in sorted(directory.glob("k*.json")):
            try:
                data = json.loads(info.read_text())
                path = Path(data["socket"])
                session = attach(path)
                if session is not None:
                    session.close()
                found.append(Keeper(int(data["pid"]), float(data["started"]), str(data["name"]),
                                    str(data["spec"]), path, session is not None))
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return found


def describe(settings: Settings, context: Context) -> tuple[str, str]:
    """The ``hostlint detect`` row: is a keeper up for this target, and since when."""
    persist = context.config.persist
    if persist <= 0:
        return ("warm connection", "off (persist = 0)")
    path = socket_path(key(settings, context.env.environ), context.env.environ)
    for keeper in keepers(context.env.environ):
        if keeper.socket == path and keeper.answering:
            return ("warm connection", f"up for {_age(time.time() - keeper.started)} "
                    f"(keeper pid {keeper.pid}; ends after {persist} s idle)")
    return ("warm connection", f"none (the next check starts one, kept {persist} s idle)")


def _age(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def stop(environ: Mapping[str, str], *, only: Settings | None = None) -> list[Keeper]:
    """End this user's keepers (or only the one for ``only``): asked to stop over the socket,
    or, if one does not answer, signalled by the pid its info file holds."""
    from hostlint.keeper import protocol
    from hostlint.keeper.client import attach

    wanted = socket_path(key(only, environ), environ) if only is not None else None
    ended = []
    for keeper in keepers(environ):
        if wanted is not None and keeper.socket != wanted:
            continue
        session = attach(keeper.socket) if keeper.answering else None
        if session is not None:
            with contextlib.suppress(OSError, TimeoutError, protocol.Closed):
                session.receive(2.0)  # READY (or its error): then it listens for STOP
                session.send(protocol.frame(protocol.STOP))
            session.close()
        if not _gone_within(keeper.pid, 2.0):
            _kill(keeper)
            for path in (keeper.socket, keeper.socket.with_suffix(".json")):
                with contextlib.suppress(OSError):
                    path.unlink()
        ended.append(keeper)
    return ended


def is_keeper(pid: int) -> bool:
    """Whether ``pid`` is a live keeper process (a zombie is not)."""
    try:
        return b"hostlint.keeper.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_keeper(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _kill(keeper: Keeper) -> None:
    """A keeper that does not answer (stopped, wedged): SIGKILL, if that pid is still a
    keeper of this user's."""
    if is_keeper(keeper.pid) and os.stat(f"/proc/{keeper.pid}").st_uid == os.getuid():
        with contextlib.suppress(OSError):
            os.kill(keeper.pid, signal.SIGKILL)
            os.kill(keeper.pid, signal.SIGCONT)
        _gone_within(keeper.pid, 2.0)
