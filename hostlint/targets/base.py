"""What every target shares (pre-commit's ``lang_base.py``): the ``TargetModule`` protocol the
registry calls, the ``Context`` it hands over, the ``Target`` and ``Process`` protocols, and
the one run lifecycle.

A target supplies a ``Process`` (open, read, exit status, interrupt, kill, close); ``pump``
is the lifecycle written once: read until a read returns empty, write each chunk into the
sink, wait for the status, and on cancellation interrupt, drain, then kill — cleaning up in
``finally`` (invoke's ``Runner`` / fabric's ``Remote`` split).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hostlint.files import partition
from hostlint.poll import readable
from hostlint.status import RunResult
from hostlint.stream import Sink
from hostlint.targets.cancel import Cancel
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from hostlint.config import Config
    from hostlint.environment import Environment

#: How long an interrupted linter may take to exit before it is killed.
GRACE_SECONDS = 1.5


class Invocation(NamedTuple):
    """One run of a linter: its shell command, the file names appended to it, the bytes on
    its standard input (then end-of-file; never the pty) and extra environment variables
    (set on the target; the host's environment is never forwarded to a remote one)."""

    command: str
    files: tuple[str, ...] = ()
    stdin: bytes = b""
    environ: tuple[tuple[str, str], ...] = ()


class Process(Protocol):
    """The primitives a target supplies for one running linter."""

    def fileno(self) -> int:
        """Readable when output or end-of-output is available."""
        ...

    def read(self) -> bytes:
        """The next chunk of output; ``b""`` once all output has been read."""
        ...

    def exited(self) -> bool:
        """True once the linter has ended: ``wait`` will not block (remote: as ``idle``)."""
        ...

    def wait(self) -> RunResult:
        """Block until the linter has ended; its status."""
        ...

    def idle(self) -> bool:
        """Called after a quiet second: True when no more output can come (the linter is
        gone and only an outside process holds its terminal). Remote targets check
        liveness here and raise ``TargetUnavailable`` when the target is lost."""
        ...

    def interrupt(self) -> None:
        """Ask the linter to stop, as Ctrl-C would."""
        ...

    def kill(self) -> None:
        """Stop the linter now."""
        ...

    def close(self) -> None: ...


class Target(Protocol):
    """Where linters run. ``check`` only ever talks to this."""

    name: str
    @property
    def where(self) -> str:
        """Where the linters run, as messages name it: ``ssh devbox:/srv/proj``."""
        ...

    @property
    def path_hint(self) -> str:
        """What decides which commands the target's shell finds, for a command not found
        (127) or not executable (126): ``check `command` and <path_hint>``."""
        ...
    #: Paths on the target that mean the repository root (remote targets), so output can
    #: show host-relative paths; empty for the local target.
    roots: tuple[str, ...]

    def batches(self, invocation: Invocation) -> list[Invocation]:
        """The invocation split so each command line stays under this target's limits."""
        ...

    def start(self, invocation: Invocation) -> Process:
        """Run the invocation under a pty: output on the pty, ``invocation.stdin`` on the
        linter's standard input and then end-of-file, ``invocation.environ`` set."""
        ...

    def put_file(self, data: bytes) -> str:
        """A new file on the target holding ``data``, private to the linter's user; its
        path there (the git hooks' message file: the target need not see ``.git``)."""
        ...

    def take_file(self, path: str) -> bytes:
        """The bytes a ``put_file`` file holds now (a linter may have rewritten it), and
        remove it."""
        ...

    def close(self) -> None: ...


class Context(NamedTuple):
    """What a target reads to open: the repository root, the settings, the environment."""

    root: str
    config: Config
    env: Environment


class TargetModule(Protocol):
    """A target module (``targets/local.py``, ``targets/ssh/``, ...): what the registry
    calls. Adding a target is one such module and one line in the registry."""

    def open_target(self, context: Context) -> Target:
        """Open (connect to) the target; raises ``TargetUnavailable`` when it cannot be used."""
        ...

    def describe(self, context: Context) -> list[tuple[str, str]]:
        """The target's settings as (name, value) rows, for ``hostlint detect``."""
        ...

    def connecting(self, context: Context) -> str | None:
        """The status line shown when opening takes a while (``None``: opening is instant)."""
        ...


def run(target: Target, invocation: Invocation, sink: Sink, cancel: Cancel) -> RunResult:
    """Start one invocation on ``target`` and pump its output into ``sink``."""
    process = target.start(invocation)
    cancel.track(process)
    try:
        return pump(process, sink, cancel)
    finally:
        cancel.untrack(process)
        process.close()


def pump(process: Process, sink: Sink, cancel: Cancel, *, tick: float = 1.0) -> RunResult:
    """Read to the output's end, wait for the exit, both cancellable (``exec cmd >/dev/null``)."""
    if (read_output(process, sink, cancel=cancel.fileno(), tick=tick)
            and wait_exit(process, cancel=cancel.fileno())):
        return process.wait()
    return _stop(process, sink)


def _stop(process: Process, sink: Sink) -> RunResult:
    """Interrupt, keep the output that still arrives for a grace period, then kill."""
    process.interrupt()
    deadline = time.monotonic() + GRACE_SECONDS
    if not (read_output(process, sink, deadline=deadline) and wait_exit(process, deadline=deadline)):
        process.kill()
    return process.wait()


def read_output(process: Process, sink: Sink, *, cancel: int | None = None, tick: float = 1.0,
                deadline: float | None = None) -> bool:
    """The read loop, written once (invoke's ``Runner.read_proc_output``): read until a read
    returns empty, write and flush each chunk. True when the output is over (that empty read,
    or without a ``deadline``, ``process.idle()`` after a quiet ``tick``, and then nothing
    more to read: output may land between the quiet tick and ``idle``); False when
    ``cancel`` became readable or the ``deadline`` passed."""
    fds, idle = (process.fileno(), cancel), False
    while True:
        wait = 0.0 if idle else tick if deadline is None else deadline - time.monotonic()
        if wait <= 0 and not idle:
            return False
        ready = readable(fds, wait)
        if cancel is not None and cancel in ready:
            return False
        if not ready:
            if idle:
                return True
            idle = deadline is None and process.idle()  # then one more look, without waiting
            continue
        data = process.read()
        if not data:
            return True
        sink.write(data)
        sink.flush()


def wait_exit(process: Process, *, cancel: int | None = None, deadline: float | None = None) -> bool:
    """After the end of the output, wait for the linter's exit: True when it came, False when
    ``cancel`` became readable or the ``deadline`` passed first. Polled from 1 ms up to 50 ms
    (a process offers no descriptor for its exit; most exit as their output ends)."""
    pause = 0.001
    while not process.exited():
        wait = pause if deadline is None else min(pause, deadline - time.monotonic())
        if wait <= 0 or readable([cancel], wait):
            return False
        pause = min(pause * 2, 0.05)
    return True


def split(invocation: Invocation, *, limit: int, fixed: int,
          cost: Callable[[str], int]) -> list[Invocation]:
    """Helper for ``Target.batches``: the same command over each batch of files."""
    if not invocation.files:
        return [invocation]
    return [invocation._replace(files=tuple(batch))
            for batch in partition(invocation.files, limit=limit, fixed=fixed, cost=cost)]


__all__ = ["Cancel", "Context", "Invocation", "Process", "Target", "TargetModule", "pump",
           "read_output", "run", "split", "wait_exit"]
