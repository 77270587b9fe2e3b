"""``python -m hostlint`` and the ``hostlint`` console script.

The git hook calls ``hostlint hook <type>``: that path is handled here without loading the
CLI framework (typer costs ~50 ms of start-up a commit would pay for nothing)."""

from __future__ import annotations

import sys


def hook(argv: list[str]) -> int:
    """What the installed hook runs (``hook TYPE GIT-ARGS...``): that hook's linters with the
    configured settings (``HOSTLINT_*`` variables apply; ``HOSTLINT_VERBOSE=1`` for
    tracebacks)."""
    from hostlint.environment import Environment
    from hostlint.errors import report

    env = Environment()
    env.verbose = env.environ.get("HOSTLINT_VERBOSE", "") not in ("", "0")
    try:
        from hostlint.check import CheckOptions, check
        from hostlint.stages import hook_input

        kind = argv[0] if argv else "pre-commit"
        options = CheckOptions(hook=kind, hook_args=tuple(argv[1:]), hook_input=hook_input(kind))
        return int(check(env, options))
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
