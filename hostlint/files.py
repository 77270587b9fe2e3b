"""Which files each linter gets: include/exclude globs, and batches under the argument limit."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence

from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import re

#: Upper bound for one local command line; Linux's ARG_MAX is usually 2 MiB (environment
#: included), and fewer, larger batches only save linter start-ups.
LOCAL_ARG_BYTES = 512 * 1024


#: POSIX character classes inside ``[...]``, as git's wildmatch knows them (ASCII).
POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "blank": " \t", "cntrl": "\x00-\x1f\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@[-`{-~", "space": " \t-\r", "upper": "A-Z", "xdigit": "0-9A-Fa-f",
}


class PatternError(ValueError):
    """A glob that cannot be compiled (a ``[...]`` class or range that does not exist)."""


class Segment(NamedTuple):
    """One path segment's glob: fixed-length pieces (plain text, or a regular expression
    without repetition) between its stars. ``match`` tests a name: the first piece at the
    start, the last at the end, the others at their leftmost place in between, so a star
    never backtracks and a match costs O(len(name) * len(glob))."""

    pieces: tuple[str | re.Pattern[str], ...]
    lengths: tuple[int, ...]
    match: Callable[[str], bool]

    def regexes(self) -> list[re.Pattern[str]]:
        return [piece for piece in self.pieces if not isinstance(piece, str)]


def _matcher(pieces: tuple[str | re.Pattern[str], ...],
             lengths: tuple[int, ...]) -> Callable[[str], bool]:
    """The cheapest test for a segment's shape (``name``, ``*.py``, ``test_*``, others)."""
    head, tail = pieces[0], pieces[-1]
    if len(pieces) == 1 and isinstance(head, str):
        return head.__eq__
    if len(pieces) == 2 and isinstance(head, str) and isinstance(tail, str):
        least = lengths[0] + lengths[1]
        return lambda name: len(name) >= least and name.startswith(head) and name.endswith(tail)
    return lambda name: _match_pieces(pieces, lengths, name)


def _match_pieces(pieces: tuple[str | re.Pattern[str], ...], lengths: tuple[int, ...],
                  name: str) -> bool:
    if len(pieces) == 1:
        return len(name) == lengths[0] and _at(pieces[0], name, 0)
    end = len(name) - lengths[-1]
    if end < sum(lengths[:-1]) or not _at(pieces[0], name, 0) or not _at(pieces[-1], name, end):
        return False
    pos = lengths[0]
    for piece, length in zip(pieces[1:-1], lengths[1:-1], strict=True):
        pos = _find(piece, name, pos, end)
        if pos < 0:
            return False
        pos += length
    return True


def _at(piece: str | re.Pattern[str], name: str, pos: int) -> bool:
    if isinstance(piece, str):
        return name.startswith(piece, pos)
    return piece.match(name, pos) is not None


def _find(piece: str | re.Pattern[str], name: str, pos: int, end: int) -> int:
    if isinstance(piece, str):
        return name.find(piece, pos, end)
    found = piece.search(name, pos, end)
    return -1 if found is None else found.start()


class Glob(NamedTuple):
    """A gitignore-style pattern as blocks of segment globs separated by ``**``: the first
    block matches at the start of the path, each later one at its leftmost place after the
    previous (``**`` spans any number of segments), so matching a path of S segments
    probes at most S * (segments in the pattern) names. Whatever follows the last block is
    covered (a match on a directory covers everything below it); ``more`` is how many names
    must follow it (``dir/`` and ``dir/**``: one; ``**/``: two)."""

    blocks: tuple[tuple[Segment, ...], ...]
    more: int

    def match(self, path: str) -> bool:
        return self.match_names(path.split("/"))

    def match_names(self, names: list[str]) -> bool:
        first, *rest = self.blocks
        if not first and not self.more and len(rest) == 1 and len(rest[0]) == 1:
            return any(map(rest[0][0].match, names))  # a name at any depth (``*.py``)
        if not _block_at(first, names, 0):
            return False
        pos, count = len(first), len(names)
        for block in rest:
            pos = _leftmost(block, names, pos)
            if pos < 0:
                return False
            pos += len(block)
        return count - pos >= self.more

    def segments(self) -> list[Segment]:
        return [segment for block in self.blocks for segment in block]


