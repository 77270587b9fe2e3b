"""Reaching a host: the socket (TCP, ProxyCommand, or ProxyJump through each jump host),
the SSH handshake, the host key check and authentication. Nothing runs on a host whose key
is not verified."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hostlint.errors import ConnectFailed
from hostlint.targets.ssh.auth import authenticate
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.endpoint import Endpoint, resolve
from hostlint.targets.ssh.known_hosts import prefer_known_key_types, verify_host_key
from hostlint.targets.ssh.proxy import ProxySocket
from hostlint.targets.ssh.transport import Transport, load_paramiko, tuned

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402

#: The environment (for ``SSH_AUTH_SOCK``) and where one-line notes go.
_Env = tuple[Mapping[str, str] | None, Callable[[str], None] | None]

#: Jump hosts on the way to one host before hostlint calls it a loop.
MAX_JUMPS = 16


def connect(endpoint: Endpoint, *, connect_timeout: float, alive_timeout: float,
            environ: Mapping[str, str] | None = None,
            note: Callable[[str], None] | None = None) -> Connection:
    """Connect, check the host key and authenticate; ``ConnectFailed`` (exit 3) says which
    step failed. Nothing runs on a host whose key is not verified. Whatever ends it (an error,
    a signal), the sockets and ProxyCommand children opened so far are closed. ``note`` gets
one-line warnings (an ssh-agent that did not answer)."""
    via: list[Connection] = []
    sock: Any = None
    try:
        sock = _open_socket(endpoint, connect_timeout, alive_timeout, via, (environ, note))
        transport = _secure(endpoint, sock, connect_timeout, (environ, note))
        return Connection(endpoint, transport, alive_timeout=alive_timeout, via=via)
    except BaseException:
        if sock is not None:
            with contextlib.suppress(Exception):
                sock.close()
        for hop in reversed(via):
            hop.close()
        raise


def _open_socket(endpoint: Endpoint, timeout: float, alive_timeout: float,
                 via: list[Connection], environ: _Env, chain: Sequence[str] = ()) -> Any:
    if endpoint.proxy_jump:
        return _jump(endpoint, timeout, alive_timeout, via, environ, chain)
    if endpoint.proxy_command:
        return ProxySocket(endpoint.proxy_command, endpoint.label)
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
    return tuned(sock)


def _jump(endpoint: Endpoint, timeout: float, alive_timeout: float, via: list[Connection],
          environ: _Env, _chain: Sequence[str]) -> paramiko.Channel:
    """ProxyJump: connect through each jump host in turn with ``direct-tcpip`` channels;
    a jump host reached through itself (``_chain``: the hosts on the way here) is a loop."""
    env = environ[0] if environ[0] is not None else os.environ
    hops = [h.strip() for h in (endpoint.proxy_jump or "").split(",") if h.strip()]
    chain = [*_chain, endpoint.alias or endpoint.host]
    for number, spec in enumerate(hops):
        if spec in chain or len(chain) > MAX_JUMPS:
            raise ConnectFailed("proxy", f"ProxyJump loops: {' -> '.join([*chain, spec])}",
                                hint="fix ProxyJump in ~/.ssh/config")
        hop = resolve(spec.removeprefix("ssh://"), environ=env)
        if number:  # later hops are reached through the previous one, not their own proxy
            hop = dataclasses.replace(hop, proxy_jump=None, proxy_command=None)
            hop_via: list[Connection] = [via[-1]]
        else:
            hop_via = []
        sock = (_channel_to(via[-1], hop, timeout) if hop_via
                else _open_socket(hop, timeout, alive_timeout, via, environ, chain))
        try:
            transport = _secure(hop, sock, timeout, environ)
        except BaseException:
            with contextlib.suppress(Exception):
                sock.close()
            raise
        via.append(Connection(hop, transport, alive_timeout=alive_timeout))
    return _channel_to(via[-1], endpoint, timeout)


def _secure(endpoint: Endpoint, sock: Any, timeout: float, environ: _Env) -> Transport:
    """Handshake, verify the host key, authenticate: a transport nothing unverified runs on."""
    transport = _handshake(endpoint, sock, timeout)
    try:
        verify_host_key(endpoint, transport.get_remote_server_key())
        authenticate(endpoint, transport, environ[0], timeout=timeout, note=environ[1])
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


def _handshake(endpoint: Endpoint, sock: Any, timeout: float) -> Transport:
    transport = Transport(sock)
    transport.banner_timeout = transport.handshake_timeout = transport.auth_timeout = timeout
    prefer_known_key_types(transport, endpoint)
    error: BaseException | None = None
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        error = exc
    except BaseException:  # a signal: stop the transport's thread too
        transport.close()
        raise
    if error is None and transport.is_active() and transport.host_key is not None:
        return transport
    exited = sock.failure() if isinstance(sock, ProxySocket) else None
    transport.close()
    if exited is not None:
        raise exited
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
