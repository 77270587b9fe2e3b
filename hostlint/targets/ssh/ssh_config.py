"""Reading ``~/.ssh/config`` and ``/etc/ssh/ssh_config`` for one host: their ``Include`` lines
expanded the way OpenSSH nests them (paramiko reads no ``Include``), then paramiko's lookup.
``tests/targets/ssh/test_endpoint.py`` checks the answers against ``ssh -G``."""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hostlint.errors import ConfigError
from hostlint.keeper.identity import INCLUDE_DEPTH, SYSTEM_CONFIG, config_words, included, read_config
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402


def lookup(host: str, *, home: str, text: str | None) -> dict[str, Any]:
    if text is None:
        parts = [_read_config(Path(home, ".ssh", "config"), Path(home, ".ssh"), host),
                 "Host *", _read_config(Path(SYSTEM_CONFIG), Path(SYSTEM_CONFIG).parent, host)]
        text = "\n".join(parts)
    try:
        config = paramiko.SSHConfig.from_text(text)
        try:
            return dict(config.lookup(host))
        except ImportError:  # ``Match exec`` needs invoke, which load_paramiko held back
            import invoke
            import paramiko.config as config_module

            config_module.invoke = invoke  # type: ignore[attr-defined]
            return dict(config.lookup(host))
    except paramiko.ssh_exception.ConfigParseError as exc:
        raise ConfigError(f"ssh config: {exc}", hint="fix ~/.ssh/config") from None


def _read_config(path: Path, base: Path, host: str, within: str | None = None, depth: int = 0) -> str:
    """A config file's text with its ``Include`` lines replaced by the included files (which
    paramiko does not read itself), flattened the way OpenSSH nests them: an included file
    applies only where its ``Include`` line does (a ``Host`` block that does not match
    ``host`` includes nothing), its ``Host``/``Match`` lines narrow that further (``within``:
    the enclosing ``Match`` criteria), and the lines after the ``Include`` belong to the block
    around it again. (``identity.config_text`` follows every ``Include`` instead: the keeper
    key is taken without the host, and a change to any included file must change it.)"""
    lines: list[str] = []
    header, active = (f"Match {within}", None) if within else ("Host *", True)
    for line in read_config(path).splitlines():
        keyword, value = config_words(line)
        if keyword in ("host", "match"):
            header, active = _block(keyword, value, host, within)
            lines.append(header)
            continue
        if keyword == "include" and depth < INCLUDE_DEPTH:
            if active is not False:
                inner = _criteria(header) if active is None else None
                lines.extend(_read_config(p, base, host, inner, depth + 1)
                             for p in included(_patterns(value, path), base))
                lines.append(header)  # what follows belongs to this block again
            continue
        lines.append(line)
    return "\n".join(lines)


def _patterns(value: str, path: Path) -> list[str]:
    """An ``Include`` line's patterns, quoted as OpenSSH quotes them (which refuses the line
    when a quote is left open)."""
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise ConfigError(f"ssh config: {path}: cannot read `Include {value}`: {exc}",
                          hint=f"close the quote in {path}") from None


def _block(keyword: str, value: str, host: str, within: str | None) -> tuple[str, bool | None]:
    """A ``Host``/``Match`` line as written once flattened, and whether it applies to
    ``host`` (None: paramiko decides)."""
    if keyword == "host" and within is None:
        return f"Host {value}", _matches(value.split(), host)
    if keyword == "host":
        return f"Match {within} originalhost {','.join(value.split())}", None
    criteria = f"{within} {value}" if within else value
    if criteria.strip().lower() == "all":
        return "Host *", True
    return f"Match {criteria}", None


def _criteria(header: str) -> str | None:
    return header.split(None, 1)[1] if header.startswith("Match ") else None


def _matches(patterns: Sequence[str], host: str) -> bool:
    """``Host`` patterns as OpenSSH (and paramiko) match them: any pattern, and no ``!``one."""
    if any(p.startswith("!") and fnmatch.fnmatch(host, p[1:]) for p in patterns):
        return False
    return any(not p.startswith("!") and fnmatch.fnmatch(host, p) for p in patterns)
