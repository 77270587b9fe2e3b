"""A warm Vagrant check vs a fresh `ssh -tt` to the same guest, side by side in one run, and
the number of `vagrant` calls each check makes.

    python bench/vagrant.py [--runs 15] [--vagrant-delay 0.63]

Vagrant cannot boot here: the guest is a private sshd on this machine and `vagrant` is the
test suite's fake (tests/fakes/vagrant), which prints what Vagrant 2.4 prints and sleeps
`--vagrant-delay` seconds per call to stand in for Ruby's start-up (`vagrant status` took
0.63 s on this machine; users report 1.7-5.2 s for `vagrant ssh -c`, hashicorp/vagrant
#4214, #2462, #5528)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from bench.ssh import median_ms, timed  # noqa: E402
from tests.sshd import start_sshd  # noqa: E402
from tests.vagrant_fixture import FAKE_VAGRANT, write_machine_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--vagrant-delay", type=float, default=0.63)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-vagrant-") as tmp:
        base = Path(tmp)
        server = start_sshd(base / "sshd")
        try:
            run(base, server.port, server.user, server.client_key, args)
        finally:
            server.stop()


def run(base: Path, port: int, user: str, key: Path, args: argparse.Namespace) -> None:
    project, guest, home, bindir = base / "project", base / "guest", base / "home", base / "bin"
    for path in (project, guest, home, bindir):
        path.mkdir()
    shutil.copy(FAKE_VAGRANT, bindir / "vagrant")
    state, log = base / "vagrant-state.json", base / "vagrant-calls.jsonl"
    state.write_text(json.dumps({"delay": args.vagrant_delay, "machines": {"default": {
        "state": "running", "provider": "virtualbox", "host": "127.0.0.1", "port": port,
        "user": user, "identity_file": str(key)}}}))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSTLINT", "VIRTUAL_ENV", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                                "SSH_AUTH_SOCK"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), GIT_CONFIG_NOSYSTEM="1",
               PATH=f"{bindir}:{env['PATH']}", FAKE_VAGRANT_STATE=str(state),
               FAKE_VAGRANT_LOG=str(log), PYTHONPYCACHEPREFIX=str(base / "pycache"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, env=env, check=True)
    (project / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "true"\n')
    (project / "app.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "."], cwd=project, env=env, check=True)
    write_machine_record(project, synced_folders={"virtualbox": {str(guest): {
        "guestpath": str(guest), "hostpath": str(project), "disabled": False}}})
    ssh_config = base / "ssh-config"
    ssh_config.write_bytes(subprocess.run(["vagrant", "ssh-config"], cwd=project, env=env,
                                          capture_output=True, check=True).stdout)
    python = sys.executable
    cache = home / ".cache" / "hostlint" / "vagrant"
    sides = {
        "hostlint, cold cache": [python, "-m", "hostlint", "check"],
        "hostlint, warm": [python, "-m", "hostlint", "check", "--timings"],
        "hostlint hook, warm": [python, "-m", "hostlint", "hook", "pre-commit"],
        "ssh -tt": ["ssh", "-tt", "-F", str(ssh_config), "default", f"cd {guest} && true app.py"],
    }
    calls: dict[str, list[int]] = {name: [] for name in sides}
    timings: list[str] = []
    times: dict[str, list[float]] = {name: [] for name in sides}
    timed(sides["hostlint, warm"], cwd=project, env=env)  # byte-compile
    for _ in range(args.runs):
        for name, argv in sides.items():
            if name.endswith("cold cache"):
                shutil.rmtree(cache, ignore_errors=True)
            log.write_text("")
            elapsed, code, errors = timed(argv, cwd=project, env=env)
            if code != 0:
                raise SystemExit(f"{name} failed (exit {code}): {errors}")
            times[name].append(elapsed)
            if "--timings" in argv:
                timings.append(errors.strip())
            calls[name].append(len(log.read_text().splitlines()))
    print(f"Vagrant guest = sshd on 127.0.0.1:{port} as {user!r}; fake `vagrant` sleeps "
          f"{args.vagrant_delay:g} s a call; one staged file, linter `true`; median of {args.runs}")
    reference = statistics.median(times["ssh -tt"])
    for name, values in times.items():
        vagrant_calls = "" if name == "ssh -tt" else f"   vagrant calls per check: {max(calls[name])}"
        print(f"  {name:<22} {median_ms(values)}   {statistics.median(values) / reference:4.2f}x ssh -tt"
              + vagrant_calls)
    print(f"  last warm check's {timings[-1].removeprefix('hostlint: ')}")


if __name__ == "__main__":
    main()
