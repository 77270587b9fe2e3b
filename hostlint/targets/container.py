"""The container target: the linter inside the repository's running container, through the
engine's CLI (``docker exec -t`` / ``podman exec -t``) under a local pty.

The command inside is one ``sh -c`` script (``wrapper``): it clears the container pty's
output translation (no ``\\r``), gives the linter stdin at end-of-file, prints a marker line
with its process id, then runs the configured command with the file names as arguments.
The marker line is taken out of the output; it says the exec started, so:

* no marker → the engine refused (container stopped or gone, daemon down, no ``sh``): the
  engine CLI's stderr (kept apart from the pty) becomes one line with the fix (exit 3);
  a cached container that fails so is looked up again once;
* marker → the status is the linter's, whatever its value;
* Ctrl-C: the engine does not stop an exec when its client goes, so ``interrupt`` signals
  the script's process group inside the container (``kill -INT -PID``, one more exec).

File names are arguments, never script text. The engine's API carries them as JSON strings,
which would turn bytes that are not UTF-8 into U+FFFD, so a batch holding such a name
passes every name tagged (``=name``, or ``%`` + octal escapes) and the script decodes them.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
import time

from hostlint.container_engine import (
    Container,
    EngineError,
    cached,
    engine_failure,
    find,
    forget,
    store,
)
from hostlint.detect import container_files, has_devcontainer
from hostlint.errors import TargetUnavailable
from hostlint.files import local_arg_limit, local_cost
from hostlint.status import RunResult
from hostlint.targets import Context
from hostlint.targets.base import Invocation, Process, split
from hostlint.targets.local import PtyProcess

MARK = b"\036hostlint-pid "
DEFAULT_TERM = "xterm-256color"
_DECODE = ('for a do case $a in %*) v=$(printf "${a#%}x"); set -- "$@" "${v%x}";; '
           '*) set -- "$@" "${a#=}";; esac; shift; done\n')


def wrapper(command: str, *, encoded: bool) -> str:
    """The one script run inside: stty needs the pty as stdin, so it comes first."""
    return ("stty -opost -echo 2>/dev/null; exec </dev/null; printf '\\036hostlint-pid %s\\n' $$\n"
            + (_DECODE if encoded else "") + f'{command} "$@"')


def _utf8(name: str) -> bool:
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def encode(name: str) -> str:
    """A name as the script's decoder takes it: ``=`` + the name, or for bytes that are not
    UTF-8, ``%`` + every byte as an octal escape (a printf format of escapes only)."""
    if _utf8(name):
        return "=" + name
    return "%" + "".join(f"\\{byte:03o}" for byte in os.fsencode(name))


class ContainerTarget:
    """Linters in one container: one ``exec`` per run. ``start`` is thread-safe."""

    def __init__(self, container: Container, context: Context, *, cached: bool) -> None:
        assert container.root is not None
        self.container = container
        self.context = context
        self.cached = cached  # not verified yet: a failing exec may look again, once
        self.root = container.root
        self.roots: tuple[str, ...] = tuple(dict.fromkeys((self.root, os.path.normpath(self.root))))
        self.name = f"container {container.name}"
        self._lock = threading.Lock()

    def exec_argv(self, invocation: Invocation) -> list[str]:
        c = self.container
        env = self.context.env
        term = (env.environ.get("TERM") if env.is_tty else None) or DEFAULT_TERM
        names = list(invocation.files)
        if c.workdir:  # the command starts elsewhere: names must not depend on it
            names = [os.path.join(self.root, name) for name in names]
        encoded = not all(map(_utf8, names))
        argv = [c.engine, "exec", "-t", "-w", c.workdir or self.root, "-e", f"TERM={term}"]
        if c.user:
            argv += ["-u", c.user]
        return [*argv, c.id, "sh", "-c", wrapper(invocation.command, encoded=encoded),
                "hostlint", *(map(encode, names) if encoded else names)]

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = sum(map(local_cost, self.exec_argv(Invocation(invocation.command))))
        encoded = not all(map(_utf8, invocation.files))
        cost = (lambda n: local_cost(encode(n))) if encoded else local_cost
        # The same argv reaches the container's exec, beside the container's environment.
        limit = local_arg_limit(dict(self.context.env.environ)) - 64 * 1024
        return split(invocation, limit=max(limit, 4096), fixed=fixed, cost=cost)

    def start(self, invocation: Invocation) -> Process:
        return ContainerProcess(self, invocation)

    def refind(self, failed: Container) -> Container | None:
        """After a cached container failed its exec: look again, once per check."""
        with self._lock:
            if self.container.id == failed.id and self.cached:
                self.cached = False
                context = self.context
                forget(context.root, context.env.environ)
                found = find(context.root, context.config.container, context.env.environ,
                             timeout=context.config.connect_timeout,
                             devcontainer=has_devcontainer(container_files(context.root)))
                if found is not None and found.running and found.root is not None:
                    self.container = found
                    self.root = found.root
            return self.container if self.container.id != failed.id else None

    def close(self) -> None:
        pass


class ContainerProcess:
    """One ``exec`` under a local pty; the marker line is read and dropped."""

    def __init__(self, target: ContainerTarget, invocation: Invocation) -> None:
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
        if not select.select([self._local.fileno()], [], [], timeout)[0]:
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


# ----------------------------------------------------------------------------------------
# The registry's entry points
# ----------------------------------------------------------------------------------------


def locate(context: Context) -> tuple[Container, bool]:
    """The container (from the cache when it holds one), and whether it came from there."""
    settings, environ = context.config.container, context.env.environ
    hit = cached(context.root, settings, environ)
    if hit is not None:
        return hit, True
    found = find(context.root, settings, environ, timeout=context.config.connect_timeout,
                 devcontainer=has_devcontainer(container_files(context.root)))
    if found is None:
        raise TargetUnavailable(f"no container for {context.root}", hint=_start_hint(context))
    return found, False


def _start_hint(context: Context) -> str:
    settings = context.config.container
    if settings.service:
        return f"start it: `docker compose up -d {settings.service}`"
    if has_devcontainer(container_files(context.root)):
        return "start it: `devcontainer up --workspace-folder .`"
    return "start the project's container, or name it in [tool.hostlint.container] name"


def open_target(context: Context) -> ContainerTarget:
    found, cached = locate(context)
    if not found.running:
        forget(context.root, context.env.environ)
        raise TargetUnavailable(f"container {found.name} ({found.how}) is not running",
                                hint=f"run `{found.fix}`")
    if found.root is None:
        raise TargetUnavailable(f"container {found.name} has no bind mount of {context.root}",
                                hint="mount the repository (or a directory above it) into the "
                                "container, or set [tool.hostlint.container] root")
    return ContainerTarget(found, context, cached=cached)


def describe(context: Context) -> list[tuple[str, str]]:
    try:
        found, cached = locate(context)
    except TargetUnavailable as exc:
        return [("container", exc.line().removeprefix("hostlint: "))]
    return [
        ("engine", found.engine),
        ("container", f"{found.name} ({found.id[:12]}), "
                      f"{'running' if found.running else 'not running: run `' + found.fix + '`'}"),
        ("found by", found.how),
        ("root", f"{context.root} -> {found.root or '?'} (from {found.root_source})"),
        ("user", found.user or "the container's own user"),
        ("workdir", found.workdir or found.root or "?"),
        ("lookup", "cached: the next check runs one exec" if cached else "asked the engine"),
    ]
