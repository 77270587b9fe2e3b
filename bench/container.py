"""The installed hostlint hook with the container target, on each transport (docker's
Engine API, the docker CLI), vs a hand-written hook running `docker exec -t` on the same
container, side by side in one run (round-robin), with the ratios to the hand-written hook.

    python bench/container.py [--runs 30]

A private dockerd and the Debian test image come from tests/engine.py (root, dockerd and
debootstrap needed; the image tarball is cached). The container has the repository
bind-mounted at /workspaces/repo and runs `sleep infinity`; the linter is `true`, one staged
file; hostlint is installed as users have it (not editable) in a fresh virtualenv. The hooks
are run the way git runs them (no terminal, stdin closed), in the repository, with the
repository's index. The CLI side reaches the same daemon through a docker context (hostlint
leaves contexts to the CLI) and has a cache directory of its own."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from bench.commit import fresh_venv  # noqa: E402
from bench.ssh import median_ms, timed  # noqa: E402
from tests.engine import DEV_RECIPE, debian_image, start_engine  # noqa: E402

HAND_HOOK = """#!/bin/sh
# what people write by hand: the staged names, one docker exec -t
exec docker exec -t -w /workspaces/repo {container} sh -c 'true "$@"' hook \\
    $(git diff --cached --name-only --diff-filter=ACMR)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    engine = start_engine()
    try:
        image = debian_image(engine, DEV_RECIPE)
        with tempfile.TemporaryDirectory(prefix="hostlint-bench-container-") as tmp:
            run(Path(tmp), engine.env(), image, engine.cli, args.runs)
    finally:
        engine.stop()


def run(base: Path, docker_env: dict[str, str], image: str, cli: str, runs: int) -> None:
    repo, home = base / "repo", base / "home"
    repo.mkdir()
    home.mkdir()
    env = {k: v for k, v in docker_env.items()
           if not k.startswith(("HOSTLINT", "VIRTUAL_ENV", "PYTHONUNBUFFERED",
                                "PYTHONDONTWRITEBYTECODE"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), GIT_CONFIG_NOSYSTEM="1",
               PYTHONPYCACHEPREFIX=str(base / "pycache"),
               PATH=f"{os.path.dirname(cli)}:{env['PATH']}")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    (repo / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "true"\n')
    (repo / ".devcontainer.json").write_text("{}\n")
    (repo / "app.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "."], cwd=repo, env=env, check=True)
    container = subprocess.run(
        [cli, "run", "-d", "--network", "none", "-v", f"{repo}:/workspaces/repo",
         "-l", f"devcontainer.local_folder={repo}", image, "sleep", "infinity"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    try:
        python = str(fresh_venv(base / "venv", env=env) / "bin" / "python")
        subprocess.run([python, "-m", "hostlint", "install"], cwd=repo, env=env,
                       check=True, capture_output=True)
        hand = base / "hand-hook"
        hand.write_text(HAND_HOOK.format(container=container[:12]))
        hand.chmod(0o755)
        hook = [str(repo / ".git/hooks/pre-commit")]
        sides = {HOSTLINT_API: (hook, env), HOSTLINT_CLI: (hook, cli_env(base, env, cli)),
                 HAND: ([str(hand)], env)}
        compare(sides, repo, runs)
        for name in (HOSTLINT_API, HOSTLINT_CLI):
            _, _, timings = timed([python, "-m", "hostlint", "check", "--timings"],
                                  cwd=repo, env=sides[name][1])
            print(f"{name}: {timings.strip().removeprefix('hostlint: ')}")
    finally:
        subprocess.run([cli, "rm", "-f", container], env=env, capture_output=True, check=False)


HOSTLINT_API = "hostlint hook (Engine API)"
HOSTLINT_CLI = "hostlint hook (docker CLI)"
HAND = "hand-written `docker exec -t` hook"


def cli_env(base: Path, env: dict[str, str], cli: str) -> dict[str, str]:
    """The same daemon through a docker context: hostlint then runs the CLI."""
    config = base / "docker-config"
    subprocess.run([cli, "context", "create", "bench", "--docker", f"host={env['DOCKER_HOST']}"],
                   env={**env, "DOCKER_CONFIG": str(config)}, check=True, capture_output=True)
    other = {k: v for k, v in env.items() if k != "DOCKER_HOST"}
    return {**other, "DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "bench",
            "XDG_CACHE_HOME": str(base / "home" / ".cache-cli")}


def compare(sides: dict[str, tuple[list[str], dict[str, str]]], repo: Path, runs: int) -> None:
    for argv, env in sides.values():  # warm-up: caches, page cache, the container cache
        assert timed(argv, cwd=repo, env=env)[1] == 0
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, (argv, env) in sides.items():
            seconds, code, errors = timed(argv, cwd=repo, env=env)
            assert code == 0, errors
            times[name].append(seconds)
    base = statistics.median(times[HAND])
    for name, values in times.items():
        print(f"{name:<38} {median_ms(values)}  {statistics.median(values) / base:4.2f}x")


if __name__ == "__main__":
    main()
