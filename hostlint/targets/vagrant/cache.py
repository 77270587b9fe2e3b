"""The cache of ``vagrant ssh-config``, one file per machine in the user cache dir, keyed on
the machine record (its id, provider, the Vagrantfile, and the mtime of ``synced_folders``,
which VirtualBox rewrites on every ``up``/``reload``; a new container or VM has a new id).
Beside it, the guest's host key as the cold path saw it (``<entry>.known_hosts``): Vagrant's
settings accept any key, so this pin is what a warm check trusts. A warm check reads both
and runs no ``vagrant`` command."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from hostlint.environment import make_cache_dir, user_cache_dir
from hostlint.fsutil import replace_private
from hostlint.targets.vagrant.plan import Plan
from hostlint.typing_lite import NamedTuple


def cache_dir(environ: Mapping[str, str]) -> Path:
    return Path(user_cache_dir(environ), "vagrant")


def cache_file(plan: Plan, environ: Mapping[str, str]) -> Path:
    name = hashlib.sha256(f"{plan.project.root}\0{plan.machine}".encode()).hexdigest()[:32]
    return cache_dir(environ) / f"{name}.json"


def _record_key(plan: Plan) -> str | None:
    return plan.record.key(plan.project.vagrantfile) if plan.record is not None else None


class Cached(NamedTuple):
    ssh_config: str
    known_hosts: Path  # the guest's host key, pinned on the cold path


def cached(plan: Plan, environ: Mapping[str, str]) -> Cached | None:
    """The cached ``vagrant ssh-config`` text and pinned host key, if the machine record has
    not changed."""
    key = _record_key(plan)
    path = cache_file(plan, environ)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if key is None or not isinstance(entry, dict) or entry.get("key") != key:
        return None
    text, pin = entry.get("ssh_config"), path.with_suffix(".known_hosts")
    return Cached(text, pin) if isinstance(text, str) and pin.is_file() else None


def store(plan: Plan, environ: Mapping[str, str], text: str, known_hosts_line: str) -> None:
    key = _record_key(plan)
    if key is None:
        return
    path = cache_file(plan, environ)
    with contextlib.suppress(OSError):
        make_cache_dir(path.parent, environ)
        replace_private(path.with_suffix(".known_hosts"), (known_hosts_line + "\n").encode())
        replace_private(path, json.dumps({"key": key, "project": str(plan.project.root),
                                          "machine": plan.machine, "ssh_config": text}).encode())


def forget(plan: Plan, environ: Mapping[str, str]) -> None:
    path = cache_file(plan, environ)
    for stale in (path, path.with_suffix(".known_hosts")):
        with contextlib.suppress(OSError):
            stale.unlink()
