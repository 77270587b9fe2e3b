"""How calls reach the container engine, and its complaints as one line with the fix.

Two transports carry the same calls (list labelled containers, inspect them, run a command
without a tty; the tty exec of a run is ``targets/container/execs``):

* ``CliTransport``: the engine's own CLI (``docker`` or ``podman``), so every
  ``DOCKER_HOST``, docker context and podman connection applies as it does for the user;
* ``ApiTransport``: for ``docker`` whose CLI would talk to a local Unix socket
  (``docker_api.socket_path``), the Engine API on that socket: no CLI process, whose start
  (a Go binary) is most of what a warm check spends on the engine.

Either way a failure is an ``EngineError`` worded by ``engine_failure`` from the CLI's
text or, on the API, from the same words the CLI would print.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence

from hostlint import docker_api
from hostlint.config import ContainerSettings
from hostlint.environment import which
from hostlint.errors import TargetUnavailable
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

ENGINES = ("docker", "podman")


class EngineError(TargetUnavailable):
    """An engine call failed; ``reason`` is one of missing, daemon, permission, gone,
    stopped, timeout, other."""

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class ExecSpec(NamedTuple):
    """One exec: the command, ``NAME=VALUE`` variables, the user and the directory."""

    cmd: tuple[str, ...]
    env: tuple[str, ...] = ()
    user: str | None = None
    workdir: str | None = None


def engine_path(settings: ContainerSettings, environ: Mapping[str, str]) -> str:
    """The configured engine, else whichever of docker and podman is on PATH, docker first."""
    names = (settings.engine,) if settings.engine else ENGINES
    for name in names:
        path = which(name, environ)
        if path:
            return path
    raise EngineError(f"no container engine: {' or '.join(names)} is not on PATH",
                      reason="missing", hint="install Docker or Podman, or choose another target")


def engine_name(engine: str) -> str:
    return os.path.basename(engine)


def engine_failure(engine: str, stderr: bytes, *, container: str = "") -> EngineError:
    """The engine's complaint (its CLI's stderr) as one line with the fix."""
    text = stderr.decode(errors="replace").strip()
    line = text.splitlines()[-1] if text else "no message"
    lowered = text.lower()
    name = engine_name(engine)
    podman = name.startswith("podman")
    if "permission denied" in lowered and ".sock" in lowered:
        return EngineError(f"no permission to use the {name} socket ({line})", reason="permission",
                           hint=_permission_hint(podman=podman))
    if "cannot connect" in lowered or "daemon running" in lowered or "connection refused" in lowered:
        return EngineError(f"the {name} {'service' if podman else 'daemon'} is not answering "
                           f"({line})", reason="daemon", hint=_daemon_hint(name, podman=podman))
    if "no such container" in lowered or "no such object" in lowered:
        return EngineError(f"container {container or '?'} is gone ({line})", reason="gone")
    if "not running" in lowered or "running containers" in lowered or "is paused" in lowered:
        return EngineError(f"container {container or '?'} is not running ({line})",
                           reason="stopped")
    return EngineError(f"`{name}` failed: {line}", reason="other")


def _permission_hint(*, podman: bool) -> str:
    if podman:
        return "use rootless Podman (unset CONTAINER_HOST), or get access to that socket"
    return ("add yourself to the `docker` group (`sudo usermod -aG docker $USER`, then log in "
            "again), or use rootless Podman")


def _daemon_hint(name: str, *, podman: bool) -> str:
    """Podman has no daemon unless a remote connection (CONTAINER_HOST, ``--connection``,
    a podman machine) is in use: then its service is what does not answer."""
    if podman:
        return ("start it (`systemctl start podman.socket`, or `podman machine start`), or "
                "check CONTAINER_HOST and `podman system connection list`")
    return f"start it (`sudo systemctl start {name}`), or check DOCKER_HOST and the current context"


def _no_answer(engine: str, what: str, timeout: float) -> EngineError:
    return EngineError(f"`{engine_name(engine)} {what}` gave no answer within {timeout:g} s",
                       reason="timeout", hint="is the engine's daemon hung? "
                       f"try `{engine_name(engine)} info`")


def cli_argv(engine: str, container: str, spec: ExecSpec, *, tty: bool) -> list[str]:
    """``exec -t`` (a run) or ``exec -i`` (stdin, no tty) on the CLI."""
    argv = [engine, "exec", "-t" if tty else "-i"]
    if spec.workdir:
        argv += ["-w", spec.workdir]
    for item in spec.env:
        argv += ["-e", item]
    if spec.user:
        argv += ["-u", spec.user]
    return [*argv, container, *spec.cmd]


class CliTransport:
    """Every call a run of the engine's CLI."""

    def __init__(self, engine: str, environ: Mapping[str, str]) -> None:
        self.engine = engine
        self.environ = dict(environ)

    def _run(self, args: Sequence[str], *, timeout: float, container: str = "",
             data: bytes = b"") -> bytes:
        import subprocess  # the CLI only: the Engine API path starts no process for the engine

        try:
            proc = subprocess.run((self.engine, *args), input=data, capture_output=True,
                                  env=self.environ, timeout=timeout, check=False)
        except FileNotFoundError:
            raise EngineError(f"{self.engine} is not installed", reason="missing",
                              hint="install it, or set [tool.hostlint.container] engine") from None
        except subprocess.TimeoutExpired:
            raise _no_answer(self.engine, args[0], timeout) from None
        if proc.returncode != 0:
            raise engine_failure(self.engine, proc.stderr, container=container)
        return proc.stdout

    def labelled(self, label: str, *, timeout: float) -> list[str]:
        out = self._run(("ps", "-a", "-q", "--no-trunc", "--filter", f"label={label}"),
                        timeout=timeout)
        return out.decode().split()

    def inspect(self, ids: Sequence[str], *, timeout: float,
                container: str = "") -> list[dict[str, Any]]:
        out = self._run(("container", "inspect", *ids), timeout=timeout, container=container)
        import json  # only on a cold cache

        data = json.loads(out)
        return data if isinstance(data, list) else []

    def run(self, container: str, spec: ExecSpec, data: bytes = b"", *, timeout: float,
            name: str = "") -> bytes:
        """A command without a tty: ``data`` on its stdin, its stdout back."""
        argv = cli_argv(self.engine, container, spec, tty=False)
        return self._run(argv[1:], timeout=timeout, container=name, data=data)


