"""Starting a process with ``os.posix_spawn``, as ``subprocess`` would for hostlint's few
cases: standard descriptors given, every other inherited descriptor closed, the signals
Python ignores back to their defaults, optionally a session of its own and another working
directory. ``subprocess`` imports ``selectors`` and ``locale`` (~5 ms of every hook's
start-up) for what these lines do."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence

from hostlint.environment import which

#: A standard descriptor on ``/dev/null`` (``subprocess.DEVNULL``'s part).
DEVNULL = -1

#: Ignored by Python at start-up, and inherited as ignored unless reset (subprocess's
#: ``restore_signals``): a linter must die of a closed pipe as it does from a shell.
_RESTORED = (signal.SIGPIPE, signal.SIGXFSZ)

#: ``posix_spawn`` cannot change the working directory (glibc's ``addchdir`` is not in
#: Python): a shell changes it, then becomes the program.
_CHDIR = 'cd -- "$0" && exec "$@"'


def spawn(argv: Sequence[str], *, env: Mapping[str, str], stdout: int, stderr: int,
          stdin: int = DEVNULL, cwd: str | os.PathLike[str] | None = None,
          new_session: bool = False) -> int:
    """Start ``argv`` (a bare name looked up on ``env``'s ``PATH``) and return its pid.
    Raises OSError as ``subprocess`` does: FileNotFoundError for a program not there."""
    program = _program(argv[0], env)
    if cwd is not None and os.fspath(cwd) != os.getcwd():  # a hook runs in the root already
        argv, program = ["/bin/sh", "-c", _CHDIR, os.fspath(cwd), program, *argv[1:]], "/bin/sh"
    actions = [_standard(0, stdin, os.O_RDONLY), _standard(1, stdout, os.O_WRONLY),
               _standard(2, stderr, os.O_WRONLY), *[(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited()]]
    return os.posix_spawn(program, list(argv), env, file_actions=actions, setsigdef=_RESTORED,
                          setsid=new_session)


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
    """Descriptors above 2 an exec would pass on. hostlint's own are close-on-exec, so these
    came from its parent (git's, a GUI client's): a linter, or a daemon it leaves behind,
    must not hold them (subprocess's ``close_fds``). Without a listing (no ``/proc``, no
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


class Child:
    """A process ``spawn`` started, reaped once, by the one thread that runs it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None  # as ``subprocess``: -N for signal N

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode
