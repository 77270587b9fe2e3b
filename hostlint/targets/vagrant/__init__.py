"""The Vagrant target: a Vagrant guest is an SSH target whose settings come from Vagrant.

The Vagrant CLI boots Ruby (seconds), so it is asked as rarely as possible (``cli``):
``vagrant ssh-config`` once per machine, cached (``cache``) and keyed on the machine record
(``plan`` reads which machine and guest path). A warm check runs no ``vagrant`` command;
only a failed connection asks ``vagrant status`` what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from hostlint import keeper
from hostlint.errors import TargetUnavailable
from hostlint.targets import ssh
from hostlint.targets.base import Context, Target
from hostlint.targets.vagrant.cache import cache_file, cached_ssh_config, forget, store
from hostlint.targets.vagrant.cli import ask_ssh_config, unavailable
from hostlint.targets.vagrant.plan import Plan, plan
from hostlint.vagrant_record import find_project, machine_name, rsync_folder, rsync_note


def open_target(context: Context) -> Target:
    found = plan(context)
    environ = context.env.environ
    if found.record is None:
        raise TargetUnavailable(f"{found.label} is not_created (no record in "
                                f"{found.project.root}/.vagrant): run `vagrant up`")
    rsync = _rsync(found, context.root)
    if rsync and context.env.is_tty:
        context.env.message(f"warning: {rsync_note(rsync)}")
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


def _keeper_settings(found: Plan, context: Context, text: str) -> keeper.Settings:
    return keeper.settings_of(context, spec=found.machine, root=found.root, name=found.label,
                              ssh_config=text)


def keeper_settings(context: Context) -> keeper.Settings | None:
    """The warm connection's identity: only with cached settings can there be one."""
    found = plan(context)
    text = cached_ssh_config(found, context.env.environ)
    return _keeper_settings(found, context, text) if text is not None else None


def _connect(found: Plan, context: Context, text: str) -> Target:
    """Through the machine's keeper (no paramiko here), else a direct connection."""
    kept = keeper.open_target(_keeper_settings(found, context, text), context)
    if kept is not None:
        return kept
    endpoint = ssh.resolve(found.machine, environ=context.env.environ, ssh_config=text)
    return ssh.open_ssh_target(endpoint, context, root=found.root, name=found.label)


def _rsync(found: Plan, repo_root: Path) -> str | None:
    if found.record is None:
        return None
    return rsync_folder(found.record.path / "synced_folders", repo_root)


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
    text = cached_ssh_config(found, environ)
    if text is None:
        rows.append(("ssh settings", "not cached: the next check asks `vagrant ssh-config` once"))
        return rows
    rows.append(("ssh settings", f"cached in {cache_file(found, environ)}"))
    rows.append(keeper.describe(_keeper_settings(found, context, text), context))
    endpoint = ssh.resolve(found.machine, environ=environ, ssh_config=text)
    rows += [row for row in ssh.describe_endpoint(endpoint, root=found.root) if row[0] != "root"]
    return rows
