"""Which file holds hostlint's configuration, and its hostlint table: ``.hostlint.toml`` (the
whole document) or ``pyproject.toml``'s ``[tool.hostlint]``. Parsed tables are cached keyed on
the file's bytes, so a warm hook does not import the TOML parser."""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from hostlint.environment import make_cache_dir, user_cache_dir
from hostlint.errors import ConfigError
from hostlint.fsutil import read_bytes, replace_private
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

#: The smallest configuration, shown wherever there is none (``check``, ``install``): the
#: lines to paste, not a path into hostlint's repository that a pip user does not have.
STARTER = (
    "[tool.hostlint]\n"
    'command = "ruff check"   # your lint command: it runs from the repository root, staged files appended\n'
)
STARTER_HINT = "add this to pyproject.toml (or the keys alone to .hostlint.toml):"
STARTER_LINES = "".join(f"    {line}\n" for line in STARTER.splitlines()).rstrip("\n")


def find(root: str) -> tuple[str, dict[str, Any]]:
    """The config file that applies in ``root`` and its hostlint table."""
    dotfile = os.path.join(root, ".hostlint.toml")
    if os.path.isfile(dotfile):
        return dotfile, _table(dotfile, whole=True)
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        table = _table(pyproject, whole=False)
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.hostlint] must be a table")
            return pyproject, table
    raise ConfigError(f"no configuration in {root}", hint=STARTER_HINT, detail=STARTER_LINES)


def _table(path: str, *, whole: bool) -> Any:
    """The hostlint table of a file: the whole document, or its ``[tool.hostlint]`` (None
    when absent). Parsed tables are cached keyed on the file's very bytes (not its mtime:
    a same-size rewrite with the mtime restored is read again), so a warm hook does not
    import the TOML parser (a tenth of its start-up)."""
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    key = (CACHE_VERSION, path, whole, data)
    cache = _cache_file(path)
    try:
        cached_key, table = marshal.loads(read_bytes(cache))
        if cached_key == key:
            return table
    except (OSError, ValueError, EOFError, TypeError):
        pass
    document = _parse(path, data)
    if whole:
        table = document
    else:
        tool = document.get("tool")
        table = tool.get("hostlint") if isinstance(tool, dict) else None
    _store(cache, key, table)
    return table


CACHE_VERSION = 2


def _cache_file(path: str) -> str:
    name = f"{zlib.crc32(os.fsencode(path)):08x}.marshal"
    return os.path.join(user_cache_dir(os.environ), "config", name)


def _store(cache: str, key: tuple[Any, ...], table: Any) -> None:
    try:
        data = marshal.dumps((key, table))  # ValueError for TOML dates: then no cache
        make_cache_dir(os.path.dirname(cache), os.environ)
        replace_private(cache, data)
    except (OSError, ValueError):
        pass


def _parse(path: str, data: bytes) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        return dict(tomllib.loads(data.decode()))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the file's syntax "
                          "(TOML files are UTF-8)") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply",
                          hint="no hostlint setting nests more than two levels") from None
