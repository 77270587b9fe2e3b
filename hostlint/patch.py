"""A saved binary patch read back (``git diff-files -p --binary --full-index``): which files
it touches, each before (the index) and after (the unstaged work tree) as (blob id, mode),
and which of the two a file on disk now holds. Used to put unstaged changes back without
ever applying one twice. Imported by the hook: stdlib only."""

from __future__ import annotations

import os
import stat

from hostlint import git
from hostlint.typing_lite import NamedTuple

Side = tuple[str | None, str] | None  # (blob id or None when unknown, mode); None: no file


class Entry(NamedTuple):
    """One file of a saved patch: its text, and the file before (index) and after (the
    unstaged work tree) as (blob id, mode)."""

    path: str
    text: bytes
    old: Side
    new: Side
    modes: bool  # the patch changes the mode (else modes are not compared)


def read_entries(patch: bytes) -> list[Entry]:
    """The files of a patch, a type change (two sections for one path) as one entry."""
    starts = [0] if patch.startswith(b"diff --git ") else []
    at = patch.find(b"\ndiff --git ")
    while at != -1:
        starts.append(at + 1)
        at = patch.find(b"\ndiff --git ", at + 1)
    entries: list[Entry] = []
    for a, b in zip(starts, [*starts[1:], len(patch)], strict=True):
        entry = _entry(patch[a:b])
        if entries and entries[-1].path == entry.path:
            last = entries.pop()
            entry = Entry(entry.path, last.text + entry.text, last.old, entry.new, True)
        entries.append(entry)
    return entries


def _entry(text: bytes) -> Entry:
    lines = text.split(b"\n")
    old_mode = new_mode = old_id = new_id = None
    created = deleted = modes = False
    for line in lines[1:]:
        if line.startswith((b"--- ", b"@@", b"GIT binary patch", b"Binary files")):
            break
        word = line.split(b" ")
        if line.startswith(b"old mode "):
            old_mode, modes = word[2].decode(), True
        elif line.startswith(b"new mode "):
            new_mode = word[2].decode()
        elif line.startswith((b"deleted file mode ", b"new file mode ")):
            created, deleted = word[0] == b"new", word[0] == b"deleted"
            old_mode = new_mode = word[3].decode()
            modes = True
        elif line.startswith(b"index "):
            old_id, new_id = word[1].decode().split("..")
            if len(word) > 2:
                old_mode = new_mode = word[2].decode()
    old: Side = None if created else (old_id, old_mode or "")
    new: Side = None if deleted else (new_id, new_mode or old_mode or "")
    return Entry(_path(lines[0]), text, old, new, modes)


def _path(line: bytes) -> str:
    rest = line[len(b"diff --git "):]
    if rest.startswith(b'"'):
        return os.fsdecode(_unquote(rest)[2:])
    return os.fsdecode(rest[2:2 + (len(rest) - 5) // 2])  # "a/X b/X"


_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
            ord("r"): 13, ord('"'): 34, ord("\\"): 92}


def _unquote(quoted: bytes) -> bytes:
    """The first C-style quoted string git wrote (core.quotePath)."""
    out, i = bytearray(), 1
    while quoted[i] != ord('"'):
        if quoted[i] != ord("\\"):
            out.append(quoted[i])
            i += 1
        elif quoted[i + 1] in _ESCAPES:
            out.append(_ESCAPES[quoted[i + 1]])
            i += 2
        else:
            out.append(int(quoted[i + 1:i + 4], 8))
            i += 4
    return bytes(out)


def file_states(root: str, entries: list[Entry]) -> dict[str, str]:
    """Per file: "new" (holds the unstaged content), "old" (holds the index content) or
    "changed" (anything else)."""
    current: dict[str, Side] = {}
    regular = []
    for entry in entries:
        try:
            st = os.lstat(os.path.join(root, entry.path))
        except (FileNotFoundError, NotADirectoryError):
            current[entry.path] = None
            continue
        if stat.S_ISLNK(st.st_mode):
            current[entry.path] = (_link_id(os.path.join(root, entry.path), entry), "120000")
        else:
            current[entry.path] = ("", "100755" if st.st_mode & 0o100 else "100644")
            regular.append(entry.path)
    ids = git.blob_ids(root, regular) if regular else {}
    for path in regular:
        side = current[path]
        current[path] = (ids.get(path), side[1]) if side else None
    return {e.path: _state(e, current[e.path]) for e in entries}


def _state(entry: Entry, current: Side) -> str:
    def same(side: Side) -> bool:
        if side is None or current is None:
            return side is current
        return (side[0] is None or side[0] == current[0]) and (
            not entry.modes or side[1] == current[1])

    return "new" if same(entry.new) else "old" if same(entry.old) else "changed"


def _link_id(path: str, entry: Entry) -> str:
    import hashlib

    target = os.fsencode(os.readlink(path))
    side = entry.old or entry.new
    digest = hashlib.sha256 if side and side[0] and len(side[0]) == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(target) + target).hexdigest()
