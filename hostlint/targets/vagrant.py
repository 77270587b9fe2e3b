"""The Vagrant target: a Vagrant guest is an SSH target whose settings come from Vagrant.

The Vagrant CLI boots Ruby (seconds), so it is asked as rarely as possible: ``vagrant
ssh-config`` once per machine, cached in the user cache dir and keyed on the machine record
(its id, provider, the Vagrantfile, and the mtime of ``synced_folders``, which Vagrant
rewrites on every ``up``/``reload`` — exactly when the forwarded port may move). A warm check
runs no ``vagrant`` command; only a failed connection asks ``vagrant status`` what is wrong.
This is the only module that imports python-vagrant.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hostlint.environment import user_cache_dir, which
from hostlint.errors import TargetUnavailable, UsageError
from hostlint.targets import ssh
from hostlint.targets.base import Context
from hostlint.vagrant_record import Machine, Project, find_project, guest_root, machine_name

#: Vagrant's machine states that mean "not running", with what to do.
ADVICE = {
    "poweroff": "run `vagrant up`",
    "saved": "run `vagrant up` (or `vagrant resume`)",
    "suspended": "run `vagrant resume`",
    "paused": "run `vagrant resume`",
    "aborted": "run `vagrant up`",
    "not_created": "run `vagrant up` to create it",
    "inaccessible": "check the provider (e.g. VirtualBox) and run `vagrant status`",
    "frozen": "run `vagrant up`",
    "stopped": "run `vagrant up`",
    "shutoff": "run `vagrant up`",
}


@dataclass(frozen=True)
class Plan:
    """What the record says: which project, machine and guest path."""

    project: Project
    machine: str
    record: Machine | None
    root: str
    root_source: str

    @property
    def label(self) -> str:
        return f"vagrant machine '{self.machine}'"


def plan(context: Context) -> Plan:
    project = find_project(context.root, context.env.environ)
    if project is None:
        raise UsageError(f"no Vagrantfile in {context.root} or its parent directories",
                         hint="run hostlint inside a Vagrant project, or choose another target")
    name = machine_name(project, context.config.vagrant.machine)
    record = project.machine(name)
    if context.config.vagrant.root:
        root = context.config.vagrant.root
        source = f"{context.config.source.name} [tool.hostlint.vagrant] root"
    elif record is not None:
        root, source = guest_root(project, record, context.root)
    else:
        root, source = "/vagrant", "default"
    return Plan(project, name, record, root, source)


# --- The cache of `vagrant ssh-config` ---


def cache_dir(environ: Mapping[str, str]) -> Path:
    return user_cache_dir(environ) / "vagrant"


def _cache_file(plan: Plan, environ: Mapping[str, str]) -> Path:
    name = hashlib.sha256(f"{plan.project.root}\0{plan.machine}".encode()).hexdigest()[:32]
    return cache_dir(environ) / f"{name}.json"


def _record_key(plan: Plan) -> str | None:
    return plan.record.key(plan.project.vagrantfile) if plan.record is not None else None


def cached_ssh_config(plan: Plan, environ: Mapping[str, str]) -> str | None:
    """The cached ``vagrant ssh-config`` text, if the machine record has not changed."""
    key = _record_key(plan)
    try:
        entry = json.loads(_cache_file(plan, environ).read_text())
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
    path = _cache_file(plan, environ)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
        with os.fdopen(fd, "w") as f:
            json.dump({"key": key, "project": str(plan.project.root), "machine": plan.machine,
                       "ssh_config": text}, f)
        os.replace(tmp, path)


def forget(plan: Plan, environ: Mapping[str, str]) -> None:
    with contextlib.suppress(OSError):
        _cache_file(plan, environ).unlink()


# --- Asking Vagrant (slow: only on a cold cache, or to explain a failure) ---


def _vagrant(plan: Plan, environ: Mapping[str, str]) -> tuple[Any, IO[bytes]]:
    if which("vagrant", environ) is None:
        raise TargetUnavailable("`vagrant` is not installed or not on PATH",
                                hint="install Vagrant, or set target = \"ssh\" with the guest's "
                                "address")
    with _quiet_logging():
        import vagrant  # python-vagrant warns through logging when vagrant is missing

    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    client = vagrant.Vagrant(  # type: ignore[no-untyped-call]  # python-vagrant is untyped
        root=str(plan.project.root), env=dict(environ), err_cm=lambda: contextlib.nullcontext(errors))
    return client, errors


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    import logging

    logger = logging.getLogger("vagrant")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def ask_ssh_config(plan: Plan, environ: Mapping[str, str]) -> str:
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            return str(client.ssh_config(vm_name=plan.machine))
        except Exception:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()
    raise unavailable(plan, environ, detail=detail[0] if detail else None)


def state(plan: Plan, environ: Mapping[str, str]) -> str | None:
    """``vagrant status --machine-readable``: the machine's state, or None if Vagrant fails."""
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            statuses = client.status(vm_name=plan.machine)
        except Exception:
            return None
    for status in statuses:
        if status.name == plan.machine:
            return str(status.state)
    return None


