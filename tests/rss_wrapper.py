"""Run hostlint in this process, then write its own peak RSS (KiB) to the file named by
HOSTLINT_TEST_RSS. VmHWM, not getrusage: ru_maxrss survives exec, so a child of a large
pytest process would report pytest's size."""

import os
import sys

from hostlint.__main__ import main


def peak_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


try:
    main()
except SystemExit as exc:
    with open(os.environ["HOSTLINT_TEST_RSS"], "w") as f:
        f.write(str(peak_kib()))
    sys.exit(exc.code)
