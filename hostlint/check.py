"""One check: files → linters → target runs (in parallel, grouped) → exit code."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from hostlint import config as config_mod
from hostlint import detect, files, git, last_log, notices, signals, stages, staging, targets
from hostlint.config import Config, Linter
from hostlint.environment import Environment, linters_at_once
from hostlint.errors import Interrupted, TargetUnavailable, UsageError, exit_status
from hostlint.options import CheckOptions
from hostlint.status import ExitCode, RunResult, exit_code
from hostlint.stream import Held, Sink, close, output_stack, spill_warning
from hostlint.targets.base import Cancel, Invocation, Target, run

#: A held block stays in memory up to this size, then spills to a temporary file.
HOLD_IN_MEMORY = 1024 * 1024


class Job:
    """One linter of this check: what it runs, and how it went."""

    def __init__(self, linter: Linter, invocations: list[Invocation],
                 skipped: str | None = None, files: Sequence[str] = ()) -> None:
        self.linter = linter
        self.invocations = invocations
        self.files = files  # the files it takes (also when they are not passed)
        self.skipped = skipped  # what skipped it (`SKIP`, `--skip`), or None: it runs
        self.result = RunResult(0)
        self.seconds = 0.0
        self.block: Held | None = None
        self.done = False


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def report(self) -> str:
        previous, parts = self.start, []
        for name, at in self.marks.items():
            parts.append(f"{name} {at - previous:.3f}s")
            previous = at
        return "timings: " + ", ".join(parts) + f", total {previous - self.start:.3f}s"


def check(env: Environment, options: CheckOptions) -> int:
    if env.environ.get("HOSTLINT") == "0":
        env.message("HOSTLINT=0: check skipped")
        return ExitCode.OK
    timer = Timer()
    repo = git.locate(env.cwd)
    staging.recover(repo.root, repo.common_dir, env)  # before anything else
    with last_log.written(repo.common_dir, _ON_FORCED_EXIT, env.message) as log:
        try:
            return _check(env, options, repo, log, timer)
        except BaseException as exc:  # the log says how this run ended, not an older run
            line, _ = exit_status(exc)
            if line is not None:
                log.write(f"{line}\n".encode())
            raise


def _check(env: Environment, options: CheckOptions, repo: git.Repo, log: last_log.LastLog,
           timer: Timer) -> int:
    config = config_mod.apply_overrides(
        config_mod.load(repo.root), target=options.target, advisory=options.advisory,
        env=env.environ,
    )
    color = env.color(options.color)
    stage = stages.from_git(options.hook, options.hook_args, root=repo.root, cwd=env.cwd,
                            stdin=options.hook_input,
                            framework=env.environ if options.hook_files else None)
    staged = stage.staged and not options.paths and not options.all_files
    unstaged = None
    if staged and stage.files is None:  # both diffs at once: set aside what is not staged
        names, unstaged = git.staged_and_unstaged(repo.root)
    else:
        names = collect_files(repo.root, env.cwd, options, stage.files)
    aside = staging.prepare(repo.root, repo.common_dir, env, names if staged else [],
                            enabled=config.stash_unstaged, unstaged=unstaged)
    names = aside.names if staged else names
    jobs = plan(config, names, options, env, stage)
    if all(job.skipped for job in jobs):
        kind = ("given" if options.paths else "pushed" if stage.name == "pre-push"
                else "tracked" if options.all_files else "staged")
        considered = [lt for lt in config.linters
                      if stage.selects(lt) and (not options.only or lt.name in options.only)]
        line = notices.nothing_run(names, kind, [(j.linter.name, j.skipped or "") for j in jobs],
                                   everyone=bool(jobs) and len(jobs) == len(considered))
        env.message(line)
        log.write(f"hostlint: {line}\n".encode())
        return ExitCode.OK
    decision = detect.decide(detect.gather(config, env, repo.root))
    for note in decision.notes if env.is_tty or env.verbose else ():
        env.message(note)
    timer.mark("detect")
    with _signals(None):  # a signal while connecting ends the check and what opening started
        target = open_target(decision.kind, targets.Context(repo.root, config, env))
    if target is None:
        return ExitCode.OK
    timer.mark("connect")
    if env.is_tty or env.verbose:
        running = [job for job in jobs if job.skipped is None]
        linted = {name for job in running for name in job.files}
        several = len(config.linters) > 1
        env.message(notices.where(len(linted), len(running) if several else None, target.where))
    try:
        with stages.message_on(target, stage) as message:
            out = output_stack(env, log, color=color,
                               roots=target.roots if options.map_paths else ())
            for job in jobs:  # the message file's path on the target is the last argument
                if message is not None and job.linter.pass_filenames:
                    job.invocations = [i._replace(files=(message,)) for i in job.invocations]
            # prepare-commit-msg linters edit one file: one at a time, each sees the last's edits
            limit = 1 if stage.name == "prepare-commit-msg" else config.jobs
            try:
                with aside.held(_ON_FORCED_EXIT):
                    run_jobs(target, jobs, out, limit, env)
            finally:
                close(out)
    finally:
        target.close()
    timer.mark("lint")
    for job in jobs:
        _explain(job, target, env)
    if options.timings:
        env.message(timer.report())
    code = exit_code((job.result for job in jobs), advisory=config.advisory)
    if any(not job.result.ok for job in jobs):
        if config.advisory and code == ExitCode.OK:
            env.message("advisory: linters reported problems; the commit is not blocked")
        if not env.is_tty and not log.failed:
            env.message(f"full output in {log.path}")
    return code


def _explain(job: Job, target: Target, env: Environment) -> None:
    """One line when a signal ended the linter (on a target, no shell is left to say
    "Killed"), or when the shell, not the linter, failed (127: not found, 126: not
    executable)."""
    if job.result.signal is not None:
        env.message(f"{job.linter.name}: {job.result.describe()} on {target.where}")
        return
    line = notices.shell_failure(job.linter.name, job.result, target.where, target.path_hint)
    if line is not None:
        env.message(line)


def collect_files(root: str, cwd: str, options: CheckOptions,
                  chosen: Sequence[str] | None = None) -> list[str]:
    """Staged files (default), tracked files (``--all-files``), the given paths, or those a
    hook chose (pushed files) that are still here, relative to the repository root;
    submodules are never passed (git leaves them out by their mode)."""
    if chosen is not None:
        return [n for n in chosen
                if os.path.islink(path := os.path.join(root, n)) or os.path.isfile(path)]
    if options.all_files:
        return git.tracked_files(root)
    if options.paths or options.hook_files:
        return _explicit(root, cwd, options.paths)
    return git.staged_files(root)


def _explicit(root: str, cwd: str, paths: Sequence[str]) -> list[str]:
    names: list[str] = []
    real_root = os.path.realpath(root)
    for path in paths:
        absolute = os.path.normpath(os.path.join(cwd, path))
        rel = os.path.relpath(absolute, root)
        if rel.startswith(".." + os.sep) or rel == "..":
            rel = os.path.relpath(os.path.realpath(absolute), real_root)
        if rel.startswith(".." + os.sep) or rel == "..":
            raise UsageError(f"{path} is outside the repository {root}",
                             hint="pass paths inside the repository")
        if os.path.isdir(absolute) and not os.path.islink(absolute):
            names.extend(git.tracked_files(root, [rel]))
        elif os.path.lexists(absolute):
            names.append(rel)
        else:
            raise UsageError(f"{path}: no such file", hint="check the path")
    return list(dict.fromkeys(names))


def plan(config: Config, names: list[str], options: CheckOptions, env: Environment,
         stage: stages.Stage = stages.PRE_COMMIT) -> list[Job]:
    """The linters of this hook that run, each with its invocation; a linter with no
    matching file does not run, except in the message hooks (which have no files)."""
    known = [linter.name for linter in config.linters]
    for name in (*options.only, *options.skip):
        if name not in known:
            raise UsageError(f"no linter named {name!r}", hint=f"linters: {', '.join(known)}")
    skipped_env = {s.strip() for s in env.environ.get("SKIP", "").split(",") if s.strip()}
    jobs = []
    for linter in config.linters:
        if options.only and linter.name not in options.only:
            continue
        if not stage.selects(linter):
            continue
        why = ("--skip" if linter.name in options.skip
               else "SKIP" if linter.name in skipped_env else None)
        selected = files.select(names, linter.include, linter.exclude)
        if why is None and not selected and stage.message is None:
            continue
        args = files.arguments(selected) if linter.pass_filenames else ()
        jobs.append(Job(linter, [Invocation(linter.command, args, stage.stdin, stage.environ)],
                        skipped=why, files=selected))
    return jobs


def open_target(kind: str, context: targets.Context) -> Target | None:
    """The target, or what ``on_unavailable`` says to do when it cannot be used."""
    try:
        with _notice_if_slow(context.env, targets.connecting(kind, context)):
            return targets.open_target(kind, context)
    except TargetUnavailable as exc:
        policy = context.config.on_unavailable
        if kind == targets.FALLBACK or policy == "fail":
            raise
        context.env.message(f"warning: {exc.line().removeprefix('hostlint: ')}")
        if policy == "skip":
            context.env.message("check skipped (on_unavailable = \"skip\")")
            return None
        context.env.message("running the linters locally (on_unavailable = \"local\")")
        return targets.open_target(targets.FALLBACK, context)


@contextmanager
def _notice_if_slow(env: Environment, text: str | None, after: float = 0.5) -> Iterator[None]:
    """A one-line status on a terminal's stderr when connecting takes over half a second."""
    if text is None or not env.stderr.isatty():
        yield
        return
    timer = threading.Timer(after, env.message, args=(text,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def run_jobs(target: Target, jobs: list[Job], out: Sink, limit: int | None, env: Environment) -> None:
    """Run every job in its own thread (at most ``limit`` at once); one job streams live into
    ``out``, several are held and shown as blocks in the order they finish, then a summary.
    Plain threads, not concurrent.futures (its import costs a hook ~14 ms), and a list with
    a semaphore counting what finished, not ``queue`` (~1 ms more, two C modules)."""
    shown, jobs = jobs, [job for job in jobs if job.skipped is None]
    for job in jobs:
        job.invocations = [b for inv in job.invocations for b in target.batches(inv)]
    grouped = len(jobs) > 1
    if not grouped:  # no summary to list them in
        for job in shown:
            if job.skipped:
                env.message(f"{job.linter.name}: skipped ({job.skipped})")
    cancel = Cancel()
    finished: list[tuple[Job, BaseException | None]] = []  # in the order they finish
    arrived = threading.Semaphore(0)  # released once per finished job
    slots = threading.BoundedSemaphore(limit or linters_at_once(len(jobs)))
    spill_failed = spill_warning(env.message)

    def work(job: Job) -> None:
        error: BaseException | None = None
        try:
            with slots:
                if not cancel.is_set():
                    _run_job(target, job, cancel, None if grouped else out, spill_failed)
        except BaseException as exc:  # handed to the main thread
            error = exc
        finished.append((job, error))
        arrived.release()

    threads = [threading.Thread(target=work, args=(job,), daemon=True) for job in jobs]
    try:
        with _signals(cancel):
            try:
                for thread in threads:
                    thread.start()
                for _ in threads:
                    arrived.acquire()
                    job, error = finished.pop(0)
                    if error is not None:
                        raise error
                    if grouped:
                        _show_block(out, job)
            except BaseException as exc:
                cancel.set()
                interrupted = _join(threads)
                for job in jobs:
                    if grouped and job.block is not None and job.block.last and not job.done:
                        _show_block(out, job)
                raise (interrupted or exc) from None
    finally:
        cancel.close()
    if grouped:
        _summary(out, shown)


def _join(threads: list[threading.Thread]) -> Interrupted | None:
    """Wait for every started thread (``start()`` may have been interrupted after the thread
    began: its ident is set), even when a signal arrives meanwhile; that signal is returned."""
    interrupted: Interrupted | None = None
    for thread in threads:
        while thread.ident is not None:
            try:
                thread.join()
                break
            except Interrupted as exc:
                interrupted = interrupted or exc
    return interrupted


def _run_job(target: Target, job: Job, cancel: Cancel, out: Sink | None,
             spill_failed: Callable[[OSError], None]) -> None:
    started = time.monotonic()
    sink: Sink
    if out is None:
        job.block = Held(HOLD_IN_MEMORY, spill_failed)
        sink = job.block
    else:
        sink = out
    try:
        for invocation in job.invocations:
            if cancel.is_set():
                break
            job.result = job.result.worse(run(target, invocation, sink, cancel))
    finally:
        job.seconds = time.monotonic() - started


def _show_block(out: Sink, job: Job) -> None:
    job.done = True
    out.write(f"--- {job.linter.name} ---\n".encode())
    if job.block is not None:
        job.block.replay(out)
        if job.block.last not in (b"", b"\n"):
            out.write(b"\n")
    out.flush()


def _summary(out: Sink, jobs: list[Job]) -> None:
    width = max(len(job.linter.name) for job in jobs)
    lines = ["--- summary ---"]
    for job in jobs:
        if job.skipped:
            lines.append(f"{job.linter.name:<{width}}  skipped ({job.skipped})")
            continue
        status = "passed" if job.result.ok else f"failed ({job.result.describe()})"
        lines.append(f"{job.linter.name:<{width}}  {status:<24} {job.seconds:6.2f}s")
    out.write(("\n".join(lines) + "\n").encode())
    out.flush()


@contextmanager
def _signals(cancel: Cancel | None) -> Iterator[None]:
    """First SIGINT/SIGTERM/SIGHUP: raise ``Interrupted`` so the linters are stopped and the
    output kept (or, while the target opens, so what opening started is ended: a
    ProxyCommand, the Vagrant CLI); a second one kills every linter and exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    first: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if first:
            if cancel is not None:
                cancel.kill_all()
            for finish in list(_ON_FORCED_EXIT):
                with contextlib.suppress(Exception):
                    finish()
            os._exit(exit_status(Interrupted(first[0]))[1])
        first.append(signum)
        raise Interrupted(signum)

    with signals.handling(handler):
        yield


#: What must still happen if a second signal forces the exit (``os._exit`` skips ``finally``).
_ON_FORCED_EXIT: list[Callable[[], None]] = []
