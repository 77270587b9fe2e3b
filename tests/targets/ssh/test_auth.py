"""Key authentication (hostlint/targets/ssh/auth.py): a rejected key, identity files that
cannot be used, and never a key's text in any output, verbose or not."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa

from tests.ssh_helpers import marker_repo, ssh_config, ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import Result, child_env, eventually, hostlint, hostlint_argv, make_repo, stage


def test_rejected_key_is_3_naming_the_user_and_the_keys_tried(sshd: SshServer, ssh_home: Path,
                                                               tmp_path: Path) -> None:
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text().replace(str(sshd.client_key), str(stranger)))
    root, marker = marker_repo(tmp_path)
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert f"authentication failed for user {sshd.user!r}" in result.stderr
    assert str(stranger) in result.stderr and str(sshd.client_key) not in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()


def key_material(key: Path) -> list[str]:
    """The text of a private key file that must never be printed: its armour and each line
    of its base64 body."""
    lines = [line.strip() for line in key.read_text().splitlines() if line.strip()]
    body = [line for line in lines if not line.startswith("-----")]
    return ["PRIVATE KEY", *(["".join(body), *body] if body else [])]


def assert_no_key_material(text: str, *keys: Path) -> None:
    for key in keys:
        for secret in key_material(key):
            assert secret not in text, f"{secret[:20]}... of {key} was printed"


def run_cli(root: Path, *args: str) -> Result:
    proc = subprocess.run(hostlint_argv(*args), cwd=root, capture_output=True, stdin=subprocess.DEVNULL,
                          env=child_env(), timeout=60, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


@pytest.mark.timeout(60)
def test_verbose_output_never_shows_key_material(sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "true", "a.py")
    ok = run_cli(root, "check", "-v")
    assert ok.code == 0, ok.stderr
    detect = run_cli(root, "-v", "detect")
    assert detect.code == 0, detect.stderr
    assert "identity files" in detect.stdout.decode()

    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    broken = tmp_path / "broken_key"  # a key file paramiko cannot parse: its error must not quote it
    text = sshd.client_key.read_text().splitlines()
    broken.write_text("\n".join([text[0], *[line[::-1] for line in text[1:-1]], text[-1]]) + "\n")
    broken.chmod(0o600)
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text().replace(
        f"IdentityFile {sshd.client_key}", f"IdentityFile {broken}\n    IdentityFile {stranger}"))
    refused = run_cli(root, "check", "-v")
    assert refused.code == 3
    assert "authentication failed" in refused.stderr and "Traceback" in refused.stderr
    assert str(broken) in refused.stderr and str(stranger) in refused.stderr

    for outcome in (ok, detect, refused):
        assert_no_key_material(outcome.stdout.decode(errors="replace") + outcome.stderr,
                               sshd.client_key, stranger, broken, sshd.host_key)


ENCRYPTED = "encrypted, and not in the ssh-agent: skipped"


@pytest.fixture
def unusable_keys(tmp_path: Path) -> list[tuple[Path, str]]:
    """Identity files no key can be taken from, each with the reason hostlint gives."""
    keys = tmp_path / "keys"
    keys.mkdir()
    for name, kind in (("encrypted_ed25519", ["-t", "ed25519"]),
                       ("encrypted_rsa_pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"])):
        subprocess.run(["ssh-keygen", "-q", *kind, "-N", "a passphrase", "-C", "", "-f", str(keys / name)],
                       check=True)
    dsa_key = dsa.generate_private_key(key_size=1024)
    (keys / "dsa_pkcs8").write_bytes(dsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (keys / "empty").write_bytes(b"")
    return [(keys / "encrypted_ed25519", ENCRYPTED),
            (keys / "encrypted_rsa_pem", ENCRYPTED),
            (keys / "dsa_pkcs8", "unsupported key type DSA: skipped"),
            (keys / "empty", "unreadable: "),
            (keys / "encrypted_ed25519.pub", "unreadable: "),  # a public key given as IdentityFile
            (keys / "missing", "no such file")]


@pytest.mark.parametrize("verbose", [False, True])
def test_identity_files_that_cannot_be_used_are_3_saying_why_for_each(
        sshd: SshServer, ssh_home: Path, tmp_path: Path, unusable_keys: list[tuple[Path, str]],
        verbose: bool) -> None:
    """Encrypted keys (no agent), an unsupported type, an empty file, a public key: never a
    crash (exit 70), never a key printed."""
    config = ssh_home / ".ssh" / "config"
    identities = "\n".join(f"    IdentityFile {path}" for path, _ in unusable_keys)
    config.write_text(config.read_text().replace(f"    IdentityFile {sshd.client_key}", identities))
    root, marker = tmp_path / "repo", tmp_path / "ran"
    make_repo(root, ssh_config(f"touch {marker}", root=root))
    stage(root, "a.py")
    result = run_cli(root, "check", *(["-v"] if verbose else []))
    assert result.code == 3, result.stderr
    assert not marker.exists()
    line = result.stderr.splitlines()[-1]
    assert line.startswith(f"hostlint: authentication failed for user {sshd.user!r} on {ALIAS} (")
    for path, reason in unusable_keys:
        assert f"{path} ({reason}" in line, line
    assert ("Traceback" in result.stderr) == verbose
    private = [path for path, _ in unusable_keys if path.exists() and path.suffix != ".pub"]
    assert_no_key_material(result.stderr + result.stdout.decode(errors="replace"), *private)


@contextlib.contextmanager
def silent_agent(path: Path) -> Iterator[list[float]]:
    """A Unix socket server at ``path`` that accepts every connection and never answers:
    a stuck ssh-agent. Yields, for each connection once its client has closed it, how long
    the client waited."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    waited: list[float] = []

    def hold(conn: socket.socket) -> None:
        accepted = time.monotonic()
        with conn, contextlib.suppress(OSError):
            while conn.recv(4096):  # the request, never answered; then the client's close
                pass
        waited.append(time.monotonic() - accepted)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=hold, args=(server.accept()[0],), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield waited
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(5)


