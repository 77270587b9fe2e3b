"""The typer app: parse, apply precedence, dispatch. No logic lives here."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer
    from click.exceptions import ClickException  # type: ignore[no-redef, import-not-found, unused-ignore]

from hostlint import __version__
from hostlint.config import TARGETS
from hostlint.environment import COLOR_MODES, Environment, TextStdout
from hostlint.errors import CommandLineError, Finished, report
from hostlint.hook import HOOK_TYPES

app = typer.Typer(
    name="hostlint",
    help="Run a project's linters where they live, and bring every byte of output back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _choices(values: Sequence[str]) -> str:
    """An option's value in the help, as click shows a choice: ``[a|b|c]``."""
    return "[" + "|".join(values) + "]"


def _complete_target(incomplete: str) -> list[str]:
    return [kind for kind in TARGETS if kind.startswith(incomplete)]


def _complete_linter(incomplete: str) -> list[str]:
    """The linters configured in the repository at the working directory; outside one, or
    with a configuration that does not load, nothing (a completion prints no errors)."""
    from hostlint import config, git

    try:
        linters = config.load(git.locate().root).linters
    except Exception:
        return []
    return [linter.name for linter in linters if linter.name.startswith(incomplete)]


def _target_option(help: str) -> Any:
    """``--target``: one of the target kinds, completed as such."""
    return typer.Option(metavar=_choices(TARGETS), help=help, autocompletion=_complete_target)


def _linter_option(help: str) -> Any:
    """``--only`` / ``--skip``: a linter's name (repeatable), completed from the configuration."""
    return typer.Option(metavar="NAME", help=help, autocompletion=_complete_linter)


def _hook_type_option(help: str) -> Any:
    """``--hook-type``: one of the git hooks hostlint installs (repeatable)."""
    return typer.Option("--hook-type", metavar=_choices(HOOK_TYPES), help=help)


# The options more than one command takes, declared once. ``check``'s and ``run-hook``'s
# options are also parsed without typer by ``__main__.parse`` (CHECK_* / RUN_HOOK_*):
# tests/test_cli.py keeps the two the same.
Target = Annotated[str | None, _target_option("Where the linters run.")]
Color = Annotated[str | None, typer.Option(metavar=_choices(COLOR_MODES), help="Colours in the output.")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Tracebacks and details.")]


def _env(ctx: typer.Context) -> Environment:
    env = ctx.obj
    if not isinstance(env, Environment):
        env = ctx.obj = Environment()
    return env


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        import platform

        try:
            from importlib.metadata import version

            paramiko = version("paramiko")
        except Exception:
            paramiko = "not installed"
        text = f"hostlint {__version__}\nPython {platform.python_version()}\nparamiko {paramiko}\n"
        _env(ctx).write(text.encode())
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Versions of hostlint, Python and paramiko."
        ),
    ] = False,
    verbose: Verbose = False,
) -> None:
    _env(ctx).verbose = verbose or _env(ctx).verbose


@app.command()
def check(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None, typer.Argument(metavar="[PATH]...", help="Files to lint (default: staged files).")
    ] = None,
    target: Target = None,
    all_files: Annotated[bool, typer.Option("--all-files", help="Lint every tracked file.")] = False,
    color: Color = None,
    advisory: Annotated[
        bool | None, typer.Option("--advisory", help="Findings never block the commit.")
    ] = None,
    only: Annotated[list[str] | None, _linter_option("Run only this linter (repeatable).")] = None,
    skip: Annotated[list[str] | None, _linter_option("Skip this linter (repeatable).")] = None,
    timings: Annotated[bool, typer.Option("--timings", help="Print detect/connect/lint times.")] = False,
    no_map_paths: Annotated[
        bool, typer.Option("--no-map-paths", help="Keep remote absolute paths in the output.")
    ] = False,
    verbose: Verbose = False,
) -> int:
    """Lint the staged files, the given paths, or every tracked file."""
    from hostlint.check import check as run_check
    from hostlint.options import CheckOptions

    env = _env(ctx)
    env.verbose = env.verbose or verbose
    env.require_stdout()
    options = CheckOptions(
        paths=tuple(paths or ()),
        all_files=all_files,
        target=target,
        advisory=advisory,
        color=color,
        only=tuple(only or ()),
        skip=tuple(skip or ()),
        timings=timings,
        map_paths=not no_map_paths,
    )
    return int(run_check(env, options))


