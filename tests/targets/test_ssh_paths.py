"""Remote paths shown as the host sees them: `/guest/root/pkg/x.py:3:1` becomes
`pkg/x.py:3:1`, also when the path straddles two reads."""

from __future__ import annotations

import os
import pwd
import shlex
from pathlib import Path

from tests.sshd import SshServer
from tests.utils import hostlint, linter, linter_config, make_repo, toml_string


def _repo(tmp_path: Path, remote_root: Path) -> Path:
    remote_root.mkdir(parents=True)
    config = linter_config(linter("split_path.py", str(remote_root)), target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(remote_root))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    return root


def test_remote_paths_are_repository_relative_across_reads(tmp_path: Path, ssh_home: Path,
                                                           sshd: SshServer) -> None:
    root = _repo(tmp_path, tmp_path / "guest" / "root")
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert result.out == "pkg/x.py:3:1: E999 syntax error\n"
    assert (root / ".git" / "hostlint" / "last.log").read_text() == result.out


def test_no_map_paths_keeps_them(tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    remote = tmp_path / "guest" / "root"
    root = _repo(tmp_path, remote)
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert result.out == f"{remote}/pkg/x.py:3:1: E999 syntax error\n"


def test_a_root_under_the_remote_home_is_mapped_by_its_expanded_path(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    remote = tmp_path / "guest" / "home root"
    remote.mkdir(parents=True)
    home = Path(pwd.getpwnam(sshd.user).pw_dir)
    relative = os.path.relpath(remote, home)  # "~/../tmp/..." reaches it from the remote home
    config = linter_config("""printf '%s/pkg/x.py:3:1: E999\\n' "$(pwd -P)"; false""",
                           target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string("~/" + relative)}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "pkg/x.py:3:1: E999\n"), result.stderr


def test_a_name_passed_as_dot_slash_is_mapped_to_that_host_path(
        tmp_path: Path, ssh_home: Path, sshd: SshServer) -> None:
    """``-x.py`` reaches the linter as ``./-x.py``; a remote linter printing it under the root
    (`/root/./-x.py:1:1`) shows `./-x.py:1:1`, a path relative to the repository on the host."""
    remote = tmp_path / "guest" / "root"
    remote.mkdir(parents=True)
    script = """printf '%s/%s:1:1: E999\\n' "$(pwd -P)" "$1"; exit 1"""
    config = linter_config(f"sh -c {shlex.quote(script)} sh", target='"ssh"')
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(remote))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["-x.py"])
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "./-x.py:1:1: E999\n"), result.stderr
