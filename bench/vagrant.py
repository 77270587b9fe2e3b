"""A warm Vagrant check vs the alternatives on the same guest, side by side in one run, and
the number of `vagrant` calls each makes.

    python bench/vagrant.py [--runs 15] [--vagrant-delay 0.63]
    python bench/vagrant.py --real [--runs 10]

Default: the guest is a private sshd on this machine and `vagrant` is the test suite's fake
(tests/fakes/vagrant), which prints what Vagrant prints and sleeps `--vagrant-delay` seconds
per call to stand in for Ruby's start-up (`vagrant status` took 0.63 s on this machine;
users report 1.7-5.2 s for `vagrant ssh -c`, hashicorp/vagrant #4214, #2462, #5528).

`--real`: Debian's Vagrant with its docker provider brings up a guest (sshd in the test
suite's Vagrant guest image) on a private dockerd, as tests/vagrant_real.py does (root;
the image is built with debootstrap on first use), and the seed's hook, `vagrant ssh -c`,
runs beside hostlint. The guest has no git, so the seed's command gets the file list
written out instead of `$(git diff --cached ...)`."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from bench.ssh import median_ms, timed  # noqa: E402
from tests.sshd import start_sshd  # noqa: E402
from tests.vagrant_fixture import FAKE_VAGRANT, write_machine_record  # noqa: E402

Sides = dict[str, list[str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--vagrant-delay", type=float, default=0.63)
    parser.add_argument("--real", action="store_true",
                        help="real Vagrant, docker provider, private dockerd (needs root)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-vagrant-") as tmp:
        base = Path(tmp)
        if args.real:
            real(base, args)
            return
        server = start_sshd(base / "sshd")
        try:
            fake(base, server.port, server.user, server.client_key, args)
        finally:
            server.stop()


def environment(home: Path, bindir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSTLINT", "VIRTUAL_ENV", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                                "SSH_AUTH_SOCK", "VAGRANT_", "DOCKER_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), GIT_CONFIG_NOSYSTEM="1",
               PATH=f"{bindir}:{env['PATH']}", PYTHONPYCACHEPREFIX=str(home / "pycache"), **extra)
    return env


def repository(root: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True)
    (root / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "true"\n')
    (root / "app.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "pyproject.toml", "app.py"], cwd=root, env=env, check=True)


def hostlint_sides() -> Sides:
    python = sys.executable
    return {
        "hostlint, cold cache": [python, "-m", "hostlint", "check"],
        "hostlint, warm": [python, "-m", "hostlint", "check", "--timings"],
        "hostlint hook, warm": [python, "-m", "hostlint", "hook", "pre-commit"],
    }


def measure(sides: Sides, *, runs: int, cwd: Path, env: dict[str, str], cache: Path,
            log: Path) -> tuple[dict[str, list[float]], dict[str, int], str]:
    """Each side ``runs`` times, interleaved: times, most `vagrant` calls in one run, and the
    last warm check's --timings line."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    calls: dict[str, int] = dict.fromkeys(sides, 0)
    timings = ""
    timed(sides["hostlint, warm"], cwd=cwd, env=env)  # byte-compile, warm the cache
    for _ in range(runs):
        for name, argv in sides.items():
            if name.endswith("cold cache"):
                shutil.rmtree(cache, ignore_errors=True)
            log.write_text("")
            elapsed, code, errors = timed(argv, cwd=cwd, env=env)
            if code != 0:
                raise SystemExit(f"{name} failed (exit {code}): {errors}")
            times[name].append(elapsed)
            if "--timings" in argv:
                timings = errors.strip().removeprefix("hostlint: ")
            calls[name] = max(calls[name], len(log.read_text().splitlines()))
    return times, calls, timings


def report(times: dict[str, list[float]], calls: dict[str, int], *, reference: str,
           counted: set[str]) -> None:
    base = statistics.median(times[reference])
    for name, values in times.items():
        note = f"   vagrant calls per check: {calls[name]}" if name in counted else ""
        print(f"  {name:<26} {median_ms(values)}   {statistics.median(values) / base:5.2f}x "
              f"{reference}{note}")


