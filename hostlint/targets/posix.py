"""The shell text a target with a POSIX shell (SSH, a container) uses for an invocation's
input: ``put_file`` / ``take_file`` as scripts, and the redirect that makes such a file a
linter's stdin. The data itself never is part of a command; paths are quoted."""

from __future__ import annotations

import os
import shlex

from hostlint.errors import ConnectFailed
from hostlint.targets.base import Cancel, Invocation, Target, run

#: ``put_file``: a private file under the target's temporary directory, filled from the
#: script's stdin, its path printed.
PUT_SCRIPT = ('umask 077 && f=$(mktemp "${TMPDIR:-/tmp}/hostlint.XXXXXXXX") && cat > "$f" && '
              'printf %s "$f"')


def take_script(path: str) -> str:
    """``take_file``: print the file, then remove it."""
    quoted = shlex.quote(path)
    return f"cat -- {quoted} && rm -f -- {quoted}"


def stdin_prefix(path: str) -> str:
    """Makes the file ``put_file`` wrote the script's stdin, removed once open."""
    quoted = shlex.quote(path)
    return f"exec <{quoted}; rm -f -- {quoted}; "


class _Kept:
    """A sink keeping what a short command printed."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def flush(self) -> None:
        pass


def _output(target: Target, invocation: Invocation) -> bytes:
    cancel, sink = Cancel(), _Kept()
    try:
        result = run(target, invocation, sink, cancel)
    finally:
        cancel.close()
    if not result.ok:
        raise ConnectFailed("protocol", f"{target.name}: `{invocation.command[:40]}...` failed "
                            f"({result.describe()}): {bytes(sink.data[-200:]).decode(errors='replace')}",
                            hint="check that the target's temporary directory (TMPDIR or /tmp) "
                            "is writable")
    return bytes(sink.data)


def put_by_run(target: Target, data: bytes) -> str:
    """``put_file`` for a target that can only run commands (under a pty) with stdin."""
    return os.fsdecode(_output(target, Invocation(PUT_SCRIPT, stdin=data)).strip())


def take_by_run(target: Target, path: str) -> bytes:
    """``take_file`` likewise: the bytes travel as hex (``od``), which no pty changes."""
    quoted = shlex.quote(path)
    text = _output(target, Invocation(f"od -An -v -tx1 -- {quoted} && rm -f -- {quoted}"))
    return bytes.fromhex(text.decode("ascii", errors="replace"))
