"""The Vagrant target: a Vagrant guest is an SSH target whose settings come from Vagrant.

The Vagrant CLI boots Ruby (seconds), so it is asked as rarely as possible: ``vagrant
ssh-config`` once per machine, cached in the user cache dir and keyed on the machine record
(its id, provider, the Vagrantfile, and the mtime of ``synced_folders``, which Vagrant
rewrites on every ``up``/``reload`` — exactly when the forwarded port may move). A warm check
runs no ``vagrant`` command; only a failed connection asks ``vagrant status`` what is wrong.

Vagrant's settings say ``StrictHostKeyChecking no``: the guest's host key is whatever answers
on the forwarded port. The cold path trusts it (it came through Vagrant's own settings, as
``vagrant ssh`` does) and pins it in the cache; a warm check accepts only that key, so a
process that took the port of a halted guest is never sent a command or a file name.
This is the only module that imports python-vagrant.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from hostlint import staging
from hostlint.detect import machine_name
from hostlint.environment import user_cache_dir, which
from hostlint.errors import ConnectFailed, TargetUnavailable, UsageError
from hostlint.targets import Context, ssh
from hostlint.targets.vagrant_record import Machine, Project, find_project, guest_root

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
    project = context.facts.vagrant_project or find_project(context.root, context.env.environ)
    if project is None:
        raise UsageError(f"no Vagrantfile in {context.root} or its parent directories",
                         hint="run hostlint inside a Vagrant project, or choose another target")
    name = machine_name(context.config, project)
    record = project.machine(name)
    if record is not None and not record.created:
        record = None  # destroyed: its directory stays, empty
    if context.config.vagrant.root:
        root = context.config.vagrant.root
        source = f"{context.config.source.name} [tool.hostlint.vagrant] root"
    elif record is not None:
        root, source = guest_root(project, record, context.root)
    else:
        root, source = "/vagrant", "default"
    return Plan(project, name, record, root, source)


# ----------------------------------------------------------------------------------------
# The cache of `vagrant ssh-config`
# ----------------------------------------------------------------------------------------


def cache_dir(environ: Mapping[str, str]) -> Path:
    return user_cache_dir(environ) / "vagrant"


def _cache_file(plan: Plan, environ: Mapping[str, str]) -> Path:
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
    path = _cache_file(plan, environ)
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
    path = _cache_file(plan, environ)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_private(path.with_suffix(".known_hosts"), known_hosts_line + "\n")
        _write_private(path, json.dumps({"key": key, "project": str(plan.project.root),
                                         "machine": plan.machine, "ssh_config": text}))


def _write_private(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def forget(plan: Plan, environ: Mapping[str, str]) -> None:
    path = _cache_file(plan, environ)
    for stale in (path, path.with_suffix(".known_hosts")):
        with contextlib.suppress(OSError):
            stale.unlink()


# ----------------------------------------------------------------------------------------
# Asking Vagrant (slow: only on a cold cache, or to explain a failure)
# ----------------------------------------------------------------------------------------


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


class State(NamedTuple):
    id: str  # `running`, `poweroff`, `stopped`, `not_created`, ...
    words: str  # what `vagrant status` shows for it: `not created`


def state(plan: Plan, environ: Mapping[str, str]) -> State | None:
    """``vagrant status --machine-readable``: the machine's state, or None if Vagrant fails."""
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            output = client._run_vagrant_command(["status", "--machine-readable", plan.machine])
        except Exception:
            return None
    return parse_status(str(output), plan.machine)


def parse_status(output: str, machine: str) -> State | None:
    """The ``state`` and ``state-human-short`` lines of ``machine`` (``%!(VAGRANT_COMMA)``
    decoded)."""
    fields: dict[str, str] = {}
    for line in output.splitlines():
        parts = line.split(",", 3)
        if len(parts) == 4 and parts[1] == machine:
            fields.setdefault(parts[2], parts[3].replace("%!(VAGRANT_COMMA)", ","))
    if not fields.get("state"):
        return None
    words = fields.get("state-human-short") or fields["state"].replace("_", " ")
    return State(fields["state"], words)


