"""Test linter: prove that several linters run at once without reading clocks. Each one
marks itself started in DIR, then waits (bounded) until COUNT linters have; it fails saying
so if the others never came while it was still running.

usage: barrier.py NAME DIR COUNT [FILES...]"""

import os
import sys
import time

name, where, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(os.path.join(where, f"{name}.started"), "w").close()
deadline = time.monotonic() + 60  # a bound, not a synchronisation: the others' marks are
while len([f for f in os.listdir(where) if f.endswith(".started")]) < count:
    if time.monotonic() > deadline:
        print(f"{name}: the other linters did not start while this one ran", flush=True)
        sys.exit(1)
    time.sleep(0.02)
print(f"{name} met {count - 1} others files={' '.join(sys.argv[4:])}", flush=True)
