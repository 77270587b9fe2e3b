"""Helpers for the git hooks beyond pre-commit (tests/test_stages.py): repositories whose
linters are tests/linters/hook_probe.py on the local or the SSH target, what the probe
logged, commits and pushes the way a GUI client runs them (no terminal, stdin closed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.utils import child_env, git, linter, make_repo, run_detached, toml_string

#: A message with everything a shell or a pty would change: non-UTF-8 bytes, `$(...)`,
#: quotes, a tab, control characters (^C, ^D, ^Z, ^\, DEL), about 1 MB of it.
HOSTILE_MESSAGE = (b"title $(touch PWNED) `id` 'single' \"double\"\ttab \xe9\xff\n\n"
                   + b"".join(bytes([c]) * 3 for c in range(1, 256) if c != 10) * 1400 + b"\n")


@dataclass(frozen=True)
class Probe:
    """A repository whose linters are hook_probe.py, logging into ``log``."""

    root: Path
    log: Path
    remote_root: Path | None  # the SSH target's root: a copy of the work tree without .git

    def records(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def install(self, *types: str) -> None:
        args = [a for t in types for a in ("--hook-type", t)]
        subprocess.run([sys.executable, "-m", "hostlint", "install", *args], cwd=self.root,
                       env=child_env(), check=True, capture_output=True)

    def commit(self, *args: str, out: Path) -> int:
        return run_detached(["git", "commit", "-q", *args], cwd=self.root, out=out)

    def push(self, *args: str, out: Path) -> int:
        return run_detached(["git", "push", "-q", *args], cwd=self.root, out=out)


def probe_config(log: Path, linters: dict[str, tuple[str, ...]], *, hooks: dict[str, str],
                 remote_root: Path | None) -> str:
    """``[tool.hostlint]`` with one probe linter per name (its options) in the given hooks
    (name → TOML list), on the SSH target at ``remote_root`` or locally."""
    text = "[tool.hostlint]\n"
    if remote_root is not None:
        text += 'target = "ssh"\n'
    for name, options in linters.items():
        command = linter("hook_probe.py", str(log), *options)
        text += (f"[tool.hostlint.linters.{name}]\ncommand = {toml_string(command)}\n"
                 f"hooks = {hooks[name]}\n")
    if remote_root is not None:
        text += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(remote_root))}\n'
    return text


def probe_repo(tmp_path: Path, where: str, linters: dict[str, tuple[str, ...]],
               hooks: dict[str, str]) -> Probe:
    log = tmp_path / "probe.log"
    remote_root = tmp_path / "remote-root" if where == "ssh" else None
    root = make_repo(tmp_path / "repo", probe_config(log, linters, hooks=hooks,
                                                     remote_root=remote_root))
    if remote_root is not None:  # the target holds the work tree, never the .git
        shutil.copytree(root, remote_root, ignore=shutil.ignore_patterns(".git"))
    return Probe(root, log, remote_root)


def bare_remote(probe: Probe, tmp_path: Path) -> Path:
    """A bare repository added as ``origin``."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(probe.root, "remote", "add", "origin", str(bare))
    return bare


def commit_files(root: Path, *names: str, message: str = "files") -> None:
    for name in names:
        path = root / os.fsencode(name).decode(errors="surrogateescape")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    git(root, "add", "--", *names)
    git(root, "commit", "-q", "--no-verify", "-m", message)


def args_of(record: dict[str, Any]) -> list[str]:
    return [os.fsdecode(bytes.fromhex(a)) for a in record["args"]]


def remote_of(record: dict[str, Any]) -> dict[str, str]:
    """The ``HOSTLINT_REMOTE_*`` variables the linter saw (a local linter also inherits the
    suite's own ``HOSTLINT_REQUIRE_*``)."""
    return {k: v for k, v in record["env"].items() if k.startswith("HOSTLINT_REMOTE_")}
