"""Test linter: print a finding whose path is under ROOT (the first argument), written in two
pieces with a pause between them, so the path reaches hostlint in two reads; exit 1."""

import os
import sys
import time

line = f"{sys.argv[1]}/pkg/x.py:3:1: E999 syntax error\n".encode()
cut = len(sys.argv[1]) // 2
os.write(1, line[:cut])
time.sleep(0.3)  # shapes the stream into two reads; nothing waits on it
os.write(1, line[cut:])
sys.exit(1)
