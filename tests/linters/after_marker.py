"""Test linter: print 'first', wait (at most 30 s) until the file named by its first argument
exists, then print LINES numbered lines (second argument) and exit with CODE (third)."""

import os
import sys
import time

marker, lines, code = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print("first", flush=True)
deadline = time.monotonic() + 30
while not os.path.exists(marker) and time.monotonic() < deadline:
    time.sleep(0.01)
for i in range(lines):
    print("line", i)
sys.exit(code)
