"""The facts about where hostlint runs, in one object tests can replace (httpie's
``Environment``): the streams, whether stdout is a terminal, the environment variables."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from hostlint.errors import UsageError

COLOR_MODES = ("auto", "always", "never")


def terminal_size(default: tuple[int, int] = (120, 40)) -> tuple[int, int]:
    """(columns, rows) of the host terminal on stdout or stderr, else ``default`` (also when
    the terminal reports a size of 0, as a fresh pty does)."""
    for fd in (1, 2):
        try:
            size = os.get_terminal_size(fd)
        except OSError:
            continue
        if size.columns and size.lines:
            return size.columns, size.lines
    return default


@dataclass
class Environment:
    stdout: BinaryIO = field(default_factory=lambda: sys.stdout.buffer)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    stdout_isatty: bool | None = None
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.stdout_isatty is None:
            try:
                self.stdout_isatty = os.isatty(self.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                self.stdout_isatty = False

    @property
    def is_tty(self) -> bool:
        return bool(self.stdout_isatty)

    def message(self, text: str) -> None:
        """One of hostlint's own lines, on stderr."""
        self.stderr.write(f"hostlint: {text}\n")
        self.stderr.flush()

    def debug(self, text: str) -> None:
        if self.verbose:
            self.message(text)

    def color(self, option: str | None) -> bool:
        """Keep colour sequences? option > HOSTLINT_COLOR > NO_COLOR / FORCE_COLOR > auto."""
        source, mode = ("--color", option) if option else (
            "HOSTLINT_COLOR", self.environ.get("HOSTLINT_COLOR") or "")
        if mode and mode not in COLOR_MODES:
            raise UsageError(f"{source}={mode!r} is not allowed",
                             hint=f"use one of: {', '.join(COLOR_MODES)}")
        if not mode or mode == "auto":
            if self.environ.get("NO_COLOR"):
                return False
            if self.environ.get("FORCE_COLOR"):
                return True
            return self.is_tty
        return mode == "always"
