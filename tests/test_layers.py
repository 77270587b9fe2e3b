"""Imports point one way along the pipeline, and none closes a cycle.

Every ``import`` in the package counts: module level, inside functions (lazy), and under
``if TYPE_CHECKING:``. Type-only imports count because they say what a module knows: a
lower module that needs an upper module's type has that type in the wrong place (as
``Context`` once carried detection's ``Facts``). Also counted: the registry's imports by
name (``targets.KINDS``). Not counted: that importing ``a.b`` runs ``a/__init__.py`` first —
Python's doing, not an import the module writes; the registry (``targets/__init__.py``)
imports only what lies below its target modules, so running it first closes no loop.

Adding a module is one line in ``LAYERS``.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

import hostlint
from hostlint import targets

PACKAGE = Path(hostlint.__file__).parent

#: Bottom to top; a module may import its own layer and the layers below. Names are relative
#: to ``hostlint``; ``""`` is the package itself, ``x.*`` every module of package ``x``.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("", "typing_lite", "signals", "errors", "status", "environment", "fsutil", "poll", "spawn"),
    ("config", "config_file", "git", "files", "vagrant_record", "patch", "staging", "container_engine",
     "docker_api", "engine_transport",
     "keeper.identity", "keeper.protocol", "keeper.lock"),  # warm connections: no paramiko
    ("detect", "stream", "sequences", "notices", "last_log"),
    ("targets.cancel",),
    ("targets.base", "targets.posix"),
    ("keeper", "keeper.client"),  # a warm connection's target, which the SSH target tries first
    ("targets.local", "targets.watchdog", "targets.ssh", "targets.ssh.*", "targets.container",
     "targets.container.*"),
    ("keeper.server", "keeper.run", "keeper.spares"),  # the daemon holding an SSH connection
    ("targets.vagrant", "targets.vagrant.*"),  # an SSH target built from Vagrant's settings
    ("targets",),  # the registry
    ("check", "explain", "hook", "options", "stages"),
    ("cli", "__main__"),
)

def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def layer(name: str) -> int:
    matches = [i for i, row in enumerate(LAYERS)
               for pattern in row if name == pattern or fnmatch.fnmatchcase(name, pattern)]
    assert len(matches) == 1, f"hostlint.{name or '__init__'}: name it once in LAYERS"
    return matches[0]


def _resolve(name: str) -> str | None:
    """``hostlint.a.b`` → ``a.b`` when it is one of our modules (``a.b.attr`` → ``a.b``)."""
    if name != "hostlint" and not name.startswith("hostlint."):
        return None
    parts = name.split(".")[1:]
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts)


def imports(name: str) -> set[str]:
    """Every hostlint module that ``name`` imports, wherever the import statement sits."""
    tree = ast.parse(MODULES[name].read_text())
    is_package = MODULES[name].name == "__init__.py"
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_resolve(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, node, is_package=is_package)
            found.update(_resolve(f"{base}.{alias.name}") for alias in node.names)
    if name == "targets":
        found.update(_resolve(module) for module in targets.KINDS.values())
    return {m for m in found if m is not None and m != name}


def _absolute(name: str, node: ast.ImportFrom, *, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    here = ["hostlint", *name.split(".")] if name else ["hostlint"]
    if not is_package:
        here = here[:-1]
    here = here[: len(here) - node.level + 1]
    return ".".join([*here, *([node.module] if node.module else [])])


GRAPH = {name: imports(name) for name in MODULES}


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    upward = sorted(m for m in GRAPH[name] if layer(m) > layer(name))
    assert not upward, f"hostlint.{name} imports a higher layer: {upward}"


def test_no_import_cycle() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, f"import cycles: {cycles}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first walk (each reported once per entry)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node):], node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            walk(nxt, [*path, node])
        done.add(node)

    for start in sorted(graph):
        walk(start, [])
    return found


def test_the_walk_sees_lazy_type_only_and_registry_imports() -> None:
    """The rules above only hold if the walk finds the imports that are easy to miss."""
    assert "check" in GRAPH["__main__"]  # inside a function
    assert "config" in GRAPH["targets.base"]  # under TYPE_CHECKING
    assert set(GRAPH["targets"]) >= {"targets.local", "targets.vagrant"}  # by name
    assert "targets.ssh" in GRAPH["targets.vagrant"]  # from a package, a submodule


def test_a_cycle_is_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
