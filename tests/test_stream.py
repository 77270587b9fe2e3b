"""Byte filters: escape sequences filtered (colours and cursor moves kept only with colour on),
remote paths mapped, across any read boundary; every other byte passes unchanged."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st

from hostlint.stream import Escapes, MapPaths, StreamSink, close

RED, RESET = b"\x1b[31m", b"\x1b[0m"


def _strip(chunks: list[bytes]) -> bytes:
    return _screen(chunks, colour=False)


def test_colour_off_removes_every_sequence_and_nothing_else() -> None:
    data = RED + b"error" + RESET + b" \x1b[2K\rprogress \xff\xfe\x9b\n"
    assert _strip([data]) == b"error \rprogress \xff\xfe\x9b\n"


def test_sequence_cut_between_reads() -> None:
    data = b"a" + RED + b"b" + b"\x1b[1;32m" + b"c" + RESET
    for cut in range(len(data)):
        assert _strip([data[:cut], data[cut:]]) == b"abc"


def test_terminfo_sgr0_reset_is_removed_too() -> None:
    """mypy resets colours with terminfo's sgr0: ESC ( B ESC [ m."""
    assert _strip([b"\x1b[31merror\x1b(B\x1b[m: x\n"]) == b"error: x\n"
    assert _strip([b"a\x1b(", b"Bb"]) == b"ab"


#: Bytes with no escape sequence in them: no ESC, no C1 control encoded in UTF-8.
plain = st.binary(max_size=30).map(lambda b: b.replace(b"\x1b", b"").replace(b"\xc2", b""))


@given(st.lists(plain, max_size=20))
def test_without_escape_sequences_bytes_are_unchanged(chunks: list[bytes]) -> None:
    assert _strip(chunks) == b"".join(chunks)


@given(st.lists(st.one_of(plain, st.sampled_from([RED, RESET, b"\x1b[1;38;5;208m"])), max_size=30),
       st.data())
def test_colour_removed_wherever_the_reads_split(parts: list[bytes], data: st.DataObject) -> None:
    whole = b"".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=5)))
    chunks = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    expected = b"".join(p for p in parts if not p.startswith(b"\x1b"))
    assert _strip(chunks) == expected


ROOT = "/srv/proj"


def _map(chunks: list[bytes], roots: tuple[str, ...] = (ROOT, "/real/proj")) -> bytes:
    out = io.BytesIO()
    sink = MapPaths(StreamSink(out), roots)
    for chunk in chunks:
        sink.write(chunk)
    close(sink)
    return out.getvalue()


def test_remote_paths_become_repository_relative() -> None:
    data = b"/srv/proj/pkg/x.py:3:1: E999\nin /real/proj/a.py\n(/srv/proj/b.py)\n"
    assert _map([data]) == b"pkg/x.py:3:1: E999\nin a.py\n(b.py)\n"


def test_only_whole_path_starts_are_mapped() -> None:
    data = b"/srv/project/x.py /x/srv/proj/y.py /srv/proj\n"
    assert _map([data]) == data


def test_a_path_cut_between_reads_is_still_mapped() -> None:
    data = b"error: /srv/proj/pkg/x.py:3:1: E999\n"
    for cut in range(len(data)):
        assert _map([data[:cut], data[cut:]]) == b"error: pkg/x.py:3:1: E999\n"


def test_an_unfinished_prefix_at_the_end_is_kept() -> None:
    assert _map([b"ends with /srv/pr"]) == b"ends with /srv/pr"


def test_a_root_inside_a_longer_path_stays_whatever_the_reads() -> None:
    data = b"see /x/srv/proj/y.py and /srv/proj/z.py\n"
    for cut in range(len(data)):
        assert _map([data[:cut], data[cut:]]) == b"see /x/srv/proj/y.py and z.py\n", cut


def test_a_path_right_after_a_colour_code_is_mapped() -> None:
    data = b"\x1b[1m/srv/proj/a.py\x1b[0m:1: E1 \x1b[31;1m\x1b[K/srv/proj/b.py\n"
    for cut in range(len(data)):
        assert _map([data[:cut], data[cut:]]) == b"\x1b[1ma.py\x1b[0m:1: E1 \x1b[31;1m\x1b[Kb.py\n", cut


