"""Test linter that survives Ctrl-C: prints its pid and 'ready', then sleeps until killed or
hung up. On SIGINT it prints 'cleaning up after SIGINT', creates the file named by its first
argument, and carries on. It starts a child that ignores SIGINT; both have the first
argument in their command line, so a test can find them in /proc."""

import os
import signal
import subprocess
import sys
import time

marker = sys.argv[1]


def on_sigint(signum: int, frame: object) -> None:
    print("cleaning up after SIGINT", flush=True)
    with open(marker, "w"):
        pass


signal.signal(signal.SIGINT, on_sigint)
child = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"
subprocess.Popen([sys.executable, "-c", child, "stubborn-child", marker])
print(f"pid {os.getpid()}", flush=True)
print("ready", flush=True)
while True:
    time.sleep(1)
