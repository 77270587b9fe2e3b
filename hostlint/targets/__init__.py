"""The registry: the one place that names every target. Modules are imported only when
their target is used, so a local check never loads paramiko."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    from hostlint.config import Config
    from hostlint.detect import Facts
    from hostlint.environment import Environment
    from hostlint.targets.base import Target

KINDS = {
    "local": "hostlint.targets.local",
    "ssh": "hostlint.targets.ssh",
    "vagrant": "hostlint.targets.vagrant",
}


class Context(NamedTuple):
    """What a target needs to open: the repository, the settings, the facts detection saw."""

    root: Path
    config: Config
    env: Environment
    facts: Facts


def open_target(kind: str, context: Context) -> Target:
    """Open (connect to) a target; raises ``TargetUnavailable`` when it cannot be used."""
    opener = cast("Callable[[Context], Target]", _module(kind).open_target)
    return opener(context)


def describe(kind: str, context: Context) -> list[tuple[str, str]]:
    """Settings of the target, for ``hostlint detect``: (name, value) rows."""
    describer = cast("Callable[[Context], list[tuple[str, str]]]",
                     _module(kind).describe)
    return describer(context)


def _module(kind: str) -> Any:
    __import__(KINDS[kind])  # the builtin: importlib itself costs the hook ~1 ms
    return sys.modules[KINDS[kind]]
