"""The story's runner: children that print and end with os._exit(0) without flushing.

Under a pipe or a file their output is block-buffered and lost; under a pty it is
line-buffered and kept. Exit status: the first argument (default 0)."""

import os
import sys

for child in range(3):
    pid = os.fork()
    if pid == 0:
        for line in range(2):
            print(f"child {child} line {line}")
        os._exit(0)  # no flush: what a forked test runner's worker does
    os.waitpid(pid, 0)
print("runner done")
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
