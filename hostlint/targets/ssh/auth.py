"""Public-key authentication, as OpenSSH offers keys: identity files (through the
ssh-agent when it holds them), then the agent's other keys unless IdentitiesOnly. Keys it
cannot use are skipped, each with the reason, never with the key's text."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from hostlint.errors import ConnectFailed
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.known_hosts import fingerprint
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402
from paramiko.pkey import UnknownKeyType  # noqa: E402


def authenticate(endpoint: Endpoint, transport: paramiko.Transport,
                 environ: Mapping[str, str] | None, *, timeout: float,
                 note: Callable[[str], None] | None = None) -> None:
    """Offer keys until the server accepts one; ``ConnectFailed`` names the keys tried. An
    ssh-agent that does not answer within ``timeout`` is left out, with a ``note``."""
    agent, skipped = _agent(endpoint, environ, timeout)
    if skipped is not None and note is not None:
        note(skipped)
    try:
        _offer_keys(endpoint, transport, agent, [skipped] if skipped else [])
    finally:
        if agent is not None:
            agent.close()


def _offer_keys(endpoint: Endpoint, transport: paramiko.Transport, agent: Agent | None,
                notes: list[str]) -> None:
    keys, skipped = _keys(endpoint, agent)
    notes = notes + skipped
    tried: list[str] = []
    for label, key in keys:
        try:
            remaining = transport.auth_publickey(endpoint.user, key)
        except paramiko.BadAuthenticationType as exc:
            raise ConnectFailed(
                "auth", f"authentication failed for {endpoint.label}: the server does not accept "
                f"public keys (it allows: {', '.join(exc.allowed_types)})",
                hint="hostlint authenticates with keys only (ssh-agent or IdentityFile)",
            ) from None
        except paramiko.AuthenticationException:
            tried.append(label)
            continue
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if tried and not transport.is_active():  # sshd's MaxAuthTries ends the connection
                notes.append(f"the server closed the connection after {len(tried)} refused keys "
                             f"(its MaxAuthTries): {len(keys) - len(tried)} not tried")
                break
            raise ConnectFailed("auth", f"authentication with {endpoint.label} failed: "
                                f"{exc or type(exc).__name__}") from None
        if not remaining:
            return
        raise ConnectFailed("auth", f"authentication failed for {endpoint.label}: the server "
                            f"requires more than a key ({', '.join(remaining)})",
                            hint="hostlint authenticates with keys only")
    offered = "; ".join(tried + notes) if tried or notes else "none"
    raise ConnectFailed(
        "auth", f"authentication failed for user {endpoint.user!r} on {endpoint.label}: "
        f"the server accepted none of the keys tried: {offered}",
        hint=f"authorize one of them for {endpoint.user} on the host, add the right key to the "
        "ssh-agent, or set IdentityFile (and IdentitiesOnly) in ~/.ssh/config; if the right key is "
        f"authorized, the host refuses {endpoint.user} itself (no such account, a login shell that "
        "does not exist, AllowUsers/DenyUsers: its auth log says which)",
    )


def _keys(endpoint: Endpoint, agent: Agent | None
          ) -> tuple[list[tuple[str, paramiko.PKey]], list[str]]:
    """Keys to offer, in OpenSSH's order: identity files (through the agent when it holds
    them), then the agent's other keys unless IdentitiesOnly. Also notes on skipped files."""
    agent_keys = _agent_keys(agent)
    by_blob = {key.asbytes(): key for key in agent_keys}
    keys: list[tuple[str, paramiko.PKey]] = []
    notes: list[str] = []
    used: set[bytes] = set()
    for path in endpoint.identity_files:
        if not os.path.exists(path):
            notes.append(f"{path} (no such file)")
            continue
        public = _public_blob(path)
        if public is not None and public in by_blob:
            keys.append((f"{path} (via ssh-agent)", by_blob[public]))
            used.add(public)
            continue
        key = _load_key(path)
        if isinstance(key, str):
            notes.append(f"{path} ({key})")
            continue
        keys.append((f"{path} ({key.algorithm_name} {fingerprint(key)})", key))
        used.add(key.asbytes())
    if not endpoint.identities_only:
        keys.extend((f"ssh-agent key {_comment(k)}({k.algorithm_name} {fingerprint(k)})", k)
                    for k in agent_keys if k.asbytes() not in used)
    return keys, notes


_ENCRYPTED = "encrypted, and not in the ssh-agent: skipped"


def _load_key(path: str) -> paramiko.PKey | str:
    """The private key in ``path``, or why it is not offered. paramiko (3.2+) loads keys with
    ``cryptography``, which reports a passphrase it was not given as a TypeError, and a key
    type it cannot use (DSA) raises its own ``UnknownKeyType``: neither is an SSHException."""
    try:
        return paramiko.PKey.from_path(path)
    except paramiko.PasswordRequiredException:
        return _ENCRYPTED
    except TypeError as exc:
        if "password" not in str(exc).lower():
            raise
        return _ENCRYPTED
    except UnknownKeyType as exc:
        kind = getattr(exc.key_type, "__name__", None) or str(exc.key_type)
        return f"unsupported key type {kind.removesuffix('PrivateKey')}: skipped"
    except (paramiko.SSHException, OSError, ValueError) as exc:
        return f"unreadable: {exc}"


class Agent(paramiko.agent.AgentSSH):
    """The ssh-agent at ``path`` (paramiko's ``Agent``), every request bounded by ``timeout``:
    an agent that accepts and never answers must not hang the check."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            self._connect(sock)  # type: ignore[attr-defined]  # asks for the keys
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        self._close()  # type: ignore[attr-defined]


def _agent(endpoint: Endpoint, environ: Mapping[str, str] | None, timeout: float
           ) -> tuple[Agent | None, str | None]:
    """The ssh-agent, when ``SSH_AUTH_SOCK`` names one; or why it is left out."""
    env = environ if environ is not None else os.environ
    path = env.get("SSH_AUTH_SOCK")
    if not endpoint.use_agent or not path:
        return None, None
    try:
        return Agent(path, timeout), None
    except TimeoutError:
        return None, (f"the ssh-agent at {path} did not answer within {timeout:g} s: "
                      "skipped, using key files")
    except (paramiko.SSHException, OSError):
        return None, None


def _agent_keys(agent: Agent | None) -> list[paramiko.PKey]:
    return list(agent.get_keys()) if agent is not None else []


def _comment(key: paramiko.PKey) -> str:
    comment = getattr(key, "comment", "")
    return f"{comment} " if isinstance(comment, str) and comment else ""


def _public_blob(path: str) -> bytes | None:
    try:
        fields = Path(path + ".pub").read_text().split()
        return base64.b64decode(fields[1])
    except (OSError, IndexError, ValueError):
        return None
