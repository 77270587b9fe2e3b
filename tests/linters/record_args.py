"""Test linter: append each argument (as bytes) and a NUL to the log file named first;
an empty argument (a lone NUL) ends each run."""

import os
import sys

with open(sys.argv[1], "ab") as log:
    for arg in sys.argv[2:]:
        log.write(os.fsencode(arg) + b"\0")
    log.write(b"\0")  # end of this run
print(f"linted {len(sys.argv) - 2} files")
