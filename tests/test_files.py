"""include/exclude with .gitignore habits, and batching that lints every file exactly once."""

from __future__ import annotations

import re
import sys
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostlint.files import PatternError, Segment, arguments, compile_pattern, partition, select


@pytest.mark.parametrize("pattern, path, matches", [
    ("*.py", "x.py", True),
    ("*.py", "app/deep/x.py", True),
    ("*.py", "x.pyc", False),
    ("app/*.py", "app/x.py", True),
    ("app/*.py", "app/sub/x.py", False),
    ("app/*.py", "other/app/x.py", False),
    ("/app/*.py", "app/x.py", True),
    ("app/**/*.py", "app/x.py", True),
    ("app/**/*.py", "app/a/b/x.py", True),
    ("**/test_*.py", "tests/unit/test_a.py", True),
    ("**/test_*.py", "test_a.py", True),
    ("vendor/", "vendor/lib/x.js", True),
    ("vendor/", "vendor", False),
    ("vendor", "src/vendor/x.js", True),
    ("docs/**", "docs/a/b.md", True),
    ("?.py", "a.py", True),
    ("?.py", "ab.py", False),
    ("[ab].py", "b.py", True),
    ("[!ab].py", "b.py", False),
    ("*.py", "new\nline.py", True),
    ("*", ".hidden", True),
    ("*.py", "X.PY", False),  # case-sensitive, whatever core.ignoreCase says
    ("*.[pP][yY]", "X.PY", True),
])
def test_patterns_follow_gitignore_habits(pattern: str, path: str, matches: bool) -> None:
    assert bool(select([path], [pattern], [])) is matches


def test_a_file_must_match_an_include_and_no_exclude() -> None:
    files = ["a.py", "b.js", "vendor/c.py", "notes.txt"]
    assert select(files, ["*.py", "*.js"], ["vendor/"]) == ["a.py", "b.js"]


@given(st.lists(st.text(min_size=1, max_size=30), max_size=200), st.integers(50, 500))
def test_partition_keeps_every_file_once_in_order(files: list[str], limit: int) -> None:
    batches = partition(files, limit=limit, fixed=10, cost=lambda f: len(f) + 1)
    assert [f for batch in batches for f in batch] == files
    for batch in batches:
        assert len(batch) == 1 or 10 + sum(len(f) + 1 for f in batch) <= limit


def test_a_name_starting_with_a_dash_is_passed_as_dot_slash() -> None:
    names = ["-x.py", "--fix", "-", "a.py", "./-y.py", "dir/-z.py", "a-b.py"]
    assert arguments(names) == ("./-x.py", "./--fix", "./-", "a.py", "./-y.py", "dir/-z.py",
                                "a-b.py")


# -- matching stays linear (no backtracking blow-up) ----------------------------------------

PATHOLOGICAL = ["**/**/**/*.py", "**/*a*a*a*a*b", "a/**/b/**/c/**/d.py", "*" * 50 + "x",
                "[[:alpha:]]*[ab]*?*.py", "**/x/**/x/**/x/", "?*?*?*?*?*?*?*?*?*?*z"]


def _repeats(pattern: str) -> int:
    """How many unbounded repeats a compiled regular expression holds, at any depth."""
    if sys.version_info >= (3, 11):
        import re._parser as parser
    else:  # pragma: no cover - 3.10
        import sre_parse as parser  # type: ignore[import-not-found, unused-ignore]

    def walk(items: Any) -> int:
        count = 0
        for op, arg in items:
            if str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                count += 1
            for sub in arg if isinstance(arg, (list, tuple)) else ():
                if isinstance(sub, (list, parser.SubPattern)):
                    count += walk(sub)
        return count

    return walk(parser.parse(pattern))


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_no_regex_a_glob_uses_can_backtrack(pattern: str) -> None:
    """Structural linearity: every regular expression a glob runs is of fixed length (no
    repetition at all), so each match or search costs O(text * piece); stars and ``**``
    are handled by leftmost search, never by backtracking."""
    regexes = [piece.pattern for segment in compile_pattern(pattern).segments()
               for piece in segment.regexes()]
    assert all(_repeats(r) == 0 for r in regexes)
    assert _repeats("a[^/]*b") == 1  # the probe sees a star


