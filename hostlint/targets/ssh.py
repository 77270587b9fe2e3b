"""The SSH target: linters run on any SSH host over one paramiko connection, one session
channel with a pty per run (fabric's ``Remote``).

Public pieces, reused by the Vagrant target:

* ``Endpoint`` — where and how to connect; ``resolve(spec, environ=...)`` builds one from
  ``~/.ssh/config`` (or from the text of ``vagrant ssh-config``).
* ``connect(endpoint, ...) -> Connection`` — TCP (or ProxyCommand / ProxyJump), host key
  check against known_hosts, public-key authentication; raises ``ConnectFailed``.
* ``SshTarget(connection, root=..., name=...)`` — the ``Target``; ``open_ssh_target`` does
  both steps from a ``Context``.
* ``remote_command(root, invocation)`` — the one shell string hostlint sends.

paramiko is imported only here, and this module only when a remote target is used.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import glob
import hashlib
import hmac
import logging
import os
import pwd
import re
import shlex
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hostlint.errors import ConfigError, TargetUnavailable
from hostlint.status import RunResult
from hostlint.targets.base import Invocation, Process, split


def _import_paramiko() -> None:
    """Import paramiko without ``invoke``, which paramiko.config loads only for ``Match exec``
    and which costs ~50 ms per check. A config that uses ``Match exec`` gets it on demand."""
    if "paramiko" in sys.modules:
        return
    blocked = "invoke" not in sys.modules
    if blocked:
        sys.modules["invoke"] = None  # type: ignore[assignment]
    try:
        import paramiko  # noqa: F401
    finally:
        if blocked and sys.modules.get("invoke", 0) is None:
            del sys.modules["invoke"]


_import_paramiko()

import paramiko  # noqa: E402
from paramiko.common import (  # noqa: E402
    MSG_CHANNEL_REQUEST,
    MSG_REQUEST_FAILURE,
    MSG_REQUEST_SUCCESS,
    cMSG_GLOBAL_REQUEST,
)

if TYPE_CHECKING:
    from hostlint.environment import Environment
    from hostlint.targets import Context

logging.getLogger("paramiko").addHandler(logging.NullHandler())

SSH_PORT = 22
#: One remote command line, all of it: Linux caps one ``sh -c`` argument at 128 KiB, and
#: OpenSSH's sshd resets the connection on oversized exec requests.
REMOTE_COMMAND_BYTES = 64 * 1024
#: Terminal settings when hostlint's stdout is not a terminal.
DEFAULT_TERM, DEFAULT_SIZE = "xterm-256color", (120, 40)
DEFAULT_IDENTITIES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
SYSTEM_CONFIG = "/etc/ssh/ssh_config"
KEEPALIVE = "keepalive@openssh.com"
#: Reason codes with which a server refuses a session channel when it has too many (OpenSSH
#: beyond MaxSessions says "connect failed", others "administratively prohibited").
SESSION_LIMIT_CODES = (1, 2)


class ConnectFailed(TargetUnavailable):
    """A connection that could not be made (exit 3); ``reason`` says which step failed:
    ``resolve``, ``refused``, ``timeout``, ``unreachable``, ``protocol``, ``host-key-unknown``,
    ``host-key-changed``, ``host-key-revoked``, ``auth``, ``proxy``, ``lost``."""

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


# --------------------------------------------------------------------------------------
# Where to connect: [user@]host[:port] and ~/.ssh/config
# --------------------------------------------------------------------------------------


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
    return user or None, host, port


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
    options = _lookup(host, home=home, text=ssh_config)
    hostname = options.get("hostname", host)
    try:
        port = port or int(options.get("port", SSH_PORT))
    except ValueError:
        raise ConfigError(f"ssh config: Port {options.get('port')!r} for {spec} is not a number",
                          hint="fix ~/.ssh/config") from None
    user = user or options.get("user") or pwd.getpwuid(os.getuid()).pw_name
    identities = tuple(_expand(p, home) for p in options.get("identityfile", []))
    if not identities and ssh_config is None:
        identities = tuple(p for p in (_expand(d, home) for d in DEFAULT_IDENTITIES) if os.path.exists(p))
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


def _lookup(host: str, *, home: str, text: str | None) -> dict[str, Any]:
    if text is None:
        parts = [_read_config(Path(home, ".ssh", "config"), Path(home, ".ssh")),
                 _read_config(Path(SYSTEM_CONFIG), Path(SYSTEM_CONFIG).parent)]
        text = "\n".join(parts)
    try:
        config = paramiko.SSHConfig.from_text(text)
        try:
            return dict(config.lookup(host))
        except ImportError:  # ``Match exec`` needs invoke, which _import_paramiko held back
            import invoke
            import paramiko.config as config_module

            config_module.invoke = invoke  # type: ignore[attr-defined]
            return dict(config.lookup(host))
    except paramiko.ssh_exception.ConfigParseError as exc:
        raise ConfigError(f"ssh config: {exc}", hint="fix ~/.ssh/config") from None


def _read_config(path: Path, base: Path, depth: int = 0) -> str:
    """A config file's text with its ``Include`` lines replaced by the included files (which
    paramiko does not read itself)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    lines: list[str] = []
    for line in text.splitlines():
        words = line.split(None, 1)
        if depth < 16 and len(words) == 2 and words[0].lower() == "include":
            for pattern in shlex.split(words[1]):
                pattern = os.path.expanduser(pattern)
                full = pattern if os.path.isabs(pattern) else str(base / pattern)
                lines.extend(_read_config(Path(p), base, depth + 1) for p in sorted(glob.glob(full)))
        else:
            lines.append(line)
    return "\n".join(lines)


