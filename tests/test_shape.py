"""The package keeps the shape of docs/architecture.md: small modules, smaller targets, and
no code outside detection and the registry that branches on a target kind's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hostlint
from hostlint import targets

PACKAGE = Path(hostlint.__file__).parent
FILES = sorted(PACKAGE.rglob("*.py"))

#: The most lines a module may have, by folder (the deepest folder that applies wins).
LIMITS = {".": 420, "targets": 250}

#: The only modules that may compare a value with a target kind's name.
KIND_DECIDERS = {"detect.py", "targets/__init__.py"}


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _limit(path: Path) -> int:
    folders = [f for f in LIMITS if f == "." or _name(path).startswith(f + "/")]
    return LIMITS[max(folders, key=len)]


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_module_size(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= _limit(path), f"{_name(path)}: {lines} lines, limit {_limit(path)}"


def kind_comparisons(source: str) -> list[str]:
    """Comparisons with a kind's name as an operand (``kind == "ssh"``, ``x in ("ssh", ...)``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for operand in list(operands):
            if isinstance(operand, (ast.Tuple, ast.List, ast.Set)):
                operands.extend(operand.elts)
        if any(isinstance(o, ast.Constant) and o.value in targets.KINDS for o in operands):
            found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("path", [p for p in FILES if _name(p) not in KIND_DECIDERS], ids=_name)
def test_no_branching_on_a_kind_name(path: Path) -> None:
    assert not kind_comparisons(path.read_text())


def test_a_kind_comparison_is_recognised() -> None:
    source = 'if kind == "ssh": pass\nif target in ("auto", "vagrant"): pass\nwhich("local") is None'
    assert kind_comparisons(source) == ["kind == 'ssh'", "target in ('auto', 'vagrant')"]
