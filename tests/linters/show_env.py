"""Test linter: print where it runs and what it was given, one fact a line:
``cwd=...``, ``tty=...`` (stdout), ``env NAME=VALUE`` for GIT_*, VIRTUAL_ENV,
PYTHONUNBUFFERED, HOSTLINT_* and SSH_AUTH_SOCK, then ``args=N``."""

import os
import sys

print(f"cwd={os.getcwd()}")
print(f"tty={sys.stdout.isatty()}")
print(f"term={os.environ.get('TERM', '')}")
for name in sorted(os.environ):
    if name.startswith(("GIT_", "HOSTLINT")) or name in ("VIRTUAL_ENV", "PYTHONUNBUFFERED", "SSH_AUTH_SOCK"):
        print(f"env {name}={os.environ[name]}")
print(f"args={len(sys.argv) - 1}")
