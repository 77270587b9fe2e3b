"""Test linter: print its pid and 'ready', then sleep (600 s, or the first argument when it
is a number; file names after it are ignored) until stopped."""

import os
import sys
import time


def seconds(args: list[str]) -> float:
    try:
        return float(args[0])
    except (IndexError, ValueError):
        return 600.0


print(f"pid {os.getpid()}", flush=True)
print("ready", flush=True)
time.sleep(seconds(sys.argv[1:]))
print("slow linter finished")
