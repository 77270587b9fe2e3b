"""The container target against a real engine: the session's private dockerd
(tests/engine.py) and containers of the Debian test image, started with ``--network none``
and removed by the fixture that started them. The repository is bind-mounted at
/workspaces/repo, the test linters at /linters and a directory for their logs at /out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostlint import container_engine
from hostlint.config import ContainerSettings
from hostlint.engine_transport import engine_path
from hostlint.files import arguments
from tests.container_helpers import (
    assert_unavailable,
    container_repo,
    devcontainer_labels,
    inside,
    live,
)
from tests.engine import Containers, Engine
from tests.utils import (
    HOSTILE,
    LINTERS,
    NON_UTF8,
    child_env,
    eventually,
    git,
    hostlint,
    hostlint_argv,
    linter_config,
    logged_args,
    make_repo,
    run_detached,
    stage,
    toml_string,
)

INSIDE = "/workspaces/repo"
Start = Callable[..., str]


@pytest.fixture
def docker_env(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """hostlint (in-process and child processes) talks to the private daemon: through its
    Engine API (``DOCKER_HOST=unix://...``), or, parametrized with ``"cli"`` (``BOTH``),
    through the docker CLI: a context of the CLI's own naming the same socket, which
    hostlint leaves to the CLI."""
    if getattr(request, "param", "api") == "cli":
        config = tmp_path / "docker-config"
        subprocess.run([engine.cli, "context", "create", "hl-cli", "--docker",
                        f"host={engine.docker_host}"], env={**child_env(), "DOCKER_CONFIG": str(config)},
                       check=True, capture_output=True)
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        monkeypatch.setenv("DOCKER_CONTEXT", "hl-cli")
    else:
        monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    return child_env()


#: Run a test on both transports: the Engine API and the docker CLI.
BOTH = pytest.mark.parametrize("docker_env", ["api", "cli"], indirect=True)


@pytest.fixture
def start(containers: Containers, dev_image: str, tmp_path: Path,
          docker_env: dict[str, str]) -> Start:
    """Start a container with the repository (``tmp_path/repo``), the linters and
    ``tmp_path/out`` mounted; extra ``docker run`` arguments (labels) as given."""
    (tmp_path / "out").mkdir(exist_ok=True)

    def run(*extra: str, repo: Path | None = None, name: str | None = None) -> str:
        source = repo or tmp_path / "repo"
        args = ("--network", "none", "--init", "-v", f"{source}:{INSIDE}",
                "-v", f"{LINTERS}:/linters:ro", "-v", f"{tmp_path / 'out'}:/out", *extra)
        return containers.run(dev_image, "sleep", "infinity", args=args, name=name)
    return run


def processes(engine: Engine, container: str) -> list[str]:
    """Every live process in the container (zombies left out), as ``ps`` lists them."""
    return live(engine.docker("exec", container, "ps", "-eo", "stat=,args=").stdout)


# ----------------------------------------------------------------------------------------
# Acceptance 1: detection
# ----------------------------------------------------------------------------------------


@BOTH
def test_a_devcontainer_labelled_container_is_chosen_and_detect_says_why(
        tmp_path: Path, start: Start) -> None:
    root = container_repo(tmp_path, "id -un; pwd; :")
    cid = start(*devcontainer_labels(root, user="nobody"))
    result = hostlint("detect", cwd=root)
    assert result.code == 0, result.stderr
    out = result.out
    assert out.splitlines()[0] == "target: container"
    assert "4. dev container: .devcontainer.json; container " in out
    assert f"devcontainer.local_folder={root}" in out and "-> container" in out
    assert f"root: {root} -> {INSIDE} (from bind mount {root} -> {INSIDE})" in out
    assert "user: nobody" in out and "engine: " in out and cid[:12] in out
    api = "DOCKER_HOST" in os.environ
    assert ("calls: the Engine API on unix://" in out) == api
    assert ("calls: the docker CLI" in out) != api
    check = hostlint("check", cwd=root)
    assert (check.code, check.out) == (0, f"nobody\n{INSIDE}\n"), check.stderr


def test_a_compose_service_container_is_chosen_with_service_configured(
        tmp_path: Path, start: Start) -> None:
    table = '[tool.hostlint.container]\nservice = "web"\n'
    root = container_repo(tmp_path, "cat /etc/hostname; :", table=table, devcontainer=False)
    (root / "compose.yaml").write_text("services: {}\n")
    labels = ("-l", f"com.docker.compose.project.working_dir={root}",
              "-l", "com.docker.compose.project=repo")
    start(*labels, "-l", "com.docker.compose.service=db", "--hostname", "db")
    start(*labels, "-l", "com.docker.compose.service=web", "--hostname", "web")
    result = hostlint("detect", cwd=root)
    assert result.out.splitlines()[0] == "target: container"
    assert "service 'web'" in result.out
    assert hostlint("check", cwd=root).out == "web\n"


def test_compose_without_a_configured_service_is_never_guessed(tmp_path: Path,
                                                                start: Start) -> None:
    root = container_repo(tmp_path, "true", devcontainer=False)
    (root / "compose.yaml").write_text("services: {}\n")
    start("-l", f"com.docker.compose.project.working_dir={root}",
          "-l", "com.docker.compose.service=db")
    result = hostlint("detect", cwd=root)
    assert result.out.splitlines()[0] == "target: local"
    assert "no [tool.hostlint.container] service" in result.out


def test_projects_without_container_files_never_ask_the_engine(tmp_path: Path) -> None:
    """No engine call and no import of the engine module: a ``docker`` on PATH that records
    being run (a seam fake: it stands in for any engine a developer has installed)."""
    bindir, called = tmp_path / "bin", tmp_path / "called"
    bindir.mkdir()
    (bindir / "docker").write_text(f"#!/bin/sh\ntouch {called}\nexit 1\n")
    (bindir / "docker").chmod(0o755)
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py"])
    probe = ("import sys; from hostlint.__main__ import hook; code = hook([]); "
             "print(code, 'hostlint.container_engine' in sys.modules)")
    env = child_env(PATH=f"{bindir}:{os.environ['PATH']}")
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.split()[-2:] == ["0", "False"]
    assert not called.exists()


# ----------------------------------------------------------------------------------------
# Acceptance 2 and 3: output, names, paths
# ----------------------------------------------------------------------------------------


@BOTH
def test_the_forking_lint_all_loses_no_line_through_a_ttyless_commit(
        tmp_path: Path, start: Start, docker_env: dict[str, str]) -> None:
    root = container_repo(tmp_path, inside("forking_runner.py", "1"))
    start(*devcontainer_labels(root))
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=docker_env,
                   capture_output=True)
    out = tmp_path / "commit.out"
    assert run_detached(["git", "commit", "-m", "x"], cwd=root, out=out, env=docker_env) == 1
    lines = out.read_bytes().decode().splitlines()
    expected = [f"child {c} line {n}" for c in range(3) for n in range(2)] + ["runner done"]
    assert lines[:7] == expected
    assert b"\r" not in out.read_bytes()


@BOTH
def test_hostile_names_arrive_exact_and_nothing_is_executed(tmp_path: Path,
                                                            start: Start) -> None:
    names = [*HOSTILE, NON_UTF8, "dir with space/inner.py"]
    root = container_repo(tmp_path, inside("record_args.py", "/out/args.log"), staged=())
    stage(root, *names)
    start(*devcontainer_labels(root))
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert sorted(logged_args(tmp_path / "out" / "args.log")) == sorted(arguments(names))  # "./-x"
    assert not (root / "PWNED").exists() and not (tmp_path / "out" / "PWNED").exists()


def test_container_paths_are_shown_host_relative(tmp_path: Path, start: Start) -> None:
    root = container_repo(tmp_path, inside("split_path.py", INSIDE))
    start(*devcontainer_labels(root))
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (1, "pkg/x.py:3:1: E999 syntax error\n"), result.stderr
    assert hostlint("check", "--no-map-paths", cwd=root).out.startswith(f"{INSIDE}/pkg/x.py")


def test_a_mount_of_a_parent_directory_maps_the_repository_below_it(
        tmp_path: Path, containers: Containers, dev_image: str,
        docker_env: dict[str, str]) -> None:
    root = make_repo(tmp_path / "src" / "repo", linter_config("pwd"), staged=["a.py"])
    (root / ".devcontainer.json").write_text("{}\n")
    containers.run(dev_image, "sleep", "infinity", args=(
        "--network", "none", "-v", f"{tmp_path / 'src'}:/workspaces", *devcontainer_labels(root)))
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert result.out == "/workspaces/repo\n", result.stderr


def test_a_linked_worktree_is_found_by_its_main_checkout_labels(
        tmp_path: Path, containers: Containers, dev_image: str,
        docker_env: dict[str, str]) -> None:
    main = make_repo(tmp_path / "src" / "repo", linter_config("pwd"), staged=[".devcontainer.json"])
    git(main, "commit", "-q", "-m", "dc", "--no-verify")
    git(main, "worktree", "add", "-q", str(tmp_path / "src" / "feature"))
    worktree = tmp_path / "src" / "feature"
    stage(worktree, "b.py")
    containers.run(dev_image, "sleep", "infinity", args=(
        "--network", "none", "-v", f"{tmp_path / 'src'}:/workspaces", *devcontainer_labels(main)))
    result = hostlint("check", "--no-map-paths", cwd=worktree)
    assert result.out == "/workspaces/feature\n", result.stderr


def test_several_linters_run_in_parallel_in_the_container(tmp_path: Path,
                                                          start: Start) -> None:
    """Each linter waits (bounded) until all three have started (tests/linters/barrier.py,
    its directory shared through /out): they pass only if they ran at once. No clock is read
    (three one-second sleeps timed from outside left a second for hostlint's and docker's
    start-up, which a loaded machine can take)."""
    (tmp_path / "out" / "started").mkdir(parents=True)
    names = ("one", "two", "three")
    config = "[tool.hostlint]\n" + "".join(
        f"[tool.hostlint.linters.{n}]\n"
        f"command = {toml_string(inside('barrier.py', n, '/out/started', str(len(names))))}\n"
        for n in names)
    root = make_repo(tmp_path / "repo", config, staged=["a.py", ".devcontainer.json"])
    start(*devcontainer_labels(root))
    result = hostlint("check", cwd=root)
    assert result.code == 0, (result.out, result.stderr)
    for name in names:
        assert f"--- {name} ---\n{name} met 2 others files=" in result.out


# ----------------------------------------------------------------------------------------
# Acceptance 4: Ctrl-C stops the tree inside the container
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code", "docker_env"), [
    (signal.SIGINT, 130, "api"), (signal.SIGTERM, 143, "api"), (signal.SIGHUP, 129, "api"),
    (signal.SIGINT, 130, "cli")], indirect=["docker_env"])
def test_a_signal_stops_the_linter_tree_inside_the_container(
        tmp_path: Path, start: Start, engine: Engine, docker_env: dict[str, str],
        signum: int, code: int) -> None:
    root = container_repo(tmp_path, inside("stubborn.py", "/out/stubborn-marker"))
    cid = start(*devcontainer_labels(root))
    out = tmp_path / "check.out"
    with out.open("wb") as f:
        proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=f,
                                stderr=subprocess.STDOUT, env=docker_env, start_new_session=True)
    try:
        assert eventually(lambda: b"ready" in out.read_bytes(), 30), out.read_bytes()
        assert any("stubborn-child" in p for p in processes(engine, cid))
        proc.send_signal(signum)
        assert proc.wait(timeout=15) == code
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [p for p in processes(engine, cid) if "stubborn" in p or "sh -c" in p] == []


# ----------------------------------------------------------------------------------------
# Acceptance 5: engine failures are exit 3 with the fix
# ----------------------------------------------------------------------------------------


@BOTH
def test_a_stopped_named_container_names_the_start_command(tmp_path: Path, start: Start,
                                                           engine: Engine) -> None:
    root = container_repo(tmp_path, "true", table='[tool.hostlint.container]\nname = "hl-stopped"\n',
                          devcontainer=False)
    start(name="hl-stopped")
    assert hostlint("check", cwd=root).code == 0  # cached now
    engine.docker("stop", "-t", "0", "hl-stopped")
    assert_unavailable(root, "docker start hl-stopped")


def test_a_removed_devcontainer_names_devcontainer_up(tmp_path: Path, start: Start,
                                                      engine: Engine) -> None:
    root = container_repo(tmp_path, "true")
    cid = start(*devcontainer_labels(root))
    assert hostlint("check", cwd=root).code == 0  # cached now
    engine.docker("rm", "-f", cid)
    assert_unavailable(root, "devcontainer up --workspace-folder .")


@BOTH
def test_a_recreated_container_is_found_again_after_one_failed_exec(
        tmp_path: Path, start: Start, engine: Engine) -> None:
    root = container_repo(tmp_path, "cat /etc/hostname; :")
    first = start(*devcontainer_labels(root), "--hostname", "first")
    assert hostlint("check", cwd=root).out == "first\n"
    engine.docker("rm", "-f", first)
    second = start(*devcontainer_labels(root), "--hostname", "second")
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (0, "second\n"), result.stderr
    cached = container_engine.cached(str(root), ContainerSettings(), os.environ)
    assert cached is not None and cached.id == second


def test_a_daemon_that_does_not_answer_is_exit_3(tmp_path: Path, start: Start,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = container_repo(tmp_path, "true", table='[tool.hostlint.container]\nname = "x"\n',
                          devcontainer=False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    assert_unavailable(root, "daemon is not answering")


def test_on_unavailable_local_runs_the_linters_here(tmp_path: Path, start: Start,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config = linter_config("echo here; :", on_unavailable='"local"')
    config += '[tool.hostlint.container]\nname = "hl-absent"\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 0 and result.out == "here\n", result.stderr
    assert "hl-absent" in result.stderr


# ----------------------------------------------------------------------------------------
# The warm path: one engine command per check
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("docker_env", "warm"), [("api", []), ("cli", ["exec"])],
                         indirect=["docker_env"])
def test_a_warm_check_runs_one_engine_command(tmp_path: Path, start: Start,
                                              docker_env: dict[str, str], warm: list[str]) -> None:
    """A ``docker`` on PATH that logs each call and runs the real CLI (a seam wrapper: it
    counts, the real engine does the work). Through the Engine API no CLI runs at all."""
    root = container_repo(tmp_path, "true")
    start(*devcontainer_labels(root))
    real, bindir, log = docker_cli(docker_env), tmp_path / "bin", tmp_path / "calls"
    bindir.mkdir()
    (bindir / "docker").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    (bindir / "docker").chmod(0o755)
    env = {**docker_env, "PATH": f"{bindir}:{docker_env['PATH']}"}

    def calls() -> list[str]:
        return log.read_text().split() if log.exists() else []

    assert hostlint("check", cwd=root, environ=env).code == 0
    cold = calls()
    log.unlink(missing_ok=True)
    assert hostlint("check", cwd=root, environ=env).code == 0
    assert cold == [] if not warm else (cold[-1] == "exec" and len(cold) > 1)
    assert calls() == warm
    assert "cached: the next check runs one exec" in hostlint("detect", cwd=root, environ=env).out



def test_a_warm_hook_on_the_engine_api_starts_no_process_module(tmp_path: Path, start: Start,
                                                                docker_env: dict[str, str]) -> None:
    """Its only processes are git's, started with posix_spawn: a warm container hook loads
    neither subprocess (with locale and selectors) nor typing (docs/architecture.md)."""
    root = container_repo(tmp_path, "true")
    start(*devcontainer_labels(root))
    argv = [sys.executable, "-X", "importtime", "-m", "hostlint", "hook", "pre-commit"]
    loaded: set[str] = set()
    for _ in range(2):  # the first run finds the container and caches it
        proc = subprocess.run(argv, cwd=root, env=docker_env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        assert proc.returncode == 0, proc.stderr
        loaded = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()
                  if line.startswith("import time:")}
    assert "hostlint.targets.container.target" in loaded  # the container target ran
    assert not {"subprocess", "locale", "typing", "shutil"} & loaded

def docker_cli(env: dict[str, str]) -> str:
    found = engine_path(ContainerSettings(), env)
    return found


# ----------------------------------------------------------------------------------------
# The real devcontainer CLI
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def devcontainer_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``@devcontainers/cli`` installed with npm into the test cache (once per machine)."""
    from tests.engine import CACHE_DIR, REQUIRE_ENV

    prefix = CACHE_DIR / "devcontainers-cli"
    binary = prefix / "node_modules" / ".bin" / "devcontainer"
    if not binary.exists():
        npm = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                              str(prefix), "@devcontainers/cli"], capture_output=True,
                             text=True, timeout=300, check=False) if _has("npm") else None
        if npm is None or npm.returncode != 0 or not binary.exists():
            reason = "npm cannot install @devcontainers/cli" + (
                f": {npm.stderr.strip().splitlines()[-1:]}" if npm is not None else " (no npm)")
            if os.environ.get(REQUIRE_ENV) == "1":
                pytest.fail(reason)
            pytest.skip(reason)
    yield binary


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


