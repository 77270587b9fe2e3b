"""The git hooks beyond pre-commit, end to end through real git and the installed hook, on
the local target and over SSH (the fixture's sshd; the remote root is a copy of the work
tree without ``.git``): commit-msg, prepare-commit-msg, pre-push."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.hook_helpers import (
    HOSTILE_MESSAGE,
    Probe,
    args_of,
    bare_remote,
    commit_files,
    probe_repo,
    remote_of,
)
from tests.utils import NON_UTF8, child_env, git, hostlint, hostlint_argv, run_detached

ZERO = "0" * 40


@pytest.fixture(params=["local", "ssh"])
def where(request: pytest.FixtureRequest) -> str:
    if request.param == "ssh":
        request.getfixturevalue("ssh_home")
    return str(request.param)


# --- commit-msg ---------------------------------------------------------------------------

def test_commit_msg_linter_gets_the_exact_message_as_a_file_and_on_stdin(
        where: str, tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, where, {"msg": ()}, hooks={"msg": '["commit-msg"]'})
    probe.install("commit-msg")
    message = tmp_path / "message"
    message.write_bytes(HOSTILE_MESSAGE)
    out = tmp_path / "out"
    assert probe.commit("--allow-empty", "-F", str(message), out=out) == 0, out.read_text()
    [record] = probe.records()
    handed = (probe.root / ".git" / "COMMIT_EDITMSG").read_bytes()  # as git gave the hook
    assert len(handed) > 1_000_000 and b"$(touch PWNED)" in handed and b"\xe9\xff" in handed
    assert bytes.fromhex(record["stdin"]) == handed
    assert bytes.fromhex(record["file"]) == handed
    assert not record["stdin_tty"]
    path = args_of(record)[-1]
    assert ".git" not in path and not path.startswith(str(probe.root))
    assert not os.path.exists(path)  # the target's copy is removed afterwards
    assert not list(tmp_path.rglob("PWNED"))
    if probe.remote_root is not None:
        assert record["cwd"] == str(probe.remote_root)


def test_a_rejected_message_blocks_the_commit(where: str, tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, where, {"msg": ("--reject", "WIP")},
                       hooks={"msg": '["commit-msg"]'})
    probe.install("commit-msg")
    out = tmp_path / "out"
    assert probe.commit("--allow-empty", "-m", "WIP: later", out=out) == 1
    text = out.read_text()
    assert "message rejected: it contains WIP" in text and "\r" not in text
    assert git(probe.root, "log", "--format=%s").split() == ["init"]
    assert probe.commit("--allow-empty", "-m", "Fine title", out=out) == 0, out.read_text()


def test_prepare_commit_msg_edits_reach_the_stored_commit(where: str, tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, where, {"trailer": ("--append", "Edited-by: probe \xe9")},
                       hooks={"trailer": '["prepare-commit-msg"]'})
    probe.install("prepare-commit-msg")
    out = tmp_path / "out"
    assert probe.commit("--allow-empty", "-m", "Subject 'q' $(x)", out=out) == 0, out.read_text()
    body = git(probe.root, "log", "-1", "--format=%B")
    assert body == "Subject 'q' $(x)\n\nEdited-by: probe \xe9\n\n"
    [record] = probe.records()
    assert record["env"]["HOSTLINT_COMMIT_SOURCE"] == "message"


def test_message_linters_only_run_in_their_hook(tmp_path: Path) -> None:
    """A pre-commit linter does not see the message; the commit-msg one does not lint files."""
    probe = probe_repo(tmp_path, "local", {"files": (), "msg": ()},
                       hooks={"files": '["pre-commit"]', "msg": '["commit-msg"]'})
    probe.install("commit-msg", "pre-commit")
    (probe.root / "a.py").write_text("x\n")
    git(probe.root, "add", "a.py")
    out = tmp_path / "out"
    assert probe.commit("-m", "add a", out=out) == 0, out.read_text()
    first, second = probe.records()
    assert args_of(first) == ["a.py"] and first["stdin"] == ""
    assert len(args_of(second)) == 1 and bytes.fromhex(second["stdin"]) == b"add a\n"


def test_run_hook_commit_msg_by_hand(tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, "local", {"msg": ("--reject", "WIP")},
                       hooks={"msg": '["commit-msg"]'})
    (tmp_path / "msg").write_bytes(b"WIP\n")
    result = hostlint("run-hook", "commit-msg", str(tmp_path / "msg"), cwd=probe.root)
    assert result.code == 1 and "message rejected" in result.out
    missing = hostlint("run-hook", "commit-msg", str(tmp_path / "none"), cwd=probe.root)
    assert missing.code == 2 and "cannot read the commit message" in missing.stderr


# --- pre-push -----------------------------------------------------------------------------

def _pushed(probe: Probe) -> list[list[str]]:
    return [args_of(r) for r in probe.records()]


def test_pre_push_lints_the_pushed_files_with_refs_on_stdin(where: str, tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, where, {"push": ()}, hooks={"push": '["pre-push"]'})
    bare = bare_remote(probe, tmp_path)
    probe.install("pre-push")
    commit_files(probe.root, "a.py")
    out = tmp_path / "out"

    # First push of a branch: every file its (new, root-reaching) commits hold.
    assert probe.push("origin", "main", out=out) == 0, out.read_text()
    [first] = probe.records()
    assert sorted(args_of(first)) == ["a.py", "pyproject.toml"]
    head = git(probe.root, "rev-parse", "HEAD").strip()
    assert bytes.fromhex(first["stdin"]) == f"refs/heads/main {head} refs/heads/main {ZERO}\n".encode()
    assert first["env"]["HOSTLINT_REMOTE_NAME"] == "origin"
    assert first["env"]["HOSTLINT_REMOTE_URL"] == str(bare)
    assert not first["stdin_tty"]

    # A later push: only what the new commits change, hostile names as single arguments.
    hostile = ["it's $(x)\ttab.py", NON_UTF8, "-dash.py"]
    commit_files(probe.root, *hostile, "b.py")
    assert probe.push("origin", "main", out=out) == 0, out.read_text()
    assert sorted(_pushed(probe)[1]) == sorted(["./-dash.py", "b.py", *hostile[:2]])

    # A new branch: the commits no remote-tracking ref of origin has.
    git(probe.root, "checkout", "-q", "-b", "feature")
    commit_files(probe.root, "c.py")
    assert probe.push("origin", "feature", out=out) == 0, out.read_text()
    assert _pushed(probe)[2] == ["c.py"]

    # Deleting a branch pushes no files: the linter does not run.
    assert probe.push("origin", ":feature", out=out) == 0, out.read_text()
    assert len(probe.records()) == 3
    assert "feature" not in git(bare, "branch")


def test_a_failing_pre_push_linter_blocks_the_push(where: str, tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, where, {"push": ("--fail-on", "bad.py")},
                       hooks={"push": '["pre-push"]'})
    bare = bare_remote(probe, tmp_path)
    probe.install("pre-push")
    commit_files(probe.root, "bad.py")
    out = tmp_path / "out"
    assert probe.push("origin", "main", out=out) == 1
    assert "bad.py:1:1: X001 refused" in out.read_text()
    assert git(bare, "branch") == ""


def test_run_hook_pre_push_with_stdin_closed_does_not_hang(tmp_path: Path) -> None:
    """A GUI client may give no stdin at all: no ref lines, nothing to lint, exit 0."""
    probe = probe_repo(tmp_path, "local", {"push": ()}, hooks={"push": '["pre-push"]'})
    proc = subprocess.run(hostlint_argv("run-hook", "pre-push", "origin", "/nowhere"),
                          cwd=probe.root, env=child_env(), capture_output=True, timeout=60,
                          preexec_fn=lambda: os.close(0), check=False)
    assert proc.returncode == 0, proc.stderr
    assert probe.records() == []
    assert proc.stderr == b"hostlint: nothing to lint: no files are pushed\n"


def test_run_hook_pre_push_by_hand_with_ref_lines(tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, "local", {"push": ()}, hooks={"push": '["pre-push"]'})
    commit_files(probe.root, "a.py")
    head = git(probe.root, "rev-parse", "HEAD").strip()
    base = git(probe.root, "rev-parse", "HEAD^").strip()
    lines = f"refs/heads/main {head} refs/heads/main {base}\n(delete) {ZERO} refs/heads/x {head}\n"
    proc = subprocess.run(hostlint_argv("run-hook", "pre-push", "up", "ssh://h/r"),
                          cwd=probe.root, env=child_env(), input=lines.encode(),
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    [record] = probe.records()
    assert args_of(record) == ["a.py"] and bytes.fromhex(record["stdin"]) == lines.encode()
    assert record["env"]["HOSTLINT_REMOTE_URL"] == "ssh://h/r"


def _framework_env(**remote: str) -> dict[str, str]:
    env = {k: v for k, v in child_env().items() if not k.startswith("PRE_COMMIT")}
    return {**env, **remote}


def test_run_hook_pre_push_files_as_the_frameworks_pass_them(where: str, tmp_path: Path) -> None:
    """pre-commit and prek read git's ref lines themselves and pass the files: the linter
    gets those files, the remote from their variables under hostlint's names (also on the
    target), and no stdin, whatever stdin holds."""
    probe = probe_repo(tmp_path, where, {"push": ()}, hooks={"push": '["pre-push"]'})
    commit_files(probe.root, "a.py", "sub/b.py")
    env = _framework_env(PRE_COMMIT_REMOTE_NAME="up", PRE_COMMIT_REMOTE_URL="ssh://h/r 'q'",
                         PRE_COMMIT_FROM_REF="x", PRE_COMMIT_TO_REF="y")
    argv = hostlint_argv("run-hook", "pre-push", "--files", "--", "../a.py", "b.py")
    proc = subprocess.run(argv, cwd=probe.root / "sub", env=env, input=b"not a ref line\n",
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    [record] = probe.records()
    assert args_of(record) == ["a.py", "sub/b.py"]  # relative to where it ran, as `check`
    assert record["stdin"] == ""
    assert remote_of(record) == {"HOSTLINT_REMOTE_NAME": "up", "HOSTLINT_REMOTE_URL": "ssh://h/r 'q'"}


def test_run_hook_pre_push_files_without_a_remote(tmp_path: Path) -> None:
    """`pre-commit run --hook-stage pre-push` sets no remote variables: neither does hostlint."""
    probe = probe_repo(tmp_path, "local", {"push": ()}, hooks={"push": '["pre-push"]'})
    commit_files(probe.root, "a.py")
    proc = subprocess.run(hostlint_argv("run-hook", "pre-push", "--files", "a.py"),
                          cwd=probe.root, env=_framework_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    [record] = probe.records()
    assert args_of(record) == ["a.py"] and remote_of(record) == {}


def test_run_hook_files_is_for_pre_push_only(tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, "local", {"msg": ()}, hooks={"msg": '["commit-msg"]'})
    result = hostlint("run-hook", "commit-msg", "--files", "pyproject.toml", cwd=probe.root)
    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "--files is for pre-push, not commit-msg" in result.stderr
    assert probe.records() == []


def test_run_hook_refuses_an_unknown_hook_type(tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, "local", {"push": ()}, hooks={"push": '["pre-push"]'})
    result = hostlint("run-hook", "post-commit", cwd=probe.root)
    assert result.code == 2 and "post-commit" in result.stderr


#: The typer app itself, which ran every ``run-hook`` before ``__main__`` took plain options.
TYPER_APP = (sys.executable, "-c", "import sys; from hostlint.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize("args, code", [
    (("run-hook", "commit-msg", "MSG"), 1),
    (("-v", "run-hook", "--color=never", "commit-msg", "--target", "local", "--", "MSG"), 1),
    (("run-hook", "pre-push", "--files", "--", "a.py", "pyproject.toml"), 0),
    (("--verbose", "run-hook", "pre-push", "--target=local", "--files", "a.py", "--files"), 0),
    (("run-hook", "pre-push", "up", "ssh://h/r"), 0),
    (("run-hook", "commit-msg", "--files", "pyproject.toml"), 2),
    (("run-hook", "post-commit"), 2),
    (("run-hook", "commit-msg", "nowhere/msg"), 2),
    (("run-hook", "commit-msg", "--color", "rainbow", "MSG"), 2),
    (("run-hook", "--target", "nowhere", "commit-msg", "MSG"), 2),
    (("run-hook", "pre-push", "--target"), 2),
    (("run-hook",), 2),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v))
def test_run_hook_behaves_as_the_typer_command(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    """``python -m hostlint run-hook`` with plain options skips typer: each form gives the
    exit code, output, error lines and linter runs the typer command gives."""
    probe = probe_repo(tmp_path, "local", {"msg": ("--reject", "WIP"), "push": ()},
                       hooks={"msg": '["commit-msg"]', "push": '["pre-push"]'})
    commit_files(probe.root, "a.py")
    (tmp_path / "msg").write_bytes(b"WIP\n")
    argv = [str(tmp_path / "msg") if arg == "MSG" else arg for arg in args]

    def outcome(entry: Sequence[str]) -> tuple[int, bytes, bytes, list[dict[str, Any]]]:
        probe.log.unlink(missing_ok=True)
        proc = subprocess.run([*entry, *argv], cwd=probe.root, env=child_env(), input=b"",
                              capture_output=True, timeout=60, check=False)
        records = [{**r, "args": [a if not os.path.isabs(os.fsdecode(bytes.fromhex(a))) else "/"
                                  for a in r["args"]]} for r in probe.records()]
        return proc.returncode, proc.stdout, proc.stderr, records

    lean = outcome(hostlint_argv())
    assert lean[0] == code, lean
    assert lean == outcome(TYPER_APP)


def test_pre_merge_commit_runs_the_pre_commit_linters_and_its_own(tmp_path: Path) -> None:
    probe = probe_repo(tmp_path, "local", {"lint": (), "merges": (), "push": ()},
                       hooks={"lint": '["pre-commit"]', "merges": '["pre-merge-commit"]',
                              "push": '["pre-push"]'})
    git(probe.root, "checkout", "-q", "-b", "feature")
    commit_files(probe.root, "f.py")
    git(probe.root, "checkout", "-q", "main")
    commit_files(probe.root, "m.py")
    probe.install("pre-merge-commit")
    out = tmp_path / "out"
    code = run_detached(["git", "merge", "-q", "--no-ff", "-m", "merge", "feature"],
                        cwd=probe.root, out=out)
    assert code == 0, out.read_text()
    assert [args_of(r) for r in probe.records()] == [["f.py"], ["f.py"]]
