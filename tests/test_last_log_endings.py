"""How a run ended is in .git/hostlint/last.log too, whatever the ending: linters cancelled
by a signal, or nothing to lint (GUI clients show hook output badly or not at all)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.utils import child_env, hostlint_argv, linter, linter_config, make_repo


def test_cancelled_linters_are_named_in_the_log(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("slow.py")), staged=["a.py"])
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env(),
                            start_new_session=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    log = (root / ".git" / "hostlint" / "last.log").read_text()
    assert log.startswith("pid ") and "ready\n" in log
    assert log.endswith("hostlint: interrupted (SIGINT): linters stopped\n")
