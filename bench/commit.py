"""What a hook adds to `git commit`: no hook vs the hostlint hook vs a pre-commit hook vs
the floor of any Python hook, all running the same no-op linter (`true`) on one staged
file, side by side in one run.

    python bench/commit.py [--runs 30] [--against REV]

Installs hostlint (non-editable, as users have it) and pre-commit into a temporary venv,
makes four identical repositories, and times commits round-robin so machine noise hits
all four alike. Prints medians, what each hook adds, and the ratios. The floor is a
minimal hook on the same interpreter doing what hostlint must: the same three git calls
and the linter under a pty, nothing else (no configuration, no output filters, no log):
what hostlint adds beyond it is hostlint's own, the rest depends on the machine.

``--against REV`` adds a fifth side, the hook of hostlint at that git revision (installed
from ``git archive`` into a venv of its own): how a change compares with what was measured
before it, in the same run, whatever the machine's speed is at the time."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PRE_COMMIT_CONFIG = """repos:
- repo: local
  hooks:
  - id: noop
    name: noop
    entry: "true"
    language: system
"""

#: The floor: the interpreter, git's answers (the repository, then the two diffs side by side)
#: and `true` under a pty, read to its end.
FLOOR = """import os, sys, termios
def spawn(argv, out, setsid=False):
    return os.posix_spawnp(argv[0], argv, os.environ, setsid=setsid, file_actions=[
        (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2)])
def collect(fd, pid):
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return data, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
def git(*args):
    read, write = os.pipe()
    pid = spawn(["git", *args], write)
    os.close(write)
    return read, pid
top = collect(*git("rev-parse", "--show-toplevel"))[0].strip()
diffs = [git("diff", "--name-only", "-z"), git("diff", "--cached", "--name-only", "-z")]
names = [n.decode() for n in collect(*diffs[1])[0].split(b"\\0") if n]
collect(*diffs[0])
master, slave = os.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
pid = spawn(["/bin/sh", "-c", 'true "$@"', "hook", *names], slave, setsid=True)
os.close(slave)
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    os.write(1, chunk)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir()
    sh("git", "init", "-q", "-b", "main", cwd=path, env=env)
    (path / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "true"\n')
    (path / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    (path / "app.py").write_text("x = 0\n")
    sh("git", "add", ".", cwd=path, env=env)
    sh("git", "commit", "-q", "--no-verify", "-m", "init", cwd=path, env=env)
    return path


def commit_time(repo: Path, n: int, env: dict[str, str]) -> float:
    (repo / "app.py").write_text(f"x = {n}\n")
    sh("git", "add", "app.py", cwd=repo, env=env)
    start = time.perf_counter()
    subprocess.run(["git", "commit", "-q", "-m", f"c{n}"], cwd=repo, env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def fresh_venv(venv: Path, *packages: str, env: dict[str, str], source: Path = HERE) -> Path:
    """A new virtualenv with hostlint (from ``source``) installed as users have it (not
    editable: no import finder of an editable install on the start-up path) and ``packages``."""
    print(f"setting up a venv with hostlint {' '.join(packages)}...", file=sys.stderr)
    sh(sys.executable, "-m", "venv", venv)
    sh(venv / "bin" / "pip", "install", "-q", str(source), *packages, env=env)
    return venv


def exported(rev: str, where: Path) -> Path:
    """This repository's tree at ``rev``, written out under ``where``."""
    where.mkdir()
    archive = subprocess.run(["git", "-C", str(HERE), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--against", metavar="REV", help="also time the hook of hostlint at REV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-") as tmp:
        base = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTLINT", "VIRTUAL_ENV",
                                                                          "PYTHON"))}
        env.update(HOME=str(base), GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
                   GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1",
                   PRE_COMMIT_HOME=str(base / "pc-cache"))
        venv = fresh_venv(base / "venv", "pre-commit", env=env)
        names = ["no hook", "hostlint", "pre-commit", "floor"]
        against = f"at {args.against}"
        if args.against:
            names.append(against)
        repos = {name: make_repo(base / name, env) for name in names}
        sh(venv / "bin" / "hostlint", "install", cwd=repos["hostlint"], env=env)
        if args.against:
            old = fresh_venv(base / "venv-against", env=env,
                             source=exported(args.against, base / "src-against"))
            sh(old / "bin" / "hostlint", "install", cwd=repos[against], env=env)
        sh(venv / "bin" / "pre-commit", "install", cwd=repos["pre-commit"], env=env)
        (base / "floor.py").write_text(FLOOR)
        floor = repos["floor"] / ".git" / "hooks" / "pre-commit"
        floor.write_text(f"#!/bin/sh\nexec {venv / 'bin' / 'python'} {base / 'floor.py'}\n")
        floor.chmod(0o755)
        for repo in repos.values():  # warm caches (pre-commit builds its env once)
            commit_time(repo, -1, env)
        times: dict[str, list[float]] = {name: [] for name in repos}
        for n in range(args.runs):
            for name, repo in repos.items():
                times[name].append(commit_time(repo, n, env))
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    base_ms = medians["no hook"]
    print(f"git commit, median of {args.runs} runs each (one staged file, linter `true`):")
    for name, ms in medians.items():
        added = "" if name == "no hook" else f"  adds {ms - base_ms:6.1f} ms"
        print(f"  {name:<10} {ms:7.1f} ms{added}")
    hostlint_added = medians["hostlint"] - base_ms
    pre_commit_added = medians["pre-commit"] - base_ms
    floor_added = medians["floor"] - base_ms
    print(f"hostlint hook adds {hostlint_added:.1f} ms (target <= 40 ms); "
          f"{hostlint_added / pre_commit_added:.2f}x what pre-commit adds (target <= 0.35x); "
          f"commit time ratio hostlint/pre-commit {medians['hostlint'] / medians['pre-commit']:.2f}x")
    print(f"the floor of a Python hook adds {floor_added:.1f} ms: hostlint's own share is "
          f"{hostlint_added - floor_added:.1f} ms ({hostlint_added / floor_added:.2f}x the floor)")
    if args.against:
        then = medians[against] - base_ms
        share = (hostlint_added - floor_added) / (then - floor_added)
        print(f"hostlint at {args.against} adds {then:.1f} ms: this tree adds "
              f"{hostlint_added / then:.2f}x that; its own share is {share:.2f}x that one's")


if __name__ == "__main__":
    main()
