"""A real OpenSSH ``sshd`` for hostlint's tests.

Load it with ``pytest_plugins = ["tests.sshd"]`` in ``tests/conftest.py``.

Fixtures:

* ``sshd`` (session scope): one shared :class:`SshServer` on 127.0.0.1.
* ``sshd_factory`` (function scope): start extra servers (for tests that
  stop, kill or freeze them); all are thawed and stopped at teardown.
* ``ssh_home`` (function scope): a fresh ``$HOME`` whose ``.ssh/config``
  has a ``Host hostlint-test`` block for the session server.

If ``/usr/sbin/sshd`` (or ``ssh-keygen``) is missing the fixtures skip the
test, unless ``HOSTLINT_REQUIRE_SSHD=1`` is set, in which case they fail.

Process handling: every accepted connection makes ``sshd`` fork a child that
calls ``setsid()``, and the session shells do the same, so process groups
cannot be used to find what a server started.  Instead the process tree is
rebuilt from the ``ppid`` field of ``/proc/*/stat``; processes are
identified by ``(pid, starttime)`` so a recycled PID is never signalled.
The listener is made a child subreaper, so processes a session leaves behind
(``nohup cmd &``) stay in its tree and are ended (and reaped) by
``stop()``/``kill()``.

The account's ``~/.bashrc``: bash sources it before every command sshd runs
(Debian's bash does so for sshd's ``bash -c``).  The fixtures' servers turn that
off (``read_bashrc=False``): the suite must not depend on the account's start-up
files.  On this machine root's ``~/.bashrc`` runs ``pyenv init``, i.e.
``pyenv rehash``, which takes a machine-wide lock
(``$PYENV_ROOT/shims/.pyenv-shim``) and waits up to 60 s for it: every remote
command of every test suite running on the machine queued on that one lock,
printed "pyenv: cannot rehash: couldn't acquire lock" into the linter's output
when someone else's session held it for long (a frozen or killed one), and a
session SIGKILLed inside it left the lock behind for everyone.  A server
started with ``read_bashrc=True`` (bench/ does, to measure a real account)
has all of that again: wait until the remote command itself runs (read a
marker it prints, or ``server.wait_for_process("sleep 301")``) before
killing, stopping or freezing it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest

__all__ = [
    "ALIAS",
    "HOST",
    "SSHD_BINARY",
    "SSH_KEYGEN",
    "SshServer",
    "SshdFactory",
    "ssh_home",
    "sshd",
    "sshd_available",
    "sshd_factory",
    "start_sshd",
]

SSHD_BINARY = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
HOST = "127.0.0.1"
ALIAS = "hostlint-test"
PRIVSEP_DIR = Path("/run/sshd")
REQUIRE_ENV = "HOSTLINT_REQUIRE_SSHD"

_START_TIMEOUT = 10.0
_PORT_ATTEMPTS = 5
_POLL = 0.02

# (pid, starttime-in-clock-ticks): identifies a process across PID reuse.
_Proc = tuple[int, int]


# --------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------


def _read_stat(pid: int) -> tuple[str, int, int] | None:
    """Return ``(state, ppid, starttime)`` of *pid*, or None if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # Field 2 (comm) may contain spaces and parentheses: split after the last ")".
    rest = data[data.rfind(b")") + 2 :].split()
    try:
        # rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[19] field 22.
        return rest[0].decode(), int(rest[1]), int(rest[19])
    except (IndexError, ValueError):
        return None


def _is_dead(state: str) -> bool:
    return state in ("Z", "X", "x")


def _alive(proc: _Proc) -> bool:
    """True if *proc* still exists (same start time) and is not a zombie."""
    stat = _read_stat(proc[0])
    return stat is not None and stat[2] == proc[1] and not _is_dead(stat[0])


def _state(proc: _Proc) -> str | None:
    stat = _read_stat(proc[0])
    if stat is None or stat[2] != proc[1]:
        return None
    return stat[0]


def _running(proc: _Proc) -> bool:
    """True if *proc* exists and is neither stopped nor a zombie."""
    state = _state(proc)
    return state is not None and not _is_dead(state) and state not in ("T", "t")


