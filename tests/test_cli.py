"""Small CLI promises: --version, --timings, the status line when connecting is slow."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from hostlint.cli import app, main
from hostlint.environment import Environment
from tests.sshd import SshdFactory
from tests.utils import PYTHON, child_env, hostlint, linter_config, make_repo, toml_string


def test_version_names_hostlint_python_and_paramiko(tmp_path: Path) -> None:
    result = hostlint("--version", cwd=tmp_path)
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == ["hostlint", "Python", "paramiko"]


def test_timings_prints_detect_connect_lint_total(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py"])
    result = hostlint("check", "--timings", cwd=root)
    assert re.fullmatch(r"hostlint: timings: detect \d+\.\d{3}s, connect \d+\.\d{3}s, "
                        r"lint \d+\.\d{3}s, total \d+\.\d{3}s\n", result.stderr), result.stderr


class TtyStderr(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_slow_connection_shows_one_status_line_on_a_terminal(
        tmp_path: Path, sshd_factory: SshdFactory, ssh_home: Path) -> None:
    server = sshd_factory()
    server.write_client_home(ssh_home)  # the alias now names this server
    server.freeze()  # accepts TCP, never answers: connecting takes the whole timeout
    config = linter_config("true", target='"ssh"', connect_timeout="2")
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(tmp_path))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    stderr = TtyStderr()
    env = Environment(stdout=io.BytesIO(), stderr=stderr, cwd=str(root), environ=dict(os.environ))
    assert main(["check"], env=env) == 3
    lines = stderr.getvalue().splitlines()
    assert lines[0] == "hostlint: connecting to hostlint-test..."
    assert len(lines) == 2  # then the one error line


def test_no_status_line_off_a_terminal(tmp_path: Path, sshd_factory: SshdFactory,
                                       ssh_home: Path) -> None:
    server = sshd_factory()
    server.write_client_home(ssh_home)
    server.freeze()
    config = linter_config("true", target='"ssh"', connect_timeout="1")
    config += f'[tool.hostlint.ssh]\nhost = "hostlint-test"\nroot = {toml_string(str(tmp_path))}\n'
    root = make_repo(tmp_path / "repo", config, staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 3 and len(result.stderr.splitlines()) == 1


def test_check_starts_without_typer_and_reads_its_options(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config("echo linted"), staged=["a.py", "-b.py"])
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostlint", "-v", "check",
                           "--timings", "--only=echo linted", "--", "-b.py"], cwd=root,
                          capture_output=True, env=child_env(), stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(b"-b.py\n") and b"a.py" not in proc.stdout
    loaded = {line.rpartition(b"|")[2].strip().decode() for line in proc.stderr.splitlines()
              if line.startswith(b"import time:")}
    assert "hostlint.check" in loaded and not [m for m in loaded if m.startswith(("typer", "pydantic"))]
    assert b"hostlint: timings: " in proc.stderr


@pytest.mark.parametrize("args", [("check", "--help"), ("check", "--bogus"), ("stop", "--help"),
                                  ("run-hook",), ("run-hook", "--help"),
                                  ("run-hook", "commit-msg", "--bogus")])
def test_help_and_mistakes_still_go_to_the_full_cli(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc = subprocess.run([sys.executable, "-m", "hostlint", *args], cwd=tmp_path,
                          capture_output=True, env=child_env(), stdin=subprocess.DEVNULL, check=False)
    assert b"Usage: hostlint " in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["check", "run-hook"])
def test_the_lean_parser_knows_the_options_each_command_declares(command: str) -> None:
    """``__main__`` parses ``check`` and ``run-hook`` without typer: its CHECK_FLAGS and
    CHECK_VALUES, RUN_HOOK_FLAGS and RUN_HOOK_VALUES are the typer commands' options, flags as
    flags (an option added to one only would be refused, or its value read as an argument,
    on the fast path)."""
    from hostlint.__main__ import CHECK_FLAGS, CHECK_VALUES, OPTIONS, RUN_HOOK_FLAGS, RUN_HOOK_VALUES

    assert OPTIONS == {"check": (CHECK_FLAGS, CHECK_VALUES), "run-hook": (RUN_HOOK_FLAGS, RUN_HOOK_VALUES)}
    flags, values = OPTIONS[command]
    params: list[Any] = get_command(app).commands[command].params  # type: ignore[attr-defined]
    options = [p for p in params if p.param_type_name == "option"]
    assert sorted(flags) == sorted(name for p in options if p.is_flag for name in p.opts)
    assert sorted(values) == sorted(name for p in options if not p.is_flag for name in p.opts)


#: ``run-hook``'s arguments in every form the lean parser takes: ``--``, ``--opt=value``,
#: repeated options (the last counts), options among the arguments, values that look like
#: options or are empty.
RUN_HOOK_FORMS = (
    ("commit-msg", "msg"),
    ("pre-push", "--files", "--", "a.py", "-b.py", "--", "--target"),
    ("pre-push", "origin", "--target", "local", "url", "--target=ssh", "--color=never"),
    ("--color", "--", "-v", "pre-push", "-", ""),
    ("--", "commit-msg", "--files"),
    ("pre-commit", "--verbose", "--files", "--files", "--target=", "--color", "always"),
    ("prepare-commit-msg", "--target=a=b", "-v", "msg", "message"),
)


@pytest.mark.parametrize("rest", RUN_HOOK_FORMS, ids=" ".join)
def test_the_lean_parser_reads_run_hook_as_typer_does(rest: tuple[str, ...]) -> None:
    from hostlint.__main__ import parse

    parsed = parse(["run-hook", *rest])
    assert parsed is not None and parsed[0] == "run-hook"
    found = parsed[1]
    lean = {"hook_type": found["args"][0], "args": tuple(found["args"][1:]),
            "target": found.get("--target", [None])[-1], "color": found.get("--color", [None])[-1],
            "verbose": "-v" in found, "files": "--files" in found}
    command = get_command(app).commands["run-hook"]  # type: ignore[attr-defined]
    params = dict(command.make_context("run-hook", list(rest)).params)
    assert lean == {**params, "args": tuple(params["args"] or ())}


@pytest.mark.parametrize("argv", [
    ("run-hook",), ("run-hook", "--files"), ("run-hook", "--help"), ("run-hook", "commit-msg", "-h"),
    ("run-hook", "pre-push", "--target"), ("run-hook", "pre-push", "--files=yes"),
    ("run-hook", "commit-msg", "--tar", "x"), ("run-hook", "commit-msg", "-vv"),
    ("--version", "run-hook", "commit-msg"), ("run-hook", "--bogus", "--", "commit-msg"),
], ids=" ".join)
def test_the_lean_parser_leaves_help_and_mistakes_to_typer(argv: tuple[str, ...]) -> None:
    from hostlint.__main__ import parse

    assert parse(list(argv)) is None


# -- the rendered help ---------------------------------------------------------------------------

COMMANDS = ((), *((name,) for name in sorted(get_command(app).commands)))  # type: ignore[attr-defined]


def rendered_help(*command: str) -> str:
    proc = subprocess.run([PYTHON, "-m", "hostlint", *command, "--help"], capture_output=True,
                          text=True, check=True, env=child_env(COLUMNS="200", NO_COLOR="1"))
    return proc.stdout


def help_cells(text: str, option: str) -> list[str]:
    """The cells of ``option``'s row in a help table: names, then value (if any), then help."""
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip(" │|"))
        if option in cells[0].split(","):
            return cells
    raise AssertionError(f"{option} is not in the help:\n{text}")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "hostlint")
