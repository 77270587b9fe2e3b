"""Short commands in a channel of their own, without a pty (so bytes travel unchanged both
ways): a quick status check, and the files a run needs on the target (the git hooks'
message file, a linter's standard input), written and read back through the connection,
so the target never has to see the host's ``.git``."""

from __future__ import annotations

import contextlib
import time

from hostlint.errors import ConnectFailed
from hostlint.targets.posix import PUT_SCRIPT, take_script
from hostlint.targets.ssh.connection import Connection
from hostlint.targets.ssh.transport import load_paramiko

load_paramiko()  # done already by importing transport; it must come before `import paramiko`

import paramiko  # noqa: E402


def quick(connection: Connection, command: str, *,
          output: bool = True) -> tuple[int | None, bytes]:
    """Run a short command in a channel of its own (no pty): its status (None when it gave
    none within the alive timeout) and, with ``output``, its first 4 KiB of output, all
    within the alive timeout."""
    deadline = time.monotonic() + connection.alive_timeout
    channel = connection.open_session()
    try:
        channel.settimeout(connection.alive_timeout)
        channel.exec_command(command)
        if not channel.status_event.wait(connection.alive_timeout):
            return None, b""
        return channel.exit_status, _first_output(channel, deadline) if output else b""
    except (paramiko.SSHException, OSError):
        return None, b""
    finally:
        channel.close()
        connection.release()


def _first_output(channel: paramiko.Channel, deadline: float, most: int = 4096) -> bytes:
    """Up to ``most`` bytes of output, read to its end or the ``deadline``: sshd may send the
    exit status before the last of the output (a loaded machine lost `pwd -P`'s answer so),
    and a process left in the background may hold the output open."""
    output = b""
    with contextlib.suppress(OSError):  # timed out
        while len(output) < most and (left := deadline - time.monotonic()) > 0:
            channel.settimeout(left)
            chunk = channel.recv(most - len(output))
            if not chunk:
                break
            output += chunk
    return output


def exchange(connection: Connection, command: str, data: bytes = b"") -> bytes:
    """Run ``command`` with ``data`` on its stdin (then end-of-file); all its stdout. Raises
    ``ConnectFailed`` when it fails or the connection is lost."""
    channel = connection.open_session()
    try:
        channel.settimeout(connection.alive_timeout)
        channel.exec_command(command)
        channel.sendall(data)
        channel.shutdown_write()
        chunks = []
        while chunk := channel.recv(65536):
            chunks.append(chunk)
        status = channel.recv_exit_status()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        if connection.lost:
            raise connection.failure() from None
        raise ConnectFailed("lost", f"{connection.endpoint.label}: `{command}` failed: {exc}",
                            hint="check the host's temporary directory and the network") from None
    finally:
        channel.close()
        connection.release()
    if status != 0:
        raise ConnectFailed("protocol", f"{connection.endpoint.label}: `{command}` exited "
                            f"{status}", hint="check that the host's temporary directory "
                            "(TMPDIR or /tmp) is writable and mktemp exists")
    return b"".join(chunks)


def put(connection: Connection, data: bytes) -> str:
    """A new private file on the target holding ``data``; its path."""
    return exchange(connection, PUT_SCRIPT, data).decode(errors="surrogateescape")


def take(connection: Connection, path: str) -> bytes:
    """The bytes of the file at ``path`` on the target, which is then removed."""
    return exchange(connection, take_script(path))
