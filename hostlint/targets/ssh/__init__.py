"""The SSH target: linters run on any SSH host over one paramiko connection, one session
channel with a pty per run (fabric's ``Remote``). One SSH concept per module:

* ``spec`` — ``[user@]host[:port]``, names a shell would act on refused
* ``endpoint`` — the spec and ``~/.ssh/config`` → ``Endpoint``
* ``ssh_config`` — the config files for one host, ``Include`` nested as OpenSSH does it
* ``known_hosts`` — host keys: known_hosts entries, fingerprints, the check
* ``transport`` — the only module touching paramiko internals (and how it is imported)
* ``connect`` — socket, jump hosts / ProxyCommand, handshake
* ``proxy`` — the ProxyCommand child (its exit, its stderr, ended with the connection)
* ``auth`` — keys and the ssh-agent
* ``connection`` — the ``Connection``: channels, the MaxSessions queue, liveness
* ``remote`` — the one quoted remote command, ``SshTarget`` and ``SshProcess``
* ``started`` — the start marker: did the remote shell run the command at all?
* ``channel`` — short commands without a pty: status checks, files put on the target

This module holds the registry's entry points and the names the Vagrant target builds on.
Importing it loads nothing else: paramiko comes with the first of those names used, so
opening the target (not asking how to announce it) pays for it.
"""

from __future__ import annotations

from hostlint import keeper
from hostlint.errors import ConfigError
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from hostlint.targets.base import Context, Target
    from hostlint.targets.ssh.endpoint import describe_endpoint, resolve
    from hostlint.targets.ssh.remote import SshTarget, open_ssh_target

__all__ = ["SshTarget", "connecting", "describe", "describe_endpoint", "keeper_settings",
           "open_ssh_target", "open_target", "resolve", "shell_path_hint"]

#: The names the Vagrant target uses, and the module of this package that defines each.
_FROM = {"resolve": "endpoint", "describe_endpoint": "endpoint", "SshTarget": "remote",
         "open_ssh_target": "remote"}


def __getattr__(name: str) -> object:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(__import__(f"{__name__}.{_FROM[name]}", fromlist=[name]), name)


def connecting(context: Context) -> str | None:
    """What to show while connecting takes long."""
    return f"connecting to {context.config.ssh.host}..."


def keeper_settings(context: Context) -> keeper.Settings:
    """What identifies this target's warm connection."""
    host, root = _settings(context)
    return keeper.settings_of(context, spec=host, root=root, name="ssh")


def open_target(context: Context) -> Target:
    """Through the target's keeper (no paramiko here), else a direct connection."""
    host, root = _settings(context)
    words = {"where": f"ssh {host}:{root}", "root_hint": "check [tool.hostlint.ssh] root",
             "path_hint": shell_path_hint(host)}
    kept = keeper.open_target(keeper_settings(context), context, **words)
    if kept is not None:
        return kept
    from hostlint.targets.ssh import endpoint, remote

    return remote.open_ssh_target(endpoint.resolve(host, environ=context.env.environ), context,
                                  root=root, **words)


def shell_path_hint(place: str) -> str:
    """What decides the PATH a command finds over SSH (for exit 126/127)."""
    return (f"the PATH of the remote account's shell on {place} (sshd runs the command with "
            "`$SHELL -c`, not as a login shell: ~/.profile is not read)")


def describe(context: Context) -> list[tuple[str, str]]:
    from hostlint.targets.ssh import endpoint

    host, root = _settings(context)
    rows = endpoint.describe_endpoint(endpoint.resolve(host, environ=context.env.environ), root=root)
    return [*rows, keeper.describe(keeper_settings(context), context)]


def _settings(context: Context) -> tuple[str, str]:
    from hostlint.targets.ssh.spec import parse_spec

    host, root = context.config.ssh.host, context.config.ssh.root
    if not host or not root:
        raise ConfigError(f"{context.config.source}: the ssh target needs [tool.hostlint.ssh] "
                          "host and root", hint="set host = \"devbox\" and root = \"/path/on/devbox\"")
    parse_spec(host)  # refused here, before a warm connection is asked
    return host, root
