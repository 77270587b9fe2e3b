"""The ``Sink`` protocol, the byte filters that wrap sinks, and ``output_stack``, the one
place the whole output is assembled (httpie's ``output/writer.py``). Output reaches its
destination as it arrives: a filter holds back only the few bytes of an escape sequence or a
path cut by a read boundary."""

from __future__ import annotations

import os
import re
from typing import BinaryIO, Protocol

# SGR (colours, bold, reset) and ``ESC ( B``, which terminfo's sgr0 (mypy's reset) adds.
_SGR = re.compile(rb"\x1b\[[0-9;:]*m|\x1b\(B")
_SGR_PARTIAL = re.compile(rb"\x1b(?:\[[0-9;:]*|\()?\Z")
_HOLD_MAX = 256


class Sink(Protocol):
    """Where a linter's bytes go: a terminal, a pipe, a file, a held block."""

    def write(self, data: bytes) -> None: ...

    def flush(self) -> None: ...


def output_stack(stdout: BinaryIO, log: BinaryIO, *, color: bool,
                 roots: tuple[str, ...] = ()) -> Sink:
    """Everything a check writes goes through this stack: stdout (colour stripped unless
    ``color``) teed into the log file (never coloured), with remote ``roots`` shown as
    host-relative paths. ``close`` it at the end to hand on what the filters still hold."""
    screen: Sink = StreamSink(stdout)
    if not color:
        screen = StripColor(screen)
    out: Sink = Tee(screen, StripColor(StreamSink(log)))
    return MapPaths(out, roots) if roots else out


class StreamSink:
    """A binary stream (stdout, a file): every write is flushed at once."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data)

    def flush(self) -> None:
        self._stream.flush()


class StripColor:
    """Remove colour sequences (SGR ``ESC [ ... m``, and sgr0's ``ESC ( B``), nothing else."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._held = b""

    def write(self, data: bytes) -> None:
        data = self._held + data
        self._held = b""
        tail = _SGR_PARTIAL.search(data, max(0, len(data) - _HOLD_MAX))
        if tail:
            data, self._held = data[: tail.start()], data[tail.start() :]
        if data:
            self._sink.write(_SGR.sub(b"", data))

    def flush(self) -> None:
        """Hands on everything but a cut escape sequence, which waits for its end."""
        self._sink.flush()

    def close(self) -> None:
        if self._held:
            self._sink.write(self._held)
            self._held = b""
        close(self._sink)


class Tee:
    """The same bytes into several sinks (the terminal and last.log)."""

    def __init__(self, *sinks: Sink) -> None:
        self._sinks = sinks

    def write(self, data: bytes) -> None:
        for sink in self._sinks:
            sink.write(data)

    def flush(self) -> None:
        for sink in self._sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self._sinks:
            close(sink)


class Held:
    """A linter's output held while other linters run: chunks in memory up to ``limit``
    bytes, then everything in a temporary file, written chunk by chunk (one large contiguous
    copy, as ``SpooledTemporaryFile`` makes on rollover, made glibc keep ~60 MiB more)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: BinaryIO | None = None
        self.last = b""

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.last = data[-1:]
        if self._file is None and self._size + len(data) <= self._limit:
            self._chunks.append(data)
            self._size += len(data)
            return
        if self._file is None:
            import tempfile  # only for output beyond the limit

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in replay()
            for chunk in self._chunks:
                self._file.write(chunk)
            self._chunks = []
        self._file.write(data)

    def flush(self) -> None:
        pass

    def replay(self, sink: Sink) -> None:
        """Write everything held into ``sink``, then let it go."""
        for chunk in self._chunks:
            sink.write(chunk)
        self._chunks = []
        if self._file is not None:
            self._file.seek(0)
            while chunk := self._file.read(65536):
                sink.write(chunk)
            self._file.close()
            self._file = None


def close(sink: Sink) -> None:
    """Flush what a filter still holds at the end of the output."""
    closer = getattr(sink, "close", None)
    if closer is not None:
        closer()
    else:
        sink.flush()


class MapPaths:
    """Show remote paths as the host sees them: ``<root>/app/x.py`` becomes ``app/x.py``
    wherever a path starts (not inside a longer path), also when a read boundary cuts it."""

    def __init__(self, sink: Sink, roots: tuple[str, ...]) -> None:
        self._sink = sink
        prefixes = sorted({os.fsencode(r.rstrip("/")) + b"/" for r in roots if r.strip("/")},
                          key=len, reverse=True)
        self._prefixes = prefixes
        self._pattern = re.compile(rb"(?<![\w./~-])(?:" + b"|".join(map(re.escape, prefixes)) + b")")
        self._longest = max(map(len, prefixes), default=0)
        self._firsts = {p[:1] for p in prefixes}
        self._held = b""
        self._prev = b""

    def write(self, data: bytes) -> None:
        if not self._prefixes:
            self._sink.write(data)
            return
        data = self._held + data
        cut = self._partial_tail(data)
        data, self._held = data[:cut], data[cut:]
        if not data:
            return
        mapped = data
        if any(prefix in data for prefix in self._prefixes):  # else skip the regex scan
            # The byte before this chunk decides whether a root here starts a path.
            text, start = self._prev + data, len(self._prev)
            pieces, last = [], start
            for match in self._pattern.finditer(text, start):
                pieces.append(text[last:match.start()])
                last = match.end()
            pieces.append(text[last:])
            mapped = b"".join(pieces)
        self._prev = data[-1:]
        self._sink.write(mapped)

    def _partial_tail(self, data: bytes) -> int:
        """Where a possible prefix of a root begins at the very end of ``data``: only the
        positions of a root's first byte are tried (most chunks end with none)."""
        start = max(0, len(data) - self._longest + 1)
        candidates = sorted(i for i in range(start, len(data)) if data[i:i + 1] in self._firsts)
        for i in candidates:
            tail = data[i:]
            if any(p.startswith(tail) for p in self._prefixes):
                return i
        return len(data)

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        if self._held:
            self._sink.write(self._held)  # a cut-off prefix never completed: unchanged
            self._held = b""
        close(self._sink)
