"""The ``Sink`` protocol, the byte filters that wrap sinks, and ``output_stack``, the one
place the whole output is assembled (httpie's ``output/writer.py``). Output reaches its
destination as it arrives: a filter holds back only the few bytes of an escape sequence or a
path cut by a read boundary."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from hostlint.poll import flush_waiting, write_waiting
from hostlint.typing_lite import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import re
    from typing import BinaryIO

    from hostlint.environment import Environment
    from hostlint.last_log import LastLog

_HOLD_MAX = 256
#: A string sequence longer than this is a stray introducer: what follows is shown as text.
STRING_MAX = 64 * 1024


class Sink(Protocol):
    """Where a linter's bytes go: a terminal, a pipe, a file, a held block."""

    def write(self, data: bytes) -> None: ...

    def flush(self) -> None: ...


def output_stack(env: Environment, log: LastLog, *, color: bool,
                 roots: tuple[str, ...] = ()) -> Sink:
    """Everything a check writes goes through this stack: stdout (escape sequences filtered:
    only colours and cursor moves kept, and only with ``color``) teed into the log (no escape
    sequence at all), with remote ``roots`` shown as host-relative paths. A destination that
    fails (a full disk, a closed pipe) is dropped with one warning; the other carries on, and
    so do the linters, whose result decides the exit code. ``close`` it at the end to hand on
    what the filters still hold."""
    def stdout_failed(exc: OSError) -> None:
        env.lose_stdout()
        kept = "is not kept anywhere" if log.failed else f"is kept in {log.path}"
        env.message(f"warning: cannot write to stdout: {exc.strerror or exc}; the output {kept}")

    out: Sink = Tee(Escapes(DropOnError(StreamSink(env.stdout), stdout_failed), colour=color),
                    Escapes(DropOnError(StreamSink(log.file), log.drop), colour=False))
    return MapPaths(out, roots) if roots else out


