"""Every run's output is kept in .git/hostlint/last.log (the common git dir), because GUI
clients truncate or hide hook output; off a terminal, a failure's last line names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.utils import git, hostlint, linter, linter_config, make_repo


def _repo(tmp_path: Path, command: str) -> Path:
    return make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])


def test_last_log_holds_the_runs_output_without_colour(tmp_path: Path) -> None:
    root = _repo(tmp_path, "printf '\\033[31mred\\033[0m finding\\n'; exit 1")
    result = hostlint("check", "--color", "always", cwd=root)
    assert result.stdout == b"\x1b[31mred\x1b[0m finding\n"
    assert (root / ".git" / "hostlint" / "last.log").read_bytes() == b"red finding\n"


def test_off_a_terminal_a_failures_last_line_names_the_log(tmp_path: Path) -> None:
    root = _repo(tmp_path, linter("fail.py"))
    result = hostlint("check", cwd=root)
    assert result.code == 1
    log = root / ".git" / "hostlint" / "last.log"
    assert result.stderr.splitlines()[-1] == f"hostlint: full output in {log}"


def test_on_a_terminal_or_on_success_no_log_line(tmp_path: Path) -> None:
    root = _repo(tmp_path, linter("fail.py"))
    assert "last.log" not in hostlint("check", cwd=root, tty=True).stderr
    passing = make_repo(tmp_path / "ok", linter_config("true"))
    (passing / "a.py").write_text("x\n")
    git(passing, "add", "a.py")
    assert "last.log" not in hostlint("check", cwd=passing).stderr


def test_each_run_replaces_the_log(tmp_path: Path) -> None:
    root = _repo(tmp_path, "echo run $$")
    hostlint("check", cwd=root)
    first = (root / ".git" / "hostlint" / "last.log").read_text()
    hostlint("check", cwd=root)
    second = (root / ".git" / "hostlint" / "last.log").read_text()
    assert first != second and second.count("run ") == 1


def test_in_a_linked_worktree_the_log_lands_in_the_common_dir(tmp_path: Path) -> None:
    root = _repo(tmp_path, linter("fail.py"))
    git(root, "commit", "-q", "-m", "a", "--no-verify")
    worktree = tmp_path / "wt"
    git(root, "worktree", "add", "-q", str(worktree))
    (worktree / "b.py").write_text("x\n")
    git(worktree, "add", "b.py")
    result = hostlint("check", cwd=worktree)
    common = root / ".git" / "hostlint" / "last.log"
    assert common.read_text() == "b.py:1:1: E999 something is wrong\n"
    assert result.stderr.splitlines()[-1] == f"hostlint: full output in {common}"


def test_partial_logs_of_dead_runs_are_swept_and_a_running_ones_kept(tmp_path: Path) -> None:
    root = _repo(tmp_path, "echo ok")
    where = root / ".git" / "hostlint"
    where.mkdir()
    ended = subprocess.Popen(["true"])
    ended.wait()  # a pid whose process has exited
    dead = where / f"last.log.{ended.pid}.partial"
    dead.write_bytes(b"cut short")
    running = subprocess.Popen(["sleep", "60"])  # stands for a check running in another worktree
    try:
        live = where / f"last.log.{running.pid}.partial"
        live.write_bytes(b"in progress")
        assert hostlint("check", cwd=root).code == 0
        assert not dead.exists() and live.read_bytes() == b"in progress"
    finally:
        running.kill()
        running.wait()


def test_a_planted_symlink_at_the_partial_log_is_not_written_through(tmp_path: Path) -> None:
    """``.git`` may be group-writable: a symlink at ``last.log.<pid>.partial`` must not make
    hostlint write the run's output into the file it points to."""
    import os

    root = _repo(tmp_path, "echo finding")
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    logs = root / ".git" / "hostlint"
    logs.mkdir()
    os.symlink(victim, logs / f"last.log.{os.getpid()}.partial")  # the in-process check's pid
    assert hostlint("check", cwd=root).code == 0
    assert victim.read_text() == "precious\n"
    log = logs / "last.log"
    assert not log.is_symlink() and log.read_bytes() == b"finding a.py\n"
    assert (log.stat().st_mode & 0o777) == 0o600
