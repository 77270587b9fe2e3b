"""Several linters: concurrent, each shown as one block, a summary, selection by name."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils import (
    barrier_config,
    child_env,
    hostlint,
    hostlint_argv,
    linter,
    linters_config,
    make_repo,
    spans,
    toml_string,
    with_descriptors,
)


def staged_repo(tmp_path: Path, config: str, *names: str) -> Path:
    return make_repo(tmp_path / "repo", config, staged=names)


def test_three_linters_overlap_in_time(tmp_path: Path) -> None:
    root = staged_repo(tmp_path, barrier_config(tmp_path / "started", "abc"), "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.out  # each waited until all three had started
    for name in "abc":
        assert f"{name} met 2 others files=a.py\n" in result.out


def test_jobs_caps_concurrency(tmp_path: Path) -> None:
    log = tmp_path / "times.log"
    config = linters_config(log, {n: (0.3, 0, "*") for n in "abc"}, jobs="1")
    root = staged_repo(tmp_path, config, "a.py")
    assert hostlint("check", cwd=root).code == 0
    ordered = sorted(spans(log).values())
    assert all(prev_end <= start for (_, prev_end), (start, _) in itertools.pairwise(ordered))


def test_each_linter_is_one_block_under_its_header_then_a_summary(tmp_path: Path) -> None:
    log = tmp_path / "times.log"
    specs = {"a": (0.6, 0, "*"), "b": (0.3, 1, "*"), "c": (0.9, 0, "*")}
    root = staged_repo(tmp_path, linters_config(log, specs), "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1  # b failed; the others still ran to the end
    lines = result.out.splitlines()
    for name in "abc":
        at = lines.index(f"--- {name} ---")
        assert lines[at + 1: at + 4] == [f"{name} line {i} files=a.py" for i in range(3)]
    summary = lines[lines.index("--- summary ---") + 1:]
    assert [line.split()[0] for line in summary] == ["a", "b", "c"]
    assert re.match(r"b\s+failed \(exit 1\)\s+\d+\.\d\ds", summary[1])
    assert re.match(r"a\s+passed\s+\d+\.\d\ds", summary[0])
    headers = [line for line in lines if line.startswith("--- ") and line != "--- summary ---"]
    assert headers == ["--- b ---", "--- a ---", "--- c ---"]  # the order they finished


def test_include_routes_files(tmp_path: Path) -> None:
    log = tmp_path / "times.log"
    specs = {"py": (0.0, 0, "*.py"), "txt": (0.0, 0, "*.txt"), "js": (0.0, 0, "*.js")}
    root = staged_repo(tmp_path, linters_config(log, specs), "app.py", "notes.txt")
    result = hostlint("check", cwd=root)
    assert "py line 0 files=app.py\n" in result.out
    assert "txt line 0 files=notes.txt\n" in result.out
    assert "--- js ---" not in result.out  # no matching file: not run
    assert "notes.txt" not in result.out.split("--- py ---")[1].split("---")[0]


def test_forking_runner_as_one_of_several_linters(tmp_path: Path) -> None:
    log = tmp_path / "times.log"
    config = linters_config(log, {"a": (0.2, 0, "*")})
    config += f'[tool.hostlint.linters.story]\ncommand = {toml_string(linter("forking_runner.py"))}\n'
    root = staged_repo(tmp_path, config, "a.py")
    out = tmp_path / "out"
    with out.open("wb") as f:
        code = subprocess.run([sys.executable, "-m", "hostlint", "check"], cwd=root, stdout=f,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env(),
                              start_new_session=True, check=False).returncode
    block = out.read_text().split("--- story ---\n")[1].split("--- ")[0]
    assert code == 0
    for c in range(3):
        for n in range(2):
            assert f"child {c} line {n}\n" in block


@pytest.mark.timeout(120)
def test_fifty_megabytes_while_two_others_run_keeps_memory_bounded(tmp_path: Path) -> None:
    log = tmp_path / "times.log"
    config = linters_config(log, {"a": (1.5, 0, "*"), "b": (1.5, 0, "*")})
    config += f'[tool.hostlint.linters.flood]\ncommand = {toml_string(linter("flood.py", "50"))}\n'
    root = staged_repo(tmp_path, config, "a.py")
    out, rss = tmp_path / "out", tmp_path / "rss"
    with out.open("wb") as f:
        code = subprocess.run([sys.executable, str(Path(__file__).parent / "rss_wrapper.py"), "check"],
                              cwd=root, stdout=f, stdin=subprocess.DEVNULL, start_new_session=True,
                              env=child_env(HOSTLINT_TEST_RSS=str(rss),
                                            PYTHONPATH=str(Path(__file__).parents[1])),
                              check=False).returncode
    assert code == 0
    with out.open("rb") as f:
        numbered = [line[:8] for line in f if line[:8].isdigit()]
    assert numbered == [b"%08d" % i for i in range(50 * 1024)]  # 50 MB, nothing lost
    assert int(rss.read_text()) <= 80 * 1024  # KiB


@pytest.mark.parametrize("args, environ, ran", [
    (["--only", "a"], {}, {"a"}),
    (["--only", "a", "--only", "c"], {}, {"a", "c"}),
    (["--skip", "b"], {}, {"a", "c"}),
    ([], {"SKIP": "a,c"}, {"b"}),
    ([], {"SKIP": " b , nonexistent"}, {"a", "c"}),
])
def test_only_skip_and_skip_env_select_linters(tmp_path: Path, args: list[str],
                                               environ: dict[str, str], ran: set[str]) -> None:
    log = tmp_path / "times.log"
    root = staged_repo(tmp_path, linters_config(log, {n: (0, 0, "*") for n in "abc"}), "a.py")
    result = hostlint("check", *args, cwd=root, environ={**os.environ, **environ})
    assert result.code == 0
    assert set(spans(log)) == ran


def test_unknown_linter_name_is_exit_2(tmp_path: Path) -> None:
    root = staged_repo(tmp_path, linters_config(tmp_path / "l", {"a": (0, 0, "*")}), "a.py")
    result = hostlint("check", "--only", "nope", cwd=root)
    assert result.code == 2 and "no linter named 'nope'" in result.stderr




@pytest.mark.timeout(180)
def test_hundreds_of_linters_with_no_jobs_cap_under_a_small_descriptor_limit(tmp_path: Path) -> None:
    """With no ``jobs`` cap, as many run at once as the descriptor limit holds (a pty each),
    not more: 300 linters alive for a second under a soft limit of 256 descriptors."""
    config = "[tool.hostlint]\npass_filenames = false\n" + "".join(
        f"[tool.hostlint.linters.l{i}]\ncommand = \"sleep 1; echo {i}\"\n" for i in range(300))
    root = staged_repo(tmp_path, config, "a.py")
    proc = subprocess.run(with_descriptors(hostlint_argv("check"), limit=256), cwd=root,
                          capture_output=True, stdin=subprocess.DEVNULL, env=child_env(),
                          timeout=150, check=False)
    assert (proc.returncode, proc.stderr) == (0, b"")
    shown = proc.stdout.decode().split("--- summary ---\n")
    assert sorted(int(line) for line in shown[0].splitlines() if line.isdigit()) == list(range(300))
    assert len(shown[1].splitlines()) == 300