#: Escape sequences a terminal acts on: SGR colours, sgr0's ``ESC ( B`` and the cursor moves
#: of progress bars (kept with colour on), then what is never kept.
KEPT_WITH_COLOUR = [RED, RESET, b"\x1b[1;38;5;208m", b"\x1b[38:2:1:2:3m", b"\x1b[m", b"\x1b(B",
                    b"\x1b[A", b"\x1b[2B", b"\x1b[C", b"\x1b[10D", b"\x1b[1G", b"\x1b[K",
                    b"\x1b[2K", b"\x1b[3F"]
#: The policy restated: what may reach a terminal with colour on.
ALLOWED = re.compile(rb"\x1b\[[0-9;:]*m|\x1b\[[0-9]*[A-GK]|\x1b\(B")
NEVER_KEPT = [
    b"\x1b]52;c;ZWNobyBwd25lZA==\x07",      # OSC 52: write the clipboard (BEL-terminated)
    b"\x1b]52;c;ZWNobyBwd25lZA==\x1b\\",    # ... ST-terminated
    b"\x1b]0;pwned title\x07", b"\x1b]2;title\x1b\\",  # window title
    b"\x1b]8;;file:///etc/passwd\x1b\\",    # a hyperlink's start
    b"\x1bP1$qm\x1b\\", b"\x1b_apc text\x1b\\", b"\x1b^pm text\x1b\\", b"\x1bXsos\x1b\\",
    b"\x1b[2J", b"\x1b[H", b"\x1b[3J", b"\x1b[?1049h", b"\x1b[21t", b"\x1b[8;1;1t",  # clear, home, ...
    b"\x1b[>4;2m", b"\x1b[?25l", b"\x1b[6n", b"\x1b[4h", b"\x1b[1 q",
    b"\x1bc", b"\x1b7", b"\x1b8", b"\x1b#8", b"\x1b(0", b"\x1b)0", b"\x1bM", b"\x1b=", b"\x1b\\",
    b"\xc2\x9b2J", b"\xc2\x9d0;title\xc2\x9c", b"\xc2\x9d52;c;eA==\x07", b"\xc2\x90q\xc2\x9c",
    b"\xc2\x8d",  # UTF-8 encoded C1 controls: CSI, OSC, DCS, RI
    b"\x1b]0;cancelled\x18", b"\x1b]0;substituted\x1a",  # CAN / SUB end a string
]


def _screen(chunks: list[bytes], *, colour: bool) -> bytes:
    out = io.BytesIO()
    sink = Escapes(StreamSink(out), colour=colour)
    for chunk in chunks:
        sink.write(chunk)
    close(sink)
    return out.getvalue()


def test_clipboard_title_and_clear_screen_never_pass_colours_do_with_colour_on() -> None:
    evil = b"".join(NEVER_KEPT)
    data = b"before " + RED + b"red" + RESET + evil + b"\rprogress\x1b[1A\x1b[2K after\n"
    assert _screen([data], colour=True) == (b"before " + RED + b"red" + RESET
                                            + b"\rprogress\x1b[1A\x1b[2K after\n")
    assert _screen([data], colour=False) == b"before red\rprogress after\n"


def test_every_sequence_whatever_the_read_boundary() -> None:
    data = b"a".join([*KEPT_WITH_COLOUR, *NEVER_KEPT]) + b"z"
    texts = b"a" * (len(KEPT_WITH_COLOUR) + len(NEVER_KEPT) - 1) + b"z"
    with_colour = b"a".join([*KEPT_WITH_COLOUR, *(b"" for _ in NEVER_KEPT)]) + b"z"
    for cut in range(len(data)):
        assert _screen([data[:cut], data[cut:]], colour=False) == texts, cut
        assert _screen([data[:cut], data[cut:]], colour=True) == with_colour, cut
    assert _screen([data[i:i + 1] for i in range(len(data))], colour=True) == with_colour


