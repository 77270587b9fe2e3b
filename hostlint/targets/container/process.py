"""``ContainerProcess``: one exec of a run, on either transport (``execs``). The marker line
says the exec started: before it, a failure is the engine's (exit 3 with the fix); after
it, the status is the linter's. Ctrl-C signals the script's process group inside the
container (``kill -INT -PID``, one more exec), since the engine does not stop an exec when
its client goes."""

from __future__ import annotations

import contextlib
import time

from hostlint.container_engine import Container, store
from hostlint.engine_transport import ApiTransport, CliTransport, EngineError, ExecSpec, engine_name
from hostlint.errors import TargetUnavailable
from hostlint.poll import readable
from hostlint.status import RunResult
from hostlint.targets.base import Context, Invocation
from hostlint.targets.container.execs import Exec, launch
from hostlint.targets.container.script import MARK
from hostlint.typing_lite import Protocol

KILL_SCRIPT = 'kill -"$1" -"$2" 2>/dev/null || kill -"$1" "$2"'


class Launcher(Protocol):
    """What a run needs from its target (``ContainerTarget``)."""

    container: Container
    context: Context
    calls: CliTransport | ApiTransport

    def exec_spec(self, invocation: Invocation) -> ExecSpec: ...

    def refind(self, failed: Container) -> Container | None: ...


class ContainerProcess:
    """One exec; the marker line is read and dropped."""

    def __init__(self, target: Launcher, invocation: Invocation) -> None:
        self._target = target
        self._invocation = invocation
        self._pid: str | None = None
        self._interrupted = False
        self._launch()

    def _launch(self) -> None:
        """Start the exec; a refusal on the way (the API answers at once) is treated as
        one the CLI reports at its end."""
        while True:
            self._container = self._target.container
            self._started = time.monotonic()
            try:
                self._exec: Exec = launch(self._target.calls, self._container,
                                          self._target.exec_spec(self._invocation),
                                          self._target.context)
                return
            except EngineError as failure:
                self._again(self._explain(failure))

    def fileno(self) -> int:
        return self._exec.fileno()

    def read(self) -> bytes:
        if self._pid is not None:
            return self._exec.read()
        head = b""
        while True:  # the marker is one printf: the rest of its line follows at once
            data = self._exec.read()
            head += data
            if not data or b"\n" in head or not MARK.startswith(head[:len(MARK)]):
                break
            self._ready(self._target.context.config.connect_timeout)
        if head.startswith(MARK) and b"\n" in head:
            line, rest = head.split(b"\n", 1)
            pid = line[len(MARK):].strip()
            self._pid = pid.decode() if pid.isdigit() else "0"
            if self._interrupted:
                self._signal("INT")
            return rest or self.read()
        if not head:
            return self._retry() or b""
        return head  # not our marker (no sh?): passed on as it is

    def _ready(self, timeout: float) -> None:
        if not readable([self._exec.fileno()], timeout):
            raise self._timeout()

    def _timeout(self) -> EngineError:
        self._exec.kill()
        engine = engine_name(self._container.engine)
        return EngineError(f"`{engine} exec` in container {self._container.name} did not start "
                           f"within {self._target.context.config.connect_timeout:g} s",
                           reason="timeout", hint=f"is the engine's daemon hung? try `{engine} info`")

    def _retry(self) -> bytes:
        """The exec ended before the marker: an engine failure. A cached container that is
        gone or stopped is looked up again once, and the run restarted there."""
        failure = self._failure()
        if failure is None:
            return b""
        self._again(failure)
        self._exec.close()
        self._launch()
        return self.read()

    def _again(self, failure: EngineError) -> None:
        """Returns when a re-lookup found another container to run in; else raises."""
        if failure.reason in ("gone", "stopped") and not self._interrupted \
                and self._target.refind(self._container) is not None:
            return
        raise failure

    def _failure(self) -> EngineError | None:
        failure = self._exec.failure()
        return None if failure is None else self._explain(failure)

    def _explain(self, failure: EngineError) -> EngineError:
        c = self._container
        if failure.reason in ("gone", "stopped"):
            failure.hint = f"run `{c.fix}`"
            failure.message = (f"container {c.name} ({c.how}) is "
                               f"{'gone' if failure.reason == 'gone' else 'not running'}")
        elif failure.reason == "other" and "chdir" in failure.message.lower():
            failure.hint = (f"the container has no directory {c.workdir or c.root}: check "
                            "[tool.hostlint.container] root / workdir")
        return failure

    def exited(self) -> bool:
        return self._exec.exited()

    def wait(self) -> RunResult:
        if self._pid is None:
            failure = self._failure()
            if failure is not None and not self._interrupted:
                raise failure
        result = self._exec.wait()
        if self._pid is not None and not result.ok and result.signal is None:
            lost = self._exec.lost()  # with a tty the linter's stderr is the pty: the engine's
            if lost:
                raise TargetUnavailable(f"lost container {self._container.name} mid-run: "
                                        f"{lost.splitlines()[-1]}", hint="see the output above")
        if self._pid is not None and not self._interrupted:
            store(self._target.context.root, self._target.context.config.container,
                  self._target.context.env.environ, self._container)
        return result

    def idle(self) -> bool:
        if self._pid is None and time.monotonic() - self._started > \
                self._target.context.config.connect_timeout:
            raise self._timeout()
        return self._exec.idle()

    def _signal(self, name: str) -> None:
        """Signal the script's process group inside the container (the engine would not)."""
        c = self._container
        spec = ExecSpec(("sh", "-c", KILL_SCRIPT, "hostlint", name, self._pid or ""), user=c.user)
        with contextlib.suppress(EngineError):  # kill's own status (the group gone) included
            self._target.calls.run(c.id, spec, timeout=self._target.context.config.connect_timeout,
                                   name=c.name)

    def interrupt(self) -> None:
        self._interrupted = True
        if self._pid is not None:
            self._signal("INT")

    def kill(self) -> None:
        if self._pid is not None:
            self._signal("KILL")
        self._exec.kill()

    def close(self) -> None:
        self._exec.close()
