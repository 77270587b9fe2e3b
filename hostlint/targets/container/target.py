"""``ContainerTarget``: the exec of a run (``ExecSpec``: the same for the CLI and the API),
batching, ``put_file``/``take_file`` as execs without a tty, and the one re-lookup of a
cached container that failed its exec."""

from __future__ import annotations

import os
import threading

from hostlint.container_engine import Container, find, forget
from hostlint.detect import container_files, has_devcontainer
from hostlint.engine_transport import ExecSpec, cli_argv, transport
from hostlint.files import local_arg_limit, local_cost
from hostlint.targets.base import Context, Invocation, Process, split
from hostlint.targets.container.process import ContainerProcess
from hostlint.targets.container.script import DEFAULT_TERM, encode, is_utf8, wrapper
from hostlint.targets.posix import PUT_SCRIPT, stdin_prefix, take_script


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
        self.where = f"{self.name}:{self.root}"
        self.path_hint = (f"the PATH in {self.name} (the image's environment: `{container.engine} "
                          "exec` reads no shell profile)")
        self._lock = threading.Lock()
        self.calls = transport(container.engine, context.env.environ)

    def exec_spec(self, invocation: Invocation) -> ExecSpec:
        c = self.container
        env = self.context.env
        term = (env.environ.get("TERM") if env.is_tty else None) or DEFAULT_TERM
        names = list(invocation.files)
        if c.workdir:  # the command starts elsewhere: names must not depend on it
            names = [os.path.join(self.root, name) for name in names]
        encoded = not all(map(is_utf8, names))
        variables = (f"TERM={term}", *(f"{name}={value}" for name, value in invocation.environ))
        return ExecSpec(("sh", "-c", wrapper(invocation.command, encoded=encoded), "hostlint",
                         *(map(encode, names) if encoded else names)),
                        variables, c.user, c.workdir or self.root)

    def exec_argv(self, invocation: Invocation) -> list[str]:
        """The run as the CLI's command line (on the API, the same strings reach the exec)."""
        return cli_argv(self.container.engine, self.container.id, self.exec_spec(invocation),
                        tty=True)

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = sum(map(local_cost, self.exec_argv(Invocation(invocation.command))))
        encoded = not all(map(is_utf8, invocation.files))
        cost = (lambda n: local_cost(encode(n))) if encoded else local_cost
        # The same argv reaches the container's exec, beside the container's environment.
        limit = local_arg_limit(dict(self.context.env.environ)) - 64 * 1024
        return split(invocation, limit=max(limit, 4096), fixed=fixed, cost=cost)

    def start(self, invocation: Invocation) -> Process:
        if invocation.stdin:  # from a file put there first: stdin of `exec -t` is the pty
            stdin = self.put_file(invocation.stdin)
            invocation = invocation._replace(command=stdin_prefix(stdin) + invocation.command,
                                             stdin=b"")
        return ContainerProcess(self, invocation)

    def put_file(self, data: bytes) -> str:
        return os.fsdecode(self._exec_io(PUT_SCRIPT, data))

    def take_file(self, path: str) -> bytes:
        return self._exec_io(take_script(path))

    def _exec_io(self, script: str, data: bytes = b"") -> bytes:
        """An exec without a tty: ``data`` on the script's stdin, its stdout back."""
        c = self.container
        return self.calls.run(c.id, ExecSpec(("sh", "-c", script), user=c.user), data,
                              timeout=self.context.config.alive_timeout, name=c.name)

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


