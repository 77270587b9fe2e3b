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
    # Not `-m hostlint`, which puts the repository first on the import path (its own queue.py
    # or typing.py would run inside hostlint) and costs runpy: every entry naming the current
    # directory ("" from -c, "" or "." in PYTHONPATH) is dropped before hostlint is imported.
    exec "$INTERPRETER" -c '
import os, sys
here = os.getcwd()
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
try:
    from hostlint.__main__ import main
except ImportError as exc:
    sys.stderr.write(f"hostlint: the {sys.argv[2]} hook cannot import hostlint with {sys.executable} ({exc}); reinstall hostlint there and run `hostlint install`, or skip once with HOSTLINT=0\n")
    sys.exit(2)
main()' hook "$HOOK_TYPE" "$@"
elif command -v hostlint >/dev/null 2>&1; then
    exec hostlint hook "$HOOK_TYPE" "$@"
fi
echo "hostlint: the $HOOK_TYPE hook cannot find hostlint (not $INTERPRETER, not on PATH); reinstall hostlint and run \`hostlint install\`, or skip once with HOSTLINT=0" >&2
exit 2
