"""One check: files → linters → target runs (in parallel, grouped) → exit code."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import BinaryIO, NamedTuple

from hostlint import config as config_mod
from hostlint import detect, files, git, staging, targets
from hostlint.config import Config, Linter
from hostlint.environment import Environment
from hostlint.errors import Interrupted, TargetUnavailable, UsageError, exit_status
from hostlint.last_log import LastLog, last_log
from hostlint.status import ExitCode, RunResult, exit_code
from hostlint.stream import Held, Sink, close, output_stack
from hostlint.targets.base import Cancel, Invocation, Target, run

#: A held block stays in memory up to this size, then spills to a temporary file.
HOLD_IN_MEMORY = 1024 * 1024


class CheckOptions(NamedTuple):
    paths: tuple[str, ...] = ()
    all_files: bool = False
    target: str | None = None
    advisory: bool | None = None
    color: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    timings: bool = False
    map_paths: bool = True


class Job:
    """One linter of this check: what it runs, and how it went."""

    def __init__(self, linter: Linter, invocations: list[Invocation]) -> None:
        self.linter = linter
        self.invocations = invocations
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
    config = config_mod.apply_overrides(
        config_mod.load(repo.root), target=options.target, advisory=options.advisory,
        env=env.environ,
    )
    color = env.color(options.color)
    names = collect_files(repo.root, env.cwd, options)
    staged = not options.paths and not options.all_files
    aside = staging.prepare(repo.root, repo.common_dir, env, names if staged else [],
                            enabled=config.stash_unstaged)
    names = aside.names if staged else names
    jobs = plan(config, names, options, env)
    if not jobs:
        env.debug("no files to lint")
        return ExitCode.OK
    decision = detect.decide(detect.gather(config, env, repo.root))
    timer.mark("detect")
    target = open_target(decision.kind, targets.Context(repo.root, config, env))
    if target is None:
        return ExitCode.OK
    timer.mark("connect")
    try:
        with last_log(repo.common_dir, _ON_FORCED_EXIT) as log:
            if log.failed:
                _log_lost(env, log, log.failed)
            out = output_stack(env.stdout, log.file, color=color,
                               roots=target.roots if options.map_paths else (),
                               on_error=_side_output_failed(env, log))
            try:
                with aside.held(_ON_FORCED_EXIT):
                    run_jobs(target, jobs, out, config.jobs, env)
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
        if config.advisory:
            env.message("advisory: linters reported problems; the commit is not blocked")
        if not env.is_tty and not log.failed:
            env.message(f"full output in {log.path}")
    return code


#: Exit statuses the shell itself gives, and what they mean for a linter's command.
SHELL_STATUS = {
    127: "command not found",
    126: "command found but not executable",
}


def _explain(job: Job, target: Target, env: Environment) -> None:
    """One line when the shell, not the linter, failed (127: not found, 126: not executable)."""
    what = SHELL_STATUS.get(job.result.returncode) if job.result.signal is None else None
    if what:
        env.message(f"{job.linter.name}: {what} on the {target.name} target "
                    f"(exit {job.result.returncode}); check `command` and the PATH of the "
                    "target's login shell")


def collect_files(root: Path, cwd: Path, options: CheckOptions) -> list[str]:
    """Staged files (default), tracked files (``--all-files``) or the given paths, relative
    to the repository root; directories (submodules) are never passed."""
    if options.all_files:
        names = git.tracked_files(root)
    elif options.paths:
        names = _explicit(root, cwd, options.paths)
    else:
        names = git.staged_files(root)
    return [n for n in names if os.path.islink(root / n) or not os.path.isdir(root / n)]


def _explicit(root: Path, cwd: Path, paths: Sequence[str]) -> list[str]:
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


def plan(config: Config, names: list[str], options: CheckOptions, env: Environment) -> list[Job]:
    """The linters that run, each with its invocation; a linter with no matching file
    does not run."""
    known = [linter.name for linter in config.linters]
    for name in (*options.only, *options.skip):
        if name not in known:
            raise UsageError(f"no linter named {name!r}", hint=f"linters: {', '.join(known)}")
    skipped_env = {s.strip() for s in env.environ.get("SKIP", "").split(",") if s.strip()}
    jobs = []
    for linter in config.linters:
        if (options.only and linter.name not in options.only) or linter.name in options.skip:
            continue
        if linter.name in skipped_env:
            env.message(f"{linter.name}: skipped (SKIP)")
            continue
        selected = files.select(names, linter.include, linter.exclude)
        if not selected:
            continue
        args = tuple(selected) if linter.pass_filenames else ()
        jobs.append(Job(linter, [Invocation(linter.command, args)]))
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
    Plain threads and a queue, not concurrent.futures: its import costs a hook ~14 ms."""
    for job in jobs:
        job.invocations = [b for inv in job.invocations for b in target.batches(inv)]
    grouped = len(jobs) > 1
    cancel = Cancel()
    finished: queue.Queue[tuple[Job, BaseException | None]] = queue.Queue()
    slots = threading.BoundedSemaphore(limit or _at_once(len(jobs)))
    spill_failed = _spill_failed(env)

    def work(job: Job) -> None:
        error: BaseException | None = None
        try:
            with slots:
                if not cancel.is_set():
                    _run_job(target, job, cancel, None if grouped else out, spill_failed)
        except BaseException as exc:  # handed to the main thread
            error = exc
        finished.put((job, error))

    threads = [threading.Thread(target=work, args=(job,), daemon=True) for job in jobs]
    try:
        with _signals(cancel):
            try:
                for thread in threads:
                    thread.start()
                for _ in threads:
                    job, error = finished.get()
                    if error is not None:
                        raise error
                    if grouped:
                        _show_block(out, job)
            except BaseException as exc:
                cancel.set()
                interrupted = _join(threads)
                for job in jobs:
                    if grouped and job.block is not None and not job.done:
                        _show_block(out, job)
                raise (interrupted or exc) from None
    finally:
        cancel.close()
    if grouped:
        _summary(out, jobs)


