"""A side output that fails — last.log on a full disk, the spill file of a held block in a
full TMPDIR, stdout itself on /dev/full or a pipe whose reader left — is dropped with one
warning line, and the linters' result stands: a passing linter never blocks a commit
because a disk is full. hostlint runs in a process of its own here, on real descriptors and
real full filesystems (tests.utils.full_filesystem)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

import pytest

from tests.utils import (
    child_env,
    full_filesystem,
    hostlint_argv,
    linter,
    linter_config,
    make_repo,
    toml_string,
)

FULL = "No space left on device"


def _run(root: Path, *, stdout: int | IO[bytes] = subprocess.PIPE,
         environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(hostlint_argv("check"), cwd=root, stdout=stdout, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=environ or child_env(), timeout=60,
                          check=False)


def _lines(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    text = proc.stderr.decode(errors="replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text
    return text.splitlines()


@pytest.mark.parametrize("command, code", [("echo all clean", 0), ("echo a finding; exit 1", 1)])
def test_last_log_on_a_full_disk_is_dropped_with_one_warning(tmp_path: Path, command: str,
                                                             code: int) -> None:
    root = make_repo(tmp_path / "repo", linter_config(command, pass_filenames="false"),
                     staged=["a.py"])
    where = root / ".git" / "hostlint"
    with full_filesystem(where):
        proc = _run(root)
        left = sorted(p.name for p in where.iterdir())
    assert proc.returncode == code
    assert proc.stdout in (b"all clean\n", b"a finding\n")
    log = where / "last.log"
    assert _lines(proc) == [f"hostlint: warning: cannot write {log}: {FULL}; this run's output "
                            "is not kept there"]  # and no "full output in" naming a lost file
    assert left == ["filler"]  # neither a partial log nor a cut one left behind


def test_a_full_tmpdir_keeps_every_byte_of_held_output(tmp_path: Path) -> None:
    config = ("[tool.hostlint.linters.big]\n"
              f"command = {toml_string(linter('flood.py', '3'))}\n"
              "[tool.hostlint.linters.small]\n"
              "command = \"echo small\"\n")
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    out = tmp_path / "out"
    with full_filesystem(tmp_path / "tmp", leave=16384) as tmp, out.open("wb") as stdout:
        proc = _run(root, stdout=stdout, environ=child_env(TMPDIR=str(tmp)))
    assert proc.returncode == 0
    assert _lines(proc) == [f"hostlint: warning: cannot hold output in a temporary file in {tmp}: "
                            f"{FULL}; holding it in memory"]
    lines = out.read_bytes().split(b"\n")
    big = lines.index(b"--- big ---")
    numbers = [int(line[:8]) for line in lines[big + 1: big + 1 + 3 * 1024]]
    assert numbers == list(range(3 * 1024))
    assert lines[big + 1 + 3 * 1024].startswith(b"--- ")
    assert b"--- small ---\nsmall a.py\n" in out.read_bytes()


@pytest.mark.parametrize("command, code", [("echo all clean", 0), ("echo a finding; exit 1", 1)])
def test_stdout_on_dev_full_keeps_the_result_and_the_log(tmp_path: Path, command: str,
                                                         code: int) -> None:
    root = make_repo(tmp_path / "repo", linter_config(command, pass_filenames="false"),
                     staged=["a.py"])
    with open("/dev/full", "wb") as full:
        proc = _run(root, stdout=full)
    assert proc.returncode == code
    log = root / ".git" / "hostlint" / "last.log"
    lines = _lines(proc)
    assert lines[0] == f"hostlint: warning: cannot write to stdout: {FULL}; the output is kept in {log}"
    assert len(lines) == 1 + code  # a failure adds the line naming the log
    assert log.read_bytes() in (b"all clean\n", b"a finding\n")


@pytest.mark.parametrize("code", [0, 1])
def test_a_reader_that_goes_away_does_not_decide_the_result(tmp_path: Path, code: int) -> None:
    """``hostlint check | head -1``: the linter goes on after the reader left (EPIPE)."""
    marker = tmp_path / "reader-gone"
    root = make_repo(tmp_path / "repo",
                     linter_config(linter("after_marker.py", str(marker), "2000", str(code))),
                     staged=["a.py"])
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env())
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"first\n"
    proc.stdout.close()
    marker.touch()
    assert proc.wait(timeout=60) == code
    done = subprocess.CompletedProcess(proc.args, code, b"", proc.stderr.read())
    log = root / ".git" / "hostlint" / "last.log"
    assert _lines(done)[0] == (f"hostlint: warning: cannot write to stdout: Broken pipe; the "
                               f"output is kept in {log}")
    assert log.read_bytes().count(b"\n") == 2001


def test_stderr_on_dev_full_does_not_change_the_exit_code(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fail.py")), staged=["a.py"])
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(hostlint_argv("check"), cwd=root, stdout=subprocess.PIPE,
                              stderr=full, stdin=subprocess.DEVNULL, env=child_env(),
                              timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout == b"a.py:1:1: E999 something is wrong\n"



@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
def test_a_non_blocking_stdout_that_fills_up_loses_nothing(tmp_path: Path, unbuffered: bool) -> None:
    """A pipe its other holder left non-blocking (CI runners' often are; so is a terminal a
    program left that way) refuses a write when full instead of waiting: hostlint waits for
    room, as a blocking one makes it, and every byte arrives. The pipe holds one page, so
    2 MB of output meets a full pipe again and again (hostlint before this lost all but
    4 KiB to 1.4 MB of it). Unbuffered (``python -u``, CI images often set it), a write that
    does not fit takes part of the bytes and says how many, or none and says None."""
    import fcntl
    import os

    from tests.utils import PYTHON

    root = make_repo(tmp_path / "repo", linter_config(linter("flood.py", "2"),
                                                      pass_filenames="false"), staged=["a.py"])
    expected = subprocess.run([PYTHON, str(Path(__file__).parent / "linters" / "flood.py"), "2"],
                              capture_output=True, check=True).stdout
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)  # type: ignore[attr-defined, unused-ignore]
    os.set_blocking(write, False)
    proc = subprocess.Popen(hostlint_argv("check"), cwd=root, stdout=write, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL,
                            env=child_env(**({"PYTHONUNBUFFERED": "1"} if unbuffered else {})))
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == expected and b"cannot write" not in err


@pytest.mark.parametrize("buffering", [-1, 0], ids=["buffered", "unbuffered"])
def test_a_commands_own_output_waits_on_a_full_non_blocking_stdout(buffering: int) -> None:
    """``detect``, ``--version`` and the help write through ``Environment.write``: on a
    non-blocking pipe that is full (its reader slower than the write) they wait for room,
    as the linters' output does, instead of ending with "cannot write to stdout"."""
    import fcntl
    import os
    import threading

    from hostlint.environment import Environment

    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)  # type: ignore[attr-defined, unused-ignore]
    os.set_blocking(write, False)
    received: list[bytes] = []
    with os.fdopen(read, "rb") as pipe:
        reader = threading.Thread(target=lambda: received.append(pipe.read()))
        reader.start()
        data = bytes(range(256)) * 4096  # 1 MiB: no single write fits a 4 KiB pipe
        with os.fdopen(write, "wb", buffering=buffering) as stdout:
            Environment(stdout=stdout, environ={}).write(data)
        reader.join(timeout=60)
    assert received == [data]
