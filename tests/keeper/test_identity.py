"""The keeper key and the socket directory: no paramiko, every setting in the key."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from hostlint.keeper.identity import Settings, key, private_dir, socket_path

BASE = Settings("devbox", "/srv/proj", "ssh", None, 10.0, 30.0)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "config").write_text("Host devbox\n  IdentityFile ~/keys/dev\n  Include conf.d/*\n")
    (ssh / "conf.d").mkdir()
    (ssh / "conf.d" / "extra").write_text("Host other\n  Port 2222\n")
    (ssh / "known_hosts").write_text("devbox ssh-ed25519 AAAA\n")
    (tmp_path / "home" / "keys").mkdir()
    (tmp_path / "home" / "keys" / "dev").write_text("private key\n")
    return tmp_path / "home"


def _write(path: Path, text: str) -> None:
    path.write_text(text)


CHANGES: dict[str, Callable[[Path], None]] = {
    "config": lambda h: _write(h / ".ssh" / "config", "Host devbox\n  Port 2200\n"),
    "an included file": lambda h: _write(h / ".ssh" / "conf.d" / "extra", "Host other\n"),
    "known_hosts": lambda h: _write(h / ".ssh" / "known_hosts", "devbox ssh-ed25519 BBBB\n"),
    "the identity file": lambda h: _write(h / "keys" / "dev", "another key\n"),
    "its public half": lambda h: _write(h / "keys" / "dev.pub", "ssh-ed25519 CCCC\n"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_file_gives_another_key(home: Path, change: str) -> None:
    environ = {"HOME": str(home)}
    before = key(BASE, environ)
    assert key(BASE, environ) == before  # stable
    CHANGES[change](home)
    assert key(BASE, environ) != before


@pytest.mark.parametrize("changed", [BASE._replace(spec="other"), BASE._replace(root="/srv/else"),
                                     BASE._replace(ssh_config="Host x\n"),
                                     BASE._replace(connect_timeout=5.0)])
def test_a_changed_setting_gives_another_key(home: Path, changed: Settings) -> None:
    environ = {"HOME": str(home)}
    assert key(changed, environ) != key(BASE, environ)


def test_the_agent_socket_is_part_of_the_key(home: Path) -> None:
    assert key(BASE, {"HOME": str(home)}) != key(BASE, {"HOME": str(home), "SSH_AUTH_SOCK": "/a"})


def test_the_socket_is_in_the_runtime_dir_else_the_cache_dir(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environ = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime),
               "XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert socket_path("x", environ) == runtime / "hostlint" / "kx.sock"
    assert stat.S_IMODE(os.stat(runtime / "hostlint").st_mode) == 0o700
    environ["XDG_RUNTIME_DIR"] = str(tmp_path / "missing")
    assert socket_path("x", environ) == tmp_path / "cache" / "hostlint" / "keepers" / "kx.sock"


def test_a_path_too_long_for_a_socket_falls_back_to_a_short_one(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 100)
    environ = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(deep)}
    path = socket_path("a" * 26, environ)
    assert path is not None and path.parent == Path(f"/tmp/hostlint-{os.getuid()}")
    assert len(os.fsencode(path)) <= 103


def test_an_open_directory_is_closed_and_a_foreign_one_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    mine.chmod(0o755)
    assert private_dir(mine) and stat.S_IMODE(os.stat(mine).st_mode) == 0o700
    link = tmp_path / "link"
    link.symlink_to(mine)
    assert not private_dir(link)
    if os.getuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.mkdir(mode=0o700)
        os.chown(foreign, 65534, 65534)
        assert not private_dir(foreign)


def test_an_include_written_with_equals_is_followed(home: Path) -> None:
    """``Include=FILE`` is read by OpenSSH too: a change in that file gives another key."""
    (home / ".ssh" / "config").write_text("Include=conf.d/extra\n")
    environ = {"HOME": str(home)}
    before = key(BASE, environ)
    (home / ".ssh" / "conf.d" / "extra").write_text("Host other\n")
    assert key(BASE, environ) != before
