"""What setting unstaged changes aside costs the hook: one staged file and nothing partially
staged vs one partially staged file, side by side in one run, plus the git calls each makes.

    python bench/staging.py [--runs 30]

Runs the hook path (`python -m hostlint hook pre-commit`, linter `true`) with this
interpreter in two identical repositories, round-robin so machine noise hits both alike.
Prints medians, the difference, and the git commands each check ran (from GIT_TRACE)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sh(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_repo(path: Path, env: dict[str, str], *, partial: bool) -> Path:
    path.mkdir()
    sh("git", "init", "-q", "-b", "main", cwd=path, env=env)
    (path / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "true"\n')
    (path / "app.py").write_text("x = 0\n" * 200)
    sh("git", "add", ".", cwd=path, env=env)
    sh("git", "commit", "-q", "--no-verify", "-m", "init", cwd=path, env=env)
    (path / "app.py").write_text("x = 1\n" * 200)
    sh("git", "add", "app.py", cwd=path, env=env)
    if partial:
        (path / "app.py").write_text("x = 1\n" * 200 + "unstaged = True\n")
    return path


def hook_time(repo: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hostlint", "hook", "pre-commit"], cwd=repo,
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"hook failed in {repo}: {proc.stderr.decode()}")
    return elapsed


def git_diff_time(repo: Path, env: dict[str, str]) -> float:
    """The one git call the feature adds when nothing is partially staged."""
    start = time.perf_counter()
    sh("git", "diff", "--name-only", "-z", "--no-relative", "--no-ext-diff",
       "--ignore-submodules=all", cwd=repo, env=env)
    return time.perf_counter() - start


def git_calls(repo: Path, env: dict[str, str]) -> list[str]:
    trace = repo.parent / f"{repo.name}.trace"
    hook_time(repo, {**env, "GIT_TRACE": str(trace)})
    lines = trace.read_text().splitlines()
    trace.unlink()
    return [line.split("trace: built-in: ", 1)[1] for line in lines if "built-in: git " in line]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-") as tmp:
        base = Path(tmp)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HOSTLINT", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "GIT_"))}
        env.update(HOME=str(base), XDG_CACHE_HOME=str(base / "cache"), GIT_AUTHOR_NAME="b",
                   GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x",
                   GIT_CONFIG_NOSYSTEM="1")
        repos = {"nothing partially staged": make_repo(base / "none", env, partial=False),
                 "one partially staged file": make_repo(base / "one", env, partial=True)}
        for repo in repos.values():  # warm the config cache and byte-code
            hook_time(repo, env)
        times: dict[str, list[float]] = {name: [] for name in repos}
        extra: list[float] = []
        for _ in range(args.runs):
            for name, repo in repos.items():
                times[name].append(hook_time(repo, env))
            extra.append(git_diff_time(repos["nothing partially staged"], env))
        calls = {name: git_calls(repo, env) for name, repo in repos.items()}
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    none, one = medians.values()
    print(f"hook path, median of {args.runs} runs each (one staged file, linter `true`):")
    for name, ms in medians.items():
        print(f"  {name:<27} {ms:7.1f} ms   git calls: {len(calls[name])}")
    print(f"setting one file aside adds {one - none:.1f} ms ({one / none:.2f}x); with nothing "
          f"to set aside the feature costs its one `git diff --name-only` call: "
          f"{statistics.median(extra) * 1000:.1f} ms ({statistics.median(extra) * 1000 / none:.1%} "
          "of the hook)")
    for name, commands in calls.items():
        print(f"git calls, {name}:")
        for command in commands:
            print(f"  {command[:100]}")


if __name__ == "__main__":
    main()
