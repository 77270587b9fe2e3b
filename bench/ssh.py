"""hostlint over SSH vs plain `ssh -tt`, side by side in one run, against a private sshd.

    python bench/ssh.py [--runs 15] [--stream-runs 5] [--megabytes 20]

(a) cold check (`persist = 0`): `hostlint check` (a new process, a new connection) with one
    staged file and the no-op linter `true`, vs `ssh -tt host 'cd ROOT && true FILE'`; also
    the hook's lean path (`python -m hostlint hook`).
(b) streaming (`persist = 0`): a linter writing N MB of numbered lines into a file, through
    hostlint and through `ssh -tt`; whether the bytes are exact, and hostlint's peak RSS.
(c) warm check: `hostlint check` and the hook through a kept connection (the keeper), vs a
    fresh `ssh -tt` and `ssh -tt` through an OpenSSH ControlMaster socket, same command.

Runs are interleaved round-robin so machine noise hits both sides alike; medians are
printed with the ratios. The sshd runs on this machine as the current user, whose login
shell start-up (e.g. a `pyenv init` in ~/.bashrc) is paid by both sides alike."""

from __future__ import annotations

import argparse
import os
import pwd
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from tests.sshd import ALIAS, start_sshd  # noqa: E402

FLOOD = HERE / "tests" / "linters" / "flood.py"
#: Runs hostlint in-process (``run_argv``, which returns the exit status) and then writes
#: its peak RSS (VmHWM, KiB) to $BENCH_RSS.
#: Not ru_maxrss: Linux carries the parent's high-water mark across fork+exec into it, so a
#: child of a big process (this one holds 40 MB of output) would report the parent's size.
RSS_WRAPPER = """
import os, sys
from hostlint.__main__ import run_argv
code = run_argv(sys.argv[1:])
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
open(os.environ["BENCH_RSS"], "w").write(status)
sys.exit(code)
"""


def timed(argv: list[str], *, cwd: Path, env: dict[str, str], out: Path | None = None
          ) -> tuple[float, int, str]:
    """Seconds, exit status and stderr of one run."""
    with open(out or os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                stderr=subprocess.PIPE)
        assert proc.stderr is not None
        errors = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
        elapsed = time.perf_counter() - start
    return elapsed, code, errors


