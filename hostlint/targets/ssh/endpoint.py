"""Where to connect: ``[user@]host[:port]`` and ``~/.ssh/config`` → an ``Endpoint``.

``resolve(spec, environ=...)`` reads the user's config and ``/etc/ssh/ssh_config`` (module
``ssh_config``), or only the text it is given (what ``vagrant ssh-config`` prints).
``describe_endpoint`` shows the result for ``hostlint detect``. A host or user that would
reach a shell through ``%h``/``%r`` is refused, as OpenSSH 9.6 does.
"""

from __future__ import annotations

import os
import pwd
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hostlint.errors import ConfigError
from hostlint.keeper.identity import (
    DEFAULT_IDENTITIES,
    DEFAULT_KNOWN_HOSTS,
    GLOBAL_KNOWN_HOSTS,
    expand,
)
from hostlint.targets.ssh.spec import parse_spec
from hostlint.targets.ssh.ssh_config import lookup

SSH_PORT = 22


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to reach one SSH host; no key material."""

    host: str
    port: int = SSH_PORT
    user: str = field(default_factory=lambda: pwd.getpwuid(os.getuid()).pw_name)
    identity_files: tuple[str, ...] = ()
    identities_only: bool = False
    proxy_command: str | None = None
    proxy_jump: str | None = None
    known_hosts: tuple[str, ...] = ()
    check_host_key: bool = True
    alias: str = ""
    host_key_alias: str | None = None
    use_agent: bool = True

    @property
    def label(self) -> str:
        """How messages name this host: the alias as written, and where it leads."""
        return f"{self.alias} ({self.address})" if self.is_alias else self.address

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}" + (f":{self.port}" if self.port != SSH_PORT else "")

    @property
    def is_alias(self) -> bool:
        """Was the host given by a name that ~/.ssh/config (or Vagrant) maps elsewhere?"""
        return bool(self.alias) and _spec_host(self.alias) != self.host

    @property
    def for_alias(self) -> str:
        return f" (for {self.alias})" if self.is_alias else ""

    @property
    def known_hosts_name(self) -> str:
        """The name known_hosts files store this host under."""
        name = self.host_key_alias or self.host
        return name if self.port == SSH_PORT or self.host_key_alias else f"[{name}]:{self.port}"


def _spec_host(spec: str) -> str | None:
    try:
        return parse_spec(spec)[1]
    except ConfigError:
        return None


def resolve(spec: str, *, environ: Mapping[str, str], ssh_config: str | None = None) -> Endpoint:
    """The endpoint for ``spec`` (an alias or ``[user@]host[:port]``), with the settings
    ``~/.ssh/config`` and ``/etc/ssh/ssh_config`` give it — or, when ``ssh_config`` is the text
    of a config (``vagrant ssh-config``), with that text only; then its
    ``StrictHostKeyChecking no`` is honoured (Vagrant guests): any host key is accepted and
    nothing is written. From the user's own config, host keys are always checked."""
    home = environ.get("HOME") or os.path.expanduser("~")
    user, host, port = parse_spec(spec)
    options = lookup(host, home=home, text=ssh_config)
    hostname = options.get("hostname", host)
    try:
        port = port or int(options.get("port", SSH_PORT))
    except ValueError:
        raise ConfigError(f"ssh config: Port {options.get('port')!r} for {spec} is not a number",
                          hint="fix ~/.ssh/config") from None
    user = user or options.get("user") or pwd.getpwuid(os.getuid()).pw_name
    identities = tuple(expand(p, home) for p in options.get("identityfile", []))
    if not identities and ssh_config is None:
        identities = tuple(p for p in (expand(d, home) for d in DEFAULT_IDENTITIES) if os.path.exists(p))
    known = _files(options.get("userknownhostsfile"), DEFAULT_KNOWN_HOSTS, home)
    known += _files(options.get("globalknownhostsfile"), GLOBAL_KNOWN_HOSTS, home)
    strict = str(options.get("stricthostkeychecking", "yes")).lower()
    proxy_jump = options.get("proxyjump")
    return Endpoint(
        host=hostname,
        port=port,
        user=user,
        identity_files=identities,
        identities_only=str(options.get("identitiesonly", "no")).lower() == "yes",
        proxy_command=options.get("proxycommand") or None,
        proxy_jump=None if not proxy_jump or proxy_jump.lower() == "none" else proxy_jump,
        known_hosts=known,
        check_host_key=not (ssh_config is not None and strict in ("no", "off")),
        alias=spec,
        host_key_alias=options.get("hostkeyalias"),
        use_agent=bool(environ.get("SSH_AUTH_SOCK")),
    )




def _files(value: str | None, default: Sequence[str], home: str) -> tuple[str, ...]:
    names = shlex.split(value) if value else list(default)
    return tuple(expand(n, home) for n in names if n.lower() != "none")


def describe_endpoint(endpoint: Endpoint, *, root: str) -> list[tuple[str, str]]:
    """Rows for ``hostlint detect``: where and how hostlint connects (never key material)."""
    proxy = (f"ProxyJump {endpoint.proxy_jump}" if endpoint.proxy_jump
             else f"ProxyCommand {endpoint.proxy_command}" if endpoint.proxy_command else "none")
    known = ", ".join(endpoint.known_hosts) if endpoint.check_host_key else "not checked"
    return [
        ("host", f"{endpoint.alias} -> {endpoint.host}" if endpoint.alias != endpoint.host
         else endpoint.host),
        ("user", endpoint.user),
        ("port", str(endpoint.port)),
        ("identity files", ", ".join(endpoint.identity_files) or "none found"),
        ("identities only", "yes" if endpoint.identities_only else "no"),
        ("ssh-agent", "used" if endpoint.use_agent else "not used (no SSH_AUTH_SOCK)"),
        ("known_hosts", known),
        ("proxy", proxy),
        ("root", root),
    ]
