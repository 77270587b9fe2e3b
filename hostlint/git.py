"""Every git call hostlint makes. Paths are ``str`` decoded with ``os.fsdecode`` so that any
byte sequence git can hold survives the round trip to the linter's argv."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence

from hostlint import signals
from hostlint.errors import GitError
from hostlint.poll import readable
from hostlint.spawn import DEVNULL, Child, spawn
from hostlint.typing_lite import NamedTuple


def _git(args: Sequence[str], cwd: str | None = None) -> bytes:
    return _finish(_start(args, cwd), args)


class _Running(NamedTuple):
    """A git process ``_start`` began, and the reading ends of its stdout and stderr."""

    child: Child
    out: int
    err: int


def _start(args: Sequence[str], cwd: str | None, *, stdin: int = DEVNULL,
           new_session: bool = False) -> _Running:
    """``git ARGS`` run in ``cwd`` (``git -C``, so ``posix_spawn`` can start it: see
    hostlint.spawn), stdin ``/dev/null`` unless given; the descriptors hostlint inherited
    passed on (``GIT_TRACE=9``)."""
    argv = ["git", *(("-C", cwd) if cwd is not None else ()), *args]
    out, out_end = os.pipe()
    err, err_end = os.pipe()
    try:
        child = spawn(argv, env=os.environ, stdin=stdin, stdout=out_end, stderr=err_end,
                      new_session=new_session, pass_inherited=True)
    except BaseException as exc:
        os.close(out)
        os.close(err)
        if isinstance(exc, FileNotFoundError):
            raise _no_git() from None
        raise
    finally:
        os.close(out_end)
        os.close(err_end)
    return _Running(child, out, err)


def _finish(git: _Running, args: Sequence[str]) -> bytes:
    """The output of a git call ``_start`` began, once it has ended (and succeeded)."""
    code, stdout, stderr = _ended(git)
    if code != 0:
        raise GitError(f"`git {' '.join(args)}` failed: {_complaint(code, stderr)}")
    return stdout


def _complaint(code: int, stderr: bytes) -> str:
    """What a failed git call said last, else its exit status."""
    lines = os.fsdecode(stderr).strip().splitlines()
    return lines[-1] if lines else str(code)


def _ended(git: _Running) -> tuple[int, bytes, bytes]:
    """The exit status, stdout and stderr of a git call ``_start`` began, once it has ended."""
    try:
        stdout, stderr = _read_all(git.out, git.err)
        code = git.child.wait()
    except BaseException:  # as ``subprocess.run``: no git left running
        _stop(git)
        raise
    os.close(git.out)
    os.close(git.err)
    return code, stdout, stderr


def _stop(git: _Running) -> None:
    """Kill a git call given up on, reap it, and close its pipes."""
    with contextlib.suppress(OSError):
        os.kill(git.child.pid, signals.SIGKILL)
        git.child.wait()
    os.close(git.out)
    os.close(git.err)


def _no_git() -> GitError:
    return GitError("git is not installed or not on PATH",
                    hint="install git, or run hostlint from an environment that has it")


def _read_all(out: int, err: int) -> tuple[bytes, bytes]:
    """Both pipes read to their end as data comes (git blocks on a full one)."""
    chunks: dict[int, list[bytes]] = {out: [], err: []}
    open_ = {out, err}
    while open_:
        for fd in readable(open_, None):
            data = os.read(fd, 65536)
            if data:
                chunks[fd].append(data)
            else:
                open_.discard(fd)
    return b"".join(chunks[out]), b"".join(chunks[err])


def _zsplit(out: bytes) -> list[str]:
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


class Repo(NamedTuple):
    root: str  # the top of the work tree
    common_dir: str  # the git dir every worktree shares (where last.log lives)


def locate(cwd: str | None = None) -> Repo:
    """The repository around ``cwd``, in one git call; a clear error outside a repository
    or in a bare one."""
    where = cwd or os.getcwd()
    bare = GitError(f"{where} is a bare repository or has no work tree: nothing to lint",
                    hint="run hostlint from a clone with a work tree")
    try:
        out = _git(("rev-parse", "--is-bare-repository", "--path-format=absolute",
                    "--git-common-dir", "--show-toplevel"), cwd)
    except GitError as exc:
        if "must be run in a work tree" in exc.message:
            raise bare from None
        raise GitError(f"not inside a git repository: {where}",
                       hint="run hostlint from a repository's work tree") from None
    lines = os.fsdecode(out).split("\n")
    if lines[0] == "true" or len(lines) < 3 or not lines[2]:
        raise bare
    return Repo(root=lines[2], common_dir=lines[1])


def hooks_dir(root: str) -> str:
    """Where git looks for hooks: honours core.hooksPath and worktrees."""
    out = _git(("rev-parse", "--path-format=absolute", "--git-path", "hooks"), root)
    return os.fsdecode(out.strip())


#: The index mode of a submodule (a "gitlink"): a commit, not a file a linter could read.
GITLINK = "160000"


def staged_files(root: str) -> list[str]:
    """Files the commit will record, from the index git gave this process (GIT_INDEX_FILE):
    added, copied, modified, renamed and type-changed (a symlink that became a file) entries,
    by their new names; never submodules. The modes come from the index, not the work tree."""
    out = _git(("diff", "--cached", "--raw", "-z", "--no-renames", "--no-ext-diff",
                "--diff-filter=ACMRT"), root)
    fields = out.split(b"\0")[:-1]  # ":oldmode newmode oldsha newsha status", path, ...
    return [os.fsdecode(name) for meta, name in zip(fields[::2], fields[1::2], strict=True)
            if meta.split(b" ")[1] != GITLINK.encode()]


def pushed_files(root: str, remote: str, local_sha: str, remote_sha: str) -> list[str]:
    """The files changed by the commits one pre-push ref line pushes (pre-commit's rules): a
    known remote commit → ``remote...local``; otherwise the commits not on any remote-tracking
    ref of ``remote``, from the parent of the first (or, from a root commit, every file)."""
    if remote_sha.strip("0") and _exists(root, remote_sha):
        return changed_files(root, remote_sha, local_sha)
    new = _git(("rev-list", "--topo-order", "--reverse", local_sha, "--not",
                f"--remotes={remote}"), root).split()
    if not new:
        return []
    parents = _git(("rev-list", "--parents", "-n", "1", os.fsdecode(new[0])), root).split()
    if len(parents) == 1:
        return _zsplit(_git(("ls-tree", "-r", "-z", "--name-only", "--full-tree", local_sha), root))
    return changed_files(root, os.fsdecode(parents[1]), local_sha)


def changed_files(root: str, old: str, new: str) -> list[str]:
    """Files added, copied, modified, renamed or retyped from the merge base to ``new``."""
    return _zsplit(_git(("diff", "--name-only", "-z", "--no-ext-diff", "--no-relative",
                         "--diff-filter=ACMRT", f"{old}...{new}"), root))


def _exists(root: str, sha: str) -> bool:
    return _quiet(("cat-file", "-e", f"{sha}^{{commit}}"), root)[0] == 0


def tracked_files(root: str, paths: Sequence[str] = ()) -> list[str]:
    """Every tracked file (``--all-files``), or those under ``paths``; never submodules."""
    names: dict[str, None] = {}
    for entry in _git(("ls-files", "-s", "-z", "--", *paths), root).split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        if name and not meta.startswith(GITLINK.encode()):
            names[os.fsdecode(name)] = None  # an unmerged path has one entry per stage
    return list(names)


# --- setting unstaged changes aside (hostlint.staging) ----------------------------------
# These run in their own session, so a Ctrl-C on the terminal reaches hostlint (which then
# puts the changes back) but never a git that is halfway through writing the work tree.

#: Bytes of path arguments per git call, well under the kernel's limits.
ARGS_BYTES = 64 * 1024


def _quiet(args: Sequence[str], root: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    """``git ARGS`` in ``root`` fed ``stdin``: its exit status, stdout and stderr. In a
    session of its own, so a Ctrl-C at the terminal (deferred by staging meanwhile) cannot
    stop it half-way through the work tree. ``stdin`` is written by a thread while its
    output is read (a patch can be larger than a pipe holds)."""
    if not stdin:
        return _ended(_start(args, root, new_session=True))
    source, feed = os.pipe()
    try:
        git = _start(args, root, stdin=source, new_session=True)
    except BaseException:
        os.close(feed)
        raise
    finally:
        os.close(source)
    feeder = threading.Thread(target=_feed, args=(feed, stdin), daemon=True)
    try:
        feeder.start()
    except BaseException:  # no thread to be had: no git left waiting for its input either
        os.close(feed)
        _stop(git)
        raise
    try:
        return _ended(git)
    finally:
        feeder.join()


def _feed(fd: int, data: bytes) -> None:
    """``data`` written to a git's stdin, then closed; a git that stops reading ends it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)


def _checked(args: Sequence[str], root: str, stdin: bytes = b"") -> bytes:
    code, out, err = _quiet(args, root, stdin)
    if code != 0:
        raise GitError(f"`git {' '.join(args[:3])} ...` failed in {root}: "
                       f"{_complaint(code, err)}")
    return out


def _batches(paths: Sequence[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for path in paths:
        if size > ARGS_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(path)
        size += len(os.fsencode(path)) + 1
    return batches


_UNSTAGED = ("diff", "--name-only", "-z", "--no-relative", "--no-ext-diff", "--ignore-submodules=all")


def unstaged_files(root: str) -> list[str]:
    """Tracked files whose work tree content or mode differs from the index (submodules
    ignored; a file only touched, with the same content, is not listed)."""
    return _zsplit(_git(_UNSTAGED, root))


def staged_and_unstaged(root: str) -> tuple[list[str], list[str]]:
    """``staged_files`` and ``unstaged_files``, the two git processes side by side (what a
    pre-commit check asks first: ~3 ms less than one after the other)."""
    unstaged = _start(_UNSTAGED, root)
    try:
        staged = staged_files(root)
    except BaseException:
        _stop(unstaged)
        raise
    return staged, _zsplit(_finish(unstaged, _UNSTAGED))


def unstaged_patch(root: str, paths: Sequence[str]) -> bytes:
    """A binary patch from the index to the work tree for ``paths`` (full blob ids; no
    textconv, external diff or colour; pathspecs taken literally)."""
    return b"".join(
        _checked(("--literal-pathspecs", "diff-files", "-p", "--binary", "--full-index",
                  "--no-color", "--no-ext-diff", "--ignore-submodules=all", "--", *batch), root)
        for batch in _batches(paths) if batch)


def checkout_index(root: str, paths: Sequence[str]) -> None:
    """Write the index content of ``paths`` into the work tree (the index is not changed)."""
    _checked(("checkout-index", "-f", "-z", "--stdin"), root,
             b"".join(os.fsencode(p) + b"\0" for p in paths))


def apply(root: str, patch: bytes) -> bool:
    """``git apply`` of ``patch`` to the work tree (all or nothing); whether it applied.
    Retried without ``core.autocrlf`` as pre-commit does (its #570)."""
    args = ("apply", "--whitespace=nowarn")
    if _quiet(args, root, patch)[0] == 0:
        return True
    return _quiet(("-c", "core.autocrlf=false", *args), root, patch)[0] == 0


def blob_ids(root: str, paths: Sequence[str]) -> dict[str, str]:
    """The blob id each regular file would have if added (clean filters such as
    ``core.autocrlf`` applied), without writing any object."""
    lines = [p for p in paths if "\n" not in p]
    ids = os.fsdecode(_checked(("hash-object", "--stdin-paths"), root,
                               b"".join(os.fsencode(p) + b"\n" for p in lines))).split()
    found = dict(zip(lines, ids, strict=True))
    for path in paths:
        if "\n" in path:  # --stdin-paths reads lines
            found[path] = os.fsdecode(_checked(("hash-object", "--", path), root)).strip()
    return found
