"""Test linter: write N megabytes of numbered lines (default 50)."""

import sys

megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 50
line = b"x" * 1014  # with the number, the space and the newline: 1 KiB a line
out = sys.stdout.buffer
for i in range(megabytes * 1024):
    out.write(b"%08d " % i + line + b"\n")
out.flush()
