"""The container target: the linter inside the repository's running container, in an exec
with a tty: through docker's Engine API on its local socket, else the engine's CLI
(``docker exec -t`` / ``podman exec -t``) under a local pty (``execs``).

The command inside is one ``sh -c`` script (``wrapper``): it clears the container pty's
output translation (no ``\\r``), gives the linter stdin at end-of-file, prints a marker line
with its process id, then runs the configured command with the file names as arguments.
The marker line is taken out of the output; it says the exec started, so:

* no marker → the engine refused (container stopped or gone, daemon down, no ``sh``): the
  API's answer, or the CLI's stderr (kept apart from the pty), becomes one line with the
  fix (exit 3);
  a cached container that fails so is looked up again once;
* marker → the status is the linter's, whatever its value;
* Ctrl-C: the engine does not stop an exec when its client goes, so ``interrupt`` signals
  the script's process group inside the container (``kill -INT -PID``, one more exec).

File names are arguments, never script text. The engine's API carries them as JSON strings,
which would turn bytes that are not UTF-8 into U+FFFD, so a batch holding such a name
passes every name tagged (``=name``, or ``%`` + octal escapes) and the script decodes them.
"""

from __future__ import annotations

from hostlint.container_engine import Container, cached, find, forget
from hostlint.detect import container_files, has_devcontainer
from hostlint.engine_transport import ApiTransport, engine_name, transport
from hostlint.errors import TargetUnavailable
from hostlint.targets.base import Context
from hostlint.targets.container.target import ContainerTarget


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
        return f"start it: `{settings.engine or 'docker'} compose up -d {settings.service}`"
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
        ("calls", _calls(found, context)),
        ("container", f"{found.name} ({found.id[:12]}), "
                      f"{'running' if found.running else 'not running: run `' + found.fix + '`'}"),
        ("found by", found.how),
        ("root", f"{context.root} -> {found.root or '?'} (from {found.root_source})"),
        ("user", found.user or "the container's own user"),
        ("workdir", found.workdir or found.root or "?"),
        ("lookup", "cached: the next check runs one exec" if cached else "asked the engine"),
    ]


def _calls(found: Container, context: Context) -> str:
    calls = transport(found.engine, context.env.environ)
    if isinstance(calls, ApiTransport):
        return f"the Engine API on unix://{calls.path}"
    return f"the {engine_name(found.engine)} CLI (its DOCKER_HOST, context or connection)"


def connecting(context: Context) -> str | None:
    """Opening reads the cache or asks the engine once: no status line needed."""
    return None
