"""Choosing the target for ``target = "auto"``: facts are gathered once, then ``decide`` is a
pure function of them that also returns the trace ``hostlint detect`` prints (explain.py)."""

from __future__ import annotations

import os
import sys

from hostlint.config import Config
from hostlint.environment import Environment, which
from hostlint.errors import UsageError
from hostlint.typing_lite import NamedTuple
from hostlint.vagrant_record import Project, find_project, machine_name, several_machines


class Facts(NamedTuple):
    target: str
    target_source: str
    virtual_env: str | None
    framework_env: str | None  # VIRTUAL_ENV that is pre-commit's/prek's env for hostlint itself
    guest_root: str | None  # a configured root that is this very directory
    vagrant_project: Project | None
    vagrant_machine: str | None  # the machine rule 3 would use
    vagrant_cli: str | None
    ssh_host: str | None
    container: str | None = None  # how rule 4 found the container (None: it did not)
    container_saw: str = "not looked at"
    here: str = ""  # the repository root, resolved


class Rule(NamedTuple):
    number: int
    name: str
    saw: str
    result: str | None  # the target this rule chose, or None when it passed on


class Decision(NamedTuple):
    kind: str
    trace: tuple[Rule, ...]
    #: What a check on a terminal says about this choice (a Vagrant project with no machine).
    notes: tuple[str, ...] = ()


def gather(config: Config, env: Environment, root: str) -> Facts:
    project = find_project(root, env.environ)
    here = os.path.realpath(root)
    configured = [r for r in (config.vagrant.root, config.container.root, config.ssh.root) if r]
    guest = next((r for r in configured if _same_directory(r, here)), None)
    machine = None
    if project is not None and project.machines and config.target in ("auto", "vagrant"):
        try:
            machine = machine_name(project, config.vagrant.machine)
        except UsageError:
            machine = None  # several: an error only if rule 3 is reached (decide says so)
    virtual_env = env.environ.get("VIRTUAL_ENV") or None
    framework_env = None
    if virtual_env and env.environ.get("PRE_COMMIT") == "1" and _same(virtual_env, sys.prefix):
        virtual_env, framework_env = None, virtual_env
    vagrant_cli = which("vagrant", env.environ) if project is not None else None
    container: tuple[str | None, str] = (None, "not looked at")
    if config.target == "auto" and not (virtual_env or guest or (machine and vagrant_cli)):
        container = container_facts(config, env, root)  # rule 4 is reached: only then
    return Facts(
        target=config.target,
        target_source=config.target_source,
        virtual_env=virtual_env,
        framework_env=framework_env,
        guest_root=guest,
        vagrant_project=project,
        vagrant_machine=machine,
        vagrant_cli=vagrant_cli,
        ssh_host=config.ssh.host,
        container=container[0],
        container_saw=container[1],
        here=here,
    )


DEVCONTAINER_FILES = (".devcontainer/devcontainer.json", ".devcontainer.json")
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def container_files(root: str) -> tuple[str, ...]:
    """The devcontainer and compose files in the repository root (a few ``stat`` calls)."""
    return tuple(f for f in (*DEVCONTAINER_FILES, *COMPOSE_FILES) if os.path.isfile(os.path.join(root, f)))


def has_devcontainer(files: tuple[str, ...]) -> bool:
    return any(f in DEVCONTAINER_FILES for f in files)


