"""The connection (hostlint/targets/ssh/connection.py): one per check, shared by the
linters, queueing beyond MaxSessions, and lost (exit 3, output kept) when the server dies
or stops answering keepalives."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ssh_helpers import accepted, popen_check, read_ready, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import barrier_config, hostlint, linter, linters_config, make_repo, spans, stage, toml_string


def test_sshd_killed_mid_output_is_3_keeping_the_output(private: Callable[..., SshServer],
                                                        tmp_path: Path) -> None:
    server = private()
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py")
    proc = popen_check(root)
    read_ready(proc)
    server.kill()
    assert proc.wait(timeout=10) == 3
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read() == b""  # "pid" and "ready" came before, nothing is lost after
    errors = proc.stderr.read().decode()
    assert errors.startswith("hostlint: connection to hostlint-test (") and " lost: " in errors
    assert errors.count("\n") == 1 and "Traceback" not in errors


@pytest.mark.timeout(60)
def test_a_frozen_target_is_lost_within_the_alive_timeout(private: Callable[..., SshServer],
                                                          tmp_path: Path) -> None:
    server = private()
    root = ssh_repo(tmp_path, linter("slow.py"), "a.py", alive_timeout="5")
    proc = popen_check(root)
    read_ready(proc)  # after "ready", the remote .bashrc is done: nothing holds a lock
    server.freeze()
    started = time.monotonic()
    assert proc.wait(timeout=30) == 3
    assert time.monotonic() - started < 10
    assert proc.stderr is not None
    errors = proc.stderr.read().decode()
    assert "lost: no answer for 5 s" in errors and errors.count("\n") == 1


def ssh_linters_repo(tmp_path: Path, config: str) -> Path:
    """A repository whose linters (``config``: tests/utils.py) run over ssh, a.py staged."""
    root = tmp_path / "repo"
    config = config.replace("[tool.hostlint]\n", "[tool.hostlint]\ntarget = \"ssh\"\n", 1)
    config += f'[tool.hostlint.ssh]\nhost = "{ALIAS}"\nroot = {toml_string(str(root))}\n'
    make_repo(root, config)
    stage(root, "a.py")
    return root


def test_several_linters_share_one_connection_and_overlap(private: Callable[..., SshServer],
                                                         tmp_path: Path) -> None:
    server = private()
    root = ssh_linters_repo(tmp_path, barrier_config(tmp_path / "started", "abc"))
    before = accepted(server)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.out  # each waited until all three had started
    for name in "abc":
        assert f"--- {name} ---\n{name} met 2 others files=a.py\n" in result.out
    assert accepted(server) - before == 1


@pytest.mark.timeout(60)
def test_linters_beyond_max_sessions_wait_for_a_channel(private: Callable[..., SshServer],
                                                        tmp_path: Path) -> None:
    server = private(max_sessions=2)
    log = tmp_path / "times.log"
    root = ssh_linters_repo(tmp_path, linters_config(log, {n: (0.6, 0, "*") for n in "abcd"}))
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert set(spans(log)) == set("abcd")
    summary = result.out.split("--- summary ---\n")[1].splitlines()
    assert len(summary) == 4 and all(" passed " in line for line in summary)
    assert "no more sessions" in server.log()  # the limit was reached: some linters waited
    assert accepted(server) == 1
