"""include/exclude with .gitignore habits, and batching that lints every file exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlint.files import arguments, partition, select


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
