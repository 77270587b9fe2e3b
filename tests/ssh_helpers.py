"""Helpers for the SSH target's tests (tests/targets/ssh/): repositories configured for the
fixture's sshd (reachable as ``hostlint-test``), checks run as a separate process, and runs
on an ``SshTarget`` built directly."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from hostlint.status import RunResult
from hostlint.targets.base import Cancel, Invocation, run
from hostlint.targets.ssh.connect import connect
from hostlint.targets.ssh.endpoint import Endpoint
from hostlint.targets.ssh.remote import SshTarget
from tests.sshd import ALIAS, SshServer
from tests.utils import Collect, child_env, hostlint_argv, make_repo, stage, toml_string


def ssh_config(command: str | None, *, root: Path, host: str = ALIAS, **top: str) -> str:
    """``[tool.hostlint]`` for the ssh target whose remote root is ``root``."""
    text = "[tool.hostlint]\n"
    if command is not None:
        text += f"command = {toml_string(command)}\n"
    text += 'target = "ssh"\n' + "".join(f"{k} = {v}\n" for k, v in top.items())
    return text + f"[tool.hostlint.ssh]\nhost = {toml_string(host)}\nroot = {toml_string(str(root))}\n"


def ssh_repo(tmp_path: Path, command: str, *files: str, host: str = ALIAS, **top: str) -> Path:
    root = tmp_path / "repo"
    make_repo(root, ssh_config(command, root=root, host=host, **top))
    if files:
        stage(root, *files)
    return root


def marker_repo(tmp_path: Path, **top: str) -> tuple[Path, Path]:
    """A repository whose linter creates a marker file: it exists only if the linter ran."""
    marker = tmp_path / "ran"
    root = ssh_repo(tmp_path, f"touch {marker}", "a.py", **top)
    return root, marker


def popen_check(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env(),
                            start_new_session=True)


def read_ready(proc: subprocess.Popen[bytes]) -> int:
    """The remote slow.py's pid, once it has printed ``ready``."""
    assert proc.stdout is not None
    pid_line = proc.stdout.readline()
    assert proc.stdout.readline() == b"ready\n", pid_line
    return int(pid_line.split()[1])


def accepted(server: SshServer) -> int:
    """How many SSH connections the server has authenticated."""
    return server.log().count("Accepted publickey")


@contextlib.contextmanager
def connected(endpoint: Endpoint, root: Path, *, alive_timeout: float = 30) -> Iterator[SshTarget]:
    """An SshTarget on ``endpoint`` in ``root``, closed afterwards."""
    connection = connect(endpoint, connect_timeout=10, alive_timeout=alive_timeout)
    target = SshTarget(connection, root=str(root))
    try:
        yield target
    finally:
        target.close()


def run_on(target: SshTarget, invocation: Invocation) -> tuple[RunResult, bytes]:
    """One run on ``target``: its result and every byte it wrote."""
    cancel, sink = Cancel(), Collect()
    try:
        return run(target, invocation, sink, cancel), sink.data
    finally:
        cancel.close()