@pytest.mark.timeout(60)
def test_a_stuck_ssh_agent_is_left_out_within_the_connect_timeout(
        sshd: SshServer, ssh_home: Path, tmp_path: Path) -> None:
    # persist = 0: the check connects itself, so the warning is on its stderr (through a warm
    # connection it is in the keeper's log)
    root, marker = marker_repo(tmp_path, connect_timeout="2", persist="0")
    agent = tmp_path / "agent.sock"
    with silent_agent(agent) as waited:
        proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True,
                              stdin=subprocess.DEVNULL, env=child_env(SSH_AUTH_SOCK=str(agent)),
                              timeout=30, check=False)
        assert eventually(lambda: len(waited) == 1, 5)  # asked once, then given up
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert marker.exists()  # the key file was used instead
    assert 1.9 < waited[0] < 3
    assert stderr.splitlines() == [f"hostlint: warning: the ssh-agent at {agent} did not answer "
                                   "within 2 s: skipped, using key files"]


@pytest.fixture
def agent_with(tmp_path: Path) -> Iterator[Callable[[int], dict[str, str]]]:
    """A real ``ssh-agent`` holding ``n`` keys the server does not know: the environment
    that reaches it."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("OpenSSH's client (openssh-client) is missing")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    env = child_env(SSH_AUTH_SOCK=str(sock))

    def load(n: int) -> dict[str, str]:
        assert eventually(sock.exists, 10)
        for i in range(n):
            key = tmp_path / f"agent_key_{i}"
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
            subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True, capture_output=True)
        return env
    try:
        yield load
    finally:
        agent.kill()
        agent.wait()


def test_an_agent_with_more_wrong_keys_than_the_server_tries_names_them(
        sshd: SshServer, ssh_home: Path, tmp_path: Path, agent_with: Callable[[int], dict[str, str]]) -> None:
    """sshd's MaxAuthTries (6) ends the connection after the sixth refused key: that is not
    a lost session, it is an authentication failure naming the keys tried."""
    config = ssh_home / ".ssh" / "config"
    config.write_text(config.read_text().replace(f"    IdentityFile {sshd.client_key}\n", "")
                      .replace("    IdentitiesOnly yes\n", ""))
    env = agent_with(8)
    root, marker = marker_repo(tmp_path)
    proc = subprocess.run(hostlint_argv("check"), cwd=root, capture_output=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)
    line = proc.stderr.decode()
    assert proc.returncode == 3, line
    assert line.startswith(f"hostlint: authentication failed for user {sshd.user!r}"), line
    assert "No existing session" not in line
    assert "closed the connection after 6 refused keys (its MaxAuthTries)" in line
    assert line.count("ssh-agent key") == 6 and line.count("\n") == 1 and not marker.exists()


def test_an_account_whose_login_shell_does_not_exist_is_not_only_blamed_on_the_keys(
        sshd: SshServer, ssh_home: Path, tmp_path: Path, shell_users: dict[str, str]) -> None:
    """sshd refuses such an account whatever the key; the client sees only refused keys, so
    the line says what else it may be."""
    user = shell_users["missing"]
    root, marker = tmp_path / "repo", tmp_path / "ran"
    make_repo(root, ssh_config(f"touch {marker}", root=root, host=f"{user}@{ALIAS}"))
    stage(root, "a.py")
    result = hostlint("check", cwd=root)
    assert result.code == 3
    assert f"authentication failed for user {user!r}" in result.stderr
    assert "a login shell that does not exist" in result.stderr
    assert result.stderr.count("\n") == 1 and not marker.exists()
