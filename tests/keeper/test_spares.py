"""Spare sessions (targets/ssh/spare.py, keeper/spares.py) against a real sshd: a warm run
takes a remote shell started ahead of it, with the bytes, codes and environment of a direct
connection (``persist = 0``)."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.keeper.test_warm import check, repo
from tests.ssh_helpers import accepted
from tests.sshd import SshdFactory, SshServer
from tests.utils import (
    HOSTILE,
    NON_UTF8,
    eventually,
    gone_within,
    linter,
    logged_args,
    make_repo,
    stage,
)

#: How the spare's shell shows in the process list (``bash -c BOOTSTRAP``).
SPARE = "bash -c stty -echo 2>/dev/null; printf '\\036hostlint-spare"


def spare(server: SshServer) -> int:
    """The pid of the spare shell the last run left behind (started in the background)."""
    return server.wait_for_process(SPARE, timeout=20)


def warm(tmp_path: Path, command: str, server: SshServer, **top: str) -> tuple[Path, int]:
    """A repository checked once through a new keeper, and the spare that check left."""
    root = repo(tmp_path, command, name="warm", **top)
    assert check(root).returncode in (0, 1)
    return root, spare(server)


def test_a_run_is_the_spare_shell_itself(server: SshServer, tmp_path: Path) -> None:
    """The linter replaces the spare's shell (``exec``), as a direct ``sh -c`` runs its last
    command: same process, so the same signals and exit status reach hostlint."""
    root, pid = warm(tmp_path, linter("slow.py", "0"), server)
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"pid {pid}".encode()
    assert accepted(server) == 1


@pytest.mark.parametrize("command", [
    linter("forking_runner.py", "0"), linter("forking_runner.py", "3"), linter("bytes_out.py"),
    linter("fail.py"), "true", "false", "no-such-linter-here",
])
def test_bytes_and_codes_over_a_spare_are_those_of_a_direct_connection(
        server: SshServer, tmp_path: Path, command: str) -> None:
    direct = check(repo(tmp_path, command, name="direct", persist="0"))
    root, pid = warm(tmp_path, command, server)
    result = check(root)
    assert gone_within(pid, 5)  # the spare ran it
    assert (result.returncode, result.stdout) == (direct.returncode, direct.stdout)
    assert result.stderr.replace(b"/warm", b"/direct") == direct.stderr


def test_the_linter_sees_the_environment_of_a_direct_run(server: SshServer, tmp_path: Path) -> None:
    """The same login files, run once ahead of time: the same variables (but those naming
    the connection and the pty, which differ between any two sessions)."""
    direct = check(repo(tmp_path, "env", name="direct", persist="0", pass_filenames="false"))
    root, _ = warm(tmp_path, "env", server, pass_filenames="false")
    result = check(root)

    def variables(output: bytes) -> list[bytes]:
        """NAME=value lines (not what a busy machine's pyenv may say), but the three naming
        the connection and the pty."""
        lines = output.replace(b"/warm", b"/direct").splitlines()
        return sorted(line for line in lines if re.match(rb"[A-Za-z_][A-Za-z0-9_]*=", line)
                      and not line.startswith((b"SSH_CLIENT=", b"SSH_CONNECTION=", b"SSH_TTY=")))
    assert result.returncode == direct.returncode == 0
    assert variables(result.stdout) == variables(direct.stdout)
    # env replaced the shell, as the last command of sh -c does: a forked one would show
    # another SHLVL than the direct run (compared above; its value is the server's to set)
    assert re.search(rb"^SHLVL=\d+$", result.stdout, re.M)
    assert b"PATH=" in result.stdout and b"hl_" not in result.stdout


def test_a_long_command_of_hostile_names_goes_through_a_spare(server: SshServer,
                                                              tmp_path: Path) -> None:
    """Hundreds of lines handed over (far past the pty's 4 KiB line), every byte value a
    name may hold; one batch, the spare's."""
    log = tmp_path / "args.log"
    root, pid = warm(tmp_path, linter("record_args.py", str(log)), server)
    names = [*HOSTILE, NON_UTF8, "\x01ctrl\x03c\x04d\x7f.py", "100%\\n.py",
             *(f"dir/{i:03d}-" + "x" * 90 + ".py" for i in range(400))]
    stage(root, *names)
    log.unlink()
    result = check(root)
    assert gone_within(pid, 5)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"linted {len(names) + 1} files\n".encode()
    passed = [f"./{name}" if name.startswith("-") else name for name in ["a.py", *names]]
    assert sorted(logged_args(log)) == sorted(passed)


def test_a_spare_killed_before_use_is_replaced_by_a_new_channel(server: SshServer,
                                                                 tmp_path: Path) -> None:
    root, pid = warm(tmp_path, "echo linted", server)
    os.kill(pid, signal.SIGKILL)  # the shell, not what its login files run
    result = check(root)
    assert (result.returncode, result.stdout) == (0, b"linted a.py\n"), result.stderr
    assert spare(server) != pid  # and the next one is up
    assert accepted(server) == 1


def test_what_the_login_files_print_shows_once_where_a_direct_run_shows_it(
        sshd_factory: SshdFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A login that prints (a ``ForceCommand`` wrapping every command stands in for a noisy
    ``~/.bashrc``): the same bytes as a direct run, once; the spare's own marker and the
    command handed to it never."""
    noisy = sshd_factory(extra_config="ForceCommand printf 'noise from init\\n'; "
                         'eval "$SSH_ORIGINAL_COMMAND"')
    home = tmp_path / "home"
    noisy.write_client_home(home)
    monkeypatch.setenv("HOME", str(home))
    command = linter("fail.py")
    direct = check(repo(tmp_path, command, name="direct", persist="0"))
    root = repo(tmp_path, command, name="warm")
    check(root)
    pid = noisy.wait_for_process("bash -c printf 'noise", timeout=20)  # the spare, wrapped
    result = check(root)
    assert gone_within(pid, 5)
    assert direct.stdout.count(b"noise from init") == 1
    assert (result.returncode, result.stdout) == (direct.returncode, direct.stdout)
    assert b"hostlint-spare" not in result.stdout and b"hl_x" not in result.stdout


def test_parallel_linters_use_spares_with_the_bytes_of_a_direct_connection(
        server: SshServer, tmp_path: Path) -> None:
    def config(name: str, persist: str) -> str:
        log = tmp_path / f"{name}.log"
        text = f'[tool.hostlint]\ntarget = "ssh"\npersist = {persist}\n'
        for linter_name, code in (("a", 0), ("b", 1), ("c", 0)):
            text += (f"[tool.hostlint.linters.{linter_name}]\ncommand = "
                     f"'{linter('timed.py', linter_name, str(log), '0', str(code))}'\n")
        return text + f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = "{tmp_path / name}"\n'

    direct = check(make_repo(tmp_path / "direct", config("direct", "0"), staged=["a.py"]))
    root = make_repo(tmp_path / "warm", config("warm", "600"), staged=["a.py"])
    check(root)
    spares = _spares(server, 3)
    result = check(root)
    assert all(gone_within(pid, 5) for pid in spares)
    assert result.returncode == direct.returncode == 1
    assert _blocks(result.stdout.replace(b"/warm", b"/direct")) == _blocks(direct.stdout)
    assert accepted(server) == 2


def _blocks(output: bytes) -> set[bytes]:
    """Each linter's block and summary line, without the order they finished in or times."""
    blocks, summary = output.split(b"--- summary ---\n")
    return {*blocks.split(b"--- ")[1:], *(line.rsplit(None, 1)[0] for line in summary.splitlines())}


def _spares(server: SshServer, count: int) -> list[int]:
    """The pids of ``count`` spare shells, once that many are up."""
    def found() -> list[int]:
        pids = []
        for pid in server.descendants():
            try:
                line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"hostlint-spare" in line and not line.startswith(b"sshd"):
                pids.append(pid)
        return pids
    assert eventually(lambda: len(found()) == count, 20), found()
    return found()
