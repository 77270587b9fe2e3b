"""``python -m hostlint`` and the ``hostlint`` console script.

The git hook calls ``hostlint hook <type>``, and ``hostlint check`` with plain options is the
same run: both are handled here without loading the CLI framework (typer and what it
brings cost ~100 ms of start-up a commit would pay for nothing). Anything else — help,
completion, another command, an option not recognised here — goes to the typer app."""

from __future__ import annotations

import sys


def hook(argv: list[str]) -> int:
    """What the installed hook runs (``hook TYPE GIT-ARGS...``): that hook's linters with the
    configured settings (``HOSTLINT_*`` variables apply; ``HOSTLINT_VERBOSE=1`` for
    tracebacks)."""
    return check({"paths": []}, hook=argv)


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


#: ``check``'s options (cli.py declares them for typer, with their help; tests/test_cli.py
#: keeps the two lists the same): flags, and options taking a value (``--only``/``--skip`` repeat).
CHECK_FLAGS = ("--all-files", "--advisory", "--timings", "--no-map-paths", "-v", "--verbose")
CHECK_VALUES = ("--target", "--color", "--only", "--skip")


def parse_check(argv: list[str]) -> dict[str, list[str]] | None:
    """``[-v] check [OPTIONS] [PATHS]`` as {option: values}, or None for anything else."""
    found: dict[str, list[str]] = {"paths": []}
    while argv[:1] in (["-v"], ["--verbose"]):
        found["-v"], argv = [""], argv[1:]
    if argv[:1] != ["check"]:
        return None
    words = iter(argv[1:])
    for word in words:
        name, equals, inline = word.partition("=")
        if word == "--":
            found["paths"].extend(words)
        elif word in CHECK_FLAGS:
            found["-v" if word == "--verbose" else word] = [""]
        elif name in CHECK_VALUES:
            value = inline if equals else next(words, None)
            if value is None:
                return None
            found.setdefault(name, []).append(value)
        elif word.startswith("-") and word != "-":
            return None  # --help, or a mistake typer explains
        else:
            found["paths"].append(word)
    return found


def check(found: dict[str, list[str]], *, hook: list[str] | None = None) -> int:
    """``hostlint check`` (and the hook: ``hook`` is its type and git's arguments) without
    typer: the same options, the same error handling."""
    from hostlint.environment import Environment
    from hostlint.errors import report

    env = Environment()  # reads HOSTLINT_VERBOSE
    env.verbose = env.verbose or "-v" in found
    try:
        env.require_stdout()
        from hostlint.check import CheckOptions
        from hostlint.check import check as run_check
        from hostlint.stages import hook_input

        def last(name: str) -> str | None:
            return found[name][-1] if name in found else None

        options = CheckOptions(
            paths=tuple(found["paths"]), all_files="--all-files" in found,
            target=last("--target"), advisory=True if "--advisory" in found else None,
            color=last("--color"), only=tuple(found.get("--only", ())),
            skip=tuple(found.get("--skip", ())), timings="--timings" in found,
            map_paths="--no-map-paths" not in found)
        if hook:
            options = options._replace(hook=hook[0], hook_args=tuple(hook[1:]),
                                       hook_input=hook_input(hook[0]))
        return int(run_check(env, options))
    except BaseException as exc:
        return int(report(exc, stderr=env.stderr, verbose=env.verbose))


def main() -> None:
    _reserve_standard_descriptors()
    argv = sys.argv[1:]
    found = parse_check(argv)
    if argv[:1] == ["hook"]:
        code = hook(argv[1:])
    elif found is not None:
        code = check(found)
    else:
        from hostlint.cli import main as cli_main

        code = cli_main(argv)
    if sys.stdout is not None:
        sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
