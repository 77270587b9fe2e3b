"""Run hostlint in this process, then write its own peak RSS (KiB) to the file named by
HOSTLINT_TEST_RSS. VmHWM, not getrusage: ru_maxrss survives exec, so a child of a large
pytest process would report pytest's size."""

import os
import sys

from hostlint.__main__ import run_argv


def peak_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


code = run_argv(sys.argv[1:])
with open(os.environ["HOSTLINT_TEST_RSS"], "w") as f:
    f.write(str(peak_kib()))
sys.exit(code)
