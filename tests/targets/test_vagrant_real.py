"""The Vagrant target against the real Vagrant CLI: Debian's Vagrant with its docker provider
on the session's private engine (tests/vagrant_real.py). Each test makes its repository in
the project's synced folder (``/srv/proj/<test>`` in the guest). Tests that halt or destroy
the machine are grouped so the machine changes state as rarely as possible."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.sshd import SshdFactory
from tests.utils import HOSTILE, NON_UTF8, Result, git, hostlint, hostlint_argv, run_detached
from tests.vagrant_real import GUEST_ROOT, VagrantCalls, VagrantProject

pytestmark = pytest.mark.timeout(300)

#: The project's lint-all: says where it runs and what it got, then execs the forking runner
#: (children that print and exit without flushing).
LINT_ALL = """\
import os, sys
print("cwd", os.getcwd())
print("user", os.environ.get("USER") or os.getuid())
print("host", open("/etc/hostname").read().strip())
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
    container = vagrant_machine.container()
    assert container and f"host {container[:12]}\n".encode() in output
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


# --- Halted, destroyed, brought back (in this order: the machine changes state rarely) -----

STOPPED = "vagrant machine 'default' is stopped: run `vagrant up`"


def test_halted_with_a_warm_cache_is_exit_3_run_vagrant_up(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "halted-warm")
    assert check(repo).code == 0
    vagrant_machine.halted()
    vagrant_calls.clear()
    result = check(repo)
    assert (result.code, result.stdout, result.stderr) == (3, b"", f"hostlint: {STOPPED}\n")
    assert vagrant_calls.calls() == [["status", "--machine-readable", "default"]]


