"""Lint exactly what the commit records: unstaged changes to staged files are set aside for the
run and put back byte for byte, on every exit path and after a crash. Real git in tmp_path."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hostlint import git as git_mod
from hostlint import staging
from hostlint.environment import Environment
from hostlint.files import arguments
from tests.sshd import ALIAS
from tests.utils import (
    child_env,
    full_filesystem,
    git,
    hostlint,
    hostlint_argv,
    linter,
    linter_config,
    make_repo,
    saved_patches,
    snapshot,
    toml_string,
)


def write(root: Path, name: str | bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(root), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def add(root: Path, *names: str) -> None:
    git(root, "add", "--", *names)


def grep_repo(tmp_path: Path, **keys: str) -> Path:
    return make_repo(tmp_path / "repo", linter_config(linter("grep_bad.py"), **keys))


def recorded(log: Path) -> dict[bytes, tuple[str, bytes]]:
    """What record_content.py saw: name → (kind, content)."""
    seen = {}
    for line in log.read_text().splitlines():
        name, kind, data = json.loads(line)
        seen[bytes.fromhex(name)] = (kind, bytes.fromhex(data))
    return seen


# --- acceptance 1: the staged content is what is linted ---------------------------------


def test_staged_problem_with_an_unstaged_fix_is_blocked(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    write(root, "a.py", b"fixed\n")
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert "a.py:1:1: B001" in result.out
    assert snapshot(root) == before
    assert saved_patches(root) == []


def test_staged_good_with_unstaged_breakage_passes(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"good\nbad\n")
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.out + result.stderr
    assert snapshot(root) == before


def test_staged_then_deleted_is_linted_from_the_index(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    os.unlink(root / "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert "a.py:1:1: B001" in result.out
    assert not os.path.lexists(root / "a.py")


def test_files_without_unstaged_changes_are_not_touched(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "clean.py", b"good\n")
    write(root, "partial.py", b"good\n")
    add(root, "clean.py", "partial.py")
    write(root, "partial.py", b"good\nmore\n")
    write(root, "untracked.py", b"bad\n")
    clean = os.stat(root / "clean.py").st_mtime_ns
    assert hostlint("check", cwd=root).code == 0
    assert os.stat(root / "clean.py").st_mtime_ns == clean


def test_nothing_partially_staged_writes_nothing(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    assert hostlint("check", cwd=root).code == 0
    assert not any((root / ".git" / "hostlint").glob("unstaged-*"))


def test_explicit_paths_and_all_files_lint_the_work_tree(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"bad\n")
    assert hostlint("check", "a.py", cwd=root).code == 1
    assert hostlint("check", "--all-files", cwd=root).code == 1
    assert hostlint("check", cwd=root).code == 0


# --- acceptance 2: the work tree is byte-identical after the run, for each edge case --------


def _crlf(root: Path) -> list[str]:
    git(root, "config", "core.autocrlf", "true")
    write(root, "crlf.txt", b"one\r\ntwo\r\n")
    add(root, "crlf.txt")
    write(root, "crlf.txt", b"one\r\ntwo\r\nthree\r\n")
    return ["crlf.txt"]


def _binary(root: Path) -> list[str]:
    write(root, "blob.bin", bytes(range(256)) * 40)
    add(root, "blob.bin")
    write(root, "blob.bin", bytes(reversed(range(256))) * 41 + b"\0tail")
    return ["blob.bin"]


def _mode_only(root: Path) -> list[str]:
    write(root, "run.sh", b"#!/bin/sh\n")
    add(root, "run.sh")
    os.chmod(root / "run.sh", 0o755)
    return ["run.sh"]


def _symlink(root: Path) -> list[str]:
    os.symlink("target-one", root / "link")
    add(root, "link")
    os.unlink(root / "link")
    os.symlink("target-two", root / "link")
    return ["link"]


def _intent_to_add(root: Path) -> list[str]:
    write(root, "later.py", b"bad\n")
    git(root, "add", "-N", "later.py")
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"good\nunstaged\n")
    return ["a.py"]


def _submodule(root: Path) -> list[str]:
    sub = make_repo(root.parent / "sub", "x = 1\n")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub")
    write(root / "sub", "pyproject.toml", b"changed in the submodule\n")
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"good\nunstaged\n")
    return ["a.py"]


def _deleted(root: Path) -> list[str]:
    write(root, "gone.py", b"good\n")
    add(root, "gone.py")
    os.unlink(root / "gone.py")
    return ["gone.py"]


def _odd_names(root: Path) -> list[str]:
    names = [b"caf\xe9 \"q\" $(x).py", b"-dash\nline.py", b"dir/sp ace.py"]
    for name in names:
        write(root, name, b"good\n")
    add(root, *(os.fsdecode(n) for n in names))
    for name in names:
        write(root, name, b"good\nunstaged " + name + b"\n")
    return [os.fsdecode(n) for n in names]


def _merge(root: Path) -> list[str]:
    write(root, "m.py", b"base\n")
    add(root, "m.py")
    git(root, "commit", "-q", "--no-verify", "-m", "base")
    git(root, "checkout", "-q", "-b", "side")
    write(root, "m.py", b"side\n")
    git(root, "commit", "-q", "--no-verify", "-am", "side")
    git(root, "checkout", "-q", "main")
    write(root, "m.py", b"main\n")
    git(root, "commit", "-q", "--no-verify", "-am", "main")
    subprocess.run(("git", "merge", "-q", "side"), cwd=root, capture_output=True, check=False)
    write(root, "m.py", b"resolved\n")
    add(root, "m.py")
    write(root, "m.py", b"resolved\nunstaged\n")
    return ["m.py"]


EDGE_CASES: dict[str, Callable[[Path], list[str]]] = {
    "crlf-autocrlf": _crlf, "binary": _binary, "mode-only": _mode_only, "symlink": _symlink,
    "intent-to-add": _intent_to_add, "submodule": _submodule, "staged-then-deleted": _deleted,
    "non-utf8-and-hostile-names": _odd_names, "merge-in-progress": _merge,
}


@pytest.mark.parametrize("case", EDGE_CASES)
def test_each_edge_case_lints_the_index_and_leaves_the_work_tree_byte_identical(
        tmp_path: Path, case: str) -> None:
    log = tmp_path / "seen.jsonl"
    root = make_repo(tmp_path / "repo", linter_config(linter("record_content.py", str(log))))
    partial = EDGE_CASES[case](root)
    git_state = {p.name: p.read_bytes() for p in (root / ".git").glob("MERGE_*")}
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.out + result.stderr
    assert snapshot(root) == before
    assert saved_patches(root) == []
    assert {p.name: p.read_bytes() for p in (root / ".git").glob("MERGE_*")} == git_state
    seen = recorded(log)
    for name in partial:
        blob = subprocess.run(("git", "cat-file", "blob", f":{name}"), cwd=root,
                              capture_output=True, check=True).stdout
        kind, data = seen[os.fsencode(arguments([name])[0])]  # "-x" arrives as "./-x"
        assert data.replace(b"\r\n", b"\n") == blob, name
        if case == "mode-only":
            assert kind == "file"
    if case == "intent-to-add":
        assert b"later.py" not in seen
        assert "later.py" in git(root, "diff", "--name-only")  # still intent-to-add
    if case == "merge-in-progress":
        assert (root / ".git" / "MERGE_HEAD").exists()


def test_thousands_of_partially_staged_files_are_split_under_the_argument_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 files, with the per-call budget lowered to 2 KiB so the batching is exercised
    many times over (real limits need ~20,000 such names: minutes of git writing files)."""
    monkeypatch.setattr(git_mod, "ARGS_BYTES", 2048)
    log = tmp_path / "args.log"
    root = make_repo(tmp_path / "repo", linter_config(linter("record_args.py", str(log))))
    names = [f"d/{'n' * 100}{i:05}.py" for i in range(1000)]
    for name in names:
        write(root, name, b"staged\n")
    git(root, "add", "d")
    for name in names:
        write(root, name, b"staged\nunstaged\n")
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert snapshot(root) == before
    linted = [a for a in log.read_bytes().split(b"\0") if a]
    assert sorted(linted) == sorted(n.encode() for n in names)
    assert len(git_mod._batches(names)) > 40