def _expand(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return path.replace("%d", home).replace("%%", "%")


def _files(value: str | None, default: Sequence[str], home: str) -> tuple[str, ...]:
    names = shlex.split(value) if value else list(default)
    return tuple(_expand(n, home) for n in names if n.lower() != "none")


# --------------------------------------------------------------------------------------
# Host keys
# --------------------------------------------------------------------------------------


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


def _prefer_known_key_types(transport: paramiko.Transport, endpoint: Endpoint) -> None:
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


# --------------------------------------------------------------------------------------
# The connection
# --------------------------------------------------------------------------------------


_paramiko_channel_request = cast(
    "Callable[[paramiko.Channel, paramiko.Message], None]", paramiko.Channel._handle_request  # type: ignore[attr-defined]
)


def _channel_request(channel: paramiko.Channel, message: paramiko.Message) -> None:
    """paramiko ignores ``exit-signal`` (a remote death by signal); record it."""
    start = message.packet.tell()
    if message.get_text() == "exit-signal":
        message.get_boolean()
        name = message.get_text()
        transport = channel.get_transport()
        if isinstance(transport, _Transport):
            transport.exit_signals[channel.get_id()] = name
        channel.status_event.set()
        return
    message.packet.seek(start)
    _paramiko_channel_request(channel, message)


class _Transport(paramiko.Transport):
    """paramiko's transport, plus exit signals and answered-keepalive accounting."""

    _channel_handler_table = {  # noqa: RUF012 - paramiko's own class-level table
        **paramiko.Transport._channel_handler_table,  # type: ignore[attr-defined]
        MSG_CHANNEL_REQUEST: _channel_request,
    }

    def __init__(self, sock: Any) -> None:
        super().__init__(sock)
        self.exit_signals: dict[int, str] = {}
        self.probes: deque[float] = deque()  # send times of unanswered global requests
        self.probe_lock = threading.Lock()
        table = cast("dict[int, Callable[[paramiko.Message], None]]", self._handler_table)  # type: ignore[attr-defined]
        for kind in (MSG_REQUEST_SUCCESS, MSG_REQUEST_FAILURE):
            table[kind] = self._answered(table[kind])

    def _answered(self, handler: Callable[[paramiko.Message], None]) -> Callable[[paramiko.Message], None]:
        def answered(message: paramiko.Message) -> None:
            with self.probe_lock:
                if self.probes:
                    self.probes.popleft()
            handler(message)
        return answered

    def probe(self) -> None:
        """Send a keepalive that OpenSSH answers (with a failure reply), without waiting."""
        message = paramiko.Message()
        message.add_byte(cMSG_GLOBAL_REQUEST)
        message.add_string(KEEPALIVE)
        message.add_boolean(True)
        with self.probe_lock:
            self.probes.append(time.monotonic())
        self._send_user_message(message)  # type: ignore[attr-defined]

    def unanswered_for(self) -> float:
        with self.probe_lock:
            return time.monotonic() - self.probes[0] if self.probes else 0.0


class Connection:
    """One authenticated SSH connection: opens session channels (queueing beyond the
    server's MaxSessions) and watches that the server still answers."""

    def __init__(self, endpoint: Endpoint, transport: _Transport, *, alive_timeout: float,
                 via: Sequence[Connection] = ()) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.alive_timeout = alive_timeout
        self._via = list(via)
        self._slots = threading.Condition()
        self._open = 0
        self._limit: int | None = None
        self._lost: str | None = None
        self._last_probe = 0.0
        self._probe_interval = min(5.0, max(0.5, alive_timeout / 4))

    # -- channels ----------------------------------------------------------------------

    def open_session(self) -> paramiko.Channel:
        """A new session channel; when the server has as many as it allows (OpenSSH's
        MaxSessions), waits for one of ours to close and tries again. Thread-safe."""
        while True:
            with self._slots:
                while self._limit is not None and self._open >= self._limit:
                    self.check_alive()
                    self._slots.wait(0.25)
                self._open += 1
            try:
                return self.transport.open_session(timeout=self.alive_timeout)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                self._refused(exc)

    def _refused(self, exc: BaseException) -> None:
        """Queue after a refusal caused by our other open channels; raise otherwise.
        (paramiko keeps one "last error" per connection, so a thread may see a bare
        "Unable to open channel" for a refusal another thread's error replaced.)"""
        text = str(exc) or type(exc).__name__
        code = getattr(exc, "code", None)
        with self._slots:
            self._open -= 1
            self._slots.notify()
            if (self.transport.is_active() and self._open > 0 and "timeout" not in text.lower()
                    and (code is None or code in SESSION_LIMIT_CODES)):
                self._limit = self._limit or self._open
                self._slots.wait(0.25)
                return
        if self.transport.is_active() and "timeout" in text.lower():
            self.lose(f"no answer for {self.alive_timeout:g} s")
        if self.lost:
            raise self.failure() from None
        raise ConnectFailed("protocol", f"{self.endpoint.label} refused a session channel: "
                            f"{getattr(exc, 'text', text)}",
                            hint="check the server's sshd_config (MaxSessions) and the account") from None

    def release(self) -> None:
        """A channel of this connection has closed: a queued one may open."""
        with self._slots:
            self._open -= 1
            self._slots.notify()

    # -- liveness ----------------------------------------------------------------------

    def check_alive(self) -> None:
        """Raise ``ConnectFailed("lost")`` when the transport died or keepalives have gone
        unanswered for ``alive_timeout``; otherwise keep a keepalive in flight."""
        if self._lost is None and not self.transport.is_active():
            self.lose(_death_reason(self.transport))
        if self._lost is None and self.transport.unanswered_for() >= self.alive_timeout:
            self.lose(f"no answer for {self.alive_timeout:g} s")
        if self._lost is not None:
            raise self.failure(self._lost)
        now = time.monotonic()
        if not self.transport.probes and now - self._last_probe >= self._probe_interval:
            self._last_probe = now
            with contextlib.suppress(Exception):  # a dead transport shows on the next check
                self.transport.probe()

    def lose(self, reason: str) -> None:
        """The connection is gone: close it so every channel's reader sees the end."""
        self._lost = reason
        with contextlib.suppress(Exception):
            self.transport.close()
        with self._slots:
            self._slots.notify_all()

    def failure(self, reason: str | None = None) -> ConnectFailed:
        """The error for a connection lost mid-run."""
        if reason is None:
            reason = self._lost or _death_reason(self.transport)
        return ConnectFailed(
            "lost", f"connection to {self.endpoint.label} lost: {reason}; output so far is kept",
            hint="check the host and the network, then run the check again",
        )

    @property
    def lost(self) -> bool:
        return self._lost is not None or not self.transport.is_active()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()
        for hop in reversed(self._via):
            hop.close()


def _death_reason(transport: paramiko.Transport) -> str:
    error = transport.saved_exception
    if error is None or isinstance(error, EOFError):
        return "the server closed the connection"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


def connect(endpoint: Endpoint, *, connect_timeout: float, alive_timeout: float,
            environ: Mapping[str, str] | None = None) -> Connection:
    """Connect, check the host key and authenticate; ``ConnectFailed`` (exit 3) says which
    step failed. Nothing runs on a host whose key is not verified."""
    via: list[Connection] = []
    try:
        sock = _open_socket(endpoint, connect_timeout, alive_timeout, via, environ)
        transport = _handshake(endpoint, sock, connect_timeout)
        try:
            verify_host_key(endpoint, transport.get_remote_server_key())
            _authenticate(endpoint, transport, environ)
        except BaseException:
            transport.close()
            raise
        return Connection(endpoint, transport, alive_timeout=alive_timeout, via=via)
    except BaseException:
        for hop in reversed(via):
            hop.close()
        raise


def _open_socket(endpoint: Endpoint, timeout: float, alive_timeout: float,
                 via: list[Connection], environ: Mapping[str, str] | None) -> Any:
    if endpoint.proxy_jump:
        return _jump(endpoint, timeout, alive_timeout, via, environ)
    if endpoint.proxy_command:
        command = endpoint.proxy_command
        try:
            return paramiko.ProxyCommand(shlex.join(["/bin/sh", "-c", f"exec {command}"]))
        except paramiko.SSHException as exc:
            raise ConnectFailed("proxy", f"ProxyCommand for {endpoint.label} failed: {exc}",
                                hint="check ProxyCommand in ~/.ssh/config") from None
    where = f"{endpoint.host} port {endpoint.port}{endpoint.for_alias}"
    try:
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    except socket.gaierror as exc:
        raise ConnectFailed("resolve", f"cannot resolve host name {endpoint.host!r}"
                            f"{endpoint.for_alias}: {exc.strerror}",
                            hint="check the name, HostName in ~/.ssh/config, or "
                            "[tool.hostlint.ssh] host") from None
    except ConnectionRefusedError:
        raise ConnectFailed("refused", f"connection to {where} refused",
                            hint="is sshd running there, on that port?") from None
    except TimeoutError:
        raise ConnectFailed("timeout", f"connection to {where} timed out after {timeout:g} s",
                            hint="is the host up and reachable? (connect_timeout in the config)") from None
    except OSError as exc:
        raise ConnectFailed("unreachable", f"cannot connect to {where}: {exc.strerror or exc}",
                            hint="check the network and the host") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _QuickAck(sock) if hasattr(socket, "TCP_QUICKACK") else sock


class _QuickAck:
    """A TCP socket that acknowledges what it receives at once. sshd writes small packets
    without TCP_NODELAY until a pty is requested, so after authentication its channel-open
    reply waits for the ACK of its previous packet, which Linux delays by 40 ms."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return data


def _jump(endpoint: Endpoint, timeout: float, alive_timeout: float,
          via: list[Connection], environ: Mapping[str, str] | None) -> paramiko.Channel:
    """ProxyJump: connect through each jump host in turn with ``direct-tcpip`` channels."""
    env = environ if environ is not None else os.environ
    hops = [h.strip() for h in (endpoint.proxy_jump or "").split(",") if h.strip()]
    for number, spec in enumerate(hops):
        hop = resolve(spec.removeprefix("ssh://"), environ=env)
        if number:  # later hops are reached through the previous one, not their own proxy
            hop = dataclasses.replace(hop, proxy_jump=None, proxy_command=None)
            hop_via: list[Connection] = [via[-1]]
        else:
            hop_via = []
        sock = (_channel_to(via[-1], hop, timeout) if hop_via
                else _open_socket(hop, timeout, alive_timeout, via, environ))
        transport = _handshake(hop, sock, timeout)
        try:
            verify_host_key(hop, transport.get_remote_server_key())
            _authenticate(hop, transport, environ)
        except BaseException:
            transport.close()
            raise
        via.append(Connection(hop, transport, alive_timeout=alive_timeout))
    return _channel_to(via[-1], endpoint, timeout)


def _channel_to(jump: Connection, endpoint: Endpoint, timeout: float) -> paramiko.Channel:
    try:
        return jump.transport.open_channel("direct-tcpip", (endpoint.host, endpoint.port),
                                           ("127.0.0.1", 0), timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise ConnectFailed("proxy", f"jump host {jump.endpoint.label} could not reach "
                            f"{endpoint.host} port {endpoint.port}: {exc}",
                            hint="check ProxyJump and the host name in ~/.ssh/config") from None


def _handshake(endpoint: Endpoint, sock: Any, timeout: float) -> _Transport:
    transport = _Transport(sock)
    transport.banner_timeout = transport.handshake_timeout = transport.auth_timeout = timeout
    _prefer_known_key_types(transport, endpoint)
    error: BaseException | None = None
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        error = exc
    if error is None and transport.is_active() and transport.host_key is not None:
        return transport
    transport.close()
    if not transport.remote_version:
        if error is None or "banner" in str(error).lower():
            raise ConnectFailed("timeout", f"{endpoint.label} accepted the connection but did not "
                                f"answer as an SSH server within {timeout:g} s",
                                hint="is the host overloaded or suspended?")
    elif error is None:
        raise ConnectFailed("timeout", f"SSH handshake with {endpoint.label} did not finish within "
                            f"{timeout:g} s", hint="is the host overloaded or suspended?")
    raise ConnectFailed("protocol", f"SSH handshake with {endpoint.label} failed: "
                        f"{str(error) or type(error).__name__}",
                        hint="check that it is an SSH server; run with -v for details")


# --------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------


def _authenticate(endpoint: Endpoint, transport: paramiko.Transport,
                  environ: Mapping[str, str] | None) -> None:
    agent = _agent(endpoint, environ)
    try:
        _offer_keys(endpoint, transport, agent)
    finally:
        if agent is not None:
            agent.close()


def _offer_keys(endpoint: Endpoint, transport: paramiko.Transport, agent: paramiko.Agent | None) -> None:
    keys, notes = _keys(endpoint, agent)
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
        "ssh-agent, or set IdentityFile in ~/.ssh/config",
    )


def _keys(endpoint: Endpoint, agent: paramiko.Agent | None
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
        try:
            key = paramiko.PKey.from_path(path)
        except paramiko.PasswordRequiredException:
            notes.append(f"{path} (encrypted, and not in the ssh-agent: skipped)")
            continue
        except (paramiko.SSHException, OSError, ValueError) as exc:
            notes.append(f"{path} (unreadable: {exc})")
            continue
        keys.append((f"{path} ({key.algorithm_name} {fingerprint(key)})", key))
        used.add(key.asbytes())
    if not endpoint.identities_only:
        keys.extend((f"ssh-agent key {_comment(k)}({k.algorithm_name} {fingerprint(k)})", k)
                    for k in agent_keys if k.asbytes() not in used)
    return keys, notes


def _agent(endpoint: Endpoint, environ: Mapping[str, str] | None) -> paramiko.Agent | None:
    """The ssh-agent, when ``SSH_AUTH_SOCK`` names one (paramiko reads it from os.environ)."""
    env = environ if environ is not None else os.environ
    if not endpoint.use_agent or not env.get("SSH_AUTH_SOCK"):
        return None
    try:
        return paramiko.Agent()
    except (paramiko.SSHException, OSError):
        return None


def _agent_keys(agent: paramiko.Agent | None) -> list[paramiko.PKey]:
    try:
        return list(agent.get_keys()) if agent is not None else []
    except (paramiko.SSHException, OSError):
        return []


def _comment(key: paramiko.PKey) -> str:
    comment = getattr(key, "comment", "")
    return f"{comment} " if isinstance(comment, str) and comment else ""


def _public_blob(path: str) -> bytes | None:
    try:
        fields = Path(path + ".pub").read_text().split()
        return base64.b64decode(fields[1])
    except (OSError, IndexError, ValueError):
        return None


# --------------------------------------------------------------------------------------
# The command, the target, one run
# --------------------------------------------------------------------------------------


def remote_command(root: str, invocation: Invocation) -> str:
    """THE shell string hostlint sends: no ``\\r`` from the pty and no echo of the Ctrl-C that
    ``interrupt`` types (``stty``, which needs the pty as stdin, so it comes first), stdin at
    end-of-file, into the root, then the configured command verbatim with every file name
    quoted as one word."""
    words = [invocation.command, *(shlex.quote(name) for name in invocation.files)]
    return (f"stty -onlcr -echo 2>/dev/null; exec </dev/null; cd -- {shlex.quote(root)} || exit 1; "
            + " ".join(words))


def _command_bytes(text: str) -> bytes:
    """File names that are not UTF-8 travel as the bytes git gave (surrogate escapes)."""
    return os.fsencode(text)


@dataclass(frozen=True)
class Terminal:
    """The remote pty: TERM and size of the host terminal, or defaults."""

    term: str = DEFAULT_TERM
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]

    @classmethod
    def of(cls, env: Environment) -> Terminal:
        if not env.is_tty:
            return cls()
        try:
            size = os.get_terminal_size(env.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            return cls(env.environ.get("TERM") or DEFAULT_TERM)
        return cls(env.environ.get("TERM") or DEFAULT_TERM, size.columns, size.lines)


class SshTarget:
    """Linters on an SSH host: one session channel with a pty per run, all over one
    connection. ``start`` is thread-safe."""

    def __init__(self, connection: Connection, *, root: str, name: str = "ssh",
                 terminal: Terminal = Terminal()) -> None:
        self.connection = connection
        self.root = root
        self.roots: tuple[str, ...] = (root,)  # output naming files under it is shown repository-relative
        self.name = name
        self.terminal = terminal

    def describe(self) -> str:
        return f"{self.name}, {self.connection.endpoint.label}, in {self.root}"

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = len(_command_bytes(remote_command(self.root, Invocation(invocation.command))))
        return split(invocation, limit=REMOTE_COMMAND_BYTES, fixed=fixed,
                     cost=lambda name: len(_command_bytes(shlex.quote(name))) + 1)

    def start(self, invocation: Invocation) -> Process:
        connection = self.connection
        channel = connection.open_session()
        command = _command_bytes(remote_command(self.root, invocation))
        # get_pty/exec wait for the server's reply without a timeout: a watchdog ends the
        # connection if a frozen server never answers.
        watchdog = threading.Timer(connection.alive_timeout, connection.lose,
                                   (f"no answer for {connection.alive_timeout:g} s",))
        watchdog.daemon = True
        watchdog.start()
        try:
            channel.get_pty(term=self.terminal.term, width=self.terminal.width,
                            height=self.terminal.height)
            channel.exec_command(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            channel.close()
            connection.release()
            if connection.lost:
                raise connection.failure() from None
            raise ConnectFailed("protocol", f"{connection.endpoint.label} refused to run the "
                                f"command: {exc}", hint="check the account's shell on the host") from None
        finally:
            watchdog.cancel()
        return SshProcess(connection, channel)

    def close(self) -> None:
        self.connection.close()


class SshProcess:
    """One linter running in a session channel."""

    def __init__(self, connection: Connection, channel: paramiko.Channel) -> None:
        self._connection = connection
        self._channel = channel
        self._fileno = channel.fileno()
        self._killed = False
        self._closed = False

    def fileno(self) -> int:
        return self._fileno

    def read(self) -> bytes:
        return self._channel.recv(65536)

    def wait(self) -> RunResult:
        while not self._channel.status_event.wait(0.5):
            self._connection.check_alive()
        status = self._status()
        if status is not None:
            return status
        if self._killed:
            return RunResult(128 + signal.SIGHUP, "SIGHUP")
        if self._connection.lost:
            raise self._connection.failure()
        raise ConnectFailed("lost", f"{self._connection.endpoint.label} closed the channel without "
                            "reporting how the command ended", hint="see the output above")

    def _status(self) -> RunResult | None:
        transport = self._connection.transport
        name = transport.exit_signals.get(self._channel.get_id())
        if name is not None:
            full = name if name.startswith("SIG") else f"SIG{name}"
            number = getattr(signal, full, None)
            return RunResult(128 + int(number) if number is not None else 255, full)
        code = self._channel.exit_status
        return RunResult(code) if code >= 0 else None

    def idle(self) -> bool:
        """Checks the connection (raising when it is lost); output is over once the exit
        status has come, even if a background process still holds the remote pty."""
        self._connection.check_alive()
        return self._status() is not None

    def interrupt(self) -> None:
        with contextlib.suppress(Exception):
            self._channel.send(b"\x03")

    def kill(self) -> None:
        """Close the channel: sshd closes the pty, and the session gets SIGHUP."""
        self._killed = True
        with contextlib.suppress(Exception):
            self._channel.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._channel.close()
        self._connection.transport.exit_signals.pop(self._channel.get_id(), None)
        self._connection.release()


# --------------------------------------------------------------------------------------
# The registry's entry points
# --------------------------------------------------------------------------------------


def open_ssh_target(endpoint: Endpoint, context: Context, *, root: str, name: str = "ssh") -> SshTarget:
    """Connect to ``endpoint`` with the context's timeouts; the target the Vagrant target
    reuses too."""
    config = context.config
    connection = connect(endpoint, connect_timeout=config.connect_timeout,
                         alive_timeout=config.alive_timeout, environ=context.env.environ)
    return SshTarget(connection, root=root, name=name, terminal=Terminal.of(context.env))


def _settings(context: Context) -> tuple[str, str]:
    host, root = context.config.ssh.host, context.config.ssh.root
    if not host or not root:
        raise ConfigError(f"{context.config.source}: the ssh target needs [tool.hostlint.ssh] "
                          "host and root", hint="set host = \"devbox\" and root = \"/path/on/devbox\"")
    return host, root


def open_target(context: Context) -> SshTarget:
    host, root = _settings(context)
    return open_ssh_target(resolve(host, environ=context.env.environ), context, root=root)


def describe(context: Context) -> list[tuple[str, str]]:
    host, root = _settings(context)
    return describe_endpoint(resolve(host, environ=context.env.environ), root=root)


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
