"""The container target with ``engine = "podman"``: the core acceptance against a real
rootful Podman, private to the session (tests/podman.py). Containers run from the Debian
test image's root filesystem with ``--network none``, the repository bind-mounted at
/workspaces/repo, the test linters at /linters and a directory for their logs at /out;
each test removes the containers it started."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostlint.engine_transport import engine_failure
from hostlint.files import arguments
from tests.container_helpers import (
    assert_unavailable,
    container_repo,
    devcontainer_labels,
    inside,
    live,
)
from tests.podman import REQUIRE_ENV, Podman, podman_unavailable, start_podman
from tests.utils import (
    HOSTILE,
    LINTERS,
    NON_UTF8,
    child_env,
    eventually,
    hostlint,
    hostlint_argv,
    linter_config,
    logged_args,
    make_repo,
    run_detached,
    stage,
)

INSIDE = "/workspaces/repo"
PODMAN_TABLE = '[tool.hostlint.container]\nengine = "podman"\n'
Start = Callable[..., str]


@pytest.fixture(scope="session")
def private_podman() -> Iterator[Podman]:
    """The session's Podman (nothing global is started: it is daemonless)."""
    reason = podman_unavailable()
    started = None
    if reason is None:
        try:
            started = start_podman()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            reason = str(exc).strip()
    if started is None:
        message = f"no private rootful podman: {reason}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(message)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def podman(private_podman: Podman, monkeypatch: pytest.MonkeyPatch) -> Iterator[Podman]:
    """hostlint (in-process and its children) uses the private Podman; the containers a
    test started are removed after it."""
    for name, value in private_podman.environ.items():
        monkeypatch.setenv(name, value)
    try:
        yield private_podman
    finally:
        private_podman.remove_all()


@pytest.fixture
def start(podman: Podman, tmp_path: Path) -> Start:
    """Start a container with the repository (``tmp_path/repo``), the linters and
    ``tmp_path/out`` mounted; extra ``podman run`` arguments (labels, a name) as given."""
    (tmp_path / "out").mkdir(exist_ok=True)

    def run(*extra: str) -> str:
        return podman.run("-v", f"{tmp_path / 'repo'}:{INSIDE}", "-v", f"{LINTERS}:/linters:ro",
                          "-v", f"{tmp_path / 'out'}:/out", *extra)
    return run


def podman_repo(tmp_path: Path, command: str, *, staged: tuple[str, ...] = ("a.py",),
                table: str = "", devcontainer: bool = True) -> Path:
    """A repository whose linter is ``command``, with engine podman chosen (docker may be
    on PATH too, and comes first)."""
    return container_repo(tmp_path, command, staged=staged, table=PODMAN_TABLE + table,
                          devcontainer=devcontainer)


def processes(podman: Podman, container: str) -> list[str]:
    """Every live process in the container (zombies left out), as ``ps`` lists them."""
    return live(podman.podman("exec", container, "ps", "-eo", "stat=,args=").stdout)


def commit(root: Path, out: Path) -> int:
    """``hostlint install``, then a ``git commit`` with no terminal (as a GUI client runs it)."""
    env = child_env()
    subprocess.run(hostlint_argv("install"), cwd=root, check=True, env=env, capture_output=True)
    return run_detached(["git", "commit", "-q", "-m", "x"], cwd=root, out=out, env=env)


# ----------------------------------------------------------------------------------------
# Detection
# ----------------------------------------------------------------------------------------


def test_a_devcontainer_labelled_podman_container_is_chosen_and_detect_says_why(
        tmp_path: Path, start: Start) -> None:
    root = podman_repo(tmp_path, "id -un; pwd; :")
    cid = start(*devcontainer_labels(root, user="nobody"))
    result = hostlint("detect", cwd=root)
    assert result.code == 0, result.stderr
    out = result.out
    assert out.splitlines()[0] == "target: container"
    assert f"devcontainer.local_folder={root}" in out and cid[:12] in out
    assert "/podman" in out and "user: nobody" in out
    assert f"root: {root} -> {INSIDE} (from bind mount {root} -> {INSIDE})" in out
    check = hostlint("check", cwd=root)
    assert (check.code, check.out) == (0, f"nobody\n{INSIDE}\n"), check.stderr


def test_a_compose_labelled_podman_container_is_chosen_and_the_fix_names_podman(
        tmp_path: Path, start: Start, podman: Podman) -> None:
    config = linter_config("echo $(cat /etc/hostname); :", target='"container"')
    root = make_repo(tmp_path / "repo", config + PODMAN_TABLE + 'service = "web"\n',
                     staged=["a.py"])
    (root / "compose.yaml").write_text("services: {}\n")
    labels = ("-l", f"com.docker.compose.project.working_dir={root}",
              "-l", "com.docker.compose.project=repo")
    start(*labels, "-l", "com.docker.compose.service=db", "--hostname", "db")
    web = start(*labels, "-l", "com.docker.compose.service=web", "--hostname", "web")
    assert "service 'web'" in hostlint("detect", cwd=root).out
    assert hostlint("check", cwd=root).out == "web\n"
    podman.podman("rm", "-f", "-t", "0", web)
    assert_unavailable(root, "run `podman compose up -d web`")  # the cached one is gone
    assert_unavailable(root, "start it: `podman compose up -d web`")  # none left to find


# ----------------------------------------------------------------------------------------
# Output, exit codes and names through a tty-less git commit
# ----------------------------------------------------------------------------------------


