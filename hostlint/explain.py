"""``hostlint detect``: the target ``check`` would use here, every rule that led there, and
that target's settings (as text, or as tables on a terminal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hostlint import config as config_mod
from hostlint import detect, git, targets
from hostlint.environment import Environment, terminal_size

if TYPE_CHECKING:
    from hostlint.keeper import Settings


def _chosen(env: Environment, target: str | None) -> tuple[detect.Decision, targets.Context]:
    """The target ``check`` would use here, and what it would open it with."""
    repo = git.locate(env.cwd)
    config = config_mod.apply_overrides(config_mod.load(repo.root), target=target,
                                        advisory=None, env=env.environ)
    decision = detect.decide(detect.gather(config, env, repo.root))
    return decision, targets.Context(repo.root, config, env)


def warm_connection(env: Environment) -> Settings | None:
    """What identifies the warm connection of the target ``check`` would use here (None for
    a target that keeps none): for ``hostlint stop --current``."""
    decision, context = _chosen(env, None)
    return targets.keeper_settings(decision.kind, context)


def report(env: Environment, *, target: str | None) -> str:
    """What ``hostlint detect`` prints: the target, each rule with what it saw, and the
    chosen target's settings."""
    decision, context = _chosen(env, target)
    config = context.config
    rows = targets.describe(decision.kind, context)
    if env.is_tty:
        table = _table(decision, rows, config.source)
        if table is not None:
            return table
    lines = [f"target: {decision.kind}", f"config: {config.source}", "rules:"]
    for rule in decision.trace:
        verdict = f"-> {rule.result}" if rule.result else "-> no"
        lines.append(f"  {rule.number}. {rule.name}: {rule.saw} {verdict}")
    if rows:
        lines.append(f"{decision.kind} target:")
        lines.extend(f"  {name}: {value}" for name, value in rows)
    return "\n".join(lines) + "\n"


def _table(decision: detect.Decision, rows: list[tuple[str, str]], source: str) -> str | None:
    """The same report as tables, for a terminal (rich is imported only here)."""
    try:
        import io

        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:  # pragma: no cover - rich comes with typer
        return None
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=terminal_size((100, 40))[0])
    rules = Table(title=Text(f"target: {decision.kind}  (config: {source})"), title_justify="left")
    for column in ("rule", "saw", "result"):
        rules.add_column(column, overflow="fold")
    for rule in decision.trace:
        rules.add_row(Text(f"{rule.number}. {rule.name}"), Text(rule.saw), Text(rule.result or "no"))
    console.print(rules)
    if rows:
        settings = Table(title=f"{decision.kind} target", title_justify="left")
        settings.add_column("setting")
        settings.add_column("value", overflow="fold")
        for name, value in rows:
            settings.add_row(Text(name), Text(value))
        console.print(settings)
    return buffer.getvalue()
