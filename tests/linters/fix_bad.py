"""Test linter with a --fix: rewrites the word 'bad' to 'good' in every file it is given and
fails when it changed one (as ruff --fix, black and friends do)."""

import sys

changed = 0
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        data = f.read()
    if b"bad" in data:
        with open(name, "wb") as f:
            f.write(data.replace(b"bad", b"good"))
        print(f"{name}: fixed")
        changed += 1
sys.exit(1 if changed else 0)
