"""Helpers shared by the container tests (docker and podman)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.utils import hostlint, linter_config, make_repo


def inside(name: str, *args: str) -> str:
    """A shell command running one of tests/linters/ with the container's python3."""
    return " ".join(["python3", f"/linters/{name}", *args])


def devcontainer_labels(root: Path, user: str = "root") -> tuple[str, ...]:
    """The labels the devcontainer CLI puts on a container (see the real-CLI test below)."""
    return ("-l", f"devcontainer.local_folder={root}",
            "-l", f"devcontainer.config_file={root}/.devcontainer/devcontainer.json",
            "-l", f'devcontainer.metadata=[{{"remoteUser":"{user}"}}]')


def assert_unavailable(root: Path, text: str) -> None:
    """``hostlint check`` is exit 3 with one line holding *text*, within 10 s."""
    began = time.monotonic()
    result = hostlint("check", cwd=root)
    assert result.code == 3, (result.out, result.stderr)
    assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert time.monotonic() - began <= 10


def container_repo(tmp_path: Path, command: str, *, staged: tuple[str, ...] = ("a.py",),
                   table: str = "", devcontainer: bool = True) -> Path:
    """A repository whose linter is ``command`` (``table``: more configuration), with a
    ``.devcontainer.json`` unless told otherwise."""
    root = make_repo(tmp_path / "repo", linter_config(command) + table, staged=staged)
    if devcontainer:
        (root / ".devcontainer.json").write_text('{"image": "x"}\n')
    return root


def live(ps_output: str) -> list[str]:
    """The lines of ``ps -eo stat=,args=`` naming live processes (zombies left out)."""
    return [line for line in ps_output.splitlines()
            if line.strip() and not line.lstrip().startswith("Z")]
