"""The registry: every kind's module follows ``TargetModule``, and what ``check`` asks of it."""

from __future__ import annotations

import io
import os
from pathlib import Path

from hostlint import config as config_mod
from hostlint import targets
from hostlint.environment import Environment
from hostlint.targets import local, vagrant
from hostlint.targets.base import TargetModule
from tests.utils import make_repo
from tests.vagrant_fixture import write_machine_record

#: mypy checks each module against the protocol (targets.ssh joins once it has connecting()).
CONFORMING: tuple[TargetModule, ...] = (local, vagrant)


def context(root: Path) -> targets.Context:
    env = Environment(stdout=io.BytesIO(), stderr=io.StringIO(), cwd=str(root),
                      environ=dict(os.environ))
    return targets.Context(str(root), config_mod.load(str(root)), env)


def test_the_fallback_is_a_registered_kind() -> None:
    assert targets.FALLBACK in targets.KINDS


def test_local_opens_at_once(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    assert targets.connecting("local", context(root)) is None


def test_ssh_names_the_host(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n'
                     '[tool.hostlint.ssh]\nhost = "devbox"\nroot = "/srv"\n')
    assert targets.connecting("ssh", context(root)) == "connecting to devbox..."


def test_vagrant_names_the_machine_from_its_record(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    write_machine_record(root, "web")
    assert targets.connecting("vagrant", context(root)) == "connecting to vagrant machine 'web'..."
