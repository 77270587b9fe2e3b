"""Which files each linter gets: include/exclude globs, and batches under the argument limit."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

#: Upper bound for one local command line; Linux's ARG_MAX is usually 2 MiB (environment
#: included), and fewer, larger batches only save linter start-ups.
LOCAL_ARG_BYTES = 512 * 1024


def translate(pattern: str) -> str:
    """A gitignore-style glob as a regular expression (without anchors)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i) and i + 2 == n and (i == 0 or pattern[i - 1] == "/"):
            out.append(".*")
            i += 2
        elif c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "[" and (end := _class_end(pattern, i)) > 0:
            body = pattern[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    j = start + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    end = pattern.find("]", j)
    return end


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Without ``/`` a pattern matches a name at any depth; with ``/`` the path from the
    repository root; a match on a directory covers everything below it (as in .gitignore)."""
    body = pattern.rstrip("/")
    dir_only = pattern.endswith("/") and bool(body)
    anchored = "/" in body
    body = body.lstrip("/")
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return re.compile(prefix + translate(body) + suffix + r"\Z", re.DOTALL)


class Matcher(NamedTuple):
    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, include: Iterable[str], exclude: Iterable[str]) -> Matcher:
        return cls(tuple(map(compile_pattern, include)), tuple(map(compile_pattern, exclude)))

    def __call__(self, path: str) -> bool:
        return any(p.match(path) for p in self.include) and not any(
            p.match(path) for p in self.exclude
        )


def select(files: Iterable[str], include: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """The files that match an ``include`` pattern and no ``exclude`` pattern."""
    matches = Matcher.of(include, exclude)
    return [f for f in files if matches(f)]


def arguments(names: Iterable[str]) -> tuple[str, ...]:
    """The file arguments a linter gets: a name starting with ``-`` (``--fix``, ``-``) is
    passed as ``./--fix``, so no linter can read it as an option or as stdin."""
    return tuple(f"./{name}" if name.startswith("-") else name for name in names)


def partition(
    files: Sequence[str], *, limit: int, cost: Callable[[str], int], fixed: int = 0
) -> list[list[str]]:
    """Split ``files`` into batches whose ``fixed + sum(cost)`` stays within ``limit``.

    Every file lands in exactly one batch, in order; a file too long for any batch gets
    one of its own rather than being dropped.
    """
    batches: list[list[str]] = []
    current: list[str] = []
    size = fixed
    for name in files:
        weight = cost(name)
        if current and size + weight > limit:
            batches.append(current)
            current, size = [], fixed
        current.append(name)
        size += weight
    if current:
        batches.append(current)
    return batches


def local_arg_limit(environ: dict[str, str] | os._Environ[str] | None = None) -> int:
    """Bytes left for file arguments on this machine's exec, after the environment."""
    env = os.environ if environ is None else environ
    try:
        arg_max = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):  # pragma: no cover - every POSIX system has it
        arg_max = 2**17
    env_size = sum(len(k) + len(v) + 2 + 8 for k, v in env.items())
    return max(min(arg_max - env_size - 4096, LOCAL_ARG_BYTES), 4096)


def local_cost(name: str) -> int:
    """argv bytes for one name: the string, its NUL, its pointer."""
    return len(os.fsencode(name)) + 1 + 8