def test_help_shows_flags_as_flags_and_names_each_value(command: tuple[str, ...]) -> None:
    """Every option of every command: a flag shows no value (``--all-files <bool>`` made users
    type ``--advisory true``), an option that takes one shows a NAME or its choices."""
    group = get_command(app)
    cmd = group.commands[command[0]] if command else group  # type: ignore[attr-defined]
    ctx = cmd.context_class(cmd, info_name="hostlint")
    text = rendered_help(*command)
    params: list[Any] = cmd.get_params(ctx)
    options = [p for p in params if p.param_type_name == "option" and not p.hidden]
    assert options
    for param in options:
        cells = help_cells(text, max(param.opts, key=len))
        rest = [cell for cell in cells if not cell.startswith("-")]
        if param.is_flag or param.count:
            assert param.help and param.help.startswith(rest[0]), (param.opts, cells)
        else:
            assert re.fullmatch(r"[A-Z]+|\[[a-z-]+(\|[a-z-]+)+\]", rest[0]), (param.opts, cells)


# -- HOSTLINT_VERBOSE ------------------------------------------------------------------------------

FOREIGN_HOOK = "#!/bin/sh\nexit 0\n"


@pytest.mark.parametrize("args", [("check",), ("detect",), ("install",),
                                  ("uninstall", "--hook-type", "pre-commit")])
def test_hostlint_verbose_means_dash_v_for_every_command(tmp_path: Path, args: tuple[str, ...]) -> None:
    """pre-commit, prek and lefthook call ``hostlint check``, not the hook path: the variable
    must work there (and everywhere) as ``-v`` does."""
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncomand = "typo"\n')
    (root / ".git" / "hooks" / "pre-commit").write_text(FOREIGN_HOOK)
    quiet = hostlint(*args, cwd=root, environ=child_env(HOSTLINT_VERBOSE="0"))
    flag = hostlint("-v", *args, cwd=root, environ=child_env())
    variable = hostlint(*args, cwd=root, environ=child_env(HOSTLINT_VERBOSE="1"))
    assert quiet.code == flag.code == variable.code == 2
    assert "Traceback" not in quiet.stderr and len(quiet.stderr.splitlines()) == 1
    assert "Traceback" in flag.stderr
    assert variable.stderr == flag.stderr


@pytest.mark.parametrize("waiting", ["atexit", "cProfile"])
def test_what_waits_for_the_exit_still_gets_it(tmp_path: Path, waiting: str) -> None:
    """``main`` skips the interpreter's teardown (``os._exit``) only when nothing waits for
    the end: ``atexit`` work (coverage registers some) still runs, and a profiler (cProfile,
    which writes its file once the program returns) still writes its file."""
    root = make_repo(tmp_path / "repo", linter_config("echo linted"), staged=["a.py"])
    done = tmp_path / "done"
    if waiting == "atexit":
        argv = [PYTHON, "-c", "import atexit, sys\n"
                f"atexit.register(lambda: open({str(done)!r}, 'w').close())\n"
                "sys.argv[1:] = ['check']\n"
                "from hostlint.__main__ import main\n"
                "main()\n"]
    else:
        argv = [PYTHON, "-m", "cProfile", "-o", str(done), "-m", "hostlint", "check"]
    proc = subprocess.run(argv, cwd=root, capture_output=True, stdin=subprocess.DEVNULL,
                          env=child_env(), timeout=60, check=False)
    assert (proc.returncode, proc.stdout) == (0, b"linted a.py\n"), proc.stderr
    assert done.exists()
