"""Test linter: record start/end timestamps, print a few lines, optionally fail.

usage: timed.py NAME LOG SECONDS EXIT [FILES...]"""

import sys
import time

name, log, seconds, code = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
with open(log, "a") as f:
    f.write(f"{name} start {time.time()}\n")
for i in range(3):
    print(f"{name} line {i} files={' '.join(sys.argv[5:])}", flush=True)
    time.sleep(seconds / 3)
with open(log, "a") as f:
    f.write(f"{name} end {time.time()}\n")
sys.exit(code)
