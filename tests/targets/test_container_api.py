"""The container target's Engine API transport against the session's private dockerd
(tests/engine.py): which socket the CLI would use, the daemon's refusals as the CLI's one
line, an unreachable or forbidden socket, the exit code from the exec's inspection, and a
run driven through ``pump`` like any target's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from hostlint import docker_api
from hostlint.config import load
from hostlint.container_engine import Container
from hostlint.engine_transport import ApiTransport, EngineError, ExecSpec, transport
from hostlint.environment import Environment
from hostlint.status import RunResult
from hostlint.targets.base import Cancel, Context, Invocation, pump
from hostlint.targets.container.execs import ApiExec
from hostlint.targets.container.target import ContainerTarget
from tests.engine import Containers, Engine
from tests.utils import Collect, hostlint, linter_config, make_repo

HERE = Path(__file__).resolve().parents[2]


def _api(engine: Engine) -> ApiTransport:
    found = transport(engine.cli, {"DOCKER_HOST": engine.docker_host})
    assert isinstance(found, ApiTransport)
    return found


def test_the_socket_is_the_one_the_cli_would_use(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "docker.sock"
    monkeypatch.setattr(docker_api, "DEFAULT_SOCKET", str(default))  # the machine's own
    home = {"HOME": str(tmp_path)}
    assert docker_api.socket_path({"DOCKER_HOST": "unix:///run/x.sock"}) == "/run/x.sock"
    assert docker_api.socket_path({"DOCKER_HOST": "tcp://127.0.0.1:2375"}) is None
    assert docker_api.socket_path({"DOCKER_HOST": "unix:///x.sock", "DOCKER_CONTEXT": "o"}) \
        == "/x.sock"  # DOCKER_HOST wins, as in the CLI
    assert docker_api.socket_path(home) is None  # no default socket here
    default.touch()
    assert docker_api.socket_path(home) == str(default)
    assert docker_api.socket_path({**home, "DOCKER_CONTEXT": "default"}) == str(default)
    assert docker_api.socket_path({**home, "DOCKER_CONTEXT": "remote"}) is None
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    assert docker_api.socket_path(home) is None
    assert docker_api.socket_path({**home, "DOCKER_CONTEXT": "default"}) == str(default)
    assert docker_api.socket_path({**home, "DOCKER_CONFIG": str(tmp_path)}) == str(default)
    assert not isinstance(transport("/usr/bin/podman", {"DOCKER_HOST": "unix:///x"}), ApiTransport)


def test_the_daemons_refusals_become_the_clis_one_line(engine: Engine, containers: Containers,
                                                       dev_image: str) -> None:
    api = _api(engine)
    with pytest.raises(docker_api.ApiError) as raw:
        docker_api.call(api.path, "GET", "/containers/hl-no-such/json", timeout=10)
    assert raw.value.status == 404 and "No such container" in raw.value.message
    with pytest.raises(EngineError) as gone:
        api.create("hl-no-such", ExecSpec(("true",)), tty=True, timeout=10, name="hl-no-such")
    assert gone.value.reason == "gone" and "\n" not in gone.value.line()
    stopped = containers.run(dev_image, "true")
    engine.docker("wait", stopped)
    with pytest.raises(EngineError) as refused:
        api.create(stopped, ExecSpec(("true",)), tty=True, timeout=10)
    assert refused.value.reason == "stopped", refused.value.line()


def test_a_missing_socket_is_the_daemon_not_answering(tmp_path: Path) -> None:
    api = ApiTransport("/usr/bin/docker", str(tmp_path / "none.sock"))
    with pytest.raises(EngineError) as caught:
        api.labelled("x", timeout=5)
    assert caught.value.reason == "daemon" and "systemctl start docker" in (caught.value.hint or "")


def test_a_socket_without_permission_names_the_docker_group(engine: Engine) -> None:
    """As an unprivileged user (root passes any permission check), with the system's python:
    the private daemon's socket lies in a directory only root may enter."""
    probe = ("from hostlint.engine_transport import ApiTransport, EngineError\n"
             f"try: ApiTransport('/usr/bin/docker', {engine.docker_host[7:]!r}).labelled('x', timeout=5)\n"
             "except EngineError as e: print(e.reason, e.hint)\n")
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "/usr/bin/python3", "-c", probe], capture_output=True, text=True,
                         env={"PATH": os.defpath, "PYTHONPATH": str(HERE)}, check=True).stdout
    assert out.startswith("permission ") and "docker` group" in out


