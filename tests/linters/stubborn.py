"""Test linter that survives Ctrl-C: prints its pid and 'ready', then sleeps until killed or
hung up. On SIGINT it prints 'cleaning up after SIGINT', creates the file named by its first
argument, and carries on. It starts a child that ignores SIGINT; both have the first
argument in their command line, so a test can find them in /proc.

'ready' means both are ready: the child reports over a pipe once it ignores SIGINT, and
only then does the parent print 'ready'. (A Ctrl-C typed into the pty reaches the whole
process group; one arriving while the child's Python is still starting kills it with
"Fatal Python error: init_import_site" on the shared terminal.)"""

import os
import signal
import subprocess
import sys
import time

marker = sys.argv[1]


def on_sigint(signum: int, frame: object) -> None:
    # os.write, not print: the handler may run while print("ready", flush=True) is still
    # inside the buffered writer (its bytes already out), and print would then raise
    # "RuntimeError: reentrant call".
    os.write(1, b"cleaning up after SIGINT\n")
    os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o644))


signal.signal(signal.SIGINT, on_sigint)
child = ("import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
         "print('child ready', flush=True); sys.stdout.close(); time.sleep(600)")
proc = subprocess.Popen([sys.executable, "-c", child, "stubborn-child", marker],
                        stdout=subprocess.PIPE)
assert proc.stdout is not None
if proc.stdout.readline() != b"child ready\n":
    sys.exit("stubborn.py: the child did not start")
proc.stdout.close()
print(f"pid {os.getpid()}", flush=True)
print("ready", flush=True)
while True:
    time.sleep(1)