def _at_once(count: int) -> int:
    """With no ``jobs`` cap, every linter runs at once, as many as the descriptor limit
    holds: each needs a pty or a channel (three descriptors at most while it starts)."""
    if count <= 64:
        return count
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return count if soft == resource.RLIM_INFINITY else max(1, min(count, (soft - 64) // 3))


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
        status = "passed" if job.result.ok else f"failed ({job.result.describe()})"
        lines.append(f"{job.linter.name:<{width}}  {status:<24} {job.seconds:6.2f}s")
    out.write(("\n".join(lines) + "\n").encode())
    out.flush()


@contextmanager
def _signals(cancel: Cancel) -> Iterator[None]:
    """First SIGINT/SIGTERM/SIGHUP: raise ``Interrupted`` so the linters are stopped and the
    output kept; a second one kills every linter and exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    first: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if first:
            cancel.kill_all()
            for finish in list(_ON_FORCED_EXIT):
                with contextlib.suppress(Exception):
                    finish()
            os._exit(exit_status(Interrupted(first[0]))[1])
        first.append(signum)
        raise Interrupted(signum)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, handler) for s in handled}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


#: What must still happen if a second signal forces the exit (``os._exit`` skips ``finally``).
_ON_FORCED_EXIT: list[Callable[[], None]] = []


def _side_output_failed(env: Environment, log: LastLog) -> Callable[[BinaryIO, OSError], None]:
    """What happens when stdout or last.log cannot be written: that output is dropped with
    one warning; the run and its result go on."""
    def failed(stream: BinaryIO, exc: OSError) -> None:
        if stream is not env.stdout:
            log.drop(exc)
            _log_lost(env, log, exc)
            return
        env.lose_stdout()
        kept = "is not kept anywhere" if log.failed else f"is kept in {log.path}"
        env.message(f"warning: cannot write to stdout: {exc.strerror or exc}; the output {kept}")
    return failed


def _log_lost(env: Environment, log: LastLog, exc: OSError) -> None:
    env.message(f"warning: cannot write {log.path}: {exc.strerror or exc}; this run's output is "
                "not kept there")


def _spill_failed(env: Environment) -> Callable[[OSError], None]:
    """One warning for this run, however many held blocks cannot spill to a file."""
    said = threading.Event()

    def failed(exc: OSError) -> None:
        import tempfile

        if not said.is_set():
            said.set()
            where = f" in {tempfile.tempdir}" if tempfile.tempdir else ""
            env.message(f"warning: cannot hold output in a temporary file{where}: "
                        f"{exc.strerror or exc}; holding it in memory")
    return failed