def _children_map() -> dict[int, list[_Proc]]:
    """ppid -> live (non-zombie) children, from one scan of /proc."""
    children: dict[int, list[_Proc]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        stat = _read_stat(pid)
        if stat is None or _is_dead(stat[0]):
            continue
        children.setdefault(stat[1], []).append((pid, stat[2]))
    return children


def _walk(roots: Iterable[_Proc]) -> list[_Proc]:
    """*roots* (those still alive) plus all their live descendants, parents first."""
    children = _children_map()
    result: list[_Proc] = []
    seen: set[int] = set()
    queue = [root for root in roots if _alive(root)]
    while queue:
        proc = queue.pop(0)
        if proc[0] in seen:
            continue
        seen.add(proc[0])
        result.append(proc)
        queue.extend(children.get(proc[0], []))
    return result


def _signal(proc: _Proc, sig: int) -> None:
    """Send *sig* to *proc* unless it has exited (or its PID was recycled)."""
    stat = _read_stat(proc[0])
    if stat is None or stat[2] != proc[1]:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(proc[0], sig)


def _wait_until(procs_in: Iterable[_Proc], test: str, timeout: float) -> bool:
    """Wait until every proc is a zombie or gone ("gone"), fully gone ("reaped"),
    or stopped-or-gone ("stopped").  Returns False on timeout."""
    procs = list(procs_in)
    deadline = time.monotonic() + timeout
    while True:
        if test == "gone":
            pending = [p for p in procs if _alive(p)]
        elif test == "reaped":
            pending = [p for p in procs if _state(p) is not None]
        else:
            pending = [p for p in procs if _running(p)]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


def _stop_tree(roots: Iterable[_Proc]) -> dict[int, int]:
    """SIGSTOP *roots* and all their descendants until the set stops growing.

    Stopped processes cannot fork, so the returned set (pid -> starttime) is
    the complete tree at the moment it was frozen.
    """
    stopped: dict[int, int] = {}
    pending = [root for root in roots if _alive(root)]
    while pending:
        for proc in pending:
            _signal(proc, signal.SIGSTOP)
            stopped[proc[0]] = proc[1]
        _wait_until(pending, "stopped", 2.0)
        pending = [p for p in _walk(stopped.items()) if p[0] not in stopped]
    return stopped


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def _current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _cfg_path(path: Path) -> str:
    """A path for ssh_config/sshd_config: escape % tokens, quote if needed."""
    text = str(path).replace("%", "%%")
    if any(ch.isspace() for ch in text) or '"' in text:
        if '"' in text:
            raise ValueError(f"cannot put a path containing '\"' in an ssh config: {path}")
        text = f'"{text}"'
    return text


@dataclass
class SshServer:
    """A running ``sshd -D`` listening on ``host:port``, started by :func:`start_sshd`."""

    host: str
    port: int
    user: str
    alias: str
    process: subprocess.Popen[bytes]
    workdir: Path
    host_key: Path
    host_key_pub: Path
    client_key: Path
    client_key_pub: Path
    known_hosts_line: str
    config_path: Path
    log_path: Path
    frozen: bool = False
    _listener: _Proc = field(default=(0, 0), repr=False)
    # Every process ever seen in this server's tree while freezing, so that
    # processes orphaned by a dead listener are still found by stop()/kill().
    _seen: dict[int, int] = field(default_factory=dict, repr=False)

    # -- information -----------------------------------------------------

    @property
    def pid(self) -> int:
        """PID of the ``sshd -D`` listener."""
        return self.process.pid

    def is_running(self) -> bool:
        """True while the listener process exists (it may be frozen)."""
        return self.process.poll() is None and _alive(self._listener)

    def log(self) -> str:
        """The sshd log so far (``-e``: everything sshd writes to stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def descendants(self) -> list[int]:
        """PIDs of all live descendants of the listener (not the listener itself).

        Includes the per-connection sshd processes and the users' shells and
        commands.  Empty once the listener has exited.
        """
        if not self.is_running():
            return []
        return [pid for pid, _ in _walk([self._listener])[1:]]

    def wait_for_process(self, command: str, timeout: float = 10.0) -> int:
        """Wait until a descendant runs *command*; return its PID.

        A process matches when its command line (arguments joined by spaces,
        ``argv[0]`` reduced to its basename) starts with *command*, so
        ``"sleep 301"`` matches ``/bin/sleep 301`` but not the
        ``bash -c "sleep 301"`` that is still starting (or sourcing
        ``~/.bashrc``).  Use it before :meth:`kill`/:meth:`freeze`/:meth:`stop`
        in tests that interrupt a remote command (see the ``~/.bashrc`` note in
        the module docstring).
        """
        deadline = time.monotonic() + timeout
        while True:
            for pid in self.descendants():
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if not argv or not argv[0]:
                    continue  # kernel thread or exiting
                argv[0] = argv[0].rsplit(b"/", 1)[-1]
                line = b" ".join(argv).rstrip().decode(errors="replace")
                if line.startswith(command):
                    return pid
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"no process running {command!r} under sshd pid {self.pid} "
                    f"after {timeout}s (descendants: {self.descendants()})"
                )
            time.sleep(_POLL)

    def _settle(self, timeout: float) -> None:
        """Wait (bounded) until no session is inside ``pyenv`` (see the module docstring): a
        session ended there, SIGHUP included, can leave pyenv's rehash lock behind. Sessions
        start in the background (a warm connection's spare shells), so any stop may meet one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = False
            for pid in self.descendants():
                try:
                    busy = busy or b"pyenv" in Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
            if not busy:
                return
            time.sleep(_POLL)

    def _roots(self) -> list[_Proc]:
        roots: list[_Proc] = []
        if self.process.poll() is None:
            roots.append(self._listener)
        roots.extend(self._seen.items())
        return roots

    # -- client side -----------------------------------------------------

    def ssh_config_block(self, home: Path) -> str:
        """The ``Host <alias>`` block written by :meth:`write_client_home`."""
        known_hosts = home / ".ssh" / "known_hosts"
        return (
            f"Host {self.alias}\n"
            f"    HostName {self.host}\n"
            f"    Port {self.port}\n"
            f"    User {self.user}\n"
            f"    IdentityFile {_cfg_path(self.client_key)}\n"
            f"    IdentitiesOnly yes\n"
            f"    UserKnownHostsFile {_cfg_path(known_hosts)}\n"
            f"    StrictHostKeyChecking yes\n"
            f"    BatchMode yes\n"
        )

    def write_client_home(self, home: Path, *, known_hosts: bool = True) -> None:
        """Create ``home/.ssh/{config,known_hosts}`` for connecting to this server.

        ``config`` holds a ``Host <alias>`` block; ``known_hosts`` holds
        :attr:`known_hosts_line`, or is empty when *known_hosts* is False.
        Existing files are overwritten.
        """
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        ssh_dir.chmod(0o700)
        config = ssh_dir / "config"
        config.write_text(self.ssh_config_block(home))
        config.chmod(0o600)
        hosts = ssh_dir / "known_hosts"
        hosts.write_text(self.known_hosts_line + "\n" if known_hosts else "")
        hosts.chmod(0o600)

    # -- process control ---------------------------------------------------

    def freeze(self) -> None:
        """SIGSTOP the listener and every descendant (existing connections hang).

        New TCP connections are still accepted by the kernel (listen backlog)
        but never get an SSH banner.  Undo with :meth:`thaw`.
        """
        if not self.is_running():
            raise RuntimeError(f"sshd (pid {self.pid}) is not running; cannot freeze it")
        self._seen.update(_stop_tree([self._listener]))
        self.frozen = True

    def thaw(self) -> None:
        """SIGCONT everything :meth:`freeze` stopped (and the current tree)."""
        procs = {pid: start for pid, start in _walk(self._roots())}
        procs.update(self._seen)
        for proc in procs.items():
            _signal(proc, signal.SIGCONT)
        self.frozen = False

    def kill(self) -> None:
        """SIGKILL the listener and all its descendants right now.  Idempotent."""
        self._shutdown(graceful=False, timeout=5.0)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the tree, wait up to *timeout*, then SIGKILL what is left.

        Only processes of this server's tree are signalled (also works on a
        frozen server).  Idempotent.
        """
        self._shutdown(graceful=True, timeout=timeout)

    def _shutdown(self, *, graceful: bool, timeout: float) -> None:
        # The listener is a child subreaper (see start_sshd), so orphans of
        # the tree are re-parented to it and it reaps them.  So: freeze the
        # tree to get a complete snapshot, end the descendants first while
        # the listener still runs and reaps them, end the listener last.
        # That leaves neither processes nor zombies behind.
        listener_pid = self._listener[0]
        if not self.frozen:
            self._settle(10.0)
        tree = _stop_tree(self._roots())
        listener = [(pid, start) for pid, start in tree.items() if pid == listener_pid]
        others = {pid: start for pid, start in tree.items() if pid != listener_pid}

        if graceful and others:
            for proc in others.items():
                _signal(proc, signal.SIGTERM)
            for proc in [*others.items(), *listener]:
                _signal(proc, signal.SIGCONT)
            _wait_until(others.items(), "gone", timeout)

        for _round in range(10):
            left = [p for p in _walk([*others.items(), *listener]) if p[0] != listener_pid]
            if not left:
                break
            batch = _stop_tree(left)
            for proc in batch.items():
                _signal(proc, signal.SIGKILL)
            for proc in listener:
                _signal(proc, signal.SIGCONT)  # let it reap
            _wait_until(batch.items(), "gone", 5.0)
            others.update(batch)
        # Give the listener a moment to reap the last zombies.
        _wait_until(others.items(), "reaped", 1.0)

        if self.process.poll() is None:
            if graceful:
                _signal(self._listener, signal.SIGTERM)
                _signal(self._listener, signal.SIGCONT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout)
            if self.process.poll() is None:
                self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5.0)
        self._seen.clear()
        self.frozen = False


# --------------------------------------------------------------------------
# Starting sshd
# --------------------------------------------------------------------------


def sshd_available() -> bool:
    """True if the sshd and ssh-keygen binaries are present."""
    return os.access(SSHD_BINARY, os.X_OK) and os.access(SSH_KEYGEN, os.X_OK)


@functools.cache
def _sshd_version() -> tuple[int, int]:
    proc = subprocess.run(
        [str(SSHD_BINARY), "-V"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    match = re.search(rb"OpenSSH_(\d+)\.(\d+)", proc.stdout + proc.stderr)
    if match is None:
        return (0, 0)
    return int(match.group(1)), int(match.group(2))


# Run as ``python -c _EXEC_AS_SUBREAPER /usr/sbin/sshd ARGS...``: mark the
# process a "child subreaper" (Linux prctl PR_SET_CHILD_SUBREAPER = 36, kept
# across execve) and exec sshd in place, so the Popen's pid IS the listener.
# Processes that a session leaves behind (``nohup cmd &``) are then re-parented
# to the listener instead of PID 1: they stay visible to descendants(), are
# ended by stop()/kill(), and are reaped by sshd's SIGCHLD handler (no
# zombies even where PID 1 never reaps).  A subprocess ``preexec_fn`` would do
# the same, but is unsafe in a test process running paramiko threads.
_EXEC_AS_SUBREAPER = """
import ctypes, os, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
except Exception:
    pass
os.execv(sys.argv[1], sys.argv[1:])
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _keygen(path: Path, comment: str) -> None:
    """Create an ed25519 key pair at *path* (reused if it already exists)."""
    pub = path.with_name(path.name + ".pub")
    if path.exists() and pub.exists():
        return
    path.unlink(missing_ok=True)
    pub.unlink(missing_ok=True)
    _run_or_raise(
        [str(SSH_KEYGEN), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        f"ssh-keygen failed for {path}",
    )


def _run_or_raise(argv: list[str], what: str, *, details: str = "") -> None:
    """Run a set-up command; RuntimeError with its output (and ``details``) if it fails."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{what} (exit {proc.returncode}):\n"
            + (proc.stdout + proc.stderr).decode(errors="replace")
            + details
        )


def _split_extra(extra_config: str) -> tuple[str, str]:
    """Split *extra_config* into its global part and its Match-block tail."""
    lines = extra_config.splitlines()
    for i, line in enumerate(lines):
        words = line.split(maxsplit=1)
        if words and words[0].lower() == "match":
            return "\n".join(lines[:i]), "\n".join(lines[i:])
    return extra_config, ""


def _render_config(
    *,
    port: int,
    host_key: Path,
    authorized_keys: Path,
    pid_file: Path,
    max_sessions: int,
    extra_config: str,
    read_bashrc: bool,
) -> str:
    extra_global, extra_match = _split_extra(extra_config)
    lines = [
        "# Written by tests/sshd.py",
        # sshd uses the FIRST value seen for most keywords, so the caller's
        # extra settings come before the defaults and override them.  Match
        # blocks must be last.
        "# --- extra_config (global part) ---",
        extra_global,
        "# --- defaults ---",
        f"ListenAddress {HOST}",
        f"Port {port}",
        f"HostKey {_cfg_path(host_key)}",
        f"AuthorizedKeysFile {_cfg_path(authorized_keys)}",
        # sshd reads that file as the user logging in; other accounts (throwaway users a
        # test creates) get the same keys through a command run as this user.
        f"AuthorizedKeysCommand /bin/cat {_cfg_path(authorized_keys)}",
        f"AuthorizedKeysCommandUser {_current_user()}",
        f"PidFile {_cfg_path(pid_file)}",
        "UsePAM no",
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        f"MaxSessions {max_sessions}",
        # Default MaxStartups 10:30:100 randomly drops unauthenticated
        # connections beyond 10, which parallel tests can hit.
        "MaxStartups 100",
        "LogLevel VERBOSE",
        "ClientAliveInterval 0",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "X11Forwarding no",
    ]
    if not read_bashrc:
        # bash sources ~/.bashrc for a command run by sshd only as a top-level shell:
        # SHLVL=1 in its environment makes it level 2 (bash's shell.c, run_startup_files).
        # Only the first SetEnv line counts: an extra_config with its own SetEnv wins.
        lines.append("SetEnv SHLVL=1")
    if not re.search(r"(?im)^\s*subsystem\s+sftp\b", extra_global):
        lines.append("Subsystem sftp internal-sftp")
    if _sshd_version() >= (9, 8):
        # 9.8+ penalises sources that fail auth / drop connections; tests
        # deliberately do that from 127.0.0.1 all the time.
        lines.append("PerSourcePenalties no")
    if extra_match:
        lines += ["# --- extra_config (Match blocks) ---", extra_match]
    return "\n".join(lines) + "\n"


def _ensure_privsep_dir() -> None:
    if PRIVSEP_DIR.is_dir():
        return
    try:
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        PRIVSEP_DIR.chmod(0o755)
    except OSError as exc:
        msg = f"sshd needs its privilege separation directory {PRIVSEP_DIR}: {exc}"
        raise RuntimeError(msg) from exc


def _listens(pid: int, port: int) -> bool:
    """True if process *pid* owns a TCP socket listening on HOST:*port*.

    Used besides the "Server listening" log line, which a quiet LogLevel in
    extra_config suppresses.
    """
    local = f"{socket.htonl(int.from_bytes(socket.inet_aton(HOST), 'big')):08X}:{port:04X}"
    inodes: set[str] = set()
    try:
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[1] == local and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
        if not inodes:
            return False
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return True
    except OSError:
        return False
    return False


def _wait_listening(process: subprocess.Popen[bytes], log_path: Path, port: int) -> str | None:
    """Wait until sshd listens (its log says so, or /proc shows the socket).

    Returns None on success, "bind" if the port was taken, or "error".
    """
    needle = re.compile(rf"Server listening on {re.escape(HOST)} port {port}\b")
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if needle.search(text) or (process.poll() is None and _listens(process.pid, port)):
            return None
        if process.poll() is not None:
            text = log_path.read_text(errors="replace") if log_path.exists() else ""
            if "Address already in use" in text or "Cannot bind any address" in text:
                return "bind"
            return "error"
        if time.monotonic() >= deadline:
            return "error"
        time.sleep(_POLL)


def start_sshd(workdir: Path, *, max_sessions: int = 10, extra_config: str = "",
               port: int | None = None, read_bashrc: bool = True) -> SshServer:
    """Start ``sshd -D`` on 127.0.0.1:<port> (default: a free one) with keys and config in
    *workdir*.  ``read_bashrc=False``: the sessions' bash does not source the account's
    ``~/.bashrc`` (see the module docstring).

    Host and client ed25519 keys are generated (or reused if already in
    *workdir*); the client key is authorized for every account.  Raises
    RuntimeError, including the sshd log, if sshd cannot be started.
    """
    if not sshd_available():
        raise RuntimeError(f"{SSHD_BINARY} or {SSH_KEYGEN} is missing (install openssh-server)")
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    _ensure_privsep_dir()

    user = _current_user()
    host_key = workdir / "ssh_host_ed25519_key"
    client_key = workdir / "client_ed25519"
    _keygen(host_key, "hostlint-test-host")
    _keygen(client_key, f"hostlint-test-client-{user}")
    host_key_pub = host_key.with_name(host_key.name + ".pub")
    client_key_pub = client_key.with_name(client_key.name + ".pub")
    authorized_keys = workdir / "authorized_keys"
    authorized_keys.write_text(client_key_pub.read_text())
    authorized_keys.chmod(0o600)
    key_type, key_b64 = host_key_pub.read_text().split()[:2]

    config_path = workdir / "sshd_config"
    pid_file = workdir / "sshd.pid"
    log_path = workdir / "sshd.log"
    failures: list[str] = []
    launcher = [sys.executable, "-I", "-S", "-c", _EXEC_AS_SUBREAPER] if sys.executable else []

    wanted = port
    for _attempt in range(_PORT_ATTEMPTS if wanted is None else 1):
        port = wanted or _free_port()
        config_path.write_text(
            _render_config(
                port=port,
                host_key=host_key,
                authorized_keys=authorized_keys,
                pid_file=pid_file,
                max_sessions=max_sessions,
                extra_config=extra_config,
                read_bashrc=read_bashrc,
            )
        )
        _run_or_raise(
            [str(SSHD_BINARY), "-t", "-f", str(config_path)],
            f"sshd rejected {config_path} (sshd -t)",
            details="\n--- config ---\n" + config_path.read_text(),
        )

        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [*launcher, str(SSHD_BINARY), "-D", "-e", "-f", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                # Keep terminal signals (Ctrl-C) away from sshd; the tree is
                # managed via /proc anyway.
                start_new_session=True,
            )
        outcome = _wait_listening(process, log_path, port)
        if outcome is None:
            stat = _read_stat(process.pid)
            server = SshServer(
                host=HOST,
                port=port,
                user=user,
                alias=ALIAS,
                process=process,
                workdir=workdir,
                host_key=host_key,
                host_key_pub=host_key_pub,
                client_key=client_key,
                client_key_pub=client_key_pub,
                known_hosts_line=f"[{HOST}]:{port} {key_type} {key_b64}",
                config_path=config_path,
                log_path=log_path,
                _listener=(process.pid, stat[2] if stat is not None else 0),
            )
            return server

        if process.poll() is None:
            process.kill()
        process.wait()
        log = log_path.read_text(errors="replace")
        failures.append(f"--- attempt on port {port} ({outcome}) ---\n{log}")
        if outcome != "bind":
            break

    raise RuntimeError(
        f"sshd did not start listening on {HOST} (config {config_path}):\n" + "\n".join(failures)
    )


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def _require_sshd() -> None:
    if sshd_available():
        return
    missing = f"{SSHD_BINARY} / {SSH_KEYGEN} missing"
    msg = f"OpenSSH server not available ({missing}); install openssh-server"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{msg} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(msg)


class SshdFactory(Protocol):
    """Type of the ``sshd_factory`` fixture."""

    def __call__(self, *, max_sessions: int = 10, extra_config: str = "",
                 port: int | None = None) -> SshServer: ...


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """One sshd shared by the whole session.  Don't stop/kill/freeze it."""
    _require_sshd()
    server = start_sshd(tmp_path_factory.mktemp("sshd"), read_bashrc=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sshd_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdFactory]:
    """Start extra servers; every one is thawed and stopped at teardown."""
    _require_sshd()
    servers: list[SshServer] = []

    def factory(*, max_sessions: int = 10, extra_config: str = "",
                port: int | None = None) -> SshServer:
        server = start_sshd(
            tmp_path_factory.mktemp("sshd-extra"),
            max_sessions=max_sessions,
            extra_config=extra_config,
            port=port,
            read_bashrc=False,
        )
        servers.append(server)
        return server

    yield factory

    errors: list[BaseException] = []
    for server in reversed(servers):
        try:
            if server.frozen:
                server.thaw()
            server.stop()
        except Exception as exc:  # keep stopping the others
            errors.append(exc)
    if errors:
        raise errors[0]


@pytest.fixture
def ssh_home(sshd: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``$HOME`` (tmp_path/"home") set up to reach the session sshd as ``hostlint-test``."""
    if not sshd.is_running():
        pytest.fail(
            f"the session sshd (pid {sshd.pid}) is no longer running; a test must have "
            "stopped it (use sshd_factory for servers you stop/kill/freeze)\n" + sshd.log(),
            pytrace=False,
        )
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    sshd.write_client_home(home)
    monkeypatch.setenv("HOME", str(home))
    return home
