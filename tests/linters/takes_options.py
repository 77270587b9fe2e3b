"""Test linter that parses options as real linters do (argparse, like ruff's ``--exit-zero``,
``--fix``, ``--output-file``; ``-`` means stdin): a finding for each file containing 'bad',
exit 1 when there is one unless ``--exit-zero``; ``--fix`` rewrites 'bad' to 'good' in every
file; ``--output-file`` writes the findings there instead of stdout."""

import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--exit-zero", action="store_true")
parser.add_argument("--fix", action="store_true")
parser.add_argument("--output-file")
parser.add_argument("files", nargs="*")
args = parser.parse_args()
findings = []
for name in args.files:
    with open(name, "rb") if name != "-" else sys.stdin.buffer as f:
        data = f.read()
    if b"bad" in data:
        findings.append(f"{name}:1:1: B001 contains 'bad'\n")
        if args.fix and name != "-":
            with open(name, "wb") as out:
                out.write(data.replace(b"bad", b"good"))
if args.output_file:
    with open(args.output_file, "w") as report:
        report.writelines(findings)
else:
    sys.stdout.writelines(findings)
sys.exit(1 if findings and not args.exit_zero else 0)
