"""Test helpers: the in-process CLI runner, a subprocess runner with no terminal, and
small git repositories."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hostlint.cli import main
from hostlint.environment import Environment

LINTERS = Path(__file__).parent / "linters"
PYTHON = sys.executable


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")


def hostlint(*args: str, cwd: Path, environ: Mapping[str, str] | None = None,
             tty: bool = False) -> Result:
    """Run the CLI in-process (like httpie's ``http()``)."""
    stdout, stderr = io.BytesIO(), io.StringIO()
    env = Environment(stdout=stdout, stderr=stderr, cwd=cwd, stdout_isatty=tty,
                      environ=dict(os.environ if environ is None else environ))
    code = main(list(args), env=env)
    return Result(code, stdout.getvalue(), stderr.getvalue())


def child_env(**extra: str) -> dict[str, str]:
    """The environment for processes a test starts: never PYTHONUNBUFFERED, which hides the
    lost-output bug hostlint exists for."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update(extra)
    return env


def run_detached(argv: Sequence[str], *, cwd: Path, out: Path,
                 env: Mapping[str, str] | None = None, timeout: float = 60) -> int:
    """Run with no controlling terminal (new session), stdin closed, stdout+stderr to a file:
    how a GUI git client runs a hook."""
    with out.open("wb") as f:
        proc = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=f,
                              stderr=subprocess.STDOUT, env=dict(env or child_env()),
                              start_new_session=True, timeout=timeout, check=False)
    return proc.returncode


def hostlint_argv(*args: str) -> list[str]:
    return [PYTHON, "-m", "hostlint", *args]


def linter(name: str, *args: str) -> str:
    """A shell command running one of tests/linters/ with this interpreter."""
    return " ".join(shlex.quote(a) for a in (PYTHON, str(LINTERS / name), *args))


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    proc = subprocess.run(("git", *args), cwd=repo, capture_output=True, text=True,
                          check=True, env=dict(env) if env is not None else None)
    return proc.stdout


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_repo(path: Path, config: str, *, staged: Sequence[str] = ()) -> Path:
    """A git repository with a committed pyproject.toml holding ``config``, and the files
    named in ``staged`` written (``x``) and staged."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "pyproject.toml").write_text(config)
    git(path, "add", "pyproject.toml")
    git(path, "commit", "-q", "-m", "init", "--no-verify")
    for name in staged:
        (path / name).write_text("x\n")
    if staged:
        git(path, "add", "--", *staged)
    return path


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (zombies and dead ones are not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(") ", 1)[1][0] not in "ZX"


def eventually(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass: for what the kernel finishes on
    its own (reaping a killed process, a file another process writes), never as a stand-in
    for synchronising with hostlint itself."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def gone_within(pid: int, seconds: float) -> bool:
    """Bounded wait for the kernel to reap a process that was told to end."""
    return eventually(lambda: not alive(pid), seconds)


def linter_config(command: str, **keys: str) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return f"[tool.hostlint]\ncommand = {toml_string(command)}\n{extra}"


Snapshot = dict[bytes, tuple[int, bytes]]


def snapshot(root: Path) -> Snapshot:
    """The work tree outside ``.git``: each path (bytes) → (mode, content or link target)."""
    found: Snapshot = {}
    for top, dirs, names in os.walk(os.fsencode(root)):
        dirs[:] = [d for d in dirs if d != b".git"]
        for name in [*names, *(d for d in dirs if os.path.islink(os.path.join(top, d)))]:
            path = os.path.join(top, name)
            st = os.lstat(path)
            if os.path.islink(path):
                data = os.readlink(path)
            else:
                with open(path, "rb") as f:
                    data = f.read()
            found[os.path.relpath(path, os.fsencode(root))] = (st.st_mode, data)
    return found


def saved_patches(root: Path) -> list[Path]:
    """The unstaged changes hostlint holds aside in this repository."""
    return sorted((root / ".git" / "hostlint").glob("unstaged-*.patch"))
