"""Host keys: ``known_hosts`` entries (hashed, ``[host]:port``, wildcards, negation,
``@revoked``), ``ssh-keygen``-style fingerprints, and the check that refuses a host whose
key is unknown, changed or revoked — before anything runs on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hostlint.errors import ConnectFailed
from hostlint.targets.ssh.endpoint import SSH_PORT, Endpoint

if TYPE_CHECKING:
    import paramiko


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:<base64, no padding>``, exactly as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class KnownKey:
    where: str  # file:line
    marker: str | None  # "@revoked", "@cert-authority" or None
    key_type: str
    blob: bytes


def known_keys(files: Sequence[str], name: str) -> list[KnownKey]:
    """Every known_hosts entry for ``name`` (hashed entries and ``[host]:port`` included);
    ``@revoked`` entries are returned for any host."""
    found = []
    for path in files:
        try:
            lines = Path(path).read_text(errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            marker = fields.pop(0) if fields[0].startswith("@") else None
            if len(fields) < 3:
                continue
            try:
                blob = base64.b64decode(fields[2], validate=True)
            except ValueError:
                continue
            if marker == "@revoked" or _host_matches(fields[0], name):
                found.append(KnownKey(f"{path}:{number}", marker, fields[1], blob))
    return found


def _host_matches(patterns: str, name: str) -> bool:
    matched = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if pattern.startswith("|1|"):
            salt, _, digest = pattern[3:].partition("|")
            try:
                mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
                hit = hmac.compare_digest(mac, base64.b64decode(digest))
            except ValueError:
                hit = False
        else:
            hit = _wildcard(pattern).fullmatch(name.lower()) is not None
        if hit and negated:
            return False
        matched = matched or hit
    return matched


def _wildcard(pattern: str) -> re.Pattern[str]:
    """An ssh pattern (only ``*`` and ``?`` are special: ``[host]:port`` is literal)."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile("".join(parts), re.DOTALL)


def verify_host_key(endpoint: Endpoint, key: paramiko.PKey) -> None:
    """Raise ``ConnectFailed`` unless known_hosts vouches for ``key``."""
    if not endpoint.check_host_key:
        return
    name = endpoint.known_hosts_name
    blob = key.asbytes()
    entries = known_keys(endpoint.known_hosts, name)
    shown = f"{key.algorithm_name} key {fingerprint(key)}"
    for entry in entries:
        if entry.marker == "@revoked" and entry.blob == blob:
            raise ConnectFailed(
                "host-key-revoked", f"host key of {endpoint.label} is REVOKED ({entry.where}): "
                f"{shown}; nothing was run", hint="contact the host's administrator")
    plain = [e for e in entries if e.marker is None]
    if any(e.blob == blob for e in plain):
        return
    changed = [e for e in plain if e.key_type == key.get_name()]
    if changed:
        raise ConnectFailed(
            "host-key-changed",
            f"WARNING: HOST KEY CHANGED for {endpoint.label}: it presents {shown}, but "
            f"{changed[0].where} holds a different {key.algorithm_name} key; someone may be "
            "intercepting the connection; nothing was run",
            hint=f"if the host was reinstalled, check the new fingerprint with its administrator, "
            f"then `ssh-keygen -R {shlex.quote(name)}` and trust it again",
        )
    other = f" (keys of other types are known: {plain[0].where})" if plain else ""
    scan = shlex.join(["ssh-keyscan", *(["-p", str(endpoint.port)] if endpoint.port != SSH_PORT else []),
                       "-t", key.get_name(), endpoint.host])
    raise ConnectFailed(
        "host-key-unknown",
        f"host key of {endpoint.label} is not known: {shown}{other}; nothing was run",
        hint=f"if that fingerprint is the host's, trust it with `{scan} >> ~/.ssh/known_hosts` "
        f"(or connect once with `ssh {endpoint.alias or name}` and answer yes)",
    )


def prefer_known_key_types(transport: paramiko.Transport, endpoint: Endpoint) -> None:
    """Ask for a host key type known_hosts already holds (as OpenSSH does), so a host with
    several keys is not reported unknown just because it offered another type first."""
    known = {e.key_type for e in known_keys(endpoint.known_hosts, endpoint.known_hosts_name)
             if e.marker is None}
    if not known:
        return
    options = transport.get_security_options()
    algorithms = list(options.key_types)

    def rank(algorithm: str) -> int:
        base = "ssh-rsa" if algorithm.startswith("rsa-sha2-") else algorithm
        return 0 if base in known else 1

    options.key_types = sorted(algorithms, key=rank)
