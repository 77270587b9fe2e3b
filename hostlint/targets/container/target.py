"""``ContainerTarget``: the ``docker exec -t`` command line of a run, batching, and the
one re-lookup of a cached container that failed its exec."""

from __future__ import annotations

import os
import threading

from hostlint.container_engine import Container, find, forget
from hostlint.detect import container_files, has_devcontainer
from hostlint.files import local_arg_limit, local_cost
from hostlint.targets.base import Context, Invocation, Process, split
from hostlint.targets.container.process import ContainerProcess
from hostlint.targets.container.script import DEFAULT_TERM, encode, is_utf8, wrapper


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

    def exec_argv(self, invocation: Invocation) -> list[str]:
        c = self.container
        env = self.context.env
        term = (env.environ.get("TERM") if env.is_tty else None) or DEFAULT_TERM
        names = list(invocation.files)
        if c.workdir:  # the command starts elsewhere: names must not depend on it
            names = [os.path.join(self.root, name) for name in names]
        encoded = not all(map(is_utf8, names))
        argv = [c.engine, "exec", "-t", "-w", c.workdir or self.root, "-e", f"TERM={term}"]
        if c.user:
            argv += ["-u", c.user]
        return [*argv, c.id, "sh", "-c", wrapper(invocation.command, encoded=encoded),
                "hostlint", *(map(encode, names) if encoded else names)]

    def batches(self, invocation: Invocation) -> list[Invocation]:
        fixed = sum(map(local_cost, self.exec_argv(Invocation(invocation.command))))
        encoded = not all(map(is_utf8, invocation.files))
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