def container_facts(config: Config, env: Environment, root: str) -> tuple[str | None, str]:
    """Rule 4: (how the container was found or configured, or None; what was seen). The
    engine is asked only when the repository has a devcontainer or compose file or a
    ``[tool.hostlint.container]`` table, and then only until a check has cached the answer."""
    files = container_files(root)
    settings = config.container
    if not files and settings == type(settings)():  # no devcontainer, compose file or table
        return None, "no devcontainer or compose file, no [tool.hostlint.container]"
    from hostlint import container_engine as engine  # only here: others pay nothing
    from hostlint.engine_transport import EngineError

    if settings.name:
        return f"[tool.hostlint.container] name = {settings.name!r}", "configured by name"
    here = ", ".join(files) if files else "[tool.hostlint.container]"
    if not settings.service and not has_devcontainer(files):
        return None, (f"{here}, but no [tool.hostlint.container] service naming the Compose "
                      "service to lint in")
    try:
        found = engine.cached(root, settings, env.environ) or engine.find(
            root, settings, env.environ, timeout=config.connect_timeout,
            devcontainer=has_devcontainer(files))
    except EngineError as exc:
        return None, f"{here}; the engine could not be asked: {exc.message}"
    if found is None:
        return None, f"{here}, but no container is labelled for this repository"
    state = "running" if found.running else "not running"
    return found.how, f"{here}; container {found.name} ({state}) by {found.how}"


def _same_directory(a: str, b: str) -> bool:
    """The same directory, however reached: a symlink, or a bind or shared mount (same device
    and inode), not only the same spelling."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _same(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def decide(facts: Facts) -> Decision:
    trace: list[Rule] = []

    def rule(number: int, name: str, saw: str, result: str | None) -> Decision | None:
        trace.append(Rule(number, name, saw, result))
        return Decision(result, tuple(trace)) if result else None

    explicit = facts.target if facts.target != "auto" else None
    chosen = rule(1, "explicit choice", f"target = {facts.target!r} (from {facts.target_source})",
                  explicit)
    if chosen:
        return chosen
    inside = (
        f"VIRTUAL_ENV={facts.virtual_env}" if facts.virtual_env
        else _guest_saw(facts.guest_root, facts.here) if facts.guest_root
        else f"VIRTUAL_ENV={facts.framework_env} is the hook framework's environment for hostlint "
        "itself (PRE_COMMIT=1), not the project's; not in a configured guest root"
        if facts.framework_env
        else "no VIRTUAL_ENV, not in a configured guest root"
    )
    chosen = rule(2, "inside the dev environment", inside,
                  "local" if facts.virtual_env or facts.guest_root else None)
    if chosen:
        return chosen
    project = facts.vagrant_project
    if project is not None and project.machines and facts.vagrant_cli and not facts.vagrant_machine:
        raise several_machines(project, sorted({m.name for m in project.machines}))
    chosen = rule(3, "Vagrant project", _vagrant_saw(facts),
                  "vagrant" if facts.vagrant_machine and facts.vagrant_cli else None)
    if chosen:
        return chosen
    chosen = rule(4, "dev container", facts.container_saw, "container" if facts.container else None)
    if chosen:
        return chosen
    chosen = rule(5, "SSH host configured",
                  f"[tool.hostlint.ssh] host = {facts.ssh_host!r}" if facts.ssh_host
                  else "no [tool.hostlint.ssh] host", "ssh" if facts.ssh_host else None)
    if chosen:
        return chosen
    result = rule(6, "fallback", "nothing above applied", "local")
    assert result is not None
    if project is not None and not project.machines:
        return result._replace(notes=(
            f"a Vagrant project is here ({project.vagrantfile}) but has no machine: run "
            "`vagrant up` to lint in it; linting on this machine meanwhile",))
    return result


def _guest_saw(guest: str, here: str) -> str:
    other = f" ({here}, the same directory by another path)" if here and guest != here else ""
    return f"the configured root {guest} is this repository{other}: this machine is the target"


def _vagrant_saw(facts: Facts) -> str:
    project = facts.vagrant_project
    if project is None:
        return "no Vagrantfile in the repository root or its ancestors"
    if not project.machines:
        return (f"Vagrantfile at {project.vagrantfile}, but no machine: it was never created "
                "(run `vagrant up`)")
    machines = ", ".join(f"{m.name} ({m.provider}{'' if m.created else ', not created'})"
                         for m in project.machines)
    cli = f"vagrant at {facts.vagrant_cli}" if facts.vagrant_cli else "`vagrant` not on PATH"
    return f"Vagrantfile at {project.vagrantfile}; machines: {machines}; {cli}"