class StreamSink:
    """A binary stream (stdout, a file), every write flushed at once; one left non-blocking by
    whoever shares it (a CI runner's pipe, a terminal) is waited on when full, as if blocking."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        write_waiting(self._stream, data)

    def flush(self) -> None:
        flush_waiting(self._stream)


class DropOnError:
    """A destination whose failure must not end the run (stdout, last.log): the first
    ``OSError`` drops it (later writes go nowhere) and is handed to ``on_error``."""

    def __init__(self, sink: Sink, on_error: Callable[[OSError], None]) -> None:
        self._sink = sink
        self._on_error = on_error
        self.failed = False

    def _do(self, action: Callable[[], None]) -> None:
        if self.failed:
            return
        try:
            action()
        except OSError as exc:
            self.failed = True
            self._on_error(exc)

    def write(self, data: bytes) -> None:
        self._do(lambda: self._sink.write(data))

    def flush(self) -> None:
        self._do(self._sink.flush)

    def close(self) -> None:
        self._do(lambda: close(self._sink))


class Escapes:
    """Terminal escape sequences filtered out, every other byte passed unchanged: with
    ``colour`` off (off a terminal, and in last.log) all of them; with it on, all but SGR
    colours, ``ESC ( B`` and the cursor moves of progress bars (docs/behaviour.md).
    ECMA-48 syntax, 7-bit and C1 controls encoded in UTF-8 (raw bytes 0x80-0x9f are text). A
    sequence broken by a byte it cannot hold is dropped up to that byte, so no introducer
    reaches the terminal unless its whole sequence is allowed; lone lead bytes ``\\xc2``
    before a dropped sequence go with it (else one would join the next byte into a C1
    control). A sequence cut by a read is held (256 bytes at most); a string's content is
    dropped as it comes."""

    def __init__(self, sink: Sink, *, colour: bool) -> None:
        self._sink = sink
        self._colour = colour
        self._held = b""
        self._string: re.Pattern[bytes] | None = None  # inside a string: its end
        self._dropped = 0  # bytes of the current string dropped so far

    def write(self, data: bytes) -> None:
        data, self._held = self._held + data, b""
        if self._string is not None or b"\xc2" in data:
            self._parse(data)
        elif b"\x1b" not in data:  # plain text, most output: no pattern needed
            self._sink.write(data)
        else:
            from hostlint import sequences  # compiled on first use (sequences.py)

            if sequences.STRING_START.search(data):
                self._parse(data)
            else:
                self._plain(data)

    def _plain(self, data: bytes) -> None:
        """No string, no C1 control: one substitution (a sequence cut at the end held)."""
        from hostlint import sequences  # compiled on first use (sequences.py)

        last = data.rfind(b"\x1b", max(0, len(data) - _HOLD_MAX))
        if last >= 0:
            match = sequences.SEQUENCE.match(data, last)
            if match and match.lastgroup in ("open", "lone") and match.end() == len(data):
                data, self._held = data[:last], data[last:]
        if data:
            self._sink.write(sequences.DROP[self._colour].sub(b"", data))

    def _parse(self, data: bytes) -> None:
        """Sequence by sequence, strings and C1 controls included."""
        from hostlint import sequences  # compiled on first use (sequences.py)

        out: list[bytes] = []
        pos, esc, lead, end = 0, -1, -1, len(data)
        while pos < end:
            if self._string is not None:
                pos = self._skip_string(data, pos)
                continue
            esc, lead = _next(data, b"\x1b", pos, esc), _next(data, b"\xc2", pos, lead)
            start = min(esc, lead)
            match = sequences.SEQUENCE.match(data, start) if start < end else None
            if match is None and start < end:  # \xc2 starting a character: look further
                lead = _next(data, b"\xc2", start + 1, start)
                continue
            out.append(data[pos:start])
            if match is None:
                break
            if match.lastgroup in ("open", "lone") and match.end() == end and end - start <= _HOLD_MAX:
                text = out[-1].rstrip(b"\xc2")  # the sequence may be dropped: see _sequence
                self._held = data[start - (len(out[-1]) - len(text)):]
                out[-1] = text
                break
            pos = self._sequence(match, out)
        if out:
            self._sink.write(b"".join(out))

    def _sequence(self, match: re.Match[bytes], out: list[bytes]) -> int:
        """The sequence matched: kept, dropped, or (a string) dropped as it comes."""
        from hostlint import sequences  # compiled on first use (sequences.py)

        if self._colour and match.lastgroup in ("csi", "esc") and sequences.KEEP.fullmatch(match.group()):
            out.append(match.group())
            return match.end()
        # Else dropping the sequence could join a lead byte \xc2 before it and the byte after
        # it into a C1 control.
        out[-1] = out[-1].rstrip(b"\xc2")
        if match.lastgroup == "string":
            self._string = sequences.OSC_END if match.group()[-1] in b"]\x9d" else sequences.STRING_END
            self._dropped = 0
        return match.end()

    def _skip_string(self, data: bytes, pos: int) -> int:
        """Drop a string's content up to its end: where text resumes."""
        assert self._string is not None
        end = self._string.search(data, pos)
        stop = len(data) if end is None else end.start()
        budget = STRING_MAX - self._dropped
        if stop - pos >= budget:  # too long for a string: a stray introducer, then text
            self._string = None
            return pos + budget
        self._dropped += stop - pos
        if end is None:
            return len(data)
        found = end.group()
        if found == b"\xc2" or (found == b"\x1b" and end.end() == len(data)):
            self._held = found  # perhaps the first half of the terminator
            return len(data)
        self._string = None
        if found == b"\x1b":  # ESC \\ ends the string; any other ESC starts the next sequence
            return end.end() + 1 if data[end.end():end.end() + 1] == b"\\" else end.start()
        return end.end()

    def flush(self) -> None:
        """Hands on everything but a cut escape sequence, which waits for its end."""
        self._sink.flush()

    def close(self) -> None:
        """At the end of the output a cut sequence is dropped; lone ``\\xc2`` bytes (the first
        byte of a character) are text."""
        if self._string is None and self._held and not self._held.strip(b"\xc2"):
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
    bytes, then in a temporary file, written chunk by chunk (one large contiguous copy, as
    ``SpooledTemporaryFile`` makes on rollover, made glibc keep ~60 MiB more). When that file
    cannot be written (a full disk), ``on_error`` hears of it and the rest stays in memory:
    nothing is lost."""

    def __init__(self, limit: int, on_error: Callable[[OSError], None] | None = None) -> None:
        self._limit = limit
        self._on_error = on_error
        self._chunks: list[bytes] = []  # in memory: what comes after the file's content
        self._size = 0
        self._file: BinaryIO | None = None
        self._spill = True
        self.last = b""

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.last = data[-1:]
        self._chunks.append(data)
        self._size += len(data)
        if self._size > self._limit and self._spill:
            self._to_file()

    def _to_file(self) -> None:
        view = memoryview(b"")
        try:
            if self._file is None:
                import tempfile  # only for output beyond the limit

                self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - closed in replay()
            while self._chunks:
                view = memoryview(self._chunks[0])
                while view:  # an unbuffered file: a short write says how much went
                    view = view[self._file.write(view) or 0:]
                self._size -= len(self._chunks.pop(0))
        except OSError as exc:
            if view:  # what of the first chunk did not go stays held
                self._chunks[0] = bytes(view)
            self._spill = False
            if self._on_error is not None:
                self._on_error(exc)

    def flush(self) -> None:
        pass

    def replay(self, sink: Sink) -> None:
        """Write everything held into ``sink``, then let it go."""
        if self._file is not None:
            self._file.seek(0)
            while chunk := self._file.read(65536):
                sink.write(chunk)
            self._file.close()
            self._file = None
        for chunk in self._chunks:
            sink.write(chunk)
        self._chunks = []


def spill_warning(say: Callable[[str], None]) -> Callable[[OSError], None]:
    """``Held``'s ``on_error`` for one run: one warning, however many blocks cannot spill."""
    said = threading.Event()

    def failed(exc: OSError) -> None:
        import tempfile  # loaded already: the file that failed came from it

        if not said.is_set():
            said.set()
            where = f" in {tempfile.tempdir}" if tempfile.tempdir else ""
            say(f"warning: cannot hold output in a temporary file{where}: {exc.strerror or exc}; "
                "holding it in memory")
    return failed


def _next(data: bytes, byte: bytes, pos: int, found: int) -> int:
    """Where ``byte`` next occurs from ``pos`` (``len(data)`` if nowhere); ``found``, an
    earlier answer, is reused while it lies ahead."""
    if found >= pos:
        return found
    at = data.find(byte, pos)
    return len(data) if at < 0 else at


def close(sink: Sink) -> None:
    """Flush what a filter still holds at the end of the output."""
    closer = getattr(sink, "close", None)
    if closer is not None:
        closer()
    else:
        sink.flush()


_CONTEXT = 128


class MapPaths:
    """Show remote paths as the host sees them: ``<root>/app/x.py`` becomes ``app/x.py``
    wherever a path starts (not inside a longer path; colour codes before it do not count),
    also when a read boundary cuts it."""

    def __init__(self, sink: Sink, roots: tuple[str, ...]) -> None:
        self._sink = sink
        self._prefixes = prefixes = sorted({os.fsencode(r.rstrip("/")) + b"/" for r in roots
                                            if r.strip("/")}, key=len, reverse=True)
        self._pattern: re.Pattern[bytes] | None = None  # compiled when a root first shows up
        self._longest = max(map(len, prefixes), default=0)
        self._firsts = {p[:1] for p in prefixes}
        self._held = b""
        self._before = b""  # the bytes before this chunk, which decide whether a root starts a path

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
        text = self._before + data
        if any(prefix in data for prefix in self._prefixes):  # else skip the regex scan
            mapped = self._map(text, len(self._before))
        self._before = text[-_CONTEXT:]
        self._sink.write(mapped)

    def _map(self, text: bytes, start: int) -> bytes:
        if self._pattern is None:
            import re  # only when a remote root shows up in the output
            self._pattern = re.compile(b"|".join(map(re.escape, self._prefixes)))
        pieces, last, pos = [], start, start
        while match := self._pattern.search(text, pos):
            if _starts_path(text, match.start()):
                pieces.append(text[last:match.start()])
                last = pos = match.end()
            else:
                pos = match.start() + 1
        pieces.append(text[last:])
        return b"".join(pieces)

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


def _starts_path(text: bytes, at: int) -> bool:
    """Whether a root at ``at`` starts a path: the byte before it (escape sequences looked
    through) does not continue one."""
    from hostlint import sequences

    before = text[max(0, at - _CONTEXT):at]
    escapes = sequences.ESCAPES_BEFORE.search(before)
    if escapes:
        before = before[:escapes.start()]
    return not sequences.IN_PATH.match(before[-1:])