def not_running(plan: Plan, current: State, *, note: str = "") -> TargetUnavailable:
    advice = ADVICE.get(current.id, "run `vagrant up`")
    return TargetUnavailable(f"{plan.label} is {current.words}: {advice}{note}")


def unavailable(plan: Plan, environ: Mapping[str, str], *, detail: str | None = None,
                cause: TargetUnavailable | None = None, note: str = "") -> TargetUnavailable:
    """The one line explaining why the machine cannot be used."""
    current = state(plan, environ)
    if current is not None and current.id != "running":
        return not_running(plan, current, note=note)
    if cause is not None:
        return cause
    return TargetUnavailable(f"vagrant could not give the ssh settings of {plan.label}"
                             + (f": {detail}" if detail else ""),
                             hint="run `vagrant ssh-config " + plan.machine + "` to see why")


# ----------------------------------------------------------------------------------------
# The registry's entry points
# ----------------------------------------------------------------------------------------


def open_target(context: Context) -> ssh.SshTarget:
    found = plan(context)
    environ = context.env.environ
    if found.record is None:
        raise not_running(found, State("not_created", "not created"))
    rsync = _rsync(found, context.root)
    if rsync and context.env.is_tty:
        context.env.message(f"warning: {staging.rsync_note(rsync)}")
    entry = cached(found, environ)
    if entry is None:
        return _cold(found, context)
    try:
        return _connect(found, context, entry.ssh_config, pinned=entry.known_hosts)
    except TargetUnavailable as exc:
        forget(found, environ)
        impostor = isinstance(exc, ConnectFailed) and exc.reason.startswith("host-key")
        note = (f" (another SSH server answers on {_address(found, context, entry.ssh_config)}, "
                "with a different host key; nothing was sent to it)") if impostor else ""
        explained = unavailable(found, environ, cause=exc, note=note)
        if explained is not exc:
            raise explained from None
        # Vagrant says it runs, yet the cached settings failed: ask it again, once.
        return _cold(found, context)


def _cold(found: Plan, context: Context) -> ssh.SshTarget:
    """Ask Vagrant, connect with its settings and pin the host key the guest showed."""
    environ = context.env.environ
    text = ask_ssh_config(found, environ)
    try:
        target = _connect(found, context, text, pinned=None)
    except TargetUnavailable as exc:
        raise unavailable(found, environ, cause=exc) from None
    endpoint = target.connection.endpoint
    key = target.connection.transport.get_remote_server_key()
    store(found, environ, text, f"{endpoint.known_hosts_name} {key.get_name()} {key.get_base64()}")
    return target


def _connect(found: Plan, context: Context, text: str, *, pinned: Path | None) -> ssh.SshTarget:
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    if pinned is not None:
        endpoint = dataclasses.replace(endpoint, check_host_key=True, known_hosts=(str(pinned),))
    return ssh.open_ssh_target(endpoint, context, root=found.root, name=found.label)


def _address(found: Plan, context: Context, text: str) -> str:
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    return f"{endpoint.host}:{endpoint.port}"


def _rsync(found: Plan, repo_root: Path) -> str | None:
    if found.record is None:
        return None
    return staging.rsync_folder(found.record.path / "synced_folders", repo_root)


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
    rsync = _rsync(found, context.root)
    if rsync:
        rows.append(("synced folder", staging.rsync_note(rsync)))
    entry = cached(found, environ)
    if entry is None:
        rows.append(("ssh settings", "not cached: the next check asks `vagrant ssh-config` once"))
        return rows
    rows.append(("ssh settings", f"cached in {_cache_file(found, environ)}"))
    endpoint = ssh.resolve(found.machine, environ=environ, ssh_config=entry.ssh_config)
    rows += [("known_hosts", f"host key pinned in {entry.known_hosts} (learnt through Vagrant's "
              "settings)") if row[0] == "known_hosts" else row
             for row in ssh.describe_endpoint(endpoint, root=found.root) if row[0] != "root"]
    return rows
