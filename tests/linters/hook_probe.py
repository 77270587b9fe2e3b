"""Test linter for the git hooks beyond pre-commit: read stdin to its end, then append one
JSON line to the log named first: the arguments and stdin (hex, so any bytes survive), the
content of the last argument when it names a file, HOSTLINT_* variables, the directory.

Options after the log: ``--reject WORD`` exits 1 (saying so) when stdin holds WORD;
``--fail-on NAME`` exits 1 when NAME is an argument; ``--append LINE`` appends a blank line and
LINE to the file named last (a prepare-commit-msg edit)."""

import json
import os
import sys

log, options, args = sys.argv[1], {}, sys.argv[2:]
while args[:1] and args[0] in ("--reject", "--fail-on", "--append"):
    options[args[0]] = args[1]
    args = args[2:]
stdin = sys.stdin.buffer.read()
last = os.fsencode(args[-1]) if args else b""
content = None
if last and os.path.isfile(last):
    with open(last, "rb") as f:
        content = f.read()
record = {
    "args": [os.fsencode(a).hex() for a in args],
    "stdin": stdin.hex(),
    "file": None if content is None else content.hex(),
    "env": {k: v for k, v in os.environ.items() if k.startswith("HOSTLINT_")},
    "cwd": os.getcwd(),
    "stdin_tty": os.isatty(0),
}
with open(log, "a") as f:
    f.write(json.dumps(record) + "\n")
if "--append" in options:
    with open(last, "ab") as f:
        f.write(f"\n{options['--append']}\n".encode())
if "--reject" in options and options["--reject"].encode() in stdin:
    print(f"message rejected: it contains {options['--reject']}")
    sys.exit(1)
if "--fail-on" in options and options["--fail-on"] in args:
    print(f"{options['--fail-on']}:1:1: X001 refused")
    sys.exit(1)
print(f"probe saw {len(args)} arguments and {len(stdin)} bytes of stdin")
