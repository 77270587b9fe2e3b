"""Temporary files are created afresh and never written through a planted symlink."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostlint.fsutil import create_private


@pytest.mark.parametrize("dangling", [False, True])
def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path, dangling: bool) -> None:
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_bytes(b"precious")
    path = tmp_path / "file.partial"
    os.symlink(victim, path)
    with create_private(path) as f:
        f.write(b"ours")
    assert not path.is_symlink() and path.read_bytes() == b"ours"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert victim.read_bytes() == b"precious" if not dangling else not victim.exists()


def test_a_leftover_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "file.partial"
    path.write_bytes(b"left by a crashed run, longer than the new content")
    with create_private(path) as f:
        f.write(b"new")
    assert path.read_bytes() == b"new"


def test_a_directory_in_the_way_is_an_os_error(tmp_path: Path) -> None:
    (tmp_path / "file.partial").mkdir()
    with pytest.raises(OSError):
        create_private(tmp_path / "file.partial")


def test_a_failed_replace_leaves_no_partial_file(tmp_path: Path) -> None:
    """A write that fails half-way (here the file size limit, as a full disk would) raises
    and leaves the old file as it was, with no ``NAME.PID`` beside it."""
    (tmp_path / "cache").write_bytes(b"old")
    script = ("import resource, signal, sys; from pathlib import Path; "
              "from hostlint.fsutil import replace_private; "
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (8, 8)); "
              "replace_private(Path(sys.argv[1]) / 'cache', b'x' * 64)")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 1 and "File too large" in proc.stderr, proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["cache"]
    assert (tmp_path / "cache").read_bytes() == b"old"