def test_halted_with_a_cold_cache_is_exit_3_run_vagrant_up(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.halted()
    repo = lint_all_repo(vagrant_machine, "halted-cold")
    result = check(repo)
    assert (result.code, result.stdout, result.stderr) == (3, b"", f"hostlint: {STOPPED}\n")
    assert [call[0] for call in vagrant_calls.calls()] == ["ssh-config", "status"]


@pytest.mark.parametrize("policy", ["skip", "local"])
def test_halted_with_on_unavailable(vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls,
                                    policy: str) -> None:
    vagrant_machine.halted()
    repo = lint_all_repo(vagrant_machine, f"halted-{policy}",
                         CONFIG + f'on_unavailable = "{policy}"\n')
    result = check(repo)
    assert result.code == 0, result.stderr
    assert STOPPED in result.stderr
    if policy == "skip":
        assert result.stdout == b"" and "skipped" in result.stderr
    else:  # the host has python3 too: lint-all runs in the repository on the host
        assert f"cwd {repo}\n".encode() in result.stdout
        assert forking_output_whole(result.stdout)


def test_up_after_halt_the_next_check_works_asking_vagrant_once(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.halted()
    repo = lint_all_repo(vagrant_machine, "up-after-halt")
    assert check(repo).code == 3  # and the cache holds nothing
    vagrant_machine.vagrant("up")
    vagrant_calls.clear()
    result = check(repo)
    assert result.code == 0, result.stderr
    assert forking_output_whole(result.stdout)
    assert vagrant_calls.calls() == [["ssh-config", "default"]]


def test_reload_after_halt_the_next_check_works_asking_vagrant_once(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "reload")
    assert check(repo).code == 0
    vagrant_machine.halted()
    assert check(repo).code == 3
    vagrant_machine.vagrant("reload")
    vagrant_calls.clear()
    result = check(repo)
    assert result.code == 0, result.stderr
    assert vagrant_calls.calls() == [["ssh-config", "default"]]


def test_a_server_on_the_halted_guests_port_is_not_trusted(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls,
        sshd_factory: SshdFactory) -> None:
    """Vagrant's settings say StrictHostKeyChecking no; the key learnt on the cold path is
    pinned, so another sshd on the forwarded port of a halted guest gets nothing."""
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "impostor")
    (repo / "secret name.py").write_text("x = 1\n")
    git(repo, "add", "secret name.py")
    assert check(repo).code == 0
    port = vagrant_machine.port()
    vagrant_machine.halted()
    impostor = sshd_factory(port=port)
    vagrant_calls.clear()
    result = check(repo)
    assert (result.code, result.stdout) == (3, b"")
    assert result.stderr == (f"hostlint: {STOPPED} (another SSH server answers on 127.0.0.1:"
                             f"{port}, with a different host key; nothing was sent to it)\n")
    log = impostor.log()
    assert "Connection" in log  # it was reached, and refused before authentication:
    assert not any(word in log for word in ("Accepted", "Failed", "Invalid user", "session"))
    assert vagrant_calls.calls() == [["status", "--machine-readable", "default"]]


def test_destroyed_is_the_not_created_message(vagrant_machine: VagrantProject,
                                              vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.destroyed()
    repo = lint_all_repo(vagrant_machine, "destroyed")
    result = check(repo)
    assert (result.code, result.stdout) == (3, b"")
    assert result.stderr == ("hostlint: vagrant machine 'default' is not created: "
                             "run `vagrant up` to create it\n")
    assert vagrant_calls.calls() == []  # the record says so: no need to ask
    assert "machines: default (docker, not created)" in hostlint("detect", cwd=repo).out


def test_destroy_and_up_new_container_and_port_the_next_check_asks_vagrant_once(
        vagrant_machine: VagrantProject, vagrant_calls: VagrantCalls) -> None:
    vagrant_machine.running()
    repo = lint_all_repo(vagrant_machine, "recreated")
    assert check(repo).code == 0
    old_container, old_port = vagrant_machine.container(), vagrant_machine.port()
    vagrant_machine.destroyed()
    with socket.socket() as holder:  # the old port is taken: Vagrant's auto_correct moves it
        holder.bind(("127.0.0.1", old_port))
        holder.listen()
        vagrant_machine.vagrant("up")
    assert vagrant_machine.container() != old_container
    assert vagrant_machine.port() != old_port
    vagrant_calls.clear()
    result = check(repo)
    assert result.code == 0, result.stderr
    assert forking_output_whole(result.stdout)
    assert vagrant_calls.calls() == [["ssh-config", "default"]]


# --- Two machines in one Vagrantfile -------------------------------------------------------


def test_multi_machine_the_configured_machine_is_used(vagrant_pair: VagrantProject,
                                                      vagrant_calls: VagrantCalls) -> None:
    vagrant_pair.running()
    repo = lint_all_repo(vagrant_pair, "choose", CONFIG + '[tool.hostlint.vagrant]\nmachine = "db"\n')
    result = check(repo)
    assert result.code == 0, result.stderr
    db = vagrant_pair.container("db")
    assert db and f"host {db[:12]}\n".encode() in result.stdout
    assert vagrant_calls.calls() == [["ssh-config", "db"]]


def test_multi_machine_detect_explains(vagrant_pair: VagrantProject,
                                       vagrant_calls: VagrantCalls) -> None:
    repo = lint_all_repo(vagrant_pair, "explain", CONFIG + '[tool.hostlint.vagrant]\nmachine = "web"\n')
    out = hostlint("detect", cwd=repo).out
    assert out.startswith("target: vagrant\n")
    assert "machines: db (docker), web (docker)" in out
    assert "machine: web" in out and f"guest root: {GUEST_ROOT}/explain" in out
    assert vagrant_calls.calls() == []


def test_multi_machine_unchosen_is_exit_2_naming_them(vagrant_pair: VagrantProject,
                                                      vagrant_calls: VagrantCalls) -> None:
    repo = lint_all_repo(vagrant_pair, "unchosen")
    result = check(repo)
    assert (result.code, result.stdout) == (2, b"")
    assert f"the Vagrant project {vagrant_pair.root} has several machines: db, web" in result.stderr
    assert 'machine = "NAME"' in result.stderr
    assert vagrant_calls.calls() == []
