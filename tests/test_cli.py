"""Small CLI promises: --version, --timings, the status line when connecting is slow."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from hostlint.cli import main
from hostlint.environment import Environment
from tests.sshd import SshdFactory
from tests.utils import hostlint, linter_config, make_repo, toml_string


def test_version_names_hostlint_python_and_paramiko(tmp_path: Path) -> None:
    result = hostlint("--version", cwd=tmp_path)
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == ["hostlint", "Python", "paramiko"]


def test_timings_prints_detect_connect_lint_total(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py"])
    result = hostlint("check", "--timings", cwd=root)
    assert re.fullmatch(r"hostlint: timings: detect \d+\.\d{3}s, connect \d+\.\d{3}s, "
                        r"lint \d+\.\d{3}s, total \d+\.\d{3}s\n", result.stderr), result.stderr


class TtyStderr(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_slow_connection_shows_one_status_line_on_a_terminal(
        tmp_path: Path, sshd_factory: SshdFactory, ssh_home: Path) -> None:
    server = sshd_factory()
    server.write_client_home(ssh_home)  # the alias now names this server
    server.freeze()  # accepts TCP, never answers: connecting takes the whole timeout
    config = linter_config("true", target='"ssh"', connect_timeout="2")
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(tmp_path))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    stderr = TtyStderr()
    env = Environment(stdout=io.BytesIO(), stderr=stderr, cwd=root, environ=dict(os.environ))
    assert main(["check"], env=env) == 3
    lines = stderr.getvalue().splitlines()
    assert lines[0] == "hostlint: connecting to hostlint-test..."
    assert len(lines) == 2  # then the one error line


def test_no_status_line_off_a_terminal(tmp_path: Path, sshd_factory: SshdFactory,
                                       ssh_home: Path) -> None:
    server = sshd_factory()
    server.write_client_home(ssh_home)
    server.freeze()
    config = linter_config("true", target='"ssh"', connect_timeout="1")
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(tmp_path))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 3 and len(result.stderr.splitlines()) == 1
