"""The signal numbers and calls the hook path uses, without importing ``signal``, whose
enums (``Signals``, ``Handlers``) import ``enum``: ~2.5 ms of every commit. The type checker
sees ``signal`` itself; at run time the same functions and numbers come from ``_signal``,
the C module ``signal`` is built on (as ``typing_lite`` stands in for ``typing``). Handlers
come back as plain ints and functions, which ``signal()`` takes back alike."""

from __future__ import annotations

from contextlib import contextmanager

from hostlint.typing_lite import TYPE_CHECKING

if TYPE_CHECKING:
    import signal as _impl
    from collections.abc import Callable, Iterator
    from types import FrameType
else:
    import _signal as _impl

SIG_DFL, SIG_IGN = _impl.SIG_DFL, _impl.SIG_IGN
SIGCHLD, SIGHUP, SIGINT, SIGKILL = _impl.SIGCHLD, _impl.SIGHUP, _impl.SIGINT, _impl.SIGKILL
SIGPIPE, SIGTERM, SIGXFSZ = _impl.SIGPIPE, _impl.SIGTERM, _impl.SIGXFSZ
getsignal, signal = _impl.getsignal, _impl.signal

#: What stops a check (exit 130, 143, 129).
STOPPING = (SIGINT, SIGTERM, SIGHUP)


@contextmanager
def handling(handler: Callable[[int, FrameType | None], object]) -> Iterator[None]:
    """Inside the block, ``handler`` receives the ``STOPPING`` signals; the handlers before
    are back afterwards, however the block ends."""
    previous = {signum: signal(signum, handler) for signum in STOPPING}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal(signum, old)


def name(signum: int) -> str:
    """``SIGTERM`` for 15, as a report says how a process ended; ``signal 35`` for a number
    without a name (a real-time signal past ``SIGRTMIN``)."""
    import signal as names  # the enum, only on the way to a report

    try:
        return names.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
