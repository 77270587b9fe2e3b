"""When no linter runs, one line says why (not only with -v), and it is the run's last.log;
linters skipped by name appear in the summary as "skipped", as pre-commit prints them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.utils import hostlint, linters_config, make_repo

LOG = Path(".git") / "hostlint" / "last.log"


def two_linters(tmp_path: Path, *, staged: tuple[str, ...] = ("a.py",)) -> Path:
    specs = {"a": (0.0, 0, "*.py"), "b": (0.0, 0, "*.py")}
    return make_repo(tmp_path / "repo", linters_config(tmp_path / "times.log", specs),
                     staged=list(staged))


def environ(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_nothing_staged_says_so(tmp_path: Path) -> None:
    root = two_linters(tmp_path, staged=())
    result = hostlint("check", cwd=root)
    assert (result.code, result.stdout) == (0, b"")
    assert result.stderr == "hostlint: nothing to lint: no files are staged\n"
    assert (root / LOG).read_text() == result.stderr


def test_a_path_no_linter_takes_says_so(tmp_path: Path) -> None:
    root = two_linters(tmp_path, staged=("notes.txt",))
    result = hostlint("check", "notes.txt", cwd=root)
    assert result.code == 0
    assert result.stderr == ("hostlint: nothing to lint: no linter takes the 1 file given "
                             "(notes.txt); see each linter's include and exclude\n")


def test_every_linter_skipped_says_so_also_with_verbose(tmp_path: Path) -> None:
    root = two_linters(tmp_path)
    for args in (("check",), ("check", "-v")):
        result = hostlint(*args, cwd=root, environ=environ(SKIP="a,b"))
        assert result.code == 0
        assert result.stderr == "hostlint: nothing run: every linter was skipped (a, b by SKIP)\n"
        assert "no files to lint" not in result.stderr


def test_skipped_linters_are_in_the_summary(tmp_path: Path) -> None:
    specs = {name: (0.0, 0, "*") for name in "abcd"}
    root = make_repo(tmp_path / "repo", linters_config(tmp_path / "t.log", specs), staged=["a.py"])
    result = hostlint("check", "--skip", "c", cwd=root, environ=environ(SKIP="b"))
    assert result.code == 0, result.stderr
    summary = result.out.split("--- summary ---\n")[1].splitlines()
    assert re.match(r"a\s+passed\s+\d+\.\d\ds$", summary[0])
    assert re.match(r"b\s+skipped \(SKIP\)$", summary[1])
    assert re.match(r"c\s+skipped \(--skip\)$", summary[2])
    assert re.match(r"d\s+passed\s+\d+\.\d\ds$", summary[3])
    assert "--- b ---" not in result.out and "skipped" not in result.stderr
