"""The local target puts the project's virtualenv's ``bin`` first on the linter's PATH (as
pre-commit does for its hook environments), so a lint runner started from a GUI client,
whose PATH is minimal, finds the tools installed beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hostlint.targets.local import venv_bins
from tests.utils import hostlint, linter_config, make_repo

GUI_PATH = "/usr/bin:/bin"
LINT = "import subprocess, sys\nsys.exit(subprocess.run(['venvtool', *sys.argv[1:]]).returncode)\n"


def project(tmp_path: Path, command: str) -> Path:
    """A repository with a virtualenv in .venv holding `venvtool` (nowhere else), and a lint
    runner that calls that tool by name."""
    root = make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    tool = root / ".venv" / "bin" / "venvtool"
    tool.write_text('#!/bin/sh\necho "venvtool ran on $*"\n')
    tool.chmod(0o755)
    (root / "tools").mkdir()
    (root / "tools" / "lint").write_text(LINT)
    return root


def gui_environ(**extra: str) -> dict[str, str]:
    return {"PATH": GUI_PATH, "HOME": os.environ["HOME"], **extra}


def test_the_commands_own_virtualenv_leads_path_in_a_gui_client(tmp_path: Path) -> None:
    root = project(tmp_path, ".venv/bin/python tools/lint")
    result = hostlint("check", cwd=root, environ=gui_environ())
    assert (result.code, result.out) == (0, "venvtool ran on a.py\n"), result.stderr


def test_the_active_virtualenv_leads_path(tmp_path: Path) -> None:
    root = project(tmp_path, "python3 tools/lint")
    result = hostlint("check", cwd=root, environ=gui_environ(VIRTUAL_ENV=str(root / ".venv")))
    assert (result.code, result.out) == (0, "venvtool ran on a.py\n"), result.stderr


def test_which_virtualenvs_lead_and_in_what_order(tmp_path: Path) -> None:
    venv = tmp_path / "repo" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    root = str(tmp_path / "repo")
    active = {"VIRTUAL_ENV": "/active"}
    own_inside, own_elsewhere = (str(venv), "/usr"), ("/opt/pipx/venvs/hostlint", "/usr")
    assert venv_bins(".venv/bin/python tools/lint", root, active, own_inside) == [
        str(venv / "bin"), "/active/bin"]
    assert venv_bins("tools/lint", root, {}, own_inside) == [str(venv / "bin")]
    # hostlint installed by a tool manager (pipx, uv tool) is not the project's environment
    assert venv_bins("tools/lint", root, {}, own_elsewhere) == []
    assert venv_bins("ruff check", root, {}, (sys.base_prefix, sys.base_prefix)) == []
