"""On an SSH target: the status line names the host and root; a wrong root is one line about
the SSH settings (no remote `cd` noise, no Vagrant advice); 127 is explained for sshd's shell."""

from __future__ import annotations

import os
from pathlib import Path

from tests.keepers import keeper_dirs, keeper_pids
from tests.ssh_helpers import ssh_config, ssh_repo
from tests.sshd import ALIAS
from tests.utils import hostlint, make_repo, stage


def test_on_a_terminal_one_line_names_the_host_and_root(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "true", "a.py")
    for _ in range(2):  # connected directly, then through the warm connection's keeper
        result = hostlint("check", cwd=root, tty=True)
        assert result.code == 0, result.stderr
        assert result.stderr == f"hostlint: 1 file → ssh {ALIAS}:{root}\n"
    assert keeper_pids(keeper_dirs(dict(os.environ)))  # the second check could use one


def test_a_wrong_root_is_one_line_about_the_ssh_root(ssh_home: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    missing = tmp_path / "no such dir"
    config = ssh_config(None, root=missing).replace(
        'target = "ssh"\n', 'target = "ssh"\n[tool.hostlint.linters.a]\ncommand = "true"\n'
        '[tool.hostlint.linters.b]\ncommand = "true"\n')
    make_repo(root, config)
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert result.stdout == b""  # neither the remote shell's `cd` complaint nor empty blocks
    assert result.stderr.count("\n") == 1
    assert f"has no directory {missing} to run the linters in" in result.stderr
    assert result.stderr.endswith("; check [tool.hostlint.ssh] root\n")
    assert "Vagrant" not in result.stderr


def test_command_not_found_is_explained_for_sshds_shell(ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "hostlint-no-such-linter", "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        f"hostlint: hostlint-no-such-linter: command not found on ssh {ALIAS}:{root} (exit 127); "
        f"check `command` and the PATH of the remote account's shell on {ALIAS} (sshd runs the "
        "command with `$SHELL -c`, not as a login shell: ~/.profile is not read)")