def test_a_git_call_fed_on_stdin_leaves_nothing_behind_when_no_thread_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread that writes git's stdin cannot start (a process limit reached): the error
    goes up, and neither a descriptor nor a git waiting for its input is left."""
    import threading

    root = make_repo(tmp_path / "repo", linter_config("true"))

    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    def mine() -> list[str]:
        return sorted(os.listdir("/proc/self/fd"))

    def gits() -> list[str]:  # this process's git children
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and name == "git":
                found.append(pid)
        return found

    before = mine()
    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(RuntimeError):
        git_mod._quiet(("cat-file", "--batch-check"), str(root), b"HEAD\n")
    assert mine() == before and gits() == []


# --- git commit -a / git commit <path>: a temporary index ------------------------------------


@pytest.mark.parametrize("how", [("-a",), ("a.py",)])
def test_a_temporary_index_has_nothing_to_set_aside(tmp_path: Path, how: tuple[str, ...]) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    write(root, "a.py", b"fixed\n")
    assert hostlint("install", cwd=root).code == 0
    proc = subprocess.run(("git", "commit", "-q", "-m", "x", *how), cwd=root, env=child_env(),
                          capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert git(root, "show", "HEAD:a.py") == "fixed\n"
    assert (root / "a.py").read_bytes() == b"fixed\n"
    assert saved_patches(root) == []


def test_a_merge_commit_through_the_hook_keeps_the_merge(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    _merge(root)
    assert hostlint("install", cwd=root).code == 0
    proc = subprocess.run(("git", "commit", "-q", "--no-edit"), cwd=root, env=child_env(),
                          capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(git(root, "show", "-s", "--format=%P", "HEAD").split()) == 2
    assert (root / "m.py").read_bytes() == b"resolved\nunstaged\n"


# --- acceptance 4: a --fix linter ----------------------------------------------------------


def test_a_fix_that_conflicts_drops_the_fix_and_keeps_the_unstaged_changes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fix_bad.py")))
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    write(root, "a.py", b"bad but edited\n")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert (root / "a.py").read_bytes() == b"bad but edited\n"
    assert "a.py: a linter's edits conflicted with your unstaged changes; kept your changes, " \
           "dropped the linter's edits" in result.stderr
    assert saved_patches(root) == []


def test_a_fix_that_does_not_conflict_keeps_both(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fix_bad.py")))
    lines = [b"line %d\n" % i for i in range(20)]
    write(root, "a.py", b"bad\n" + b"".join(lines))
    add(root, "a.py")
    write(root, "a.py", b"bad\n" + b"".join(lines) + b"unstaged\n")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert (root / "a.py").read_bytes() == b"good\n" + b"".join(lines) + b"unstaged\n"
    assert "conflicted" not in result.stderr


# --- turned off: the notice ----------------------------------------------------------------


def test_turned_off_it_names_partial_files_and_skips_deleted_ones(tmp_path: Path) -> None:
    log = tmp_path / "args.log"
    root = make_repo(tmp_path / "repo", linter_config(linter("record_args.py", str(log)),
                                                       stash_unstaged="false"))
    for name in ("a.py", "gone.py", "clean.py"):
        write(root, name, b"x\n")
    add(root, "a.py", "gone.py", "clean.py")
    write(root, "a.py", b"y\n")
    os.unlink(root / "gone.py")
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert "hostlint: a.py: unstaged changes are linted too (stash_unstaged = false)" in result.stderr
    assert "hostlint: gone.py: deleted in the work tree, not linted" in result.stderr
    assert [a for a in log.read_bytes().split(b"\0") if a] == [b"a.py", b"clean.py"]
    assert (root / "a.py").read_bytes() == b"y\n"


# --- the saved patch: private, durable, never through a symlink --------------------------------


def test_the_saved_patch_is_private_and_names_how_to_apply_it(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"good\nmore\n")
    proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                          env=child_env(HOSTLINT_TEST_KILL_AT="checked-out"), check=False)
    assert proc.returncode == -signal.SIGKILL
    [patch] = saved_patches(root)
    assert stat.S_IMODE(patch.stat().st_mode) == 0o600
    assert patch.read_bytes().startswith(b"hostlint: the unstaged changes of ")
    assert f"git -C {root} apply {patch}".encode() in patch.read_bytes()


def test_a_symlinked_save_directory_is_refused_before_anything_changes(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / ".git" / "hostlint")
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    write(root, "a.py", b"fixed\n")
    result = hostlint("check", cwd=root)
    assert result.code == 2
    assert "cannot save the unstaged changes" in result.stderr
    assert (root / "a.py").read_bytes() == b"fixed\n"
    assert list((tmp_path / "elsewhere").glob("unstaged-*")) == []


def test_unstaged_changes_that_cannot_be_saved_on_a_full_disk_are_exit_2(tmp_path: Path) -> None:
    """The saved patch is not a side output: without it the staged content cannot be linted,
    so a full disk there stops the check before anything changes (and never lints the work
    tree instead)."""
    root = grep_repo(tmp_path)
    write(root, "a.py", b"bad\n")
    add(root, "a.py")
    write(root, "a.py", b"fixed\n")
    with full_filesystem(root / ".git" / "hostlint"):
        result = hostlint("check", cwd=root)
    assert result.code == 2
    warning, error = result.stderr.splitlines()  # last.log, on the same disk, says so first
    assert warning.startswith("hostlint: warning: cannot write ") and "last.log" in warning
    assert error.startswith("hostlint: cannot save the unstaged changes in ")
    assert "No space left on device" in error
    assert (root / "a.py").read_bytes() == b"fixed\n"


# --- every exit path, and acceptance 3: kill -9 at each stage ----------------------------------


def crash_repo(tmp_path: Path, command: str) -> Path:
    root = make_repo(tmp_path / "repo", linter_config(command))
    for name in ("a.py", "b.py", "caf\udce9 'q'.py"):
        write(root, name, b"good\n" * 5)
    write(root, "clean.py", b"good\n")
    os.symlink("one", root / "link")
    add(root, "a.py", "b.py", "caf\udce9 'q'.py", "clean.py", "link")
    write(root, "a.py", b"good\n" * 5 + b"unstaged\n")
    write(root, "b.py", b"unstaged\n" + b"good\n" * 5)  # applies twice if applied blindly
    os.unlink(root / "caf\udce9 'q'.py")
    os.unlink(root / "link")
    os.symlink("two", root / "link")
    return root


@pytest.mark.parametrize("stage", ["saved", "checked-out", "lint", "restoring", "restored"])
def test_after_kill_9_at_each_stage_the_next_check_restores_first(tmp_path: Path, stage: str) -> None:
    command = linter("kill_hostlint.py") if stage == "lint" else linter("grep_bad.py")
    root = crash_repo(tmp_path, command)
    before = snapshot(root)
    proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                          env=child_env(HOSTLINT_TEST_KILL_AT=stage), check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert len(saved_patches(root)) == 1
    result = hostlint("check", "clean.py", cwd=root)
    assert snapshot(root) == before
    assert saved_patches(root) == []
    assert "restored unstaged changes that an interrupted run had set aside" in result.stderr


@pytest.mark.parametrize("command", ["detect", "install"])
def test_other_commands_restore_first_too(tmp_path: Path, command: str) -> None:
    root = crash_repo(tmp_path, linter("grep_bad.py"))
    before = snapshot(root)
    subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                   env=child_env(HOSTLINT_TEST_KILL_AT="checked-out"), check=False)
    assert snapshot(root) != before
    hostlint(command, cwd=root)
    assert snapshot(root) == before


def test_a_patch_that_no_longer_applies_is_named_and_kept(tmp_path: Path) -> None:
    root = crash_repo(tmp_path, linter("grep_bad.py"))
    subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                   env=child_env(HOSTLINT_TEST_KILL_AT="checked-out"), check=False)
    write(root, "a.py", b"edited by hand meanwhile\n")
    [patch] = saved_patches(root)
    result = hostlint("check", "clean.py", cwd=root)
    line = [x for x in result.stderr.splitlines() if "could not put back" in x]
    assert len(line) == 1
    assert "a.py" in line[0] and f"`git -C {root} apply {patch}`" in line[0]
    assert saved_patches(root) == [patch]
    assert (root / "a.py").read_bytes() == b"edited by hand meanwhile\n"
    assert (root / "b.py").read_bytes().startswith(b"unstaged\n")  # the rest is back


def test_a_run_in_progress_is_not_restored_by_another(tmp_path: Path) -> None:
    root = grep_repo(tmp_path)
    saved, fd = staging._save(str(root / ".git"), str(root), b"diff --git a/a.py b/a.py\n")
    try:
        stderr = io.StringIO()
        staging.recover(str(root), str(root / ".git"),
                        Environment(stderr=stderr, cwd=str(root), environ={}))
        assert saved_patches(root) == [Path(saved)]  # its lock is held: that run is alive
        assert stderr.getvalue() == ""
    finally:
        os.close(fd)


@pytest.mark.parametrize(("name", "count", "code"), [("TERM", 1, 143), ("INT", 1, 130),
                                                     ("HUP", 1, 129), ("TERM", 2, 143)])
def test_signals_put_the_changes_back(tmp_path: Path, name: str, count: int, code: int) -> None:
    root = crash_repo(tmp_path, linter("kill_hostlint.py", name, str(count)))
    before = snapshot(root)
    proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                          env=child_env(), check=False, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert snapshot(root) == before
    assert saved_patches(root) == []


def test_an_unavailable_target_changes_nothing(tmp_path: Path) -> None:
    config = linter_config("true", target='"ssh"', connect_timeout="2")
    root = make_repo(tmp_path / "repo", config + '[tool.hostlint.ssh]\nhost = "127.0.0.1:1"\n'
                     f'root = "{tmp_path}"\n')
    write(root, "a.py", b"good\n")
    add(root, "a.py")
    write(root, "a.py", b"good\nmore\n")
    before = snapshot(root)
    assert hostlint("check", cwd=root).code == 3
    assert snapshot(root) == before
    assert saved_patches(root) == []


# --- over ssh: the remote root is this very work tree, seen through sshd -------------------


def ssh_repo(tmp_path: Path, command: str) -> Path:
    root = tmp_path / "repo"
    return make_repo(root, linter_config(command, target='"ssh"') + "[tool.hostlint.ssh]\n"
                     f"host = {toml_string(ALIAS)}\nroot = {toml_string(str(root))}\n")


def test_over_ssh_the_staged_content_is_linted(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, linter("grep_bad.py"))
    write(root, "a.py", b"bad\n")
    write(root, "b.py", b"good\n")
    add(root, "a.py", "b.py")
    write(root, "a.py", b"fixed\n")
    write(root, "b.py", b"good\nbad\n")
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert "a.py:1:1: B001" in result.out
    assert "b.py" not in result.out
    assert snapshot(root) == before
    assert saved_patches(root) == []


@pytest.mark.parametrize("case", ["crlf-autocrlf", "binary", "mode-only", "symlink",
                                  "staged-then-deleted", "non-utf8-and-hostile-names"])
def test_over_ssh_each_edge_case_leaves_the_work_tree_byte_identical(
        ssh_home: Path, tmp_path: Path, case: str) -> None:
    log = tmp_path / "seen.jsonl"
    root = ssh_repo(tmp_path, linter("record_content.py", str(log)))
    partial = EDGE_CASES[case](root)
    before = snapshot(root)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.out + result.stderr
    assert snapshot(root) == before
    seen = recorded(log)
    for name in partial:
        blob = subprocess.run(("git", "cat-file", "blob", f":{name}"), cwd=root,
                              capture_output=True, check=True).stdout
        assert seen[os.fsencode(arguments([name])[0])][1].replace(b"\r\n", b"\n") == blob, name