class _Counting:
    """Wraps a segment matcher and counts its calls: the probe count is the work done."""

    calls = 0

    def __init__(self, inner: Segment) -> None:
        self.inner = inner

    def match(self, name: str) -> bool:
        _Counting.calls += 1
        return self.inner.match(name)


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_a_3005_character_path_costs_at_most_segments_times_pattern_probes(pattern: str) -> None:
    path = "/".join(["d" * 4] * 600) + "/xx.pz"  # 3,005 characters, 601 segments
    assert len(path) == 3005
    glob = compile_pattern(pattern)
    counted = glob._replace(blocks=tuple(tuple(_Counting(s) for s in block)  # type: ignore[misc]
                                         for block in glob.blocks))
    _Counting.calls = 0
    assert counted.match(path) is glob.match(path)
    segments, pattern_segments = path.count("/") + 1, pattern.count("/") + 2
    assert _Counting.calls <= segments * pattern_segments


# -- the same answers as before for ordinary paths ------------------------------------------


def _previous(pattern: str) -> re.Pattern[str]:
    """The previous implementation (one backtracking regex per pattern), kept as the oracle:
    for ordinary patterns and paths the new matcher must answer exactly as it did."""
    out: list[str] = []
    body = pattern.rstrip("/")
    dir_only = pattern.endswith("/") and bool(body)
    anchored = "/" in body
    body = body.lstrip("/")
    i, n = 0, len(body)
    while i < n:
        if body.startswith("**/", i) and (i == 0 or body[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i) and i + 2 == n and (i == 0 or body[i - 1] == "/"):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            while i < n and body[i] == "*":
                i += 1
            out.append("[^/]*")
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[":
            end = body.index("]", i)
            out.append(body[i:end + 1])
            i = end + 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return re.compile(prefix + "".join(out) + suffix + r"\Z", re.DOTALL)


glob_parts = st.sampled_from(["a", "b", ".py", "x", "*", "**", "?", "[ab]", "[a-c]", "-"])
ordinary_patterns = st.builds(
    lambda lead, segs, trail: lead + "/".join("".join(s) for s in segs) + trail,
    st.sampled_from(["", "/"]), st.lists(st.lists(glob_parts, min_size=1, max_size=4),
                                         min_size=1, max_size=4), st.sampled_from(["", "/"]))
ordinary_paths = st.lists(st.text("abcx.-py\n ", min_size=1, max_size=6),
                          min_size=1, max_size=6).map("/".join)


@settings(max_examples=3000, deadline=None)
@given(ordinary_patterns, ordinary_paths)
def test_ordinary_patterns_match_as_before(pattern: str, path: str) -> None:
    assert compile_pattern(pattern).match(path) is bool(_previous(pattern).match(path))


# -- character classes -----------------------------------------------------------------------


def test_posix_classes_work_as_in_gitignore_and_warn_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alpha = compile_pattern("[[:alpha:]]*.py")
        digits = compile_pattern("v[[:digit:][:upper:]_-].txt")
        odd = compile_pattern("[[&&~~||-]")
    assert alpha.match("a1.py") and alpha.match("src/Z.py") and not alpha.match("1a.py")
    assert [digits.match(f"v{c}.txt") for c in "7Q_-a"] == [True, True, True, True, False]
    assert all(odd.match(c) for c in "[&~|-") and not odd.match("a")


@pytest.mark.parametrize("pattern", ["[[:alfa:]].py", "[z-a].py"])
def test_an_unknown_class_or_a_backward_range_is_an_error(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_a_class_never_matches_a_slash() -> None:
    """As in gitignore: ``a[!x]b`` is one name, not ``a/b`` (it used to match ``a/b``)."""
    assert not compile_pattern("a[!x]b").match("a/b")
    assert compile_pattern("a[!x]b").match("dir/ayb")


@pytest.mark.parametrize("pattern, path, matches", [
    ("**/**/**/*.py", "a/b/c/x.py", True),
    ("**/**/**/*.py", "x.py", True),
    ("a/**/b/**/c.py", "a/b/c.py", True),
    ("a/**/b/**/c.py", "a/x/b/y/z/c.py", True),
    ("a/**/b/**/c.py", "a/x/c.py", False),
    ("*a*b", "xaybzb", True),
    ("*a*b", "xaybzbc", False),
    ("a*a*a", "aa", False),
    ("a*a*a", "aaa", True),
    ("**", "any/thing", True),
    ("/**", "x", True),
    ("docs/**", "docs", False),
    ("*.py/", "pkg.py/x", True),
    ("*.py/", "pkg.py", False),
])
def test_stars_and_globstars(pattern: str, path: str, matches: bool) -> None:
    assert compile_pattern(pattern).match(path) is matches
