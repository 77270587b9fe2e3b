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

    env = Environment()  # reads HOSTLINT_VERBOSE
    try:
        from hostlint.check import CheckOptions, check

        return int(check(env, CheckOptions()))
    except BaseException as exc:
        return int(report(exc, stderr=env.stderr, verbose=env.verbose))


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["hook"]:
        code = hook(argv[1:])
    else:
        from hostlint.cli import main as cli_main

        code = cli_main(argv)
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
