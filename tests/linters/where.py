"""Test linter: print the working directory and the arguments."""

import os
import sys

print(f"cwd {os.getcwd()}")
print(f"args {sys.argv[1:]}")
