"""Test helpers: the in-process CLI runner, a subprocess runner with no terminal, small git
repositories, hostile file names, and readers of what the test linters (tests/linters/) log."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import strategies as st

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
    env = Environment(stdout=stdout, stderr=stderr, cwd=str(cwd), stdout_isatty=tty,
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


def processes_running(token: str) -> list[int]:
    """PIDs whose command line contains ``token`` (live ones, zombies excluded)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline and alive(int(name)):
            found.append(int(name))
    return found


def none_running_within(token: str, seconds: float) -> bool:
    return eventually(lambda: not processes_running(token), seconds)


def wait_for_file(path: Path, seconds: float) -> None:
    assert eventually(path.exists, seconds), f"{path} did not appear within {seconds} s"


def linter_config(command: str, **keys: str) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return f"[tool.hostlint]\ncommand = {toml_string(command)}\n{extra}"


#: File names a shell would split, expand or run.
HOSTILE = [
    "with space.py",
    "it's.py",
    'double"quote.py',
    "$(touch PWNED).py",
    "`touch PWNED`.py",
    "semi;colon.py",
    "tab\there.py",
    "new\nline.py",
    "-leading-dash.py",
    "--option.py",
    "back\\slash.py",
    "*.py",
    "$HOME.py",
    "dollar$.py",
]
NON_UTF8 = os.fsdecode(b"latin\xe9-\xff.py")


def logged_runs(log: Path) -> list[list[str]]:
    """Each run of record_args.py: the list of arguments it received."""
    runs: list[list[str]] = []
    current: list[str] = []
    for token in log.read_bytes().split(b"\0")[:-1]:
        if token:
            current.append(os.fsdecode(token))
        else:
            runs.append(current)
            current = []
    return runs


def logged_args(log: Path) -> list[str]:
    return [arg for batch in logged_runs(log) for arg in batch]


def stage(root: Path, *names: str, content: str = "x = 1\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    git(root, "add", "--", *names)


#: Any file name git can stage, as bytes.
name_bytes = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"\0" not in b and b"/" not in b and b not in (b".", b"..")
)


def thirty_thousand_staged_each_linted_once(root: Path, log: Path) -> None:
    """Stage 30,000 long names in ``root``, check, and assert each was linted exactly once
    (by record_args.py logging to ``log``) in more than one batch."""
    names = [f"pkg/{i:05d}-{'long-name-' * 12}.py" for i in range(30_000)]
    (root / "pkg").mkdir()
    for name in names:
        (root / name).write_bytes(b"")
    git(root, "add", "pkg")
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    runs = logged_runs(log)
    assert len(runs) > 1  # it had to split
    linted = [arg for batch in runs for arg in batch]
    assert len(linted) == len(names)
    assert sorted(linted) == sorted(names)


def linters_config(log: Path, specs: dict[str, tuple[float, int, str]], **top: str) -> str:
    """``specs``: name -> (seconds, exit code, include pattern)."""
    text = "[tool.hostlint]\n" + "".join(f"{k} = {v}\n" for k, v in top.items())
    for name, (seconds, code, include) in specs.items():
        command = linter("timed.py", name, str(log), str(seconds), str(code))
        text += (f"[tool.hostlint.linters.{name}]\ncommand = {toml_string(command)}\n"
                 f"include = [{toml_string(include)}]\n")
    return text


def barrier_config(where: Path, names: str) -> str:
    """Linters that each wait, bounded, until all of ``names`` have started
    (tests/linters/barrier.py): passing proves they ran at once, with no clock read."""
    where.mkdir(exist_ok=True)
    text = "[tool.hostlint]\n"
    for name in names:
        command = linter("barrier.py", name, str(where), str(len(names)))
        text += f"[tool.hostlint.linters.{name}]\ncommand = {toml_string(command)}\n"
    return text


def spans(log: Path) -> dict[str, tuple[float, float]]:
    """When each timed.py linter started and ended: name -> (start, end)."""
    times: dict[str, dict[str, float]] = {}
    for line in log.read_text().splitlines():
        name, what, at = line.split()
        times.setdefault(name, {})[what] = float(at)
    return {name: (t["start"], t["end"]) for name, t in times.items()}


class Collect:
    """A sink keeping every byte written to it."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def flush(self) -> None:
        pass

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


@contextmanager
def full_filesystem(where: Path, *, leave: int = 0) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted on the directory ``where`` (created), filled up to its last
    ``leave`` bytes (a filesystem that fills up while hostlint writes); unmounted afterwards.
    Skips the test when this process may not mount (not root, no CAP_SYS_ADMIN)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs",
                              str(where)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        with open(where / "filler", "wb", buffering=0) as filler:
            with contextlib.suppress(OSError):  # ENOSPC: the filesystem is full
                while True:
                    filler.write(b"\0" * 4096)
            filler.truncate(filler.tell() - leave)
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def output_closed_command(pidfile: Path, *, ignore_ctrl_c: bool = False) -> str:
    """A linter that closes its output at once and runs on (``exec cmd >/dev/null 2>&1``):
    it writes its pid to ``pidfile``, then sleeps 600 s (ignoring SIGINT if asked). Run it
    with ``pass_filenames = false``."""
    trap = "trap '' INT; " if ignore_ctrl_c else ""
    return f"exec >/dev/null 2>&1; {trap}echo $$ > {shlex.quote(str(pidfile))}; exec sleep 600"


def assert_one_sigterm_stops(proc: subprocess.Popen[bytes], pidfile: Path, within: float) -> None:
    """Once the linter of ``output_closed_command`` runs, one SIGTERM to hostlint (``proc``):
    it exits 143 within ``within`` seconds and the linter is gone. ``proc`` is killed
    afterwards whatever happened."""
    try:
        assert eventually(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 30)
        pid = int(pidfile.read_text())
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
        assert time.monotonic() - started < within
        assert gone_within(pid, 2)
    finally:
        proc.kill()
        proc.wait()


def with_descriptors(argv: Sequence[str], *, hold: int = 0, limit: int | None = None) -> list[str]:
    """``argv`` started with ``hold`` more descriptors open (on /dev/null, from 3 up, so every
    descriptor it opens is numbered above ``hold``) and its soft RLIMIT_NOFILE set to
    ``limit`` (by default raised to ``hold + 1024`` if lower). Skips the test when the hard
    limit is too low."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    wanted = limit or hold + 1024
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below {wanted}")
    script = ("import os, resource, sys\n"
              "hold, wanted, exact = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == 'exact'\n"
              "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
              "if exact or (soft != resource.RLIM_INFINITY and soft < wanted):\n"
              "    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))\n"
              "for _ in range(hold):\n"
              "    os.set_inheritable(os.open(os.devnull, os.O_RDONLY), True)\n"
              "os.execv(sys.argv[4], sys.argv[4:])\n")
    return [PYTHON, "-c", script, str(hold), str(wanted), "exact" if limit else "raise", *argv]
