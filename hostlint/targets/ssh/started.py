"""Did the remote shell run hostlint's command? The command prints a start marker first
thing; the marker is taken out of the output (wherever the reads cut it), what comes before
it (a login file's lines, ``nologin``'s message) passes through, and a session that ends
without it never ran the linter (a login shell such as ``nologin``, ``false`` or ``true``),
whatever its status: that is exit 3, not a finding and not a pass."""

from __future__ import annotations

from collections.abc import Callable

from hostlint.errors import ConnectFailed
from hostlint.status import RunResult

#: What the remote command prints before anything else it runs (record separators around a
#: name, no newline: nothing a terminal or the output filters act on).
START = b"\x1ehostlint-started\x1e"
#: The shell words that print it (octal escapes: POSIX printf, any login shell's quoting).
PRINT_START = "printf '\\036hostlint-started\\036'"


class StartMarker:
    """The output of one remote command with the marker taken out."""

    def __init__(self) -> None:
        self.seen = False
        self._held = b""  # the end of what came so far, when it may be the marker's start
        self._before = b""  # the last bytes before the marker, for the error line

    def read(self, recv: Callable[[], bytes]) -> bytes:
        """The next output from ``recv``, never empty before the real end of output (holding
        a possible start of the marker would otherwise look like the end)."""
        while True:
            data = recv()
            if self.seen:
                return data
            if not data:
                held, self._held = self._held, b""
                return held
            out = self.feed(data)
            if out:
                return out

    def feed(self, data: bytes) -> bytes:
        """``data`` without the marker, less a possible start of it (held for the next)."""
        data = self._held + data
        at = data.find(START)
        if at >= 0:
            self.seen, self._held = True, b""
            return data[:at] + data[at + len(START):]
        keep = next((n for n in range(min(len(START) - 1, len(data)), 0, -1)
                     if START.startswith(data[-n:])), 0)
        out, self._held = data[:len(data) - keep], data[len(data) - keep:]
        self._before = (self._before + out)[-4096:]
        return out

    def check(self, status: RunResult, label: str, user: str) -> None:
        """Raise when the session ended without the marker: the linter never started."""
        if self.seen:
            return
        lines = [line.strip() for line in self._before.decode(errors="replace").splitlines()]
        said = next((line for line in reversed(lines) if line), "")
        raise ConnectFailed(
            "shell", f"{label}: the remote shell did not run the command ({status.describe()}"
            + (f", it said: {said!r}" if said else "") + f"): is the login shell of {user} "
            "nologin or false?",
            hint=f"give {user} a login shell that runs commands (`ssh HOST true` must work)")


__all__ = ["PRINT_START", "START", "StartMarker"]
