"""The watchdog that kills local linters when hostlint dies without stopping them (``kill
-9``). A local linter has a session of its own and no controlling terminal, so nothing the
kernel does on hostlint's death reaches it (and making the pty its controlling terminal, for
SIGHUP on hangup, would hang a linter that reads ``/dev/tty``; ``PR_SET_PDEATHSIG`` fires when
the forking thread ends and reaches only the shell)."""

from __future__ import annotations

import contextlib
import os
import threading

from hostlint.spawn import DEVNULL, spawn

#: Reads ``+GROUP`` / ``-GROUP`` lines; at the end of its input, SIGKILLs the groups listed.
SCRIPT = """trap '' INT TERM HUP
live=' '
while read -r line; do
  case $line in
    +*) live="$live${line#+} " ;;
    -*) group=${line#-}
        case $live in *" $group "*) live="${live%% "$group" *} ${live#* "$group" }" ;; esac ;;
  esac
done
for group in $live; do kill -s KILL -- "-$group" 2>/dev/null; done
"""


class Watchdog:
    """One small shell per hostlint process, in a session of its own, reading the process
    groups to watch from a pipe only hostlint holds (close-on-exec): when the pipe ends
    (hostlint exited or died), every group still listed is killed."""

    _lock = threading.Lock()
    _pipe: int | None = None

    @classmethod
    def tell(cls, line: str) -> None:
        """Start watching (``+GROUP``) or stop (``-GROUP``); best effort: without a
        watchdog (it could not start, or was killed) the check runs as before."""
        with cls._lock:
            if cls._pipe is None:
                cls._pipe = cls._start()
            with contextlib.suppress(OSError):
                os.write(cls._pipe, f"{line}\n".encode())

    @classmethod
    def _start(cls) -> int:
        read, write = os.pipe()  # not inherited: only this process holds the writing end
        try:
            spawn(["/bin/sh", "-c", SCRIPT], env=os.environ, stdin=read, stdout=DEVNULL,
                  stderr=DEVNULL, new_session=True)
        except OSError:
            os.close(write)
            write = os.open(os.devnull, os.O_WRONLY)
        finally:
            os.close(read)
        return write