def test_the_real_devcontainer_cli_labels_are_found(
        tmp_path: Path, devcontainer_cli: Path, dev_image: str, engine: Engine,
        containers: Containers, docker_env: dict[str, str]) -> None:
    root = make_repo(tmp_path / "repo", linter_config("pwd; id -un; :"), staged=["a.py"])
    (root / ".devcontainer").mkdir()
    (root / ".devcontainer" / "devcontainer.json").write_text(
        f'{{"image": "{dev_image}", "overrideCommand": true, "runArgs": ["--network", "none"],'
        ' "remoteUser": "nobody", "updateRemoteUserUID": false}\n')
    up = subprocess.run([str(devcontainer_cli), "up", "--workspace-folder", str(root),
                         "--docker-path", docker_cli(docker_env)], capture_output=True, text=True,
                        env=docker_env, timeout=120, check=False)
    ids = engine.docker("ps", "-aq", "--no-trunc", "--filter",
                        f"label=devcontainer.local_folder={root}").stdout.split()
    containers.ids.extend(ids)  # removed at teardown like the others
    assert up.returncode == 0, up.stdout + up.stderr
    detect = hostlint("detect", cwd=root)
    assert detect.out.splitlines()[0] == "target: container"
    assert "devcontainer.config_file=" in detect.out and "user: nobody" in detect.out
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert (result.code, result.out) == (0, "/workspaces/repo\nnobody\n"), result.stderr


