"""Test linter: a finding for every file that contains the word 'bad'."""

import sys

found = 0
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        if b"bad" in f.read():
            print(f"{name}:1:1: B001 contains 'bad'")
            found += 1
sys.exit(1 if found else 0)
