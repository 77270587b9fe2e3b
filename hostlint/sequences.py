"""The escape-sequence grammar the output filters in stream.py match (ECMA-48 syntax, 7-bit
and C1 controls encoded in UTF-8), compiled when a filter first meets an escape byte or a
remote root: most hook runs print nothing, or plain text, and would pay ~2 ms of start-up
to compile them."""

from __future__ import annotations

import re

# One sequence at an introducer (ESC, or a C1 control encoded in UTF-8), ECMA-48 syntax;
# only a \xc2 that starts an ordinary character matches none of these.
SEQUENCE = re.compile(
    rb"(?P<csi>(?:\x1b\[|\xc2\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e])"  # params, final byte
    rb"|(?P<string>\x1b[]PX^_]|\xc2[\x90\x98\x9d\x9e\x9f])"  # OSC, DCS, SOS, PM, APC
    # A CSI not finished: broken by a byte it cannot hold, or (at the end) cut by a read.
    rb"|(?P<open>(?:\x1b\[|\xc2\x9b)[\x30-\x3f]*[\x20-\x2f]*)"
    rb"|(?P<esc>\x1b[\x20-\x2f]*[\x30-\x7e])"  # ESC ( B, ESC 7, ESC c ...
    rb"|(?P<c1>\xc2[\x80-\x9f])"  # any other C1 control
    rb"|(?P<lone>\x1b[\x20-\x2f]*|\xc2\Z)")  # the same for other sequences
# What a terminal may get with colour on: SGR colours, sgr0's ``ESC ( B``, and the cursor
# moves of progress bars (up, down, forward, back, next/previous line, column; erase line).
KEEP = re.compile(rb"\x1b\[[0-9;:]*m|\x1b\[[0-9]*[A-GK]|\x1b\(B")
# Output with no string and no C1 control (most of it) is filtered in one substitution,
# which removes every sequence (finished or broken), or every one not kept.
_ANY_SEQUENCE = rb"\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\x20-\x2f]*[\x30-\x7e]?)"
DROP = {False: re.compile(_ANY_SEQUENCE),
        True: re.compile(rb"\x1b(?!\[[0-9;:]*m|\[[0-9]*[A-GK]|\(B)" + _ANY_SEQUENCE[4:])}
STRING_START = re.compile(rb"\x1b[]PX^_]")
# The end of a string (OSC also ends at BEL); CAN and SUB cancel one, ESC starts ST or the next.
STRING_END = re.compile(rb"[\x18\x1a\x1b]|\xc2\x9c|\xc2\Z")
OSC_END = re.compile(rb"[\x07\x18\x1a\x1b]|\xc2\x9c|\xc2\Z")
# A byte that continues a path, so a root right after it is inside a longer path.
IN_PATH = re.compile(rb"[\w./~-]")
# Escape sequences just before a root (``ESC[1m/srv/proj/a.py``): looked through to the byte
# before them.
ESCAPES_BEFORE = re.compile(rb"(?:\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1b\([\x30-\x7e])+\Z")
