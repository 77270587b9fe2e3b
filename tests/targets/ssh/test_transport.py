"""What hostlint/targets/ssh/transport.py adds to paramiko, seen through a real sshd: a
remote death by signal is reported as that signal (paramiko ignores ``exit-signal``)."""

from __future__ import annotations

import re
from pathlib import Path

from hostlint.config import command_name
from tests.ssh_helpers import ssh_config
from tests.utils import PYTHON, hostlint, make_repo, stage, toml_string


def test_a_remote_death_by_signal_is_a_failure_naming_the_signal(ssh_home: Path, tmp_path: Path) -> None:
    killer = f"{PYTHON} -c 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'"
    root = tmp_path / "repo"
    config = ssh_config(None, root=root) + (
        f"[tool.hostlint.linters.killed]\ncommand = {toml_string(killer)}\n"
        "[tool.hostlint.linters.fine]\ncommand = \"true\"\n")
    make_repo(root, config)
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert re.search(r"killed\s+failed \(killed by SIGKILL\)", result.out), result.out


def test_a_single_remote_linter_killed_by_a_signal_is_named_in_one_line(ssh_home: Path,
                                                                        tmp_path: Path) -> None:
    """kill -9 of the linter on the target: no shell is left to print "Killed", the session's
    exit-signal is all there is."""
    killer = f"{PYTHON} -c 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'"
    root = make_repo(tmp_path / "repo", ssh_config(killer, root=tmp_path / "repo"))
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    lines = [line for line in result.stderr.splitlines()
             if line.startswith(f"hostlint: {command_name(killer)}: killed by SIGKILL on ssh ")]
    assert len(lines) == 1, result.stderr