def interleaved(sides: dict[str, list[str]], *, runs: int, cwd: Path, env: dict[str, str]
                ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each side once untimed (byte-compile, page cache, connections), then ``runs`` rounds
    round-robin: seconds per side, and the phases ``--timings`` printed."""
    for argv in sides.values():
        timed(argv, cwd=cwd, env=env)
    times: dict[str, list[float]] = {name: [] for name in sides}
    phases: dict[str, list[float]] = {}
    for _ in range(runs):
        for name, argv in sides.items():
            elapsed, code, errors = timed(argv, cwd=cwd, env=env)
            if code != 0:
                raise SystemExit(f"{name} failed (exit {code}): {errors}")
            times[name].append(elapsed)
            for phase, seconds in re.findall(r"(\w+) (\d+\.\d+)s", errors):
                phases.setdefault(phase, []).append(float(seconds))
    return times, phases


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def write_repo(root: Path, command: str, *, pass_filenames: bool, env: dict[str, str],
               persist: int = 0) -> None:
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True)
    (root / "pyproject.toml").write_text(
        f'[tool.hostlint]\ncommand = "{command}"\ntarget = "ssh"\npersist = {persist}\n'
        f"pass_filenames = {'true' if pass_filenames else 'false'}\n"
        f'[tool.hostlint.ssh]\nhost = "{ALIAS}"\nroot = "{root}"\n')
    (root / "app.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "."], cwd=root, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--stream-runs", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostlint-bench-ssh-") as tmp:
        base = Path(tmp)
        server = start_sshd(base / "sshd")
        env: dict[str, str] = {}
        try:
            env = run(base, server.port, server.write_client_home, args)
            warm(base, env, args)
        finally:
            if env:  # ends the keepers this run started (its own $HOME and cache dir)
                subprocess.run([sys.executable, "-m", "hostlint", "stop"], env=env, cwd=base,
                               capture_output=True, check=False)
            server.stop()


def run(base: Path, port: int, write_home: object, args: argparse.Namespace) -> dict[str, str]:
    home = base / "home"
    write_home(home)  # type: ignore[operator]
    config = str(home / ".ssh" / "config")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSTLINT", "VIRTUAL_ENV", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                                "SSH_AUTH_SOCK"))}
    # Byte-compiled once, as an installed hostlint is (kept out of the source tree).
    env.update(HOME=str(home), PYTHONPYCACHEPREFIX=str(base / "pycache"), GIT_CONFIG_NOSYSTEM="1",
               XDG_RUNTIME_DIR=str(base / "run"), XDG_CACHE_HOME=str(base / "cache"))
    (base / "run").mkdir(mode=0o700)  # the keepers' sockets: this run's own
    python = sys.executable
    account = pwd.getpwuid(os.getuid()).pw_name
    print(f"sshd on 127.0.0.1:{port}, remote account {account!r} (login shell "
          f"{pwd.getpwuid(os.getuid()).pw_shell}), Python {sys.version.split()[0]}")

    # (a) cold check
    cold = base / "cold"
    write_repo(cold, "true", pass_filenames=True, env=env)
    sides = {
        "hostlint check": [python, "-m", "hostlint", "check", "--timings"],
        "hostlint hook path": [python, "-m", "hostlint", "hook", "pre-commit"],
        "ssh -tt": ["ssh", "-tt", "-F", config, ALIAS, f"cd {cold} && true app.py"],
    }
    times, phases = interleaved(sides, runs=args.runs, cwd=cold, env=env)
    startup = []
    for _ in range(args.runs):
        elapsed, _, _ = timed([python, "-c", "import hostlint.cli, hostlint.check, "
                                  "hostlint.targets.ssh.remote"], cwd=cold, env=env)
        startup.append(elapsed)
    print(f"\n(a) cold check, one staged file, linter `true` — median of {args.runs}")
    reference = statistics.median(times["ssh -tt"])
    for name, values in times.items():
        print(f"  {name:<20} {median_ms(values)}   {statistics.median(values) / reference:4.2f}x ssh -tt")
    print("  hostlint --timings: " + ", ".join(f"{p} {median_ms(v).strip()}" for p, v in phases.items()))
    print(f"  python start-up + imports (cli, check, ssh target): {median_ms(startup).strip()}")

    # (b) streaming
    stream = base / "stream"
    flood = f"{python} {FLOOD} {args.megabytes}"
    write_repo(stream, flood, pass_filenames=False, env=env)  # persist = 0: a new connection
    expected = base / "expected.out"
    subprocess.run([python, str(FLOOD), str(args.megabytes)], stdout=expected.open("wb"), check=True)
    want = expected.read_bytes()
    rss_file = base / "rss"
    sides = {
        "hostlint check": [python, "-c", RSS_WRAPPER, "check"],
        # The same without the path-mapping output filter, to show what it costs.
        "  --no-map-paths": [python, "-c", RSS_WRAPPER, "check", "--no-map-paths"],
        "ssh -tt": ["ssh", "-tt", "-F", config, ALIAS, f"cd {stream} && {flood}"],
    }
    env = dict(env, BENCH_RSS=str(rss_file))
    times = {name: [] for name in sides}
    rss: list[int] = []
    exact: dict[str, bool] = {}
    for _ in range(args.stream_runs):
        for name, argv in sides.items():
            out = base / "stream.out"
            elapsed, code, errors = timed(argv, cwd=stream, env=env, out=out)
            if code != 0:
                raise SystemExit(f"{name} failed (exit {code}): {errors}")
            times[name].append(elapsed)
            got = out.read_bytes()
            exact[name] = exact.get(name, True) and got == want
            if name == "ssh -tt":
                exact["ssh -tt, \\r removed"] = (exact.get("ssh -tt, \\r removed", True)
                                                and got.replace(b"\r\n", b"\n") == want)
            else:
                rss.append(int(rss_file.read_text()))
    print(f"\n(b) {args.megabytes} MB of linter output into a file — median of {args.stream_runs}")
    reference = statistics.median(times["ssh -tt"])
    for name, values in times.items():
        rate = args.megabytes / statistics.median(values)
        print(f"  {name:<20} {median_ms(values)}   {statistics.median(values) / reference:4.2f}x ssh -tt"
              f"   {rate:5.1f} MB/s")
    for name, ok in exact.items():
        print(f"  bytes exact, {name}: {'yes' if ok else 'no'}")
    print(f"  hostlint peak RSS (VmHWM): median {statistics.median(rss) / 1024:.1f} MiB, "
          f"max {max(rss) / 1024:.1f} MiB")
    return env


def warm(base: Path, env: dict[str, str], args: argparse.Namespace) -> None:
    """(c): every side has its connection up before the timed runs."""
    root = base / "warm"
    write_repo(root, "true", pass_filenames=True, env=env, persist=600)
    config = str(Path(env["HOME"]) / ".ssh" / "config")
    master = ["-o", "ControlMaster=auto", "-o", f"ControlPath={base}/cm-%C",
              "-o", "ControlPersist=60"]
    command = f"cd {root} && true app.py"
    sides = {
        "hostlint check": [sys.executable, "-m", "hostlint", "check", "--timings"],
        "hostlint hook path": [sys.executable, "-m", "hostlint", "hook", "pre-commit"],
        "ssh -tt (fresh)": ["ssh", "-tt", "-F", config, ALIAS, command],
        "ssh -tt ControlMaster": ["ssh", "-tt", "-F", config, *master, ALIAS, command],
    }
    times, phases = interleaved(sides, runs=args.runs, cwd=root, env=env)  # the first run
    # of each side (not timed) starts the keeper and the master
    subprocess.run(["ssh", "-F", config, *master, "-O", "exit", ALIAS], env=env,
                   capture_output=True, check=False)
    print(f"\n(c) warm check, one staged file, linter `true` — median of {args.runs}")
    fresh = statistics.median(times["ssh -tt (fresh)"])
    multiplexed = statistics.median(times["ssh -tt ControlMaster"])
    for name, values in times.items():
        value = statistics.median(values)
        print(f"  {name:<22} {median_ms(values)}   {value / fresh:4.2f}x fresh ssh -tt   "
              f"{(value - multiplexed) * 1000:+6.1f} ms vs ControlMaster")
    print("  hostlint --timings: " + ", ".join(f"{p} {median_ms(v).strip()}" for p, v in phases.items()))


if __name__ == "__main__":
    main()
