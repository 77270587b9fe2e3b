"""The one script run inside the container, and how file names travel to it.

The engine's API carries argv as JSON strings, which would turn bytes that are not UTF-8
into U+FFFD, so a batch holding such a name passes every name tagged (``=name``, or ``%`` +
octal escapes) and the script decodes them. Names are arguments, never script text.
"""

from __future__ import annotations

import os

MARK = b"\036hostlint-pid "
DEFAULT_TERM = "xterm-256color"
_DECODE = ('for a do case $a in %*) v=$(printf "${a#%}x"); set -- "$@" "${v%x}";; '
           '*) set -- "$@" "${a#=}";; esac; shift; done\n')


def wrapper(command: str, *, encoded: bool) -> str:
    """The one script run inside: stty needs the pty as stdin, so it comes first; a read of
    the pty returns end-of-input at once (``-icanon min 0 time 0``), as on every target."""
    return ("stty -opost -echo -icanon min 0 time 0 2>/dev/null; exec </dev/null; "
            "printf '\\036hostlint-pid %s\\n' $$\n"
            + (_DECODE if encoded else "") + f'{command} "$@"')


def is_utf8(name: str) -> bool:
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def encode(name: str) -> str:
    """A name as the script's decoder takes it: ``=`` + the name, or for bytes that are not
    UTF-8, ``%`` + every byte as an octal escape (a printf format of escapes only)."""
    if is_utf8(name):
        return "=" + name
    return "%" + "".join(f"\\{byte:03o}" for byte in os.fsencode(name))


