"""The SSH target: linters run on any SSH host over one paramiko connection, one session
channel with a pty per run (fabric's ``Remote``).

Public pieces, reused by the Vagrant target (and importable from here):

* ``Endpoint`` — where and how to connect; ``resolve(spec, environ=...)`` builds one from
  ``~/.ssh/config`` (or from the text of ``vagrant ssh-config``) — see ``ssh_config``.
* ``connect(endpoint, ...) -> Connection`` — TCP (or ProxyCommand / ProxyJump), host key
  check against known_hosts (``known_hosts``), public-key authentication; raises
  ``ConnectFailed``.
* ``SshTarget(connection, root=..., name=...)`` — the ``Target``; ``open_ssh_target`` does
  both steps from a ``Context``.
* ``remote_command(root, invocation)`` — the one shell string hostlint sends.

paramiko is imported only by this module and the two above, and they only when a remote
target is used.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import posixpath
import shlex
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hostlint.environment import terminal_size
from hostlint.errors import ConfigError
from hostlint.status import RunResult
from hostlint.targets.base import Invocation, Process, split
from hostlint.targets.known_hosts import (
    KnownKey,
    fingerprint,
    known_keys,
    prefer_known_key_types,
    verify_host_key,
)
from hostlint.targets.ssh_config import (
    DEFAULT_IDENTITIES,
    DEFAULT_KNOWN_HOSTS,
    GLOBAL_KNOWN_HOSTS,
    SSH_PORT,
    SYSTEM_CONFIG,
    ConnectFailed,
    Endpoint,
    load_paramiko,
    parse_spec,
    resolve,
)

load_paramiko()  # done already by importing ssh_config; it must come before `import paramiko`

import paramiko  # noqa: E402
from paramiko.common import (  # noqa: E402
    MSG_CHANNEL_REQUEST,
    MSG_REQUEST_FAILURE,
    MSG_REQUEST_SUCCESS,
    cMSG_GLOBAL_REQUEST,
)
from paramiko.pkey import UnknownKeyType  # noqa: E402

if TYPE_CHECKING:
    from hostlint.environment import Environment
    from hostlint.targets import Context

#: One remote command line, all of it: Linux caps one ``sh -c`` argument at 128 KiB, and
#: OpenSSH's sshd resets the connection on oversized exec requests.
REMOTE_COMMAND_BYTES = 64 * 1024
#: Terminal settings when hostlint's stdout is not a terminal.
DEFAULT_TERM, DEFAULT_SIZE = "xterm-256color", (120, 40)
KEEPALIVE = "keepalive@openssh.com"
#: Reason codes with which a server refuses a session channel when it has too many (OpenSSH
#: beyond MaxSessions says "connect failed", others "administratively prohibited").
SESSION_LIMIT_CODES = (1, 2)


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
        transport = _secure(endpoint, sock, connect_timeout, environ)
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
        transport = _secure(hop, sock, timeout, environ)
        via.append(Connection(hop, transport, alive_timeout=alive_timeout))
    return _channel_to(via[-1], endpoint, timeout)


def _secure(endpoint: Endpoint, sock: Any, timeout: float,
            environ: Mapping[str, str] | None) -> _Transport:
    """Handshake, verify the host key, authenticate: a transport nothing unverified runs on."""
    transport = _handshake(endpoint, sock, timeout)
    try:
        verify_host_key(endpoint, transport.get_remote_server_key())
        _authenticate(endpoint, transport, environ)
    except BaseException:
        transport.close()
        raise
    return transport


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
    prefer_known_key_types(transport, endpoint)
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
    """THE shell string hostlint sends: the pty passes output bytes untouched (``-opost``: no
    ``\\r`` before ``\\n``, no tab expansion or case mapping, whatever the system or the login
    files set) and does not echo the Ctrl-C that ``interrupt`` types (``stty``, which needs
    the pty as stdin, so it comes first), stdin at end-of-file, into the root, then the
    configured command verbatim with every file name quoted as one word."""
    words = [invocation.command, *(shlex.quote(name) for name in invocation.files)]
    return (f"stty -opost -echo 2>/dev/null; exec </dev/null; cd -- {_quote_root(root)} || "
            f"exit {ROOT_FAILED}; " + " ".join(words))


#: The remote command's status when ``cd`` to the root failed. A linter may exit 255 too, so
#: on this status the root is checked (one more channel, only then) before calling it missing.
ROOT_FAILED = 255


def _quote_root(root: str) -> str:
    """The root quoted as one word, leaving a leading ``~/`` to the remote shell (the remote
    home is not known here)."""
    if root == "~":
        return "~"
    if root.startswith("~/"):
        return "~/" + shlex.quote(root[2:])
    return shlex.quote(root)


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
        width, height = terminal_size(DEFAULT_SIZE)  # the same source as the local pty's
        return cls(env.environ.get("TERM") or DEFAULT_TERM, width, height)


class SshTarget:
    """Linters on an SSH host: one session channel with a pty per run, all over one
    connection. ``start`` is thread-safe."""

    def __init__(self, connection: Connection, *, root: str, name: str = "ssh",
                 terminal: Terminal = Terminal()) -> None:
        self.connection = connection
        self.root = root
        # Output naming files under these is shown repository-relative: the root as written
        # and normalised (`/srv//proj/` → `/srv/proj`).
        self.roots: tuple[str, ...] = tuple(dict.fromkeys((root, posixpath.normpath(root))))
        self.name = name
        self.terminal = terminal

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
        return SshProcess(connection, channel, root=self.root)

    def close(self) -> None:
        self.connection.close()


def quick(connection: Connection, command: str) -> tuple[int | None, bytes]:
    """Run a short command in a channel of its own (no pty): its status (None when it gave
    none within the alive timeout) and its first 4 KiB of output."""
    channel = connection.open_session()
    try:
        channel.settimeout(connection.alive_timeout)
        channel.exec_command(command)
        if not channel.status_event.wait(connection.alive_timeout):
            return None, b""
        output = channel.recv(4096) if channel.recv_ready() else b""
        return channel.exit_status, output
    except (paramiko.SSHException, OSError):
        return None, b""
    finally:
        channel.close()
        connection.release()


class SshProcess:
    """One linter running in a session channel."""

    def __init__(self, connection: Connection, channel: paramiko.Channel, *, root: str) -> None:
        self._connection = connection
        self._channel = channel
        self._root = root
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
        if status == RunResult(ROOT_FAILED) and not self._root_is_there():
            raise ConnectFailed("root", f"{self._connection.endpoint.label} has no directory "
                                f"{self._root} to run the linters in",
                                hint="check the configured root (for Vagrant: is the synced folder "
                                "mounted?)")
        if status is not None:
            return status
        if self._killed:
            return RunResult(128 + signal.SIGHUP, "SIGHUP")
        if self._connection.lost:
            raise self._connection.failure()
        raise ConnectFailed("lost", f"{self._connection.endpoint.label} closed the channel without "
                            "reporting how the command ended", hint="see the output above")

    def _root_is_there(self) -> bool:
        """``test -d ROOT`` on the target; when it cannot tell, assume so (the linter's own
        status is then reported as it is)."""
        status, _ = quick(self._connection, f"test -d {_quote_root(self._root)}")
        return status != 1

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
    target = SshTarget(connection, root=root, name=name, terminal=Terminal.of(context.env))
    if root.startswith("~"):  # output names the expanded path: learn it (one channel, only then)
        status, output = quick(connection, f"cd -- {_quote_root(root)} && pwd -P")
        resolved = output.decode(errors="surrogateescape").strip()
        if status == 0 and resolved.startswith("/"):
            target.roots = (*target.roots, resolved)
    return target


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


__all__ = [
    "DEFAULT_IDENTITIES",
    "DEFAULT_KNOWN_HOSTS",
    "DEFAULT_SIZE",
    "DEFAULT_TERM",
    "GLOBAL_KNOWN_HOSTS",
    "KEEPALIVE",
    "REMOTE_COMMAND_BYTES",
    "SESSION_LIMIT_CODES",
    "SSH_PORT",
    "SYSTEM_CONFIG",
    "ConnectFailed",
    "Connection",
    "Endpoint",
    "KnownKey",
    "SshProcess",
    "SshTarget",
    "Terminal",
    "connect",
    "describe",
    "describe_endpoint",
    "fingerprint",
    "known_keys",
    "open_ssh_target",
    "open_target",
    "parse_spec",
    "remote_command",
    "resolve",
    "verify_host_key",
]
