"""Test linter: print its pid and 'ready', then sleep until killed."""

import os
import sys
import time

print(f"pid {os.getpid()}", flush=True)
print("ready", flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 600)
print("slow linter finished")