# ----------------------------------------------------------------------------------------
# A real Compose
# ----------------------------------------------------------------------------------------


def test_the_real_compose_labels_are_found(tmp_path: Path, dev_image: str, engine: Engine,
                                           containers: Containers,
                                           docker_env: dict[str, str]) -> None:
    """Debian's docker-compose (1.29) against the private daemon."""
    if not _has("docker-compose"):
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    table = '[tool.hostlint.container]\nservice = "web"\n'
    root = container_repo(tmp_path, "pwd; :", table=table, devcontainer=False)
    (root / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {dev_image}\n    command: [sleep, infinity]\n"
        "    network_mode: none\n    init: true\n    volumes: ['.:/workspaces/repo']\n")
    up = subprocess.run(["docker-compose", "up", "-d"], cwd=root, env=docker_env,
                        capture_output=True, text=True, timeout=120, check=False)
    containers.ids.extend(engine.docker("ps", "-aq", "--no-trunc", "--filter",
                                        "label=com.docker.compose.service=web").stdout.split())
    assert up.returncode == 0, up.stderr
    detect = hostlint("detect", cwd=root)
    assert detect.out.splitlines()[0] == "target: container"
    assert f"com.docker.compose.project.working_dir={root}, service 'web'" in detect.out
    result = hostlint("check", "--no-map-paths", cwd=root)
    assert (result.code, result.out) == (0, f"{INSIDE}\n"), result.stderr


