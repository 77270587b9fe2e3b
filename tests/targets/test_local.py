"""The local target (targets/local.py): a linter does not outlive hostlint."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.utils import (
    child_env,
    hostlint,
    hostlint_argv,
    linter,
    linter_config,
    make_repo,
    none_running_within,
    processes_running,
)


def test_kill_9_of_hostlint_takes_the_linter_and_its_children_along(tmp_path: Path) -> None:
    """The linter has its own session and no controlling terminal, so nothing the kernel
    does on hostlint's death reaches it; hostlint's watchdog does. The next check removes
    the partial log the killed run left."""
    marker = tmp_path / "stubborn"
    root = make_repo(tmp_path / "repo", linter_config(linter("stubborn.py", str(marker))),
                     staged=["a.py"])
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=child_env(), start_new_session=True)
    assert proc.stdout is not None
    linter_pid = int(proc.stdout.readline().split()[1])
    assert proc.stdout.readline() == b"ready\n"
    running = processes_running(str(marker))
    assert linter_pid in running and len(running) >= 2  # the linter and its child
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert none_running_within(str(marker), 5)
    partial = root / ".git" / "hostlint" / f"last.log.{proc.pid}.partial"
    assert partial.exists()
    (root / "pyproject.toml").write_text(linter_config("true"))
    assert hostlint("check", cwd=root).code == 0
    assert not partial.exists()


def test_a_linter_dies_of_a_closed_pipe_as_under_a_shell(tmp_path: Path) -> None:
    """Python ignores SIGPIPE; the linter gets it back at its default, as a shell would give
    it: ``yes | head -n 1`` ends quietly instead of ``yes`` complaining of a broken pipe."""
    root = make_repo(tmp_path / "repo", linter_config("yes | head -n 1; true",
                                                      pass_filenames="false"), staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert (result.code, result.stdout) == (0, b"y\n")


def test_a_linter_holds_no_descriptor_hostlint_inherited(tmp_path: Path) -> None:
    """A descriptor git (or a GUI client) left open for the hook is not passed on to the
    linter, nor to a daemon it starts, which would keep a client waiting for it to close."""
    root = make_repo(tmp_path / "repo", "", staged=["a.py"])
    held = os.open(os.devnull, os.O_RDONLY)
    try:
        (root / "pyproject.toml").write_text(linter_config(
            f"test -e /proc/self/fd/{held} && echo held || echo closed", pass_filenames="false"))
        proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                              stdin=subprocess.DEVNULL, env=child_env(), pass_fds=(held,),
                              timeout=60, check=False)
    finally:
        os.close(held)
    assert (proc.returncode, proc.stdout) == (0, b"closed\n"), proc.stderr
