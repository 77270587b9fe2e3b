"""The Vagrant target, with a fake `vagrant` CLI (2.3/2.4 output formats, checked against
the real one in tests/fakes/VAGRANT_FORMATS.md) that points at the real sshd of tests/sshd.py
and a `.vagrant/machines/...` record as Vagrant writes it.

Why a fake here: test_vagrant_real.py runs the real CLI, but only with the docker provider.
These tests cover what it cannot do on this machine: VirtualBox record paths and state names
(`poweroff`), a slow CLI (the fake sleeps per call, so timing bounds are testable), a guest
whose host key changes, and exact call sequences at a fraction of the real CLI's cost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sshd import SshdFactory, SshServer
from tests.utils import (
    child_env,
    eventually,
    git,
    gone_within,
    hostlint,
    hostlint_argv,
    linter,
    linter_config,
    make_repo,
    run_detached,
)
from tests.vagrant_fixture import FakeVagrant, write_machine_record

Setup = Callable[..., tuple[Path, Path]]


@pytest.fixture
def vagrant_repo(tmp_path: Path, fake_vagrant: FakeVagrant, sshd: SshServer) -> Setup:
    """A Vagrant project whose machine 'default' is the real sshd, and a repository in it
    (at ``subdir``). Returns (repository root, guest root of the project)."""
    def setup(command: str = linter("where.py"), *, subdir: str = "", server: SshServer = sshd,
              config: str = "", machines: tuple[str, ...] = ("default",)) -> tuple[Path, Path]:
        project = tmp_path / "project"
        guest = tmp_path / "guest srv"
        (guest / subdir).mkdir(parents=True, exist_ok=True)
        project.mkdir(exist_ok=True)
        repo = make_repo(project / subdir if subdir else project, linter_config(command) + config)
        for name in machines:
            write_machine_record(project, name, synced_folders={"virtualbox": {str(guest): {
                "guestpath": str(guest), "hostpath": str(project), "disabled": False}}})
            fake_vagrant.set_machine(name, port=server.port, user=server.user,
                                     identity_file=str(server.client_key))
        (repo / "app.py").write_text("x = 1\n")
        git(repo, "add", "app.py")
        return repo, guest
    return setup


def test_auto_detection_runs_the_linter_in_the_synced_folder(vagrant_repo: Setup,
                                                             fake_vagrant: FakeVagrant) -> None:
    repo, guest = vagrant_repo()
    result = hostlint("check", cwd=repo)
    assert result.code == 0, result.stderr
    assert result.out == f"cwd {guest}\nargs ['app.py']\n"
    assert fake_vagrant.calls() == [["ssh-config", "default"]]


def test_the_story_runner_output_arrives_whole(vagrant_repo: Setup, tmp_path: Path) -> None:
    repo, _ = vagrant_repo(linter("forking_runner.py"))
    out = tmp_path / "out"
    assert run_detached(hostlint_argv("check"), cwd=repo, out=out) == 0
    data = out.read_bytes()
    for child in range(3):
        for line in range(2):
            assert f"child {child} line {line}\n".encode() in data
    assert b"\r" not in data


def test_five_warm_checks_make_no_vagrant_call(vagrant_repo: Setup, fake_vagrant: FakeVagrant) -> None:
    repo, _ = vagrant_repo()
    assert hostlint("check", cwd=repo).code == 0
    assert len(fake_vagrant.calls()) == 1
    fake_vagrant.clear_calls()
    for _ in range(5):
        assert hostlint("check", cwd=repo).code == 0
    assert fake_vagrant.calls() == []


def test_cache_file_is_private(vagrant_repo: Setup, isolated: Path) -> None:
    repo, _ = vagrant_repo()
    assert hostlint("check", cwd=repo).code == 0
    (entry,) = (isolated / ".cache" / "hostlint" / "vagrant").glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600


def test_a_new_machine_id_invalidates_the_cache(vagrant_repo: Setup, fake_vagrant: FakeVagrant,
                                                tmp_path: Path) -> None:
    repo, _ = vagrant_repo()
    assert hostlint("check", cwd=repo).code == 0
    fake_vagrant.clear_calls()
    (tmp_path / "project" / ".vagrant" / "machines" / "default" / "virtualbox" / "id").write_text(
        "0f3c6c2e-1111-2222-3333-444455556666")
    assert hostlint("check", cwd=repo).code == 0
    assert fake_vagrant.calls() == [["ssh-config", "default"]]


def test_up_or_reload_rewriting_synced_folders_invalidates_the_cache(
        vagrant_repo: Setup, fake_vagrant: FakeVagrant, tmp_path: Path) -> None:
    repo, _ = vagrant_repo()
    assert hostlint("check", cwd=repo).code == 0
    fake_vagrant.clear_calls()
    record = tmp_path / "project" / ".vagrant" / "machines" / "default" / "virtualbox"
    stat = (record / "synced_folders").stat()
    os.utime(record / "synced_folders", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert hostlint("check", cwd=repo).code == 0
    assert fake_vagrant.calls() == [["ssh-config", "default"]]


def test_powered_off_with_a_cold_cache(vagrant_repo: Setup, fake_vagrant: FakeVagrant) -> None:
    """Answered by Vagrant's state, not by waiting out ``connect_timeout``: that is long here,
    so the bound holds with two (fake) Vagrant CLI starts on a loaded machine."""
    repo, _ = vagrant_repo(config="connect_timeout = 60\n")
    fake_vagrant.set_machine("default", state="poweroff")
    started = time.monotonic()
    result = hostlint("check", cwd=repo)
    assert result.code == 3
    assert result.stderr == "hostlint: vagrant machine 'default' is poweroff: run `vagrant up`\n"
    assert time.monotonic() - started < 30
    assert [call[0] for call in fake_vagrant.calls()] == ["ssh-config", "status"]


@pytest.mark.parametrize("policy", ["fail", "skip", "local"])
def test_powered_off_with_a_warm_cache_after_sshd_is_gone(
        vagrant_repo: Setup, fake_vagrant: FakeVagrant, sshd_factory: SshdFactory,
        policy: str) -> None:
    server = sshd_factory()
    repo, _ = vagrant_repo(server=server, config=f'on_unavailable = "{policy}"\nconnect_timeout = 3\n')
    assert hostlint("check", cwd=repo).code == 0  # warms the cache
    server.stop()
    fake_vagrant.set_machine("default", state="poweroff")
    fake_vagrant.clear_calls()
    started = time.monotonic()
    result = hostlint("check", cwd=repo)
    assert time.monotonic() - started < 6
    assert "vagrant machine 'default' is poweroff: run `vagrant up`" in result.stderr
    assert [call[0] for call in fake_vagrant.calls()] == ["status"]
    if policy == "fail":
        assert (result.code, result.stdout) == (3, b"")
        assert len(result.stderr.splitlines()) == 1
    elif policy == "skip":
        assert (result.code, result.stdout) == (0, b"")
        assert "skipped" in result.stderr
    else:
        assert result.code == 0
        assert result.out == f"cwd {repo}\nargs ['app.py']\n"


def test_virtualenv_means_local_beside_a_vagrant_project(vagrant_repo: Setup,
                                                         fake_vagrant: FakeVagrant) -> None:
    repo, _ = vagrant_repo()
    environ = {**os.environ, "VIRTUAL_ENV": "/opt/venv"}
    result = hostlint("check", cwd=repo, environ=environ)
    assert result.out == f"cwd {repo}\nargs ['app.py']\n"
    assert fake_vagrant.calls() == []
    detect = hostlint("detect", cwd=repo, environ=environ).out
    assert detect.startswith("target: local\n")
    assert "2. inside the dev environment: VIRTUAL_ENV=/opt/venv -> local" in detect


def test_repository_in_a_subdirectory_runs_in_guest_root_plus_subdirectory(
        vagrant_repo: Setup) -> None:
    repo, guest = vagrant_repo(subdir="services/api")
    result = hostlint("check", cwd=repo)
    assert result.code == 0, result.stderr
    assert result.out == f"cwd {guest}/services/api\nargs ['app.py']\n"


def test_several_machines_and_none_configured_is_exit_2(vagrant_repo: Setup) -> None:
    repo, _ = vagrant_repo(machines=("web", "db"))
    result = hostlint("check", cwd=repo)
    assert result.code == 2
    assert "db, web" in result.stderr and 'machine = "NAME"' in result.stderr


def test_configured_machine_among_several(vagrant_repo: Setup, fake_vagrant: FakeVagrant) -> None:
    repo, _guest = vagrant_repo(machines=("web", "db"), config='[tool.hostlint.vagrant]\nmachine = "db"\n')
    result = hostlint("check", cwd=repo)
    assert result.code == 0, result.stderr
    assert fake_vagrant.calls() == [["ssh-config", "db"]]


def test_detect_shows_the_vagrant_rule_and_settings(vagrant_repo: Setup, fake_vagrant: FakeVagrant) -> None:
    repo, guest = vagrant_repo()
    cold = hostlint("detect", cwd=repo).out
    assert cold.startswith("target: vagrant\n")
    assert "machine: default" in cold and "provider: virtualbox" in cold
    assert f"guest root: {guest}" in cold and "not cached" in cold
    assert fake_vagrant.calls() == []  # detect never runs vagrant
    hostlint("check", cwd=repo)
    warm = hostlint("detect", cwd=repo).out
    assert "cached in" in warm and "port:" in warm


def test_vagrant_host_key_policy_never_touches_known_hosts(vagrant_repo: Setup, isolated: Path) -> None:
    repo, _ = vagrant_repo()
    assert hostlint("check", cwd=repo).code == 0
    assert not (isolated / ".ssh" / "known_hosts").exists()




def test_several_machines_do_not_matter_when_rule_2_says_local(vagrant_repo: Setup) -> None:
    repo, _ = vagrant_repo(machines=("web", "db"))
    environ = {**os.environ, "VIRTUAL_ENV": "/opt/venv"}
    assert hostlint("check", cwd=repo, environ=environ).code == 0
    assert hostlint("detect", cwd=repo, environ=environ).out.startswith("target: local\n")


def test_a_repository_outside_the_vagrant_cwd_project_is_exit_2(
        tmp_path: Path, fake_vagrant: FakeVagrant, sshd: SshServer) -> None:
    project = tmp_path / "elsewhere"
    project.mkdir()
    write_machine_record(project, synced_folders={})
    fake_vagrant.set_machine("default", port=sshd.port, user=sshd.user,
                             identity_file=str(sshd.client_key))
    repo = make_repo(tmp_path / "repo", linter_config(linter("where.py")))
    (repo / "a.py").write_text("x\n")
    git(repo, "add", "a.py")
    environ = {**os.environ, "VAGRANT_CWD": str(project)}
    result = hostlint("check", cwd=repo, environ=environ)
    assert result.code == 2, result.stderr
    assert "not inside the Vagrant project" in result.stderr


def test_a_new_host_key_while_vagrant_says_running_asks_vagrant_once_and_pins_it(
        vagrant_repo: Setup, fake_vagrant: FakeVagrant, sshd_factory: SshdFactory) -> None:
    """Fake: a real guest rebuilt from the test image keeps the image's host key."""
    server = sshd_factory()
    repo, _ = vagrant_repo(server=server)
    assert hostlint("check", cwd=repo).code == 0
    port = server.port
    server.stop()
    rebuilt = sshd_factory(port=port)  # a new host key (and inserted key) on the same port
    fake_vagrant.set_machine("default", identity_file=str(rebuilt.client_key))
    fake_vagrant.clear_calls()
    result = hostlint("check", cwd=repo)
    assert result.code == 0, result.stderr
    assert [call[0] for call in fake_vagrant.calls()] == ["status", "ssh-config"]
    fake_vagrant.clear_calls()
    assert hostlint("check", cwd=repo).code == 0
    assert fake_vagrant.calls() == []


