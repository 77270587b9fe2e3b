"""The ProxyCommand child: a shell command whose stdin and stdout are one end of a socket
pair (the other end is the SSH connection's socket, so an exit shows at once as end of
file, never as a wait for the timeout), its stderr kept for the error line, and the child
ended with the connection."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import threading
from typing import Any

from hostlint.errors import ConnectFailed

#: How long a ProxyCommand may take to exit: after closing its end (to tell an exit from a
#: server that did not answer), and after SIGTERM (before SIGKILL).
EXIT_WAIT = 0.5


class ProxySocket:
    """The socket paramiko talks over, with the ProxyCommand behind it."""

    def __init__(self, command: str, label: str) -> None:
        self.label = label
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the socket
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], stdin=theirs.fileno(),
                                            stdout=theirs.fileno(), stderr=self._stderr,
                                            close_fds=True)
        except OSError as exc:
            ours.close()
            self._stderr.close()
            raise ConnectFailed("proxy", f"ProxyCommand for {label} could not start: {exc}",
                                hint="check ProxyCommand in ~/.ssh/config") from None
        finally:
            theirs.close()
        self._sock = ours
        self._tail = b""
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def failure(self) -> ConnectFailed | None:
        """When the ProxyCommand has exited: the error naming its status and its last line
        on stderr."""
        try:
            status = self.process.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            return None
        lines = self._said().decode(errors="replace").strip().splitlines()
        said = f": {lines[-1].strip()}" if lines else " (nothing on stderr)"
        return ConnectFailed("proxy", f"ProxyCommand for {self.label} exited with status {status}"
                             f" before the SSH handshake{said}",
                             hint="check ProxyCommand in ~/.ssh/config")

    def _said(self) -> bytes:
        """The end of what the child wrote on stderr (kept once the file is closed)."""
        with self._lock:
            if not self._stderr.closed:
                self._stderr.seek(0, 2)
                self._stderr.seek(max(0, self._stderr.tell() - 4096))
                self._tail = self._stderr.read()
            return self._tail

    def close(self) -> None:
        """Close our end and end the child (SIGTERM, then SIGKILL). paramiko calls this from
        its own thread when the connection ends."""
        with contextlib.suppress(OSError):
            self._sock.close()
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.terminate()
            try:
                self.process.wait(EXIT_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._said()
        with self._lock:
            self._stderr.close()
