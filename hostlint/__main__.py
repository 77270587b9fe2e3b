"""``python -m hostlint`` and the ``hostlint`` console script.

The git hook calls ``hostlint hook <type>``; ``hostlint check`` and ``hostlint run-hook`` (what
pre-commit and prek run for the other hooks) with plain options are the same run. All three
are handled here without loading the CLI framework (typer and what it brings cost ~100 ms of
start-up a commit would pay for nothing). Anything else — help, completion, another
command, an option not recognised here — goes to the typer app."""

from __future__ import annotations

import sys

from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import NoReturn

    from hostlint.options import CheckOptions


def _reap_own_children() -> None:
    """Started with SIGCHLD ignored (a parent's choice, kept across ``exec``), this process
    would have its children reaped by the kernel: git's and the linters' exit statuses lost,
    a failing linter unnoticed. Back to the default, which their children inherit too."""
    from hostlint import signals

    if signals.getsignal(signals.SIGCHLD) == signals.SIG_IGN:
        signals.signal(signals.SIGCHLD, signals.SIG_DFL)


def _reserve_standard_descriptors() -> None:
    """Started with stdin, stdout or stderr closed (``>&-``), the next pipe or pty hostlint
    opens would take that number and be mistaken for it: hold each closed one on /dev/null.
    (``sys.stdout`` stays None, so the closed stdout is still reported.)"""
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one


#: The commands parsed here, each with its flags and its options taking a value (cli.py
#: declares them for typer, with their help; tests/test_cli.py keeps the lists the same).
CHECK_FLAGS = ("--all-files", "--advisory", "--timings", "--no-map-paths", "-v", "--verbose")
CHECK_VALUES = ("--target", "--color", "--only", "--skip")
RUN_HOOK_FLAGS = ("--files", "-v", "--verbose")
RUN_HOOK_VALUES = ("--target", "--color")
OPTIONS = {"check": (CHECK_FLAGS, CHECK_VALUES), "run-hook": (RUN_HOOK_FLAGS, RUN_HOOK_VALUES)}


def parse(argv: list[str]) -> tuple[str, dict[str, list[str]]] | None:
    """``[-v] COMMAND [OPTIONS] [ARGS]`` for a command in ``OPTIONS``: the command and
    {option: values}, its arguments under ``"args"`` (a repeated option keeps every value);
    None for anything else."""
    found: dict[str, list[str]] = {"args": []}
    while argv[:1] in (["-v"], ["--verbose"]):
        found["-v"], argv = [""], argv[1:]
    if not argv or argv[0] not in OPTIONS:
        return None
    flags, values = OPTIONS[argv[0]]
    words = iter(argv[1:])
    for word in words:
        name, equals, inline = word.partition("=")
        if word == "--":
            found["args"].extend(words)
        elif word in flags:
            found["-v" if word == "--verbose" else word] = [""]
        elif name in values:
            value = inline if equals else next(words, None)
            if value is None:
                return None
            found.setdefault(name, []).append(value)
        elif word.startswith("-") and word != "-":
            return None  # --help, or a mistake typer explains
        else:
            found["args"].append(word)
    if argv[0] == "run-hook" and not found["args"]:
        return None  # typer says TYPE is missing
    return argv[0], found


def run(command: str, found: dict[str, list[str]]) -> int:
    """``check`` or ``run-hook`` as ``parse`` found it, without typer: the same options, the
    same error handling."""
    from hostlint.environment import Environment
    from hostlint.errors import report

    env = Environment()  # reads HOSTLINT_VERBOSE
    env.verbose = env.verbose or "-v" in found
    try:
        env.require_stdout()
        from hostlint.check import check

        options = _run_hook_options(found) if command == "run-hook" else _check_options(found)
        return int(check(env, options))
    except BaseException as exc:
        return int(report(exc, stderr=env.stderr, verbose=env.verbose))


def hook(argv: list[str]) -> int:
    """What the installed hook runs (``hook TYPE GIT-ARGS...``): ``run-hook TYPE -- GIT-ARGS``
    with the configured settings (``HOSTLINT_*`` variables apply; ``HOSTLINT_VERBOSE=1`` for
    tracebacks). Without a type, pre-commit's."""
    return run("run-hook", {"args": argv or ["pre-commit"]})


def _last(found: dict[str, list[str]], name: str) -> str | None:
    return found[name][-1] if name in found else None


def _check_options(found: dict[str, list[str]]) -> CheckOptions:
    from hostlint.options import CheckOptions

    return CheckOptions(
        paths=tuple(found["args"]), all_files="--all-files" in found,
        target=_last(found, "--target"), advisory=True if "--advisory" in found else None,
        color=_last(found, "--color"), only=tuple(found.get("--only", ())),
        skip=tuple(found.get("--skip", ())), timings="--timings" in found,
        map_paths="--no-map-paths" not in found)


def _run_hook_options(found: dict[str, list[str]]) -> CheckOptions:
    from hostlint.options import hook_options

    hook_type, *args = found["args"]
    return hook_options(hook_type, args, target=_last(found, "--target"),
                        color=_last(found, "--color"), files="--files" in found)


def main() -> None:
    """The console script, ``python -m hostlint`` and the installed hook."""
    _exit(run_argv(sys.argv[1:]))


def run_argv(argv: list[str]) -> int:
    """Any command line, its exit status returned: the hook's and the lean commands' here,
    the rest through the typer app."""
    _reserve_standard_descriptors()
    _reap_own_children()
    if argv[:1] == ["hook"]:
        return hook(argv[1:])
    parsed = parse(argv)
    if parsed is not None:
        return run(*parsed)
    from hostlint.cli import main as cli_main

    return cli_main(argv)


def _exit(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, which frees every module and
    object one by one: ~8 ms of every hook here (mypy's ``hard_exit`` does the same). Nothing
    is lost: each file hostlint writes is closed before its command returns, and the
    standard streams are flushed here. Unless something waits for the exit: a profiler or
    tracer (cProfile, ``trace``), or ``atexit`` work (coverage; ``logging``, which the remote
    targets and the typer app load) — then Python ends as usual."""
    import atexit
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):  # gone: what hostlint wrote is out
                stream.flush()
    if sys.getprofile() is not None or sys.gettrace() is not None or atexit._ncallbacks():
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    main()
