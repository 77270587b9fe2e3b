"""Test linter: report one finding per file and fail."""

import sys

for name in sys.argv[1:]:
    print(f"{name}:1:1: E999 something is wrong")
sys.exit(1 if sys.argv[1:] else 0)
