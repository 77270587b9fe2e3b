"""Test linter: copy its stdin (read to end-of-file) into the file named first, print the
HOSTLINT_* variables it was given and whether stdin is a terminal, exit with the number of
bytes read modulo 7 (so a status shows the byte count reached it)."""

import os
import sys

data = sys.stdin.buffer.read()
with open(sys.argv[1], "wb") as f:
    f.write(data)
for name in sorted(os.environ):
    if name.startswith("HOSTLINT_"):
        print(f"env {name}={os.environ[name]}")
print(f"stdin_tty={os.isatty(0)} read={len(data)}")
sys.exit(len(data) % 7)
