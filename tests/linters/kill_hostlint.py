"""Test linter: sends SIGNAL (default KILL) COUNT times to the hostlint process that runs it
(its nearest ancestor started as ``python -m hostlint``), then waits to be stopped."""

import os
import signal
import sys
import time


def hostlint_ancestor() -> int:
    pid = os.getppid()
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"\0-m\0hostlint\0" in f.read():
                return pid
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(") ", 1)[1].split()[1])
    sys.exit("no hostlint ancestor")


name = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].endswith(".py") else "KILL"
count = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1
target = hostlint_ancestor()
for _ in range(count):
    os.kill(target, getattr(signal, f"SIG{name}"))
time.sleep(60)