def test_a_destroyed_virtualbox_machine_is_not_created_without_asking_vagrant(
        vagrant_repo: Setup, fake_vagrant: FakeVagrant, tmp_path: Path) -> None:
    """Fake: the VirtualBox record layout (`vagrant destroy` deletes `id`, keeps the folder)."""
    repo, _ = vagrant_repo()
    (tmp_path / "project" / ".vagrant" / "machines" / "default" / "virtualbox" / "id").unlink()
    result = hostlint("check", cwd=repo)
    assert (result.code, result.stderr) == (3, "hostlint: vagrant machine 'default' is not created: "
                                               "run `vagrant up` to create it\n")
    assert fake_vagrant.calls() == []


def test_an_rsync_synced_folder_is_named_once_per_check_and_in_detect(
        vagrant_repo: Setup, tmp_path: Path) -> None:
    repo, guest = vagrant_repo()
    write_machine_record(tmp_path / "project", synced_folders={"rsync": {str(guest): {
        "guestpath": str(guest), "hostpath": str(tmp_path / "project"), "disabled": False}}})
    on_terminal = hostlint("check", cwd=repo, tty=True)
    assert on_terminal.code == 0, on_terminal.stderr
    assert on_terminal.stderr.count(f"the synced folder {guest} is of type rsync") == 1
    assert "rsync" not in hostlint("check", cwd=repo).stderr  # no terminal: no warning
    assert f"synced folder: the synced folder {guest} is of type rsync" in \
        hostlint("detect", cwd=repo).out


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_while_the_vagrant_cli_runs_stops_it_and_exits_with_its_code(
        vagrant_repo: Setup, fake_vagrant: FakeVagrant, signum: int, code: int) -> None:
    repo, _ = vagrant_repo()
    fake_vagrant.set_delay(60)  # `vagrant ssh-config` on a cold cache, taking its time
    proc = subprocess.Popen(hostlint_argv("check"), cwd=repo, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(),
                            start_new_session=True)
    try:
        assert eventually(lambda: bool(fake_vagrant.call_records()), 30)
        vagrant_pid = fake_vagrant.call_records()[0]["pid"]
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == code
        assert gone_within(vagrant_pid, 3)
        _, err = proc.communicate()
        assert err.decode().splitlines() == [f"hostlint: interrupted ({signal.Signals(signum).name}): "
                                             "linters stopped"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_commit_msg_through_vagrant_reads_the_message_in_the_guest(
        vagrant_repo: Setup, tmp_path: Path) -> None:
    """Zulip's gitlint set-up: the commit-msg linter runs in the guest, which has no .git."""
    log = tmp_path / "probe.log"
    repo, guest = vagrant_repo(linter("hook_probe.py", str(log), "--reject", "WIP"),
                               config='hooks = ["commit-msg"]\n')
    assert hostlint("install", "--hook-type", "commit-msg", cwd=repo).code == 0
    out = tmp_path / "out"
    assert run_detached(["git", "commit", "-q", "-m", "WIP \xe9 $(x)"], cwd=repo, out=out) == 1
    assert "message rejected: it contains WIP" in out.read_text()
    assert run_detached(["git", "commit", "-q", "-m", "Good \xe9 $(x)"], cwd=repo, out=out) == 0, \
        out.read_text()
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["cwd"] == str(guest) and not (guest / ".git").exists()
    assert bytes.fromhex(last["stdin"]) == bytes.fromhex(last["file"]) == "Good \xe9 $(x)\n".encode()
