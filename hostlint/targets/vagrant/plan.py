"""Which Vagrant machine a check means, read from the project's records: the project, the
machine, its record, and the guest path of the repository root."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hostlint.errors import UsageError
from hostlint.targets.base import Context
from hostlint.vagrant_record import Machine, Project, find_project, guest_root, machine_name


@dataclass(frozen=True)
class Plan:
    """What the record says: which project, machine and guest path."""

    project: Project
    machine: str
    record: Machine | None
    root: str
    root_source: str

    @property
    def label(self) -> str:
        return f"vagrant machine '{self.machine}'"


def plan(context: Context) -> Plan:
    project = find_project(context.root, context.env.environ)
    if project is None:
        raise UsageError(f"no Vagrantfile in {context.root} or its parent directories",
                         hint="run hostlint inside a Vagrant project, or choose another target")
    name = machine_name(project, context.config.vagrant.machine)
    record = project.machine(name)
    if record is not None and not record.created:
        record = None  # destroyed: its directory stays, empty
    if context.config.vagrant.root:
        root = context.config.vagrant.root
        source = f"{os.path.basename(context.config.source)} [tool.hostlint.vagrant] root"
    else:
        root, source = guest_root(project, record, context.root)
    return Plan(project, name, record, root, source)
