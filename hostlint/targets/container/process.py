"""``ContainerProcess``: one exec under a local pty. The marker line says the exec started:
before it, a failure is the engine's (exit 3 with the fix); after it, the status is the
linter's. Ctrl-C signals the script's process group inside the container (``kill -INT
-PID``, one more exec), since the engine does not stop an exec when its client goes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from typing import Protocol

from hostlint.container_engine import Container, EngineError, engine_failure, store
from hostlint.errors import TargetUnavailable
from hostlint.poll import readable
from hostlint.status import RunResult
from hostlint.targets.base import Context, Invocation
from hostlint.targets.container.script import MARK
from hostlint.targets.local import PtyProcess


class Launcher(Protocol):
    """What a run needs from its target (``ContainerTarget``)."""

    container: Container
    context: Context

    def exec_argv(self, invocation: Invocation) -> list[str]: ...

    def refind(self, failed: Container) -> Container | None: ...


class ContainerProcess:
    """One ``exec`` under a local pty; the marker line is read and dropped."""

    def __init__(self, target: Launcher, invocation: Invocation) -> None:
        self._target = target
        self._invocation = invocation
        self._pid: str | None = None
        self._interrupted = False
        self._launch()

    def _launch(self) -> None:
        self._container = self._target.container
        self._stderr = b""
        self._started = time.monotonic()
        errors, write = os.pipe()  # the CLI's own stderr: a few lines at most
        try:
            self._local = PtyProcess(self._target.exec_argv(self._invocation),
                                     cwd=self._target.context.root,
                                     environ=self._target.context.env.environ, stderr=write)
        except BaseException:
            os.close(errors)
            raise
        finally:
            os.close(write)
        self._errors = errors

    def fileno(self) -> int:
        return self._local.fileno()

    def read(self) -> bytes:
        if self._pid is not None:
            return self._local.read()
        head = b""
        while True:  # the marker is one printf: the rest of its line follows at once
            data = self._local.read()
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
        if not readable([self._local.fileno()], timeout):
            raise self._timeout()

    def _timeout(self) -> EngineError:
        self._local.kill()
        return EngineError(f"`{os.path.basename(self._container.engine)} exec` in container "
                           f"{self._container.name} did not start within "
                           f"{self._target.context.config.connect_timeout:g} s", reason="timeout",
                           hint="is the engine's daemon hung? try "
                           f"`{os.path.basename(self._container.engine)} info`")

    def _retry(self) -> bytes:
        """The exec ended before the marker: an engine failure. A cached container that is
        gone or stopped is looked up again once, and the run restarted there."""
        failure = self._failure()
        if failure is None:
            return b""
        if failure.reason in ("gone", "stopped") and not self._interrupted:
            other = self._target.refind(self._container)
            if other is not None:
                self.close()
                self._launch()
                return self.read()
        raise failure

    def _failure(self) -> EngineError | None:
        result = self._local.wait()
        stderr = self._cli_stderr()
        if result.ok and not stderr:
            return None
        c = self._container
        failure = engine_failure(c.engine, stderr, container=c.name)
        if failure.reason in ("gone", "stopped"):
            failure.hint = f"run `{c.fix}`"
            failure.message = (f"container {c.name} ({c.how}) is "
                               f"{'gone' if failure.reason == 'gone' else 'not running'}")
        elif failure.reason == "other" and "chdir" in failure.message.lower():
            failure.hint = (f"the container has no directory {c.workdir or c.root}: check "
                            "[tool.hostlint.container] root / workdir")
        return failure

    def exited(self) -> bool:
        return self._local.exited()

    def wait(self) -> RunResult:
        if self._pid is None:
            failure = self._failure()
            if failure is not None and not self._interrupted:
                raise failure
        result = self._local.wait()
        if self._pid is not None and not result.ok and result.signal is None:
            # with -t the linter's stderr is the pty: this is the CLI's own
            lost = self._cli_stderr().decode(errors="replace").strip()
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
        return self._local.idle()

    def _signal(self, name: str) -> None:
        """Signal the script's process group inside the container (the engine would not)."""
        c = self._container
        argv = [c.engine, "exec", *(["-u", c.user] if c.user else []), c.id, "sh", "-c",
                'kill -"$1" -"$2" 2>/dev/null || kill -"$1" "$2"', "hostlint", name,
                self._pid or ""]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           env=dict(self._target.context.env.environ),
                           timeout=self._target.context.config.connect_timeout, check=False)

    def interrupt(self) -> None:
        self._interrupted = True
        if self._pid is not None:
            self._signal("INT")

    def kill(self) -> None:
        if self._pid is not None:
            self._signal("KILL")
        self._local.kill()

    def _cli_stderr(self) -> bytes:
        """What the engine's CLI wrote on stderr (read once it has ended)."""
        while self._errors >= 0 and (chunk := os.read(self._errors, 65536)):
            self._stderr += chunk
        return self._stderr

    def close(self) -> None:
        self._local.close()
        if self._errors >= 0:
            os.close(self._errors)
            self._errors = -1