@app.command()
def install(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Keep a foreign hook as .legacy and chain it.")
    ] = False,
    hook_type: Annotated[
        list[str] | None, _hook_type_option("The git hook to install (repeatable; default pre-commit).")
    ] = None,
) -> int:
    """Install the git hooks (never overwrites a hook hostlint did not write)."""
    from hostlint import hook, staging

    staging.recover_here(_env(ctx))
    types = tuple(hook_type or ("pre-commit",))
    for line in hook.install(_env(ctx).cwd, hook_types=types, force=force):
        _env(ctx).message(line)
    return 0


@app.command()
def uninstall(
    ctx: typer.Context,
    hook_type: Annotated[
        list[str] | None,
        _hook_type_option("The git hook to remove (repeatable; default: every hook hostlint wrote)."),
    ] = None,
) -> int:
    """Remove hostlint's hooks, restoring any hook they displaced."""
    from hostlint import hook, staging

    staging.recover_here(_env(ctx))
    _env(ctx).message(hook.uninstall(_env(ctx).cwd, hook_types=tuple(hook_type or ())))
    return 0


@app.command(name="run-hook")
def run_hook(
    ctx: typer.Context,
    hook_type: Annotated[
        str, typer.Argument(metavar="TYPE", help=f"The git hook: {', '.join(HOOK_TYPES)}.")
    ],
    args: Annotated[
        list[str] | None, typer.Argument(metavar="ARG", help="git's arguments to that hook.")
    ] = None,
    target: Target = None,
    color: Color = None,
    verbose: Verbose = False,
    files: Annotated[bool, typer.Option(
        "--files", help="pre-push as pre-commit and prek run it: the ARGs are the pushed files; "
        "the remote from PRE_COMMIT_REMOTE_NAME and PRE_COMMIT_REMOTE_URL.")] = False,
) -> int:
    """Run one git hook's linters as the installed hook does: `run-hook commit-msg FILE`,
    `run-hook pre-push REMOTE URL < ref-lines`, `run-hook pre-commit`; under pre-commit or
    prek, `run-hook pre-push --files -- FILE...`."""
    from hostlint.check import check as run_check
    from hostlint.options import hook_options

    env = _env(ctx)
    env.verbose = env.verbose or verbose
    env.require_stdout()
    options = hook_options(hook_type, args or (), target=target, color=color, files=files)
    return int(run_check(env, options))


@app.command()
def detect(
    ctx: typer.Context,
    target: Annotated[str | None, _target_option("Explain this target instead.")] = None,
    verbose: Verbose = False,
) -> int:
    """Print the target `check` would use here, and every rule that led there."""
    from hostlint import staging
    from hostlint.explain import report as detect_report

    env = _env(ctx)
    env.verbose = env.verbose or verbose
    staging.recover_here(env)
    env.write(detect_report(env, target=target).encode())
    return 0


@app.command()
def stop(
    ctx: typer.Context,
    current: Annotated[
        bool, typer.Option("--current", help="Only the warm connection of the target `check` "
                           "would use here.")
    ] = False,
) -> int:
    """End this user's warm connections (the background keepers of SSH connections)."""
    from hostlint import keeper
    from hostlint.explain import warm_connection

    env = _env(ctx)
    only = warm_connection(env) if current else None
    if current and only is None:
        env.message("this repository's target keeps no connection: nothing to stop")
        return 0
    ended = keeper.stop(env.environ, only=only)
    env.message(f"stopped {len(ended)} warm connection{'' if len(ended) == 1 else 's'}"
                + "".join(f"\n  {k.name} ({k.spec}), keeper pid {k.pid}" for k in ended))
    return 0


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; returns the exit code (the in-process entry the tests use too)."""
    env = env or Environment()
    # The framework's own output (help, completion scripts) goes through env.write as ours does.
    real, sys.stdout = sys.stdout, TextStdout(env, sys.stdout)
    try:
        result = app(
            args=list(argv) if argv is not None else None,
            standalone_mode=False,
            obj=env,
            prog_name="hostlint",
        )
    except BaseException as exc:
        return int(report(_in_our_terms(exc), stderr=env.stderr, verbose=env.verbose))
    finally:
        sys.stdout = real
    return int(result or 0)


def _in_our_terms(exc: BaseException) -> BaseException:
    """The CLI framework's ways of ending, as the exceptions ``errors.exit_status`` ranks."""
    if isinstance(exc, typer.Exit):
        return Finished(exc.exit_code)
    if isinstance(exc, SystemExit):  # typer's completion commands exit by themselves
        return Finished(exc.code if isinstance(exc.code, int) else int(exc.code is not None))
    if isinstance(exc, typer.Abort):  # click's stand-in for a Ctrl-C it caught
        return KeyboardInterrupt()
    if isinstance(exc, ClickException):
        import io

        shown = io.StringIO()
        exc.show(file=shown)
        return CommandLineError(shown.getvalue().rstrip("\n"))
    return exc
