"""Choosing the target for ``target = "auto"``: facts are gathered once, then ``decide`` is a
pure function of them that also returns the trace ``hostlint detect`` prints (explain.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from hostlint.config import Config
from hostlint.environment import Environment, which
from hostlint.errors import UsageError
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


class Rule(NamedTuple):
    number: int
    name: str
    saw: str
    result: str | None  # the target this rule chose, or None when it passed on


class Decision(NamedTuple):
    kind: str
    trace: tuple[Rule, ...]


def gather(config: Config, env: Environment, root: Path) -> Facts:
    project = find_project(root, env.environ)
    here = str(root.resolve())
    configured = [r for r in (config.vagrant.root, config.ssh.root) if r]
    guest = next((r for r in configured if os.path.realpath(r) == here), None)
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
    return Facts(
        target=config.target,
        target_source=config.target_source,
        virtual_env=virtual_env,
        framework_env=framework_env,
        guest_root=guest,
        vagrant_project=project,
        vagrant_machine=machine,
        vagrant_cli=which("vagrant", env.environ) if project is not None else None,
        ssh_host=config.ssh.host,
    )


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
        else f"working directory is the configured root {facts.guest_root}" if facts.guest_root
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
    chosen = rule(4, "SSH host configured",
                  f"[tool.hostlint.ssh] host = {facts.ssh_host!r}" if facts.ssh_host
                  else "no [tool.hostlint.ssh] host", "ssh" if facts.ssh_host else None)
    if chosen:
        return chosen
    result = rule(5, "fallback", "nothing above applied", "local")
    assert result is not None
    return result


def _vagrant_saw(facts: Facts) -> str:
    project = facts.vagrant_project
    if project is None:
        return "no Vagrantfile in the repository root or its ancestors"
    if not project.machines:
        return f"Vagrantfile at {project.vagrantfile}, but no machine record in .vagrant/machines"
    machines = ", ".join(f"{m.name} ({m.provider}{'' if m.created else ', not created'})"
                         for m in project.machines)
    cli = f"vagrant at {facts.vagrant_cli}" if facts.vagrant_cli else "`vagrant` not on PATH"
    return f"Vagrantfile at {project.vagrantfile}; machines: {machines}; {cli}"
