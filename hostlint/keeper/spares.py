"""The keeper's spare sessions (``targets/ssh/spare.py``): remote shells started ahead of
the next check, so a run hands its command to one instead of opening a channel and waiting
for the login files.

How many: as many as runs that could use one were under way at once in the last burst (a
check's parallel linters), at least one, at most ``MOST``. When: a new spare is started in the
background when a run ends (never while the check's own channels may need the server's
room: ``Connection.try_open_session``), and an idle spare gives its room to a linter's channel
that would otherwise wait (``Connection.reclaim``). Spares end with the keeper (its connection
closes; sshd hangs up their ptys). A keeper whose spares keep failing to start (a login shell
that is not a POSIX shell) stops making them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hostlint.targets.ssh.spare import Spare, plain

if TYPE_CHECKING:
    from hostlint.targets.base import Invocation
    from hostlint.targets.ssh.connection import Connection
    from hostlint.targets.ssh.remote import SshProcess, SshTarget, Terminal

#: The most spare sessions a keeper holds.
MOST = 4
#: How long closing waits for a spare still in its login files.
SETTLE = 5.0
#: Spares that never got ready, in a row, after which a keeper makes no more.
GIVE_UP = 3


class Pool:
    """The spare sessions of one connection."""

    def __init__(self, connection: Connection, log: Callable[[str], None]) -> None:
        self.connection = connection
        self.log = log
        self.lock = threading.Lock()
        self.idle: list[Spare] = []
        self.opening = 0
        self.want = 1
        self.running = self.peak = 0
        self.failures = 0
        self.closed = False
        connection.reclaim = self.reclaim

    @staticmethod
    def fits(invocation: Invocation) -> bool:
        """A spare runs a plain command without stdin (anything else: a fresh channel)."""
        return not invocation.stdin and plain(invocation.command)

    def start(self, target: SshTarget, invocation: Invocation) -> tuple[SshProcess, bytes] | None:
        """``invocation`` in a spare session: the process and what to show first; None when
        there is none to use (the caller opens a channel). Either way, call ``done`` after."""
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            spares = [s for s in self.idle if s.terminal.term == target.terminal.term]
            spare = spares[0] if spares else None
            if spare is not None:
                self.idle.remove(spare)
        if spare is None:
            return None
        started = spare.start(target, invocation)
        with self.lock:
            self.failures = 0 if started is not None else self.failures + 1
        if started is None:
            self.log("a spare session was gone: a new channel instead")
        return started

    def done(self, terminal: Terminal) -> None:
        """A run that could use a spare ended: keep ``want`` spares for its terminal."""
        with self.lock:
            self.running -= 1
            if self.running == 0:
                self.want, self.peak = min(MOST, max(1, self.peak)), 0
            stale = [s for s in self.idle if s.terminal.term != terminal.term or s.gone()]
            self.idle = [s for s in self.idle if s not in stale]
            if self.closed or self.failures >= GIVE_UP:
                count = 0
            else:
                count = max(0, self.want - len(self.idle) - self.opening - self.running)
            self.opening += count
        for spare in stale:
            spare.close()
        for _ in range(count):
            threading.Thread(target=self._open, args=(terminal,), daemon=True).start()

    def _open(self, terminal: Terminal) -> None:
        spare = None
        try:
            spare = Spare.open(self.connection, terminal)
        finally:
            with self.lock:
                self.opening -= 1
                keep = spare is not None and not self.closed
                if keep:
                    assert spare is not None
                    self.idle.append(spare)
        if spare is not None and not keep:
            spare.ready(SETTLE)
            spare.close()

    def reclaim(self) -> bool:
        """Close one idle spare (a linter's channel needs its room); False if none."""
        with self.lock:
            spare = self.idle.pop(0) if self.idle else None
        if spare is None:
            return False
        spare.close()
        return True

    def close(self) -> None:
        """End every spare; one still in its login files first finishes them (within
        ``SETTLE`` s): a shell cut short there may leave behind what they were doing (a lock)."""
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for spare in idle:
            spare.ready(SETTLE)
            spare.close()


__all__ = ["MOST", "Pool"]
