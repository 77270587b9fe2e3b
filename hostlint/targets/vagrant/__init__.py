"""The Vagrant target: a Vagrant guest is an SSH target whose settings come from Vagrant.

The Vagrant CLI boots Ruby (seconds), so it is asked as rarely as possible (``cli``):
``vagrant ssh-config`` once per machine, cached (``cache``) and keyed on the machine record
(``plan`` reads which machine and guest path). A warm check runs no ``vagrant`` command;
only a failed connection asks ``vagrant status`` what is wrong.

Vagrant's settings say ``StrictHostKeyChecking no``: the guest's host key is whatever answers
on the forwarded port. The cold path trusts it (it came through Vagrant's own settings, as
``vagrant ssh`` does) and pins it in the cache; a warm check accepts only that key, so a
process that took the port of a halted guest is never sent a command or a file name.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hostlint import keeper
from hostlint.errors import ConnectFailed, TargetUnavailable
from hostlint.targets import ssh
from hostlint.targets.base import Context, Target
from hostlint.targets.vagrant.cache import cache_file, cached, forget, store
from hostlint.targets.vagrant.cli import State, ask_ssh_config, not_running, unavailable
from hostlint.targets.vagrant.plan import Plan, plan
from hostlint.vagrant_record import find_project, machine_name, rsync_folder, rsync_note


def open_target(context: Context) -> Target:
    found = plan(context)
    environ = context.env.environ
    if found.record is None:
        raise not_running(found, State("not_created", "not created"))
    rsync = _rsync(found, context.root)
    if rsync and context.env.is_tty:
        context.env.message(f"warning: {rsync_note(rsync)}")
    entry = cached(found, environ)
    if entry is None:
        return _cold(found, context)
    try:
        return _connect(found, context, _pinned(entry.ssh_config, entry.known_hosts))
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
        target = _direct(found, context, text)
    except TargetUnavailable as exc:
        raise unavailable(found, environ, cause=exc) from None
    endpoint = target.connection.endpoint
    key = target.connection.transport.get_remote_server_key()
    store(found, environ, text, f"{endpoint.known_hosts_name} {key.get_name()} {key.get_base64()}")
    return target


def _pinned(text: str, known_hosts: Path) -> str:
    """Vagrant's settings with its ``StrictHostKeyChecking no`` replaced by the pinned key:
    one text, so the direct connection and the warm one (which is keyed on it) agree."""
    dropped = ("stricthostkeychecking", "userknownhostsfile", "globalknownhostsfile")
    lines = [line for line in text.splitlines()
             if not line.strip() or line.split(None, 1)[0].lower() not in dropped]
    return "\n".join([*lines, "  StrictHostKeyChecking yes",
                      f"  UserKnownHostsFile {shlex.quote(str(known_hosts))}",
                      "  GlobalKnownHostsFile none"]) + "\n"


def _keeper_settings(found: Plan, context: Context, text: str) -> keeper.Settings:
    return keeper.settings_of(context, spec=found.machine, root=found.root, name=found.label,
                              ssh_config=text)


def keeper_settings(context: Context) -> keeper.Settings | None:
    """The warm connection's identity: only with a pinned key can there be one."""
    found = plan(context)
    entry = cached(found, context.env.environ)
    if entry is None:
        return None
    return _keeper_settings(found, context, _pinned(entry.ssh_config, entry.known_hosts))


def _connect(found: Plan, context: Context, text: str) -> Target:
    """Through the machine's keeper (no paramiko here), else a direct connection."""
    kept = keeper.open_target(_keeper_settings(found, context, text), context, **_words(found))
    return kept if kept is not None else _direct(found, context, text)


def _words(found: Plan) -> dict[str, str]:
    """How the Vagrant target names itself and what it advises (the SSH target's wording
    is about a plain host)."""
    return {"where": f"{found.label}:{found.root}", "path_hint": ssh.shell_path_hint(found.label),
            "root_hint": "is the synced folder mounted (`vagrant reload` mounts it)? Else set "
            "[tool.hostlint.vagrant] root"}


def _direct(found: Plan, context: Context, text: str) -> ssh.SshTarget:
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    return ssh.open_ssh_target(endpoint, context, root=found.root, name=found.label, **_words(found))


def _address(found: Plan, context: Context, text: str) -> str:
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    return f"{endpoint.host}:{endpoint.port}"


def _rsync(found: Plan, repo_root: str) -> str | None:
    return rsync_folder(found.record, repo_root) if found.record is not None else None


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
    rsync = _rsync(found, context.root)
    if rsync:
        rows.append(("synced folder", rsync_note(rsync)))
    entry = cached(found, environ)
    if entry is None:
        rows.append(("ssh settings", "not cached: the next check asks `vagrant ssh-config` once"))
        return rows
    rows.append(("ssh settings", f"cached in {cache_file(found, environ)}"))
    pinned = _pinned(entry.ssh_config, entry.known_hosts)
    rows.append(keeper.describe(_keeper_settings(found, context, pinned), context))
    endpoint = ssh.resolve(found.machine, environ=environ, ssh_config=pinned)
    rows += [("known_hosts", f"host key pinned in {entry.known_hosts} (learnt through Vagrant's "
              "settings)") if row[0] == "known_hosts" else row
             for row in ssh.describe_endpoint(endpoint, root=found.root) if row[0] != "root"]
    return rows
