"""``[user@]host[:port]`` as written in ``[tool.hostlint.ssh] host``: its parts, and a refusal
of names that would reach a shell through ``%h``/``%r`` (CVE-2023-51385), as OpenSSH 9.6
refuses them. No paramiko here: the check asks this before it asks a warm connection."""

from __future__ import annotations

from hostlint.errors import ConfigError


def parse_spec(spec: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` (``[v6addr]:port`` too) → (user, host, port)."""
    user, _, rest = spec.rpartition("@")
    port: int | None = None
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif rest.count(":") == 1 and rest.rpartition(":")[2].isdigit():
        host, _, number = rest.rpartition(":")
        port = int(number)
    else:
        host = rest
    if not host or (port is not None and not 0 < port < 65536):
        raise ConfigError(f"ssh host {spec!r} is not an alias or [user@]host[:port]",
                          hint="set [tool.hostlint.ssh] host to an alias from ~/.ssh/config "
                          "or user@host:port")
    if not _safe(host, HOST_UNSAFE) or (user and not _safe(user, USER_UNSAFE)):
        raise ConfigError(f"ssh host {spec!r} has shell metacharacters, a leading '-' or "
                          "whitespace (%h and %r in ProxyCommand would hand them to a shell)",
                          hint="set [tool.hostlint.ssh] host to a plain alias or user@host:port")
    return user or None, host, port


#: What OpenSSH 9.6 refuses in a host and a user name given on its command line
#: (CVE-2023-51385): they reach a shell through ``%h`` / ``%r`` in ProxyCommand and Match exec.
HOST_UNSAFE, USER_UNSAFE = "'`\"$\\;&<>|(){}", "'`\";&<>|(){}"


def _safe(name: str, unsafe: str) -> bool:
    return not (name.startswith("-") or name.endswith("\\") or any(
        c in unsafe or c.isspace() or not c.isprintable() for c in name))
