"""Faults and hostile input on the local target: byte fidelity, slow readers, concurrent
checks, git edge cases. (Remote faults: tests/targets/ssh/ and tests/targets/test_vagrant.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.targets.base import Cancel, Invocation, run
from hostlint.targets.local import LocalTarget
from tests.utils import (
    child_env,
    git,
    hostlint,
    hostlint_argv,
    linter,
    linter_config,
    logged_args,
    make_repo,
    run_detached,
    with_descriptors,
)

RED, BOLD_GREEN, RESET = b"\x1b[31m", b"\x1b[1;32m", b"\x1b[0m"
PAYLOAD = (bytes(range(256)) + b"\ninvalid utf-8: \xff\xfe\xc3\x28 \xed\xa0\x80\n"
           + b"progress 10%\rprogress 20%\rdone\n" + RED + b"red" + RESET + BOLD_GREEN + b"ok"
           + RESET + b"\r\n" + b"L" * 1_000_000)  # a 1 MB last line with no newline


def _bytes_repo(tmp_path: Path, payload: bytes, chunk: int = 4096) -> Path:
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)
    command = linter("bytes_out.py", str(source), str(chunk))
    return make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])


#: The ESC of ``bytes(range(256))`` (before 0x1c) starts no sequence: removed, as every escape
#: but colours.
COLOURED = PAYLOAD.replace(b"\x1b\x1c", b"\x1c", 1)


@pytest.mark.parametrize("color, expected", [
    ("always", COLOURED),
    ("never", COLOURED.replace(RED, b"").replace(BOLD_GREEN, b"").replace(RESET, b"")),
])
def test_every_byte_arrives_unchanged(tmp_path: Path, color: str, expected: bytes) -> None:
    root = _bytes_repo(tmp_path, PAYLOAD)
    out = tmp_path / "out"
    with out.open("wb") as f:
        code = subprocess.run(hostlint_argv("check", "--color", color), cwd=root, stdout=f,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                              env=child_env(), start_new_session=True, check=False).returncode
    assert code == 0
    assert out.read_bytes() == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=5000), st.integers(1, 700))
def test_random_byte_streams_pass_through_the_pty(tmp_path: Path, payload: bytes, chunk: int) -> None:
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)
    received = bytearray()

    class Collect:
        def write(self, data: bytes) -> None:
            received.extend(data)

        def flush(self) -> None:
            pass

    cancel = Cancel()
    try:
        result = run(LocalTarget(str(tmp_path)),
                     Invocation(linter("bytes_out.py", str(source), str(chunk))), Collect(), cancel)
    finally:
        cancel.close()
    assert result.ok
    assert bytes(received) == payload


@pytest.mark.timeout(120)
def test_slow_reader_loses_nothing_and_memory_stays_bounded(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("flood.py", "20")), staged=["a.py"])
    rss = tmp_path / "rss"
    wrapper = Path(__file__).parent / "rss_wrapper.py"
    proc = subprocess.Popen([sys.executable, str(wrapper), "check"], cwd=root,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=child_env(HOSTLINT_TEST_RSS=str(rss),
                                          PYTHONPATH=str(Path(__file__).parents[1])))
    assert proc.stdout is not None
    lines = 0
    expected = 0
    while chunk := proc.stdout.read(16384):
        for line in chunk.splitlines():
            if line[:8].isdigit():
                assert int(line[:8]) == expected
                expected += 1
        lines += chunk.count(b"\n")
        if lines < 2000:
            time.sleep(0.002)  # a slow consumer for the first 2 MB: hostlint must wait, not hoard
    assert proc.wait(timeout=60) == 0
    assert expected == 20 * 1024
    assert int(rss.read_text()) <= 80 * 1024


def test_two_checks_at_once_in_two_worktrees(tmp_path: Path) -> None:
    log = tmp_path / "args.log"
    root = make_repo(tmp_path / "repo", linter_config(linter("record_args.py", str(log))))
    git(root, "worktree", "add", "-q", str(tmp_path / "wt"))
    wt = tmp_path / "wt"
    (root / "main.py").write_text("x\n")
    git(root, "add", "main.py")
    (wt / "other.py").write_text("x\n")
    git(wt, "add", "other.py")
    procs = [subprocess.Popen(hostlint_argv("check"), cwd=where, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env())
             for where in (root, wt)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert [o[0] for o in outputs] == [b"linted 1 files\n", b"linted 1 files\n"]
    assert sorted(logged_args(log)) == ["main.py", "other.py"]
    assert (root / ".git" / "hostlint" / "last.log").read_bytes() == b"linted 1 files\n"
    assert not list((root / ".git" / "hostlint").glob("*.partial"))


@pytest.fixture
def args_root(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "args.log"
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "pyproject.toml").write_text(linter_config(linter("record_args.py", str(log))))
    return root, log


def test_first_commit_of_a_new_repository(args_root: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = args_root
    (root / "a.py").write_text("x\n")
    git(root, "add", "a.py", "pyproject.toml")
    subprocess.run(hostlint_argv("install"), cwd=root, env=child_env(), check=True,
                   capture_output=True)
    assert run_detached(["git", "commit", "-m", "first"], cwd=root, out=tmp_path / "o") == 0
    assert sorted(logged_args(log)) == ["a.py", "pyproject.toml"]


def _committed(root: Path) -> None:
    git(root, "add", "pyproject.toml")
    git(root, "commit", "-q", "-m", "init", "--no-verify")


def test_detached_head(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    _committed(root)
    git(root, "checkout", "-q", "--detach")
    (root / "a.py").write_text("x\n")
    git(root, "add", "a.py")
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["a.py"]


def test_merge_in_progress_lints_the_merge_result(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    _committed(root)
    git(root, "checkout", "-q", "-b", "side")
    (root / "side.py").write_text("side\n")
    git(root, "add", "side.py")
    git(root, "commit", "-q", "-m", "side", "--no-verify")
    git(root, "checkout", "-q", "main")
    (root / "main.py").write_text("main\n")
    git(root, "add", "main.py")
    git(root, "commit", "-q", "-m", "main", "--no-verify")
    git(root, "merge", "--no-commit", "--no-ff", "-q", "side")
    assert (root / ".git" / "MERGE_HEAD").exists()
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["side.py"]


def test_renames_pass_the_new_name_and_deletions_nothing(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    (root / "old.py").write_text("content that stays the same\n" * 5)
    (root / "gone.py").write_text("x\n")
    git(root, "add", "old.py", "gone.py")
    _committed(root)
    git(root, "mv", "old.py", "new.py")
    git(root, "rm", "-q", "gone.py")
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["new.py"]


def test_staged_symlink_is_passed_as_a_path(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    _committed(root)
    (root / "target.py").write_text("x\n")
    os.symlink("target.py", root / "link.py")
    os.symlink("/nonexistent/dir", root / "dangling")
    git(root, "add", "target.py", "link.py", "dangling")
    assert hostlint("check", cwd=root).code == 0
    assert sorted(logged_args(log)) == ["dangling", "link.py", "target.py"]


def test_submodules_are_not_passed_or_descended_into(args_root: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    root, log = args_root
    _committed(root)
    sub = make_repo(tmp_path / "sub", "")
    (sub / "inner.py").write_text("x\n")
    git(sub, "add", "inner.py")
    git(sub, "commit", "-q", "-m", "inner")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendored")
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == [".gitmodules"]
    log.unlink()
    assert hostlint("check", "--all-files", cwd=root).code == 0
    assert sorted(logged_args(log)) == [".gitmodules", "pyproject.toml"]


def test_unicode_names_in_nfc_and_nfd_arrive_byte_for_byte(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    _committed(root)
    names = [unicodedata.normalize("NFC", "café.py"), unicodedata.normalize("NFD", "naïve.py")]
    for name in names:
        (root / name).write_text("x\n")
    subprocess.run(["git", "-c", "core.precomposeunicode=false", "add", "--", *names], cwd=root,
                   check=True)
    assert hostlint("check", cwd=root).code == 0
    assert sorted(os.fsencode(n) for n in logged_args(log)) == sorted(os.fsencode(n) for n in names)


def test_a_check_started_with_1100_open_descriptors(tmp_path: Path) -> None:
    """Every descriptor hostlint opens (the pty, the cancel pipe) is numbered past 1024,
    where ``select()`` cannot go."""
    root = make_repo(tmp_path / "repo", linter_config("echo fine"), staged=["a.py"])
    proc = subprocess.run(with_descriptors(hostlint_argv("check"), hold=1100), cwd=root,
                          capture_output=True, stdin=subprocess.DEVNULL, env=child_env(),
                          timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"fine a.py\n", b"")


#: What a hostile or careless target may print: a clipboard write (OSC 52), a window title,
#: clear screen and a terminal reset, between coloured text and a progress bar's moves.
ESCAPES = (b"\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;title\x1b\\\x1b[2J\x1b[H\x1bc" + RED + b"E1"
           + RESET + b" 50%\r\x1b[1A\x1b[2K100%\n")


@pytest.mark.parametrize("tty, shown", [
    (True, RED + b"E1" + RESET + b" 50%\r\x1b[1A\x1b[2K100%\n"),  # colour on: colours and moves
    (False, b"E1 50%\r100%\n"),  # colour off: no escape sequence at all
])
def test_terminal_escapes_from_the_target_never_reach_the_terminal_or_last_log(
        tmp_path: Path, tty: bool, shown: bytes) -> None:
    root = _bytes_repo(tmp_path, ESCAPES)
    result = hostlint("check", cwd=root, tty=tty)
    assert (result.code, result.stdout) == (0, shown)
    assert (root / ".git" / "hostlint" / "last.log").read_bytes() == b"E1 50%\r100%\n"


def _hook_commit(root: Path, out: Path) -> int:
    """Install the hook and commit what is staged, as a GUI client would."""
    subprocess.run(hostlint_argv("install"), cwd=root, env=child_env(), check=True,
                   capture_output=True)
    return run_detached(["git", "commit", "-m", "change"], cwd=root, out=out)


def test_a_staged_type_change_is_linted(tmp_path: Path) -> None:
    """A symlink replaced by a file with a problem is a type change (status T): it is linted
    and blocks the commit."""
    root = make_repo(tmp_path / "repo", linter_config(linter("grep_bad.py")))
    (root / "target.py").write_text("fine\n")
    os.symlink("target.py", root / "link.py")
    git(root, "add", "target.py", "link.py")
    git(root, "commit", "-q", "-m", "link", "--no-verify")
    (root / "link.py").unlink()
    (root / "link.py").write_text("bad\n")
    git(root, "add", "link.py")
    out = tmp_path / "out"
    assert _hook_commit(root, out) == 1
    assert b"link.py:1:1: B001" in out.read_bytes()
    assert git(root, "log", "--format=%s").split() == ["link", "init"]


def test_a_file_turned_into_a_symlink_is_passed(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    (root / "a.py").write_text("x\n")
    git(root, "add", "a.py")
    _committed(root)
    (root / "a.py").unlink()
    os.symlink("pyproject.toml", root / "a.py")
    git(root, "add", "a.py")
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["a.py"]


def test_a_copy_is_passed_whatever_the_rename_settings(args_root: tuple[Path, Path]) -> None:
    root, log = args_root
    (root / "orig.py").write_text("content that stays the same\n" * 5)
    git(root, "add", "orig.py")
    _committed(root)
    git(root, "config", "diff.renames", "copies")
    (root / "copy.py").write_text("content that stays the same\n" * 5)
    git(root, "add", "copy.py")
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["copy.py"]


def test_a_staged_file_with_a_directory_in_the_work_tree_is_not_dropped(
        args_root: tuple[Path, Path]) -> None:
    """What is staged is a file: it is passed, never silently left out because the work tree
    has a directory of that name."""
    root, log = args_root
    _committed(root)
    (root / "a.py").write_text("x\n")
    git(root, "add", "a.py")
    (root / "a.py").unlink()
    (root / "a.py").mkdir()
    assert hostlint("check", cwd=root).code == 0
    assert logged_args(log) == ["a.py"]


def test_a_submodule_whose_directory_is_gone_is_still_not_passed(
        args_root: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = args_root
    _committed(root)
    sub = make_repo(tmp_path / "sub", "")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendored")
    git(root, "commit", "-q", "-m", "sub", "--no-verify")
    import shutil

    shutil.rmtree(root / "vendored")
    assert hostlint("check", "--all-files", cwd=root).code == 0
    assert sorted(logged_args(log)) == [".gitmodules", "pyproject.toml"]


def test_an_intent_to_add_file_is_not_passed(args_root: tuple[Path, Path]) -> None:
    """``git add -N``: the commit records nothing for it, so there is nothing to lint."""
    root, log = args_root
    _committed(root)
    (root / "later.py").write_text("x\n")
    git(root, "add", "-N", "later.py")
    result = hostlint("check", cwd=root)
    assert (result.code, log.exists()) == (0, False)
