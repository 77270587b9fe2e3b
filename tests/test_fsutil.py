"""Temporary files are created afresh and never written through a planted symlink."""

from __future__ import annotations

import os
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
