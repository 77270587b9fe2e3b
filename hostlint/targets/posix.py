"""The shell text a target with a POSIX shell (SSH, a container) uses for an invocation's
input: ``put_file`` / ``take_file`` as scripts, and the redirect that makes such a file a
linter's stdin. The data itself never is part of a command; paths are quoted."""

from __future__ import annotations

import shlex

#: ``put_file``: a private file under the target's temporary directory, filled from the
#: script's stdin, its path printed.
PUT_SCRIPT = ('umask 077 && f=$(mktemp "${TMPDIR:-/tmp}/hostlint.XXXXXXXX") && cat > "$f" && '
              'printf %s "$f"')


def take_script(path: str) -> str:
    """``take_file``: print the file, then remove it."""
    quoted = shlex.quote(path)
    return f"cat -- {quoted} && rm -f -- {quoted}"


def stdin_prefix(path: str) -> str:
    """Makes the file ``put_file`` wrote the script's stdin, removed once open."""
    quoted = shlex.quote(path)
    return f"exec <{quoted}; rm -f -- {quoted}; "
