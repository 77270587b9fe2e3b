#!/bin/sh
# hostlint-hook-v1: written by `hostlint install`; remove it with `hostlint uninstall`.
# Skip one commit with `HOSTLINT=0 git commit ...` or `git commit --no-verify`.
HOOK_TYPE=@HOOK_TYPE@
INTERPRETER=@INTERPRETER@
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac  # no dirname process: every ms counts
if [ -x "$here/$HOOK_TYPE.legacy" ]; then
    if [ "$HOOK_TYPE" = pre-push ]; then
        # Both hooks read git's ref lines: keep them in a file, give each its own copy.
        input=$(mktemp "${TMPDIR:-/tmp}/hostlint-push.XXXXXXXX") || exit 2
        cat > "$input"
        "$here/$HOOK_TYPE.legacy" "$@" < "$input" || { status=$?; rm -f "$input"; exit $status; }
        exec < "$input"
        rm -f "$input"
    else
        "$here/$HOOK_TYPE.legacy" "$@" || exit $?
    fi
fi
if [ "${HOSTLINT-}" = 0 ]; then  # before looking for hostlint: skipping works without it
    echo "hostlint: HOSTLINT=0: check skipped" >&2
    exit 0
fi
if [ -x "$INTERPRETER" ]; then
    # Not `-m hostlint`: that puts the repository first on the import path, where its own
    # queue.py or typing.py would run inside hostlint (and runpy costs start-up); `-c` puts
    # the current directory there as "": take it off before hostlint is imported.
    exec "$INTERPRETER" -c '
import sys
if sys.path[:1] == [""]:
    del sys.path[0]
from hostlint.__main__ import main
main()' hook "$HOOK_TYPE" "$@"
elif command -v hostlint >/dev/null 2>&1; then
    exec hostlint hook "$HOOK_TYPE" "$@"
fi
echo "hostlint: the $HOOK_TYPE hook cannot find hostlint (not $INTERPRETER, not on PATH); reinstall hostlint and run \`hostlint install\`, or skip once with HOSTLINT=0" >&2
exit 2