def test_a_broken_or_unfinished_sequence_is_dropped_and_what_follows_kept() -> None:
    assert _screen([b"x\x1b"], colour=True) == b"x"  # cut off by the end of the output
    assert _screen([b"x\x1b[1;2"], colour=False) == b"x"
    assert _screen([b"a\x1b[1\x072Jb"], colour=True) == b"a\x072Jb"  # BEL inside: CSI broken
    assert _screen([b"a\x1b\x1c\x1db"], colour=True) == b"a\x1c\x1db"  # ESC before a control
    assert _screen([b"\xc2"], colour=False) == b"\xc2"  # a cut UTF-8 character is a character
    assert _screen([b"\xc2\xc2"], colour=True) == b"\xc2\xc2"
    assert _screen([b"a\xc2\x1b[2J\x9b2J"], colour=True) == b"a\x9b2J"  # no C1 CSI made
    assert _screen([b"\xc2", b"\xa9 \xc3\xa9"], colour=False) == b"\xc2\xa9 \xc3\xa9"


def test_holding_stays_bounded() -> None:
    """An endless string is dropped for 64 KiB, then what follows is text; an endless CSI
    is held for at most 256 bytes."""
    osc = b"\x1b]52;c;" + b"A" * 70_000 + b"tail\n"
    shown = _screen([osc[i:i + 1000] for i in range(0, len(osc), 1000)], colour=True)
    assert shown.endswith(b"tail\n") and len(shown) < 70_000 - 60_000
    params = b"\x1b[" + b"1;" * 300 + b"m"
    shown = _screen([params[i:i + 7] for i in range(0, len(params), 7)], colour=True)
    assert shown.endswith(b"1;1;m") and b"\x1b" not in shown


@given(st.lists(st.one_of(plain.map(lambda b: (b, "text")),
                          st.sampled_from(KEPT_WITH_COLOUR).map(lambda b: (b, "kept")),
                          st.sampled_from(NEVER_KEPT).map(lambda b: (b, "never"))), max_size=25),
       st.data())
def test_bytes_outside_sequences_pass_unchanged_whatever_the_reads(
        parts: list[tuple[bytes, str]], data: st.DataObject) -> None:
    whole = b"".join(p for p, _ in parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=6)))
    chunks = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    assert _screen(chunks, colour=False) == b"".join(p for p, kind in parts if kind == "text")
    assert _screen(chunks, colour=True) == b"".join(p for p, kind in parts if kind != "never")


#: Bytes that start, continue or end escape sequences, and text.
hostile = st.lists(st.one_of(st.sampled_from([b"\x1b", b"\xc2", b"\x9b", b"\x9c", b"\x9d", b"[", b"]",
                                              b"\x07", b"\x18", b"\\", b"(", b"B", b"1", b";", b"m",
                                              b"J", b"\x90", b" ", b"x"]),
                             st.sampled_from([*KEPT_WITH_COLOUR, *NEVER_KEPT])), max_size=60)


@given(hostile.map(b"".join), st.data())
def test_no_escape_gets_through_whatever_the_input(whole: bytes, data: st.DataObject) -> None:
    """Colour off: no ESC and no C1 control (UTF-8) comes out, not even one that removing a
    sequence would have joined; colour on: only the kept sequences."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=6)))
    chunks = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    c1 = re.compile(rb"\xc2[\x80-\x9f]")
    off = _screen(chunks, colour=False)
    assert b"\x1b" not in off and not c1.search(off)
    on = _screen(chunks, colour=True)
    assert not c1.search(on)
    for at in (i for i, byte in enumerate(on) if byte == 0x1b):
        assert ALLOWED.match(on, at), on[at:at + 12]


@given(st.lists(st.sampled_from([RED, RESET, b"\x1b[1m", b"\x1b[K", b"\x1b(B"]), max_size=4),
       st.sampled_from([b"", b" ", b"\n", b"(", b"x", b"/x", b"-", b"."]), st.data())
def test_a_path_after_colour_codes_is_mapped_unless_it_continues_a_longer_path(
        codes: list[bytes], before: bytes, data: st.DataObject) -> None:
    whole = before + b"".join(codes) + b"/srv/proj/a.py:1\n"
    starts_a_path = before[-1:] not in (b"x", b"-", b".", b"/")
    tail = b"a.py:1\n" if starts_a_path else b"/srv/proj/a.py:1\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=4)))
    chunks = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    assert _map(chunks) == before + b"".join(codes) + tail
