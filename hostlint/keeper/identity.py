"""Which keeper serves a target, and where its socket is — computed without paramiko.

The key is a hash (as OpenSSH's ``%C``) of everything that decides where and as whom a
connection goes: the user, the interpreter and hostlint version, the target's host spec,
root and timeouts, the text of the ssh configs it reads (``Include`` lines expanded), the
contents of every identity, certificate and known_hosts file they name (or the defaults),
``SSH_AUTH_SOCK``, and for a Vagrant machine the ``vagrant ssh-config`` text, which is
cached per machine record. Any change gives another key, so another socket: an old
connection never serves a changed setting, key or known_hosts entry.
"""

from __future__ import annotations

import base64
import glob
import os
import shlex
import stat
import sys

# hashlib's own BLAKE2b (``hashlib.blake2b`` is this class), without ``import hashlib``, which
# loads OpenSSL first: ~3 ms of every check, for digests OpenSSL would not compute faster.
from _blake2 import blake2b
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from hostlint import __version__
from hostlint.environment import cache_home_exists, user_cache_dir
from hostlint.typing_lite import NamedTuple

#: Bumped when the keeper's wire protocol changes: an old keeper is then never asked.
PROTOCOL = 1
#: sun_path is 108 bytes on Linux, 104 on the BSDs and macOS (with the final NUL).
SOCKET_PATH_MAX = 103
#: OpenSSH's defaults (the SSH target's endpoint reads them from here).
SYSTEM_CONFIG = "/etc/ssh/ssh_config"
DEFAULT_IDENTITIES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
#: How deep ``Include`` lines nest before OpenSSH stops following them.
INCLUDE_DEPTH = 16
#: ssh_config keys naming files whose contents decide the connection.
FILE_KEYS = ("identityfile", "certificatefile", "userknownhostsfile", "globalknownhostsfile")
DEFAULT_FILES = (*DEFAULT_IDENTITIES, *DEFAULT_KNOWN_HOSTS, *GLOBAL_KNOWN_HOSTS)


class Settings(NamedTuple):
    """What a keeper needs to connect, all plain values (sent to a new keeper as is)."""

    spec: str  # an ssh alias or [user@]host[:port]; for Vagrant, the machine name
    root: str
    name: str  # the target's name in messages ("ssh", "vagrant machine 'default'")
    ssh_config: str | None  # the whole config text (Vagrant), or None: the user's files
    connect_timeout: float
    alive_timeout: float


def key(settings: Settings, environ: Mapping[str, str]) -> str:
    """The keeper key: 26 base32 characters (130 bits) of a BLAKE2b digest of the settings."""
    digest = blake2b()
    for part in _material(settings, environ):
        digest.update(part)
        digest.update(b"\0")
    return base64.b32encode(digest.digest()).decode().lower()[:26]


def _material(settings: Settings, environ: Mapping[str, str]) -> Iterator[bytes]:
    home = _home(environ)
    head = (os.getuid(), sys.executable, __version__, PROTOCOL, tuple(settings),
            home, environ.get("SSH_AUTH_SOCK", ""))
    yield repr(head).encode()
    text = settings.ssh_config if settings.ssh_config is not None else user_config_text(home)
    yield text.encode(errors="surrogateescape")
    for path in sorted(set(named_files(text, home))):
        yield path.encode(errors="surrogateescape") + b"=" + _digest(path)


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def user_config_text(home: str) -> str:
    """``~/.ssh/config`` then ``/etc/ssh/ssh_config``, as OpenSSH reads them."""
    return "\n".join((config_text(Path(home, ".ssh", "config"), Path(home, ".ssh")),
                      config_text(Path(SYSTEM_CONFIG), Path(SYSTEM_CONFIG).parent)))


