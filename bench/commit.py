"""What a hook adds to `git commit`: no hook vs the hostlint hook vs a pre-commit hook, all
running the same no-op linter (`true`) on one staged file, side by side in one run.

    python bench/commit.py [--runs 30]

Installs hostlint (non-editable, as users have it) and pre-commit into a temporary venv,
makes three identical repositories, and times commits round-robin so machine noise hits
all three alike. Prints medians, what each hook adds, and the ratio."""

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


def fresh_venv(venv: Path, *packages: str, env: dict[str, str]) -> Path:
    """A new virtualenv with hostlint installed as users have it (not editable: no import
    finder of an editable install on the start-up path) and ``packages``."""
    print(f"setting up a venv with hostlint {' '.join(packages)}...", file=sys.stderr)
    sh(sys.executable, "-m", "venv", venv)
    sh(venv / "bin" / "pip", "install", "-q", str(HERE), *packages, env=env)
    return venv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-") as tmp:
        base = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTLINT", "VIRTUAL_ENV",
                                                                          "PYTHON"))}
        env.update(HOME=str(base), GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
                   GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1",
                   PRE_COMMIT_HOME=str(base / "pc-cache"))
        venv = fresh_venv(base / "venv", "pre-commit", env=env)
        repos = {name: make_repo(base / name, env) for name in ("no hook", "hostlint", "pre-commit")}
        sh(venv / "bin" / "hostlint", "install", cwd=repos["hostlint"], env=env)
        sh(venv / "bin" / "pre-commit", "install", cwd=repos["pre-commit"], env=env)
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
    print(f"hostlint hook adds {hostlint_added:.1f} ms (target <= 40 ms); "
          f"{hostlint_added / pre_commit_added:.2f}x what pre-commit adds (target <= 0.35x); "
          f"commit time ratio hostlint/pre-commit {medians['hostlint'] / medians['pre-commit']:.2f}x")


if __name__ == "__main__":
    main()
