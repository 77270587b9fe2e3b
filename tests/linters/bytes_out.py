"""Test linter: write the bytes of the file named by its first argument to stdout, in
chunks of the given size (default: all at once), then exit 0."""

import os
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
size = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else len(data) or 1
for start in range(0, len(data), size):
    os.write(1, data[start:start + size])
