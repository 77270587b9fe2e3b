"""Byte filters: colour stripped (only colour), across any read boundary; bytes pass through."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from hostlint.stream import MapPaths, StreamSink, StripColor, close

RED, RESET = b"\x1b[31m", b"\x1b[0m"


def _strip(chunks: list[bytes]) -> bytes:
    out = io.BytesIO()
    sink = StripColor(StreamSink(out))
    for chunk in chunks:
        sink.write(chunk)
    close(sink)
    return out.getvalue()


def test_colour_removed_and_other_escapes_kept() -> None:
    data = RED + b"error" + RESET + b" \x1b[2K\rprogress \xff\xfe\n"
    assert _strip([data]) == b"error \x1b[2K\rprogress \xff\xfe\n"


def test_sequence_cut_between_reads() -> None:
    data = b"a" + RED + b"b" + b"\x1b[1;32m" + b"c" + RESET
    for cut in range(len(data)):
        assert _strip([data[:cut], data[cut:]]) == b"abc"


def test_terminfo_sgr0_reset_is_removed_too() -> None:
    """mypy resets colours with terminfo's sgr0: ESC ( B ESC [ m."""
    assert _strip([b"\x1b[31merror\x1b(B\x1b[m: x\n"]) == b"error: x\n"
    assert _strip([b"a\x1b(", b"Bb"]) == b"ab"


def test_a_lone_escape_at_the_end_is_not_lost() -> None:
    assert _strip([b"x\x1b"]) == b"x\x1b"


@given(st.lists(st.binary(max_size=50), max_size=20))
def test_without_colour_sequences_bytes_are_unchanged(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    if b"\x1b" in data:
        data = data.replace(b"\x1b", b"")
        chunks = [c.replace(b"\x1b", b"") for c in chunks]
    assert _strip(chunks) == data


@given(st.lists(st.one_of(st.binary(max_size=20).map(lambda b: b.replace(b"\x1b", b"")),
                          st.sampled_from([RED, RESET, b"\x1b[1;38;5;208m"])), max_size=30),
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
