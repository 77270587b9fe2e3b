"""Test linter: appends, for every file argument, its name, its kind and its content (a
symlink: its target) to the log file named by the first argument, as JSON lines."""

import json
import os
import sys

with open(sys.argv[1], "a") as log:
    for name in sys.argv[2:]:
        if os.path.islink(name):
            kind, data = "link", os.fsencode(os.readlink(name))
        elif os.path.exists(name):
            kind = "exec" if os.access(name, os.X_OK) else "file"
            with open(name, "rb") as f:
                data = f.read()
        else:
            kind, data = "missing", b""
        log.write(json.dumps([os.fsencode(name).hex(), kind, data.hex()]) + "\n")
