"""The registry: the one place that names every target (pre-commit's ``all_languages.py``).

Each kind maps to a module following ``TargetModule`` (targets/base.py, pre-commit's
``lang_base.py``); ``check`` and ``explain`` ask here and never name a kind. Modules are
imported only when their target is used, so a local check never loads paramiko. Adding a
target is one module and one line in ``KINDS``."""

from __future__ import annotations

import sys

from hostlint.targets.base import Context, Target, TargetModule
from hostlint.typing_lite import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from hostlint.keeper import Settings

KINDS = {
    "local": "hostlint.targets.local",
    "ssh": "hostlint.targets.ssh",
    "vagrant": "hostlint.targets.vagrant",
    "container": "hostlint.targets.container",
}

#: Where ``on_unavailable = "local"`` runs the linters instead. This target is this machine,
#: so it has nothing to fall back from: when it cannot be used, the error stands.
FALLBACK = "local"


def open_target(kind: str, context: Context) -> Target:
    """Open (connect to) a target; raises ``TargetUnavailable`` when it cannot be used."""
    return _module(kind).open_target(context)


def describe(kind: str, context: Context) -> list[tuple[str, str]]:
    """Settings of the target, for ``hostlint detect``: (name, value) rows."""
    return _module(kind).describe(context)


def connecting(kind: str, context: Context) -> str | None:
    """The status line for a slow open (``None``: the target opens at once)."""
    return _module(kind).connecting(context)


def keeper_settings(kind: str, context: Context) -> Settings | None:
    """What identifies the target's warm connection (remote targets; an optional member of
    a target module), else None."""
    settings = getattr(_module(kind), "keeper_settings", None)
    return cast("Settings | None", settings(context)) if settings is not None else None


def _module(kind: str) -> TargetModule:
    __import__(KINDS[kind])  # the builtin: importlib itself costs the hook ~1 ms
    return cast("TargetModule", sys.modules[KINDS[kind]])


__all__ = ["FALLBACK", "KINDS", "Context", "Target", "TargetModule", "connecting", "describe",
           "keeper_settings", "open_target"]
