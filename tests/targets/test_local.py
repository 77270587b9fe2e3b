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