def config_text(path: Path, base: Path, depth: int = 0) -> str:
    """A config file's text with its ``Include`` lines replaced by the included files (which
    paramiko does not read itself). Every ``Include`` is followed, whatever ``Host`` or
    ``Match`` block it stands in (the SSH target's ``ssh_config`` narrows them to one host):
    the key is taken before the spec is parsed, and any included file that changes must give
    another key."""
    lines: list[str] = []
    for line in read_config(path).splitlines():
        keyword, value = config_words(line)
        if keyword == "include" and depth < INCLUDE_DEPTH:
            lines.extend(config_text(p, base, depth + 1) for p in included(_words(value), base))
        else:
            lines.append(line)
    return "\n".join(lines)


def read_config(path: Path) -> str:
    """A config file's text; a missing or unreadable one is empty, as OpenSSH takes it."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def config_words(line: str) -> tuple[str, str]:
    """A config line's keyword in lower case and its value, split as OpenSSH does: the keyword
    ends at white space or ``=``, and one ``=`` may stand between the two (``("", "")`` for
    a blank line)."""
    text = line.strip()
    end = next((i for i, char in enumerate(text) if char.isspace() or char == "="), len(text))
    value = text[end:].strip()
    if value.startswith("="):
        value = value[1:].lstrip()
    return text[:end].lower(), value


def included(patterns: Iterable[str], base: Path) -> Iterator[Path]:
    """The files an ``Include`` line's patterns name, in the order OpenSSH reads them: ``~``
    expanded, a relative pattern taken from ``base`` (the directory of the top config file:
    ``~/.ssh``, ``/etc/ssh``), each pattern's matches sorted."""
    for pattern in patterns:
        pattern = os.path.expanduser(pattern)
        full = pattern if os.path.isabs(pattern) else str(base / pattern)
        yield from (Path(p) for p in sorted(glob.glob(full)))


def named_files(text: str, home: str) -> Iterator[str]:
    """Every file the config text names under ``FILE_KEYS``, and the default ones."""
    yield from (expand(name, home) for name in DEFAULT_FILES)
    for line in text.splitlines():
        keyword, value = config_words(line)
        if keyword in FILE_KEYS:
            for name in _words(value):
                yield expand(name, home)
                yield expand(name, home) + ".pub"


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def expand(path: str, home: str) -> str:
    """``~`` and ``%d`` (the home directory) in a path from an ssh config."""
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return path.replace("%d", home).replace("%%", "%")


def _digest(path: str) -> bytes:
    """The file's contents hashed (a missing or unreadable file is a value too)."""
    try:
        return blake2b(Path(path).read_bytes()).hexdigest().encode()
    except OSError as exc:
        return f"<{exc.errno}>".encode()


# ----------------------------------------------------------------------------------------
# Where the sockets live
# ----------------------------------------------------------------------------------------


def directories(environ: Mapping[str, str]) -> list[Path]:
    """Where this user's keepers may live, in order of preference: ``$XDG_RUNTIME_DIR/hostlint``
    (when the runtime dir exists), else the user cache dir; then a short ``/tmp`` fallback for
    a cache path too long for a socket."""
    found = []
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        found.append(Path(runtime, "hostlint"))
    if cache_home_exists(environ):  # never a missing home made for a socket
        found.append(Path(user_cache_dir(environ), "keepers"))
    found.append(Path(f"/tmp/hostlint-{os.getuid()}"))
    return found


def socket_path(name: str, environ: Mapping[str, str]) -> Path | None:
    """The socket for key ``name`` in the first directory that is private to this user
    (created 0700) and gives a path within the socket path limit; None if there is none."""
    for directory in directories(environ):
        path = directory / f"k{name}.sock"
        if len(os.fsencode(path)) <= SOCKET_PATH_MAX and private_dir(directory):
            return path
    return None


def private_dir(directory: Path) -> bool:
    """``directory`` exists (created if need be), is a real directory owned by this user and
    reachable by no one else (0700)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o077:
        try:
            os.chmod(directory, 0o700)
        except OSError:
            return False
    return True


__all__ = ["INCLUDE_DEPTH", "PROTOCOL", "Settings", "config_text", "config_words", "directories",
           "expand", "included", "key", "named_files", "private_dir", "read_config", "socket_path",
           "user_config_text"]