def unavailable(plan: Plan, environ: Mapping[str, str], *, detail: str | None = None,
                cause: TargetUnavailable | None = None) -> TargetUnavailable:
    """The one line explaining why the machine cannot be used."""
    current = state(plan, environ)
    if current is not None and current != "running":
        advice = ADVICE.get(current, "run `vagrant up`")
        return TargetUnavailable(f"{plan.label} is {current}: {advice}")
    if cause is not None:
        return cause
    return TargetUnavailable(f"vagrant could not give the ssh settings of {plan.label}"
                             + (f": {detail}" if detail else ""),
                             hint="run `vagrant ssh-config " + plan.machine + "` to see why")


# --- The registry's entry points ---


def open_target(context: Context) -> ssh.SshTarget:
    found = plan(context)
    environ = context.env.environ
    if found.record is None:
        raise TargetUnavailable(f"{found.label} is not_created (no record in "
                                f"{found.project.root}/.vagrant): run `vagrant up`")
    text = cached_ssh_config(found, environ)
    warm = text is not None
    if text is None:
        text = ask_ssh_config(found, environ)
        store(found, environ, text)
    try:
        return _connect(found, context, text)
    except TargetUnavailable as exc:
        forget(found, environ)
        explained = unavailable(found, environ, cause=exc)
        if explained is exc and warm:  # running, yet the cached settings failed: ask again
            text = ask_ssh_config(found, environ)
            store(found, environ, text)
            return _connect(found, context, text)
        raise explained from None


def _connect(found: Plan, context: Context, text: str) -> ssh.SshTarget:
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    return ssh.open_ssh_target(endpoint, context, root=found.root, name=found.label)


def connecting(context: Context) -> str:
    project = find_project(context.root, context.env.environ)
    name = machine_name(project, context.config.vagrant.machine)
    return f"connecting to vagrant machine '{name}'..."


def describe(context: Context) -> list[tuple[str, str]]:
    found = plan(context)
    environ = context.env.environ
    rows = [
        ("project", str(found.project.root)),
        ("Vagrantfile", str(found.project.vagrantfile)),
        ("machine", found.machine),
        ("provider", found.record.provider if found.record else "no record (not created)"),
        ("guest root", f"{found.root} (from {found.root_source})"),
    ]
    text = cached_ssh_config(found, environ)
    if text is None:
        rows.append(("ssh settings", "not cached: the next check asks `vagrant ssh-config` once"))
        return rows
    rows.append(("ssh settings", f"cached in {_cache_file(found, environ)}"))
    endpoint = ssh.resolve(found.machine, environ=environ, ssh_config=text)
    rows += [row for row in ssh.describe_endpoint(endpoint, root=found.root) if row[0] != "root"]
    return rows