def _block_at(block: tuple[Segment, ...], names: list[str], at: int) -> bool:
    return len(names) - at >= len(block) and all(
        segment.match(names[at + i]) for i, segment in enumerate(block))


def _leftmost(block: tuple[Segment, ...], names: list[str], start: int) -> int:
    """Where ``block`` first matches at or after ``start``; -1 if nowhere."""
    if len(block) == 1:  # the common case (``**/name``, and every pattern without ``/``)
        match = block[0].match
        return next((at for at in range(start, len(names)) if match(names[at])), -1)
    return next((at for at in range(start, len(names) - len(block) + 1)
                 if _block_at(block, names, at)), -1)


def compile_pattern(pattern: str) -> Glob:
    """Without ``/`` a pattern matches a name at any depth; with ``/`` the path from the
    repository root; ``**`` as a whole segment spans directories; a match on a directory
    covers everything below it (as in .gitignore). ``PatternError`` for a bad ``[...]``."""
    body = pattern.rstrip("/")
    more = int(pattern.endswith("/") and bool(body))  # ``dir/``: something below it
    parts = _split(body.lstrip("/"))
    if "/" not in body:
        parts.insert(0, None)
    if parts[-1] is None:  # a trailing ``**``: one or more names
        parts.pop()
        more += 1
    blocks: list[list[Segment]] = [[]]
    for part in parts:
        if part is None:
            if blocks[-1] or len(blocks) == 1:
                blocks.append([])
        else:
            blocks[-1].append(part)
    return Glob(tuple(map(tuple, blocks)), more)


STAR, SEP = "*", "/"


def _split(body: str) -> list[Segment | None]:
    """The pattern's segments (None for ``**``), each compiled to pieces between stars."""
    segments: list[list[str]] = [[]]
    for token in _tokens(body):
        if token == SEP:
            segments.append([])
        else:
            segments[-1].append(token)
    return [None if tokens == [STAR, STAR] else _segment(tokens) for tokens in segments]


def _tokens(body: str) -> Iterator[str]:
    """``STAR``, ``SEP``, or a regular expression matching exactly one character."""
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n:
            yield SEP if body[i + 1] == "/" else _char(body[i + 1])
            i += 2
        elif c == "[" and (parsed := _bracket(body, i)) is not None:
            yield parsed[0]
            i = parsed[1]
        else:
            yield {"*": STAR, "/": SEP, "?": "[^/]"}.get(c) or _char(c)
            i += 1


def _segment(tokens: list[str]) -> Segment:
    """Fixed-length pieces between runs of stars, compiled."""
    pieces: list[list[str]] = [[]]
    for token in tokens:
        if token != STAR:
            pieces[-1].append(token)
        elif pieces[-1] or len(pieces) == 1:
            pieces.append([])
    compiled, lengths = tuple(map(_piece, pieces)), tuple(len(p) for p in pieces)
    return Segment(compiled, lengths, _matcher(compiled, lengths))


def _piece(tokens: list[str]) -> str | re.Pattern[str]:
    """Plain text when every token is one literal character, else a regular expression."""
    if all(token.startswith("\\U") for token in tokens):
        return "".join(chr(int(token[2:], 16)) for token in tokens)
    import re  # only for a ``[...]``: ``*.py`` and ``src/**`` are matched as plain text

    try:
        return re.compile("".join(tokens), re.DOTALL)
    except re.error as exc:
        raise PatternError(str(exc)) from None


def _char(c: str) -> str:
    """One character as a regular expression of exactly that character (class-safe too)."""
    return f"\\U{ord(c):08x}"