def fake(base: Path, port: int, user: str, key: Path, args: argparse.Namespace) -> None:
    project, guest, home, bindir = base / "project", base / "guest", base / "home", base / "bin"
    for path in (project, guest, home, bindir):
        path.mkdir()
    shutil.copy(FAKE_VAGRANT, bindir / "vagrant")
    state, log = base / "vagrant-state.json", base / "vagrant-calls.jsonl"
    state.write_text(json.dumps({"delay": args.vagrant_delay, "machines": {"default": {
        "state": "running", "provider": "virtualbox", "host": "127.0.0.1", "port": port,
        "user": user, "identity_file": str(key)}}}))
    env = environment(home, bindir, FAKE_VAGRANT_STATE=str(state), FAKE_VAGRANT_LOG=str(log))
    repository(project, env)
    write_machine_record(project, synced_folders={"virtualbox": {str(guest): {
        "guestpath": str(guest), "hostpath": str(project), "disabled": False}}})
    ssh_config = base / "ssh-config"
    ssh_config.write_bytes(subprocess.run(["vagrant", "ssh-config"], cwd=project, env=env,
                                          capture_output=True, check=True).stdout)
    sides = {**hostlint_sides(),
             "ssh -tt": ["ssh", "-tt", "-F", str(ssh_config), "default", f"cd {guest} && true app.py"]}
    times, calls, timings = measure(sides, runs=args.runs, cwd=project, env=env,
                                    cache=home / ".cache" / "hostlint" / "vagrant", log=log)
    print(f"Vagrant guest = sshd on 127.0.0.1:{port} as {user!r}; fake `vagrant` sleeps "
          f"{args.vagrant_delay:g} s a call; one staged file, linter `true`; median of {args.runs}")
    report(times, calls, reference="ssh -tt", counted=set(hostlint_sides()))
    print(f"  last warm check's {timings}")


def real(base: Path, args: argparse.Namespace) -> None:
    from tests.engine import GUEST_RECIPE, debian_image, start_engine
    from tests.vagrant_real import GUEST_ROOT, VagrantSetup, counting_wrapper, new_project

    base.chmod(0o755)
    engine = start_engine()
    try:
        setup = VagrantSetup(engine, debian_image(engine, GUEST_RECIPE), base / "vagrant.d", base)
        project = new_project(setup, "project", ("default",))
        began = time.monotonic()
        project.running()
        up = time.monotonic() - began
        try:
            calls = counting_wrapper(base / "wrapper")
            home = base / "home"
            home.mkdir()
            env = environment(home, calls.bin_dir, **setup.environ())
            repository(project.root, env)
            ssh_config = base / "ssh-config"
            ssh_config.write_bytes(subprocess.run(["vagrant", "ssh-config"], cwd=project.root,
                                                  env=env, capture_output=True, check=True).stdout)
            remote = f"cd {GUEST_ROOT} && true app.py || true"
            sides = {**hostlint_sides(),
                     "seed hook (vagrant ssh -c)": ["vagrant", "ssh", "-c", remote],
                     "ssh -tt": ["ssh", "-tt", "-F", str(ssh_config), "default", remote]}
            times, counts, timings = measure(sides, runs=args.runs, cwd=project.root, env=env,
                                             cache=home / ".cache" / "hostlint" / "vagrant",
                                             log=calls.log)
        finally:
            project.teardown()
    finally:
        engine.stop()
    print(f"Real Vagrant {vagrant_version()}, docker provider, guest {setup.image} "
          f"(`vagrant up` took {up:.1f} s); one staged file, linter `true`; median of {args.runs}")
    report(times, counts, reference="seed hook (vagrant ssh -c)",
           counted={*hostlint_sides(), "seed hook (vagrant ssh -c)"})
    warm = statistics.median(times["hostlint hook, warm"])
    print(f"  warm hook vs ssh -tt: {warm / statistics.median(times['ssh -tt']):.2f}x; "
          f"last warm check's {timings}")


def vagrant_version() -> str:
    out = subprocess.run(["vagrant", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().removeprefix("Vagrant ")


if __name__ == "__main__":
    main()
