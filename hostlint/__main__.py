"""``python -m hostlint`` and the ``hostlint`` console script.

The git hook calls ``hostlint hook <type>``: that path is handled here without loading the
CLI framework (typer costs ~50 ms of start-up a commit would pay for nothing)."""

from __future__ import annotations

import sys


def hook(argv: list[str]) -> int:
    """What the installed hook runs: a check of the staged files with the configured
    settings (``HOSTLINT_*`` variables apply; ``HOSTLINT_VERBOSE=1`` for tracebacks)."""
    from hostlint.environment import Environment
    from hostlint.errors import report

    env = Environment()
    env.verbose = env.environ.get("HOSTLINT_VERBOSE", "") not in ("", "0")
    try:
        env.require_stdout()
        from hostlint.check import CheckOptions, check

        return int(check(env, CheckOptions()))
    except BaseException as exc:
        return int(report(exc, stderr=env.stderr, verbose=env.verbose))


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


def main() -> None:
    _reserve_standard_descriptors()
    argv = sys.argv[1:]
    if argv[:1] == ["hook"]:
        code = hook(argv[1:])
    else:
        from hostlint.cli import main as cli_main

        code = cli_main(argv)
    if sys.stdout is not None:
        sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