def test_a_passing_linter_commits_and_its_bytes_arrive_exact(tmp_path: Path,
                                                             start: Start) -> None:
    report = "caf\u00e9\ttab \u2713\n" + "".join(f"line {n}\n" for n in range(2000))
    root = podman_repo(tmp_path, inside("bytes_out.py"), staged=())
    stage(root, "report.txt", content=report)
    start(*devcontainer_labels(root))
    out = tmp_path / "commit.out"
    assert commit(root, out) == 0, out.read_bytes()
    assert out.read_bytes() == report.encode()
    log = subprocess.run(["git", "log", "--format=%s"], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    assert log.splitlines() == ["x", "init"]


def test_a_failing_linter_blocks_the_commit_and_loses_no_line(tmp_path: Path,
                                                              start: Start) -> None:
    root = podman_repo(tmp_path, inside("forking_runner.py", "1"))
    start(*devcontainer_labels(root))
    out = tmp_path / "commit.out"
    assert commit(root, out) == 1
    data = out.read_bytes()
    expected = "".join(f"child {c} line {n}\n" for c in range(3) for n in range(2)) + "runner done\n"
    assert data.startswith(expected.encode()), data
    assert b"\r" not in data


def test_hostile_names_arrive_exact_and_nothing_is_executed(tmp_path: Path,
                                                            start: Start) -> None:
    names = [*HOSTILE, NON_UTF8, "dir with space/inner.py"]
    root = podman_repo(tmp_path, inside("record_args.py", "/out/args.log"), staged=())
    stage(root, *names)
    start(*devcontainer_labels(root))
    result = hostlint("check", cwd=root)
    assert result.code == 0, result.stderr
    assert sorted(logged_args(tmp_path / "out" / "args.log")) == sorted(arguments(names))
    assert not (root / "PWNED").exists() and not (tmp_path / "out" / "PWNED").exists()


# ----------------------------------------------------------------------------------------
# Ctrl-C stops the tree inside the container
# ----------------------------------------------------------------------------------------


def test_ctrl_c_leaves_no_linter_process_in_the_container(tmp_path: Path, start: Start,
                                                           podman: Podman) -> None:
    root = podman_repo(tmp_path, inside("stubborn.py", "/out/stubborn-marker"))
    cid = start(*devcontainer_labels(root))
    out = tmp_path / "check.out"
    with out.open("wb") as f:
        proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=f,
                                stderr=subprocess.STDOUT, env=child_env(),
                                start_new_session=True)
    try:
        assert eventually(lambda: b"ready" in out.read_bytes(), 30), out.read_bytes()
        assert any("stubborn-child" in p for p in processes(podman, cid))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [p for p in processes(podman, cid) if "stubborn" in p or "sh -c" in p] == []
    assert (tmp_path / "out" / "stubborn-marker").exists()  # it got the SIGINT, inside


# ----------------------------------------------------------------------------------------
# A stopped or removed container: exit 3 with the fix
# ----------------------------------------------------------------------------------------


def test_a_stopped_named_container_names_podman_start(tmp_path: Path, start: Start,
                                                      podman: Podman) -> None:
    name = f"hl-stopped-{os.getpid()}"
    root = podman_repo(tmp_path, "true", table=f'name = "{name}"\n', devcontainer=False)
    start("--name", name)
    assert hostlint("check", cwd=root).code == 0  # cached now
    podman.podman("stop", "-t", "0", name)
    assert_unavailable(root, f"podman start {name}")


def test_a_removed_devcontainer_names_devcontainer_up(tmp_path: Path, start: Start,
                                                      podman: Podman) -> None:
    root = podman_repo(tmp_path, "true")
    cid = start(*devcontainer_labels(root))
    assert hostlint("check", cwd=root).code == 0  # cached now
    podman.podman("rm", "-f", "-t", "0", cid)
    assert_unavailable(root, "devcontainer up --workspace-folder .")


def test_an_unreachable_podman_service_is_exit_3_naming_the_connection(
        tmp_path: Path, podman: Podman, monkeypatch: pytest.MonkeyPatch) -> None:
    """CONTAINER_HOST makes the CLI a remote client: a socket nobody serves."""
    root = podman_repo(tmp_path, "true", table='name = "x"\n', devcontainer=False)
    monkeypatch.setenv("CONTAINER_HOST", f"unix://{tmp_path}/no-service.sock")
    assert_unavailable(root, "the podman service is not answering")
    assert "podman system connection list" in hostlint("check", cwd=root).stderr


def test_no_permission_on_a_podman_socket_names_rootless_podman() -> None:
    """Podman 4.3 remote client's message (as seen for a missing socket) with a socket it may
    not use: no engine needed."""
    stderr = (b"Cannot connect to Podman. Please verify your connection to the Linux system "
              b"using `podman system connection list`, or try `podman machine init` and "
              b"`podman machine start` to manage a new Linux VM\nError: unable to connect to "
              b'Podman socket: Get "http://d/v4.3.1/libpod/_ping": dial unix '
              b"/run/podman/podman.sock: connect: permission denied\n")
    failure = engine_failure("/usr/bin/podman", stderr, container="x")
    assert failure.reason == "permission"
    assert failure.message.startswith("no permission to use the podman socket (Error: ")
    assert failure.hint is not None and "rootless Podman" in failure.hint
    assert "docker" not in failure.hint
