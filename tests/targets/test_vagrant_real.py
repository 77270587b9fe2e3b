"""The Vagrant target against the real Vagrant CLI: Debian's Vagrant with its docker provider
on the session's private engine (tests/vagrant_real.py). Each test makes its repository in
the project's synced folder (``/srv/proj/<test>`` in the guest). Tests that halt or destroy
the machine are grouped so the machine changes state as rarely as possible."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from tests.utils import HOSTILE, NON_UTF8, Result, git, hostlint, hostlint_argv, run_detached
from tests.vagrant_real import GUEST_ROOT, VagrantCalls, VagrantProject

pytestmark = pytest.mark.timeout(300)

#: The project's lint-all: says where it runs and what it got, then execs the forking runner
#: (children that print and exit without flushing).
LINT_ALL = """\
import os, sys
print("cwd", os.getcwd())
print("user", os.environ.get("USER") or os.getuid())
for arg in sys.argv[1:]:
    print("arg", repr(os.fsencode(arg)))
sys.stdout.flush()
runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forking_runner.py")
os.execv(sys.executable, [sys.executable, runner])
"""
FORKING_RUNNER = Path(__file__).resolve().parents[1] / "linters" / "forking_runner.py"
CONFIG = '[tool.hostlint]\ncommand = "python3 tools/lint_all.py"\nconnect_timeout = 5\n'


def lint_all_repo(project: VagrantProject, name: str, config: str = CONFIG) -> Path:
    repo = project.repo(name, config)
    (repo / "tools").mkdir()
    (repo / "tools" / "lint_all.py").write_text(LINT_ALL)
    (repo / "tools" / "forking_runner.py").write_bytes(FORKING_RUNNER.read_bytes())
    git(repo, "add", "tools")
    git(repo, "commit", "-q", "-m", "tools", "--no-verify")
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    return repo


def received(output: bytes) -> list[bytes]:
    """The file names lint_all.py printed, as bytes (``./-x`` shown as ``-x``)."""
    names = []
    for line in output.decode(errors="surrogateescape").splitlines():
        if line.startswith("arg "):
            name = ast.literal_eval(line[4:])
            assert isinstance(name, bytes)
            names.append(name[2:] if name.startswith(b"./-") else name)
    return names


def forking_output_whole(output: bytes) -> bool:
    lines = [f"child {c} line {n}\n".encode() for c in range(3) for n in range(2)]
    return all(output.count(line) == 1 for line in lines) and b"runner done\n" in output


def gui_commit(repo: Path, out: Path, calls: VagrantCalls) -> int:
    """``git commit`` as a GUI client runs it: no terminal, stdin closed, a minimal
    environment (the counting wrapper first on PATH; the engine and Vagrant home stand in
    for the user's defaults)."""
    keep = {k: os.environ[k] for k in ("HOME", "DOCKER_HOST", "VAGRANT_HOME",
                                       "VAGRANT_CHECKPOINT_DISABLE") if k in os.environ}
    argv = ["env", "-i", f"PATH={calls.bin_dir}:/usr/bin:/bin",
            *(f"{k}={v}" for k, v in keep.items()),
            "git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
            "commit", "-q", "-m", "change"]
    return run_detached(argv, cwd=repo, out=out, env={}, timeout=120)


def check(repo: Path) -> Result:
    return hostlint("check", cwd=repo)


# --- A running machine ---------------------------------------------------------------------


def test_commit_through_the_hook_runs_lint_all_in_the_synced_folder_with_every_line(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls, tmp_path: Path) -> None:
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "commit")
    names = [*HOSTILE, NON_UTF8]
    for name in names:
        (repo / name).write_bytes(b"x = 1\n")
    git(repo, "add", "--", *names)
    subprocess.run(hostlint_argv("install"), cwd=repo, check=True, capture_output=True)
    out = tmp_path / "out"
    assert gui_commit(repo, out, vagrant_calls) == 0, out.read_bytes()
    output = out.read_bytes()
    assert f"cwd {GUEST_ROOT}/commit\nuser vagrant\n".encode() in output
    assert sorted(received(output)) == sorted([b"app.py", *map(os.fsencode, names)])
    assert forking_output_whole(output) and b"\r" not in output
    assert not list(repo.glob("PWNED*")) and "change" in git(repo, "log", "-1", "--format=%s")
    assert vagrant_calls.calls() == [["ssh-config", "default"]]


def test_warm_commits_call_vagrant_zero_times(vagrant_machine: VagrantProject,
                                              vagrant_calls: VagrantCalls, tmp_path: Path) -> None:
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "warm")
    subprocess.run(hostlint_argv("install"), cwd=repo, check=True, capture_output=True)
    assert check(repo).code == 0  # the cold check asks `vagrant ssh-config` once
    vagrant_calls.clear()
    for number in range(3):
        (repo / f"m{number}.py").write_text("x = 1\n")
        git(repo, "add", f"m{number}.py")
        out = tmp_path / f"out{number}"
        assert gui_commit(repo, out, vagrant_calls) == 0, out.read_bytes()
        assert forking_output_whole(out.read_bytes())
    assert vagrant_calls.calls() == []
