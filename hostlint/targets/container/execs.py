"""One exec with a tty, on either transport; ``ContainerProcess`` drives both alike.

* ``CliExec``: ``docker exec -t`` (or podman's) under a local pty, the CLI's own stderr kept
  apart in a pipe: its complaints are the engine's, never the linter's output.
* ``ApiExec``: the Engine API's exec, its stream on the upgraded socket (with a tty the
  stream is the container pty's bytes as they are, not multiplexed); the exit code from
  ``GET /exec/ID/json``. No local process: nothing for the watchdog to watch, and a
  hostlint that dies closes the socket, which the exec outlives just as it outlives a
  killed CLI.
"""

from __future__ import annotations

import contextlib
import os

from hostlint import docker_api
from hostlint.container_engine import Container
from hostlint.engine_transport import (
    ApiTransport,
    CliTransport,
    EngineError,
    ExecSpec,
    cli_argv,
    engine_failure,
)
from hostlint.status import RunResult
from hostlint.targets.base import Context
from hostlint.typing_lite import Protocol

KILLED = RunResult(137, "SIGKILL")


class Exec(Protocol):
    """A ``Process`` (see targets/base) and two questions about how it ended."""

    def fileno(self) -> int: ...
    def read(self) -> bytes: ...
    def exited(self) -> bool: ...
    def wait(self) -> RunResult: ...
    def idle(self) -> bool: ...
    def kill(self) -> None: ...
    def close(self) -> None: ...

    def failure(self) -> EngineError | None:
        """It ended before the script inside began: the engine's reason, None if none."""
        ...

    def lost(self) -> str:
        """It ended badly after the script began: the engine's complaint, or ``""``."""
        ...


def launch(calls: CliTransport | ApiTransport, container: Container, spec: ExecSpec,
           context: Context) -> Exec:
    if isinstance(calls, ApiTransport):
        return ApiExec(calls, container, spec, timeout=context.config.connect_timeout)
    return CliExec(cli_argv(container.engine, container.id, spec, tty=True), container, context)


class CliExec:
    """The engine's CLI under a local pty."""

    def __init__(self, argv: list[str], container: Container, context: Context) -> None:
        from hostlint.targets.local import PtyProcess  # the API path needs no local pty

        self._container = container
        self._stderr = b""
        errors, write = os.pipe()  # the CLI's own stderr: a few lines at most
        try:
            self._local = PtyProcess(argv, cwd=context.root, environ=context.env.environ,
                                     stderr=write)
        except BaseException:
            os.close(errors)
            raise
        finally:
            os.close(write)
        self._errors = errors

    def fileno(self) -> int:
        return self._local.fileno()

    def read(self) -> bytes:
        return self._local.read()

    def exited(self) -> bool:
        return self._local.exited()

    def wait(self) -> RunResult:
        return self._local.wait()

    def idle(self) -> bool:
        return self._local.idle()

    def kill(self) -> None:
        self._local.kill()

    def failure(self) -> EngineError | None:
        result = self._local.wait()
        stderr = self._cli_stderr()
        if result.ok and not stderr:
            return None
        return engine_failure(self._container.engine, stderr, container=self._container.name)

    def lost(self) -> str:
        return self._cli_stderr().decode(errors="replace").strip()

    def _cli_stderr(self) -> bytes:
        """What the CLI wrote on stderr (read once it has ended)."""
        while self._errors >= 0 and (chunk := os.read(self._errors, 65536)):
            self._stderr += chunk
        return self._stderr

    def close(self) -> None:
        self._local.close()
        if self._errors >= 0:
            os.close(self._errors)
            self._errors = -1


class ApiExec:
    """``POST /containers/ID/exec``, ``POST /exec/ID/start`` upgraded, then the socket."""

    def __init__(self, calls: ApiTransport, container: Container, spec: ExecSpec, *,
                 timeout: float) -> None:
        self._calls, self._name, self._timeout = calls, container.name, timeout
        self._id = calls.create(container.id, spec, tty=True, timeout=timeout,
                                name=container.name)
        self._sock = calls.start(self._id, tty=True, timeout=timeout, name=container.name)
        self._result: RunResult | None = None
        self._lost: EngineError | None = None

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self) -> bytes:
        try:
            return self._sock.recv(65536)
        except OSError:  # reset, or shut down by kill
            return b""

    def exited(self) -> bool:
        if self._result is None:
            try:
                running, code = self._calls.state(self._id, timeout=self._timeout, name=self._name)
            except EngineError as exc:  # the container (and its execs) went away
                self._lost, self._result = exc, RunResult(255)
            else:
                if not running:
                    self._result = RunResult(255 if code is None else code)
        return self._result is not None

    def wait(self) -> RunResult:
        if not self.exited():
            try:
                code = self._calls.exit_code(self._id, timeout=self._timeout, name=self._name)
            except EngineError as exc:
                self._lost, code = exc, 255
            # not ended within the timeout: only after kill, whose signal inside went unheard
            self._result = KILLED if code is None else RunResult(code)
        assert self._result is not None
        return self._result

    def idle(self) -> bool:
        return self.exited()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(docker_api.SHUT_RDWR)

    def failure(self) -> EngineError | None:
        result = self.wait()
        if self._lost is not None or result.ok:
            return self._lost
        return EngineError(f"`docker exec` in container {self._name} ended before its command "
                           f"began (exit {result.returncode})", reason="other",
                           hint="see `docker logs` and `docker inspect` for the container")

    def lost(self) -> str:
        return self._lost.message if self._lost is not None else ""

    def close(self) -> None:
        self._sock.close()
