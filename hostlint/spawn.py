"""Starting a process as ``subprocess`` would for hostlint's few cases — standard
descriptors given, the descriptors hostlint inherited closed, the signals Python ignores
back to their defaults, optionally a session of its own — with ``os.posix_spawn`` where it
can: ``subprocess`` imports ``selectors`` and ``locale``, ~5 ms of every hook's start-up.

``posix_spawn`` cannot start a process in another directory (glibc's ``addchdir`` is not in
Python), nor start a session on a Python built without ``POSIX_SPAWN_SETSID`` (against
glibc older than 2.26, or for macOS before 10.15): those go through ``subprocess``. A hook
needs neither: git runs it in the repository's root, where its linters run."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from hostlint import signals
from hostlint.environment import which
from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

#: A standard descriptor on ``/dev/null`` (``subprocess.DEVNULL``'s part).
DEVNULL = -1

#: Ignored by Python at start-up, and inherited as ignored unless reset (subprocess's
#: ``restore_signals``): a linter must die of a closed pipe as it does from a shell.
_RESTORED = (signals.SIGPIPE, signals.SIGXFSZ)


class Child:
    """A process ``spawn`` started, reaped once, by the one thread that runs it."""

    def __init__(self, pid: int, popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid = pid
        self.returncode: int | None = None  # as ``subprocess``: -N for signal N
        self._popen = popen  # kept, and told the status, so that it never reaps the process

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._reaped(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self._reaped(os.waitpid(self.pid, 0)[1])
        assert self.returncode is not None
        return self.returncode

    def _reaped(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        if self._popen is not None:
            self._popen.returncode = self.returncode


def spawn(argv: Sequence[str], *, env: Mapping[str, str], stdout: int, stderr: int,
          stdin: int = DEVNULL, cwd: str | None = None,
          new_session: bool = False, pass_inherited: bool = False) -> Child:
    """Start ``argv`` (a bare name looked up on ``env``'s ``PATH``) in ``cwd``. Raises
    OSError as ``subprocess`` does: FileNotFoundError for a program not there.
    ``pass_inherited``: the descriptors hostlint inherited are passed on (git's own
    ``GIT_TRACE=9`` and the like); a linter, or a daemon it leaves behind, must not hold
    them (a GUI client waits for them to close)."""
    if cwd is None or cwd == os.getcwd():
        closed = [] if pass_inherited else _inherited()
        actions = [_standard(0, stdin, os.O_RDONLY), _standard(1, stdout, os.O_WRONLY),
                   _standard(2, stderr, os.O_WRONLY), *[(os.POSIX_SPAWN_CLOSE, fd) for fd in closed]]
        try:
            return Child(os.posix_spawn(_program(argv[0], env), list(argv), env,
                                        file_actions=actions, setsigdef=_RESTORED,
                                        setsid=new_session))
        except NotImplementedError:  # no POSIX_SPAWN_SETSID in this Python
            pass
    return _by_subprocess(argv, env=env, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd,
                          new_session=new_session, pass_inherited=pass_inherited)


def _program(name: str, env: Mapping[str, str]) -> str:
    if os.sep in name:
        return name
    found = which(name, env)
    if found is None:
        raise FileNotFoundError(2, "No such file or directory", name)
    return found


def _standard(fd: int, source: int, flags: int) -> tuple[int | str, ...]:
    if source == DEVNULL:
        return (os.POSIX_SPAWN_OPEN, fd, os.devnull, flags, 0)
    return (os.POSIX_SPAWN_DUP2, source, fd)


def _inherited() -> list[int]:
    """Descriptors above 2 an exec would pass on: hostlint's own are close-on-exec, so these
    came from its parent (git's, a GUI client's). Without a listing (no ``/proc``, no
    ``/dev/fd``) they are passed on, as by a shell hook."""
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            numbers = [int(name) for name in os.listdir(listing)]
        except (OSError, ValueError):
            continue
        return [fd for fd in numbers if fd > 2 and _inheritable(fd)]
    return []


def _inheritable(fd: int) -> bool:
    try:
        return os.get_inheritable(fd)
    except OSError:  # the listing's own descriptor, closed by now
        return False


def _by_subprocess(argv: Sequence[str], *, env: Mapping[str, str], stdin: int, stdout: int,
                   stderr: int, cwd: str | None, new_session: bool,
                   pass_inherited: bool) -> Child:
    """The same start through ``subprocess`` (see the module's docstring for when)."""
    import subprocess

    def standard(fd: int) -> int:
        return subprocess.DEVNULL if fd == DEVNULL else fd

    popen = subprocess.Popen(list(argv), env=env, cwd=cwd, stdin=standard(stdin),
                             stdout=standard(stdout), stderr=standard(stderr),
                             start_new_session=new_session, close_fds=not pass_inherited)
    return Child(popen.pid, popen)