class ApiTransport:
    """Every call a request on the daemon's Unix socket (``path``)."""

    def __init__(self, engine: str, path: str) -> None:
        self.engine = engine
        self.path = path

    def call(self, method: str, url: str, body: Any = None, *, timeout: float,
             container: str = "") -> Any:
        try:
            return docker_api.call(self.path, method, url, body, timeout=timeout)
        except (docker_api.ApiError, OSError) as exc:
            raise self.failure(exc, timeout=timeout, container=container) from None

    def failure(self, exc: BaseException, *, timeout: float, container: str = "") -> EngineError:
        """What the CLI would have said (and so the same line and fix)."""
        where = f"unix://{self.path}"
        if isinstance(exc, docker_api.ApiError):
            text = f"Error response from daemon: {exc.message}"
        elif isinstance(exc, TimeoutError):
            return EngineError(f"the docker daemon at {where} gave no answer within {timeout:g} s",
                               reason="timeout", hint="is it hung? try `docker info`")
        elif isinstance(exc, PermissionError):
            text = f"permission denied while trying to connect to the Docker daemon socket at {where}"
        else:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            text = f"Cannot connect to the Docker daemon at {where} ({reason})"
        return engine_failure(self.engine, text.encode(), container=container)

    def labelled(self, label: str, *, timeout: float) -> list[str]:
        import json  # only on a cold cache
        from urllib.parse import quote

        query = quote(json.dumps({"label": [label]}))
        found = self.call("GET", f"/containers/json?all=1&filters={query}", timeout=timeout)
        return [str(item["Id"]) for item in found or ()]

    def inspect(self, ids: Sequence[str], *, timeout: float,
                container: str = "") -> list[dict[str, Any]]:
        from urllib.parse import quote

        return [self.call("GET", f"/containers/{quote(one, safe='')}/json", timeout=timeout,
                          container=container) for one in ids]

    def create(self, container: str, spec: ExecSpec, *, tty: bool, stdin: bool = False,
               timeout: float, name: str = "") -> str:
        """``POST /containers/ID/exec``: the exec's id. The tty keeps the daemon's size (0x0),
        as with the CLI, which resizes only when its own stdin is a terminal (never here)."""
        body: dict[str, Any] = {"AttachStdin": stdin, "AttachStdout": True,
                                "AttachStderr": True, "Tty": tty, "Cmd": list(spec.cmd),
                                "Env": list(spec.env), "User": spec.user or "",
                                "WorkingDir": spec.workdir or ""}
        made = self.call("POST", f"/containers/{container}/exec", body, timeout=timeout,
                         container=name)
        return str(made["Id"])

    def start(self, exec_id: str, *, tty: bool, timeout: float, name: str = "") -> docker_api.Socket:
        """``POST /exec/ID/start``, upgraded: the socket carrying the exec's stream."""
        try:
            return docker_api.attach(self.path, f"/exec/{exec_id}/start",
                                     {"Detach": False, "Tty": tty}, timeout=timeout)
        except (docker_api.ApiError, OSError) as exc:
            raise self.failure(exc, timeout=timeout, container=name) from None

    def state(self, exec_id: str, *, timeout: float, name: str = "") -> tuple[bool, int | None]:
        """``GET /exec/ID/json``: (still running, exit code)."""
        found = self.call("GET", f"/exec/{exec_id}/json", timeout=timeout, container=name)
        code = found.get("ExitCode")
        return bool(found.get("Running")), code if isinstance(code, int) else None

    def exit_code(self, exec_id: str, *, timeout: float, name: str = "") -> int | None:
        """The exit code once the exec has ended (its stream ends first, by a hair), or
        None when it has not ended within ``timeout``."""
        deadline, pause = time.monotonic() + timeout, 0.001
        while True:
            running, code = self.state(exec_id, timeout=timeout, name=name)
            if not running or time.monotonic() > deadline:
                return None if running else code
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def run(self, container: str, spec: ExecSpec, data: bytes = b"", *, timeout: float,
            name: str = "") -> bytes:
        """A command without a tty: ``data`` on its stdin (written whole, then closed: the
        scripts run so read all their input before they write), its stdout back."""
        exec_id = self.create(container, spec, tty=False, stdin=bool(data), timeout=timeout,
                              name=name)
        sock = self.start(exec_id, tty=False, timeout=timeout, name=name)
        try:
            sock.settimeout(timeout)
            if data:
                sock.sendall(data)
                sock.shutdown(docker_api.SHUT_WR)
            stream = b""
            while chunk := sock.recv(65536):
                stream += chunk
        except OSError as exc:
            raise self.failure(exc, timeout=timeout, container=name) from None
        finally:
            sock.close()
        out, _ = docker_api.frames(stream)
        if self.exit_code(exec_id, timeout=timeout, name=name) != 0:
            raise engine_failure(self.engine, out.get(2, b""), container=name)
        return out.get(1, b"")


def transport(engine: str, environ: Mapping[str, str]) -> CliTransport | ApiTransport:
    """The Engine API when the engine is docker and its CLI would use a local Unix socket;
    the CLI otherwise (another host or context, podman)."""
    path = docker_api.socket_path(environ) if engine_name(engine) == "docker" else None
    return ApiTransport(engine, path) if path else CliTransport(engine, environ)
