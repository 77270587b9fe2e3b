"""Run hostlint in this process, then write its own peak RSS (KiB, children excluded) to the
file named by HOSTLINT_TEST_RSS."""

import os
import resource
import sys

from hostlint.__main__ import main

try:
    main()
except SystemExit as exc:
    with open(os.environ["HOSTLINT_TEST_RSS"], "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    sys.exit(exc.code)
