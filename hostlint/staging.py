"""Lint exactly what the commit records: the unstaged changes of staged files are set aside
for the run and put back afterwards, losing nothing (pre-commit's ``staged_files_only``).

1. ``prepare``: which staged files also have unstaged changes (one ``git diff`` call, and
   nothing more when there are none).
2. ``SetAside.held``: their changes are saved as a binary patch (``git diff-files -p
   --binary --full-index``) in ``<common git dir>/hostlint/unstaged-*.patch``: created
   exclusively, 0600, never through a symlink, fsynced with its directory and locked
   (``flock``) while this run lives, all *before* ``git checkout-index`` makes the work tree
   match the index for those files only (other files are not touched). On the way out
   (every exit path, signals deferred meanwhile) ``git apply`` puts the changes back; a
   linter's edits that conflict with them are dropped, the saved changes win. The patch is
   removed once the restored files are on disk.
3. ``recover``, the first thing every command does in a repository: a patch whose run died
   (``kill -9``, power cut: its lock is free) is put back file by file, judged by blob ids so
   nothing is applied twice; what cannot be is named with the command that applies it.

Imported by the hook: stdlib only, and what only setting aside or recovering needs (the
patch reader, ``fcntl``, ``shlex``) is imported there, not by every commit."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from hostlint import git, signals
from hostlint.environment import Environment
from hostlint.errors import HostlintError, Interrupted
from hostlint.fsutil import read_bytes
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    from hostlint.patch import Entry

DIRECTORY = "hostlint"
PREFIX = "unstaged-"
KEY = "stash_unstaged"
#: The test seam for crash tests, and only for them: ``HOSTLINT_TEST_KILL_AT=<stage>``
#: makes hostlint SIGKILL itself at that stage (``saved``, ``checked-out``, ``restoring``,
#: ``restored``), exactly as ``kill -9`` would, without timing games.
KILL_AT = "HOSTLINT_TEST_KILL_AT"
#: Above this many restored files, one ``sync()`` instead of an fsync per file.
FSYNC_EACH = 64

class SetAside:
    """The staged files of one check, and the unstaged changes to set aside while it runs."""

    def __init__(self, root: str, common_dir: str, env: Environment, names: list[str],
                 paths: list[str]) -> None:
        self.root, self.common_dir, self.env = root, common_dir, env
        self.names = names  # what the linters get
        self.paths = paths  # files whose unstaged changes are set aside
        self.saved: str | None = None
        self._fd: int | None = None
        self._stage = ""
        self._restoring = False

    @contextmanager
    def held(self, on_forced_exit: list[Callable[[], None]] | None = None) -> Iterator[None]:
        """The work tree holds the staged content of ``paths`` inside the block."""
        if not self.paths:
            yield
            return
        try:
            with _deferred_signals():
                self._set_aside()
            if on_forced_exit is not None:
                on_forced_exit.append(self.restore)
            yield
        finally:
            if on_forced_exit is not None and self.restore in on_forced_exit:
                on_forced_exit.remove(self.restore)
            with _deferred_signals():
                self.restore()

    def _set_aside(self) -> None:
        patch = git.unstaged_patch(self.root, self.paths)
        if not patch.strip():  # changed between the two git calls, or a CRLF-only diff
            return
        self.saved, self._fd = _save(self.common_dir, self.root, patch)
        self.env.debug(f"set aside the unstaged changes of {_names(self.paths)} in {self.saved}")
        _seam(self.env, "saved")
        self._stage = "checking out"  # from here the work tree may have changed
        git.checkout_index(self.root, self.paths)
        self._stage = "checked out"
        _seam(self.env, "checked-out")

    def restore(self) -> None:
        """Put the saved changes back (idempotent; every exit path calls it)."""
        if self.saved is None or self._restoring:
            return
        self._restoring = True
        try:
            _seam(self.env, "restoring")
            patch = read_bytes(self.saved)
            if self._stage == "checked out" and git.apply(self.root, patch):
                pass  # the common case: every file held the index content
            elif self._stage and not _put_back(self.root, self.saved, patch, self.env,
                                               force=True):
                self.saved = None  # named, and kept for the user
                return
            _durable(self.root, self.paths)
            _seam(self.env, "restored")
            os.unlink(self.saved)
            self.saved = None
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._restoring = False


def prepare(root: str, common_dir: str, env: Environment, names: list[str], *,
            enabled: bool, unstaged: Sequence[str] | None = None) -> SetAside:
    """What to set aside for a check of the staged files ``names`` (``unstaged``: what
    ``git.unstaged_files`` gave, if asked already). Disabled: nothing, but one notice names
    the partially staged files, and files deleted from the work tree are left out of
    ``names`` (a missing path would only make the linter fail)."""
    if not names:
        return SetAside(root, common_dir, env, names, [])
    changed = set(git.unstaged_files(root) if unstaged is None else unstaged)
    partial = [n for n in names if n in changed]
    if enabled or not partial:
        return SetAside(root, common_dir, env, names, partial)
    gone = [n for n in partial if not os.path.lexists(os.path.join(root, n))]
    edited = [n for n in partial if n not in gone]
    if edited:
        env.message(f"{_names(edited)}: unstaged changes are linted too ({KEY} = false)")
    if gone:
        env.message(f"{_names(gone)}: deleted in the work tree, not linted ({KEY} = false)")
    skip = set(gone)
    return SetAside(root, common_dir, env, [n for n in names if n not in skip], [])


def recover(root: str, common_dir: str, env: Environment) -> None:
    """Put back what a run that died (``kill -9``, power cut) had set aside in this work
    tree, before anything else; name what cannot be put back. No patch: one ``listdir``."""
    directory = os.path.join(common_dir, DIRECTORY)
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".patch"))
    except OSError:
        return
    mine = f"{PREFIX}{_key(root)}-"
    for name in (n for n in names if n.startswith(mine)):
        _recover_one(root, os.path.join(directory, name), env)


def recover_here(env: Environment) -> None:
    """``recover`` for the repository around the working directory, if there is one (the
    first call of every command that takes a repository)."""
    try:
        repo = git.locate(env.cwd)
    except HostlintError:
        return
    recover(repo.root, repo.common_dir, env)


def _recover_one(root: str, path: str, env: Environment) -> None:
    import fcntl

    from hostlint.patch import read_entries

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its run is alive
        if os.fstat(fd).st_ino != os.lstat(path).st_ino:
            return  # restored and removed meanwhile
        with _deferred_signals():
            patch = read_bytes(path)
            if _put_back(root, path, patch, env, force=False):
                _durable(root, [e.path for e in read_entries(patch)])
                os.unlink(path)
                env.message(f"restored unstaged changes that an interrupted run had set aside "
                            f"({os.path.basename(path)})")
    except FileNotFoundError:
        return
    finally:
        os.close(fd)


def _put_back(root: str, saved: str, patch: bytes, env: Environment, *, force: bool) -> bool:
    """File by file: a file still holding the unstaged content is left, one holding the
    index content gets its changes back; one changed since (by a linter) keeps both when
    they apply together, else (``force``) the saved changes win. Whether all is back."""
    from hostlint.patch import file_states, read_entries

    entries = read_entries(patch)
    states = file_states(root, entries)
    pending = [e for e in entries if states[e.path] == "old"]
    if pending and not git.apply(root, b"".join(e.text for e in pending)):
        for entry in pending:
            states[entry.path] = "old" if git.apply(root, entry.text) else "changed"
    left: list[Entry] = []
    for entry in entries:
        if states[entry.path] != "changed":
            continue
        if force and git.apply(root, entry.text):
            continue  # both the linter's edits and the unstaged changes are kept
        if force and _overwrite(root, entry):
            env.message(f"{entry.path}: a linter's edits conflicted with your unstaged changes; "
                        "kept your changes, dropped the linter's edits")
        else:
            left.append(entry)
    if left:
        _report_left(root, saved, left, env)
    return not left


def _overwrite(root: str, entry: Entry) -> bool:
    git.checkout_index(root, [entry.path])
    return git.apply(root, entry.text)


def _report_left(root: str, saved: str, left: list[Entry], env: Environment) -> None:
    command = _apply_command(root, saved)
    env.message(f"could not put back the unstaged changes of {_names([e.path for e in left])} "
                f"(changed since they were set aside): they are saved in {saved}; "
                f"apply them with `{command}`, then delete that file")


# --- the saved patch ------------------------------------------------------------------


def _save(common_dir: str, root: str, patch: bytes) -> tuple[str, int]:
    """Write ``patch`` durably: exclusively created, 0600, never through a symlink, fsynced
    with its directory; the returned descriptor holds its lock while this run lives."""
    directory = os.path.join(common_dir, DIRECTORY)
    name = f"{PREFIX}{_key(root)}-{os.getpid()}-{time.time_ns()}.patch"
    saved = os.path.join(directory, name)
    header = (f"hostlint: the unstaged changes of {root}, set aside while the linters ran; "
              f"to put them back: {_apply_command(root, saved)}\n").encode(errors="surrogateescape")
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o700)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            fd = _write_new(dir_fd, name, header + patch)
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise HostlintError(f"cannot save the unstaged changes in {directory}: {exc.strerror}; "
                            "nothing was changed",
                            hint=f"make it a writable directory (not a symlink), or set "
                            f"{KEY} = false to lint the work tree as it is") from None
    return saved, fd


def _apply_command(root: str, saved: str) -> str:
    """The command that puts a saved patch back by hand."""
    import shlex

    return f"git -C {shlex.quote(root)} apply {shlex.quote(saved)}"


def _write_new(dir_fd: int, name: str, data: bytes) -> int:
    import fcntl

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name, dir_fd=dir_fd)
        raise
    return fd


def _durable(root: str, paths: Sequence[str]) -> None:
    """The restored files are on disk before the patch that could restore them is removed."""
    if len(paths) > FSYNC_EACH:
        os.sync()
        return
    for name in {*paths, *(os.path.dirname(p) for p in paths)}:
        with contextlib.suppress(OSError):
            fd = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _key(root: str) -> str:
    """Which work tree a patch belongs to (worktrees share the common git dir)."""
    return f"{zlib.crc32(os.fsencode(root)):08x}"


# --- signals, the crash-test seam, messages ---------------------------------------------


@contextmanager
def _deferred_signals() -> Iterator[None]:
    """SIGINT/SIGTERM/SIGHUP wait until the work tree is consistent, then interrupt the run
    (``Interrupted``: exit 130/143/129), however many arrive meanwhile."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    try:
        with signals.handling(lambda signum, frame: caught.append(signum)):
            yield
    finally:
        if caught:
            raise Interrupted(caught[0])


def _seam(env: Environment, stage: str) -> None:
    """Exists for the crash tests only (see ``KILL_AT``)."""
    if env.environ.get(KILL_AT) == stage:
        os.kill(os.getpid(), signals.SIGKILL)


def _names(paths: Sequence[str], shown: int = 3) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more