def test_the_exit_code_comes_from_the_exec_inspection(engine: Engine, containers: Containers,
                                                      dev_image: str) -> None:
    cid = containers.run(dev_image, "sleep", "infinity")
    c = Container(engine.cli, cid, "dev", True, "/", "test", None, None, "test", "docker start")
    exec_ = ApiExec(_api(engine), c, ExecSpec(("sh", "-c", "printf 'a\\nb'; exit 7")), timeout=10)
    try:
        out = b""
        while data := exec_.read():
            out += data
        assert exec_.wait() == RunResult(7) and exec_.lost() == ""
    finally:
        exec_.close()
    assert out == b"a\r\nb"  # the container pty's own translation: the wrapper clears it


def test_a_run_through_the_api_keeps_bytes_stdin_and_status(
        tmp_path: Path, engine: Engine, containers: Containers, dev_image: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    repo = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    cid = containers.run(dev_image, "sleep", "infinity", args=("--network", "none", "-v",
                                                                f"{repo}:/w"))
    context = Context(str(repo), load(str(repo)), Environment(cwd=str(repo)))
    target = ContainerTarget(Container(engine.cli, cid, "dev", True, "/w", "test", None, None,
                                       "test", "docker start"), context, cached=False)
    assert isinstance(target.calls, ApiTransport)
    command = "printf '%s|' \"$(cat)\" \"$PWD\" \"$HL\"; printf 'end\\n'; exit 5; :"
    sink = Collect()
    process = target.start(Invocation(command, ("a b",), stdin=b"in put", environ=(("HL", "v"),)))
    try:
        result = pump(process, sink, Cancel())
    finally:
        process.close()
    assert result == RunResult(5)
    assert sink.data == b"in put|/w|v|end\n"  # no marker line, no \r


def _answer(raw: bytes) -> socket.socket:
    """``raw`` as the daemon would send it, on one end of a socket pair."""
    ours, theirs = socket.socketpair()
    with theirs:
        theirs.sendall(raw)
    return ours


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3;ext\r\nllo\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
])
def test_a_body_is_read_whole_however_it_is_sized(raw: bytes) -> None:
    """The parser on bytes from a socket pair: the daemon chooses chunking by the answer's
    size, which a test cannot steer."""
    with _answer(raw) as sock:
        status, headers, rest = docker_api._head(sock)
        assert (status, docker_api._body(sock, headers, rest)) == (200, b"hello")


def test_the_upgraded_stream_stays_on_the_socket_for_poll() -> None:
    with _answer(b"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n\036hostlint-pid 7\n") as sock:
        status, _, rest = docker_api._head(sock, exact=True)
        assert (status, rest, sock.recv(100)) == (101, b"", b"\036hostlint-pid 7\n")


def test_a_daemon_that_accepts_but_never_answers_is_exit_3_within_the_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A listening socket nobody reads from: what a hung daemon looks like to a client."""
    path = tmp_path / "hung.sock"
    with socket.socket(socket.AF_UNIX) as hung:
        hung.bind(str(path))
        hung.listen(8)
        monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
        root = make_repo(tmp_path / "repo", linter_config("true", connect_timeout="2") +
                         '[tool.hostlint.container]\nname = "x"\n', staged=["a.py"])
        began = time.monotonic()
        result = hostlint("check", cwd=root)
        assert time.monotonic() - began < 6
    assert result.code == 3 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"the docker daemon at unix://{path} gave no answer within 2 s" in result.stderr