@pytest.mark.timeout(120)
def test_a_linter_reading_its_terminal_in_the_container_sees_end_of_input(
        tmp_path: Path, start: Start) -> None:
    """As locally and over SSH: ``/dev/tty`` (an ssh host-key prompt) and the terminal on
    stderr return end-of-input at once, nothing waits for a key nobody presses."""
    root = container_repo(tmp_path, f"python3 {INSIDE}/reads_tty.py")
    (root / "reads_tty.py").write_text(
        "import os\nfd = os.open('/dev/tty', os.O_RDONLY)\n"
        "print('dev/tty', os.read(fd, 100))\nprint('stderr', os.read(2, 100))\n")
    start(*devcontainer_labels(root))
    result = hostlint("check", cwd=root)
    assert (result.code, result.out) == (0, "dev/tty b''\nstderr b''\n"), result.stderr


# ----------------------------------------------------------------------------------------
# The hooks beyond pre-commit: the message and pre-push input reach the container
# ----------------------------------------------------------------------------------------

@BOTH
def test_commit_msg_and_prepare_commit_msg_in_the_container(
        tmp_path: Path, start: Start, docker_env: dict[str, str]) -> None:
    import json

    message = (b"Title $(touch PWNED) 'q' \"d\"\t\xe9\xff\n\n"
               + bytes(c for c in range(1, 256) if c != 10) * 4000 + b"\n")
    table = ('[tool.hostlint.linters.msg]\n'
             f'command = {toml_string(inside("hook_probe.py", "/out/probe.log", "--reject", "WIP"))}\n'
             'hooks = ["commit-msg"]\n[tool.hostlint.linters.trailer]\n'
             f'command = {toml_string(inside("hook_probe.py", "/out/edit.log", "--append", "Ok:1"))}\n'
             'hooks = ["prepare-commit-msg"]\n')
    root = make_repo(tmp_path / "repo", table)
    (root / ".devcontainer.json").write_text('{"image": "x"}\n')
    start(*devcontainer_labels(root))
    subprocess.run(hostlint_argv("install", "--hook-type", "commit-msg", "--hook-type",
                                 "prepare-commit-msg"), cwd=root, check=True, env=docker_env)
    (tmp_path / "message").write_bytes(message)
    out = tmp_path / "commit.out"
    assert run_detached(["git", "commit", "-q", "--allow-empty", "-F", str(tmp_path / "message")],
                        cwd=root, out=out, env=docker_env) == 0, out.read_text()
    record = json.loads((tmp_path / "out" / "probe.log").read_text())
    handed = (root / ".git" / "COMMIT_EDITMSG").read_bytes()
    assert bytes.fromhex(record["stdin"]) == bytes.fromhex(record["file"]) == handed
    assert handed.endswith(b"\nOk:1\n") and len(handed) > 1_000_000
    assert git(root, "log", "-1", "--format=%B").rstrip("\n").endswith("Ok:1")
    assert run_detached(["git", "commit", "-q", "--allow-empty", "-m", "WIP"], cwd=root, out=out,
                        env=docker_env) == 1
    assert "message rejected" in out.read_text()
    assert not list(tmp_path.rglob("PWNED"))


def test_pre_push_refs_and_remote_reach_the_container(
        tmp_path: Path, start: Start, docker_env: dict[str, str]) -> None:
    import json

    root = container_repo(tmp_path, inside("hook_probe.py", "/out/push.log"),
                          table='hooks = ["pre-push"]\n', staged=())
    start(*devcontainer_labels(root))
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(root, "remote", "add", "origin", str(bare))
    subprocess.run(hostlint_argv("install", "--hook-type", "pre-push"), cwd=root, check=True,
                   env=docker_env)
    out = tmp_path / "push.out"
    assert run_detached(["git", "push", "-q", "origin", "main"], cwd=root, out=out,
                        env=docker_env) == 0, out.read_text()
    record = json.loads((tmp_path / "out" / "push.log").read_text())
    head = git(root, "rev-parse", "HEAD").strip()
    ref_line = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    assert bytes.fromhex(record["stdin"]) == ref_line.encode()
    assert record["env"] == {"HOSTLINT_REMOTE_NAME": "origin", "HOSTLINT_REMOTE_URL": str(bare)}
    assert [bytes.fromhex(a).decode() for a in record["args"]] == ["pyproject.toml"]
