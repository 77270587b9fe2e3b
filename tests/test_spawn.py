"""How hostlint starts processes (hostlint/spawn.py): what ``subprocess`` did for them, by
``posix_spawn`` from the repository's root (where git runs a hook) and by ``subprocess``
from elsewhere, or where this Python's ``posix_spawn`` cannot start a session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.utils import child_env, hostlint, hostlint_argv, linter_config, make_repo

#: Where ``hostlint check`` runs: the root (``posix_spawn``) or a subdirectory (``subprocess``).
WHERE = pytest.mark.parametrize("subdirectory", ["", "sub"], ids=["from-root", "from-subdirectory"])


def check_in(root: Path, subdirectory: str, *, pass_fds: tuple[int, ...] = (),
             **environ: str) -> subprocess.CompletedProcess[bytes]:
    where = root / subdirectory
    where.mkdir(exist_ok=True)
    return subprocess.run(hostlint_argv("check"), cwd=where, capture_output=True,
                          stdin=subprocess.DEVNULL, env=child_env(**environ), pass_fds=pass_fds,
                          timeout=60, check=False)


@WHERE
def test_a_linter_dies_of_a_closed_pipe_as_under_a_shell(tmp_path: Path, subdirectory: str) -> None:
    """Python ignores SIGPIPE; the linter gets it back at its default, as a shell would give
    it: ``yes | head -n 1`` ends quietly instead of ``yes`` complaining of a broken pipe."""
    root = make_repo(tmp_path / "repo", linter_config("yes | head -n 1; true",
                                                      pass_filenames="false"), staged=["a.py"])
    proc = check_in(root, subdirectory)
    assert (proc.returncode, proc.stdout) == (0, b"y\n"), proc.stderr


@WHERE
def test_a_linter_holds_no_descriptor_hostlint_inherited(tmp_path: Path, subdirectory: str) -> None:
    """A descriptor git (or a GUI client) left open for the hook is not passed on to the
    linter, nor to a daemon it starts, which would keep a client waiting for it to close."""
    root = make_repo(tmp_path / "repo", "", staged=["a.py"])
    held = os.open(os.devnull, os.O_RDONLY)
    try:
        (root / "pyproject.toml").write_text(linter_config(
            f"test -e /proc/self/fd/{held} && echo held || echo closed", pass_filenames="false"))
        proc = check_in(root, subdirectory, pass_fds=(held,))
    finally:
        os.close(held)
    assert (proc.returncode, proc.stdout) == (0, b"closed\n"), proc.stderr


def test_git_gets_the_descriptors_hostlint_inherited(tmp_path: Path) -> None:
    """git's own ``GIT_TRACE=9`` (trace to descriptor 9: git reads 2-9 as descriptors) works
    through hostlint: git, which never outlives hostlint, gets what hostlint inherited."""
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py"])
    trace = tmp_path / "trace"
    proc = subprocess.run(["sh", "-c", 'exec 9>"$0" && exec "$@"', trace, *hostlint_argv("check")],
                          cwd=root, capture_output=True, stdin=subprocess.DEVNULL,
                          env=child_env(GIT_TRACE="9"), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"trace: built-in: git diff --cached" in trace.read_bytes()


def test_without_posix_spawn_sessions_the_linter_still_gets_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python built without ``POSIX_SPAWN_SETSID`` (against glibc older than 2.26, or for
    macOS before 10.15) raises NotImplementedError for ``setsid=True``, before starting
    anything: simulated here, as this machine's Python has it. The linter then starts
    through ``subprocess``, in a session of its own, and the check runs as usual."""
    command = f"{sys.executable} -c 'import os; print(os.getsid(0))'"
    root = make_repo(tmp_path / "repo", linter_config(command, pass_filenames="false"),
                     staged=["a.py"])
    refused: list[list[str]] = []
    real: Callable[..., int] = os.posix_spawn

    def without_setsid(path: str, argv: list[str], env: Any, **kwargs: Any) -> int:
        if kwargs.get("setsid"):
            refused.append(argv)
            raise NotImplementedError("posix_spawn: setsid is unavailable on this platform")
        return real(path, argv, env, **kwargs)

    monkeypatch.chdir(root)  # the root: where posix_spawn is tried first
    monkeypatch.setattr(os, "posix_spawn", without_setsid)
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert [argv[:2] for argv in refused][:1] == [["/bin/sh", "-c"]]  # the linter's start was refused
    assert int(result.stdout) not in (os.getsid(0), 0)