def _bracket(body: str, start: int) -> tuple[str, int] | None:
    """``[...]`` at ``start`` as one class (never matching ``/``), and the index after it;
    None when it is not closed (then ``[`` is itself)."""
    i, n = start + 1, len(body)
    negate = i < n and body[i] in "!^"
    i += negate
    members: list[str] = []
    first = True
    while i < n and (first or body[i] != "]"):
        first = False
        if body.startswith("[:", i) and (close := body.find(":]", i + 2)) > 0:
            name = body[i + 2:close]
            if name not in POSIX_CLASSES:
                raise PatternError(f"unknown character class [:{name}:]")
            members.append("".join(_class_range(r) for r in _ranges(POSIX_CLASSES[name])))
            i = close + 2
            continue
        c, i = (body[i + 1], i + 2) if body[i] == "\\" and i + 1 < n else (body[i], i + 1)
        if body.startswith("-", i) and i + 1 < n and body[i + 1] != "]":
            high, i = (body[i + 2], i + 3) if body[i + 1] == "\\" and i + 2 < n else (body[i + 1], i + 2)
            if high < c:
                raise PatternError(f"bad character range {c}-{high}")
            members.append(_class_range((c, high)))
        else:
            members.append(_char(c))
    if i >= n:
        return None
    return "[" + ("^/" if negate else "") + "".join(members) + "]", i + 1


def _ranges(spec: str) -> list[tuple[str, str]]:
    """``"0-9A-Z_"`` as ``[("0", "9"), ("A", "Z"), ("_", "_")]``."""
    out, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.append((spec[i], spec[i + 2]))
            i += 3
        else:
            out.append((spec[i], spec[i]))
            i += 1
    return out


def _class_range(bounds: tuple[str, str]) -> str:
    low, high = bounds
    return _char(low) if low == high else f"{_char(low)}-{_char(high)}"


class Matcher(NamedTuple):
    include: tuple[Glob, ...]
    exclude: tuple[Glob, ...]

    @classmethod
    def of(cls, include: Iterable[str], exclude: Iterable[str]) -> Matcher:
        return cls(tuple(map(compile_pattern, include)), tuple(map(compile_pattern, exclude)))

    def __call__(self, path: str) -> bool:
        names = path.split("/")
        return any(g.match_names(names) for g in self.include) and not any(
            g.match_names(names) for g in self.exclude
        )


def select(files: Iterable[str], include: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """The files that match an ``include`` pattern and no ``exclude`` pattern."""
    matches = Matcher.of(include, exclude)
    return [f for f in files if matches(f)]


def arguments(names: Iterable[str]) -> tuple[str, ...]:
    """The file arguments a linter gets: a name starting with ``-`` (``--fix``, ``-``) is
    passed as ``./--fix``, so no linter can read it as an option or as stdin."""
    return tuple(f"./{name}" if name.startswith("-") else name for name in names)


def partition(
    files: Sequence[str], *, limit: int, cost: Callable[[str], int], fixed: int = 0
) -> list[list[str]]:
    """Split ``files`` into batches whose ``fixed + sum(cost)`` stays within ``limit``.

    Every file lands in exactly one batch, in order; a file too long for any batch gets
    one of its own rather than being dropped.
    """
    batches: list[list[str]] = []
    current: list[str] = []
    size = fixed
    for name in files:
        weight = cost(name)
        if current and size + weight > limit:
            batches.append(current)
            current, size = [], fixed
        current.append(name)
        size += weight
    if current:
        batches.append(current)
    return batches


def local_arg_limit(environ: dict[str, str] | os._Environ[str] | None = None) -> int:
    """Bytes left for file arguments on this machine's exec, after the environment."""
    env = os.environ if environ is None else environ
    try:
        arg_max = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):  # pragma: no cover - every POSIX system has it
        arg_max = 2**17
    env_size = sum(len(k) + len(v) + 2 + 8 for k, v in env.items())
    return max(min(arg_max - env_size - 4096, LOCAL_ARG_BYTES), 4096)


def local_cost(name: str) -> int:
    """argv bytes for one name: the string, its NUL, its pointer."""
    return len(os.fsencode(name)) + 1 + 8
