"""The cache of ``vagrant ssh-config``, one file per machine in the user cache dir, keyed on
the machine record (its id, provider, the Vagrantfile, and the mtime of ``synced_folders``,
which Vagrant rewrites on every ``up``/``reload`` — exactly when the forwarded port may
move). A warm check reads it and runs no ``vagrant`` command."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hostlint.environment import user_cache_dir
from hostlint.targets.vagrant.plan import Plan


def cache_dir(environ: Mapping[str, str]) -> Path:
    return user_cache_dir(environ) / "vagrant"


def cache_file(plan: Plan, environ: Mapping[str, str]) -> Path:
    name = hashlib.sha256(f"{plan.project.root}\0{plan.machine}".encode()).hexdigest()[:32]
    return cache_dir(environ) / f"{name}.json"


def _record_key(plan: Plan) -> str | None:
    return plan.record.key(plan.project.vagrantfile) if plan.record is not None else None


def cached_ssh_config(plan: Plan, environ: Mapping[str, str]) -> str | None:
    """The cached ``vagrant ssh-config`` text, if the machine record has not changed."""
    key = _record_key(plan)
    try:
        entry = json.loads(cache_file(plan, environ).read_text())
    except (OSError, ValueError):
        return None
    if key is None or not isinstance(entry, dict) or entry.get("key") != key:
        return None
    text = entry.get("ssh_config")
    return text if isinstance(text, str) else None


def store(plan: Plan, environ: Mapping[str, str], text: str) -> None:
    key = _record_key(plan)
    if key is None:
        return
    path = cache_file(plan, environ)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
        with os.fdopen(fd, "w") as f:
            json.dump({"key": key, "project": str(plan.project.root), "machine": plan.machine,
                       "ssh_config": text}, f)
        os.replace(tmp, path)


def forget(plan: Plan, environ: Mapping[str, str]) -> None:
    with contextlib.suppress(OSError):
        cache_file(plan, environ).unlink()
