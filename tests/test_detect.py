"""Choosing the target: each rule of SPEC, and the trace ``hostlint detect`` prints."""

from __future__ import annotations

import os
from pathlib import Path

from hostlint.detect import Facts, decide
from tests.ssh_helpers import ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import hostlint, make_repo


def facts(**changes: object) -> Facts:
    base: dict[str, object] = dict(
        target="auto", target_source="default", virtual_env=None, framework_env=None,
        guest_root=None, vagrant_project=None, vagrant_machine=None, vagrant_cli=None,
        ssh_host=None)
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def test_explicit_choice_wins() -> None:
    decision = decide(facts(target="ssh", target_source="--target", virtual_env="/venv"))
    assert decision.kind == "ssh"
    assert [rule.number for rule in decision.trace] == [1]


def test_virtualenv_means_local_even_with_ssh_configured() -> None:
    decision = decide(facts(virtual_env="/venv", ssh_host="box"))
    assert decision.kind == "local"
    assert decision.trace[-1].number == 2 and "VIRTUAL_ENV=/venv" in decision.trace[-1].saw


def test_inside_the_guest_root_means_local() -> None:
    decision = decide(facts(guest_root="/srv/proj", ssh_host="box"))
    assert decision.kind == "local" and "/srv/proj" in decision.trace[-1].saw


def test_ssh_host_configured_means_ssh() -> None:
    assert decide(facts(ssh_host="box")).kind == "ssh"


def test_fallback_is_local() -> None:
    decision = decide(facts())
    assert decision.kind == "local" and [r.number for r in decision.trace] == [1, 2, 3, 4, 5, 6]


def test_detect_prints_each_rule_and_the_result(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    result = hostlint("detect", cwd=root, environ={**os.environ, "VIRTUAL_ENV": "/some/venv"})
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "target: local"
    assert any("2. inside the dev environment: VIRTUAL_ENV=/some/venv -> local" in line
               for line in lines)
    assert any("runs in: " in line for line in lines)


def test_configured_root_equal_to_the_repository_means_local(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "")
    (root / "pyproject.toml").write_text(
        f'[tool.hostlint]\ncommand = "true"\n[tool.hostlint.ssh]\nhost = "box"\nroot = "{root}"\n')
    result = hostlint("detect", cwd=root)
    assert result.out.splitlines()[0] == "target: local"


def test_detect_on_a_terminal_draws_a_table(tmp_path: Path) -> None:
    import pty
    import subprocess

    from tests.utils import child_env, hostlint_argv

    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    master, slave = pty.openpty()
    proc = subprocess.Popen(hostlint_argv("detect"), cwd=root, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=child_env())
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    text = output.decode()
    assert "target: local" in text
    assert "┃" in text or "│" in text  # box drawing: a table, not plain lines
    assert "6. fallback" in text
    assert "no [tool.hostlint.ssh] host" in text  # cells are text, not rich markup


def test_pre_commits_own_virtualenv_for_hostlint_is_not_the_dev_environment(tmp_path: Path) -> None:
    """pre-commit and prek run hostlint in their own venv and set VIRTUAL_ENV to it."""
    import sys

    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n'
                     '[tool.hostlint.ssh]\nhost = "box"\nroot = "/r"\n')
    framework = {**os.environ, "VIRTUAL_ENV": sys.prefix, "PRE_COMMIT": "1"}
    result = hostlint("detect", cwd=root, environ=framework)
    assert result.out.startswith("target: ssh\n"), result.out
    assert "hook framework's environment" in result.out
    users_venv = {**os.environ, "VIRTUAL_ENV": str(tmp_path), "PRE_COMMIT": "1"}
    assert hostlint("detect", cwd=root, environ=users_venv).out.startswith("target: local\n")


def test_detect_shows_the_resolved_settings_and_no_key_material(sshd: SshServer, ssh_home: Path,
                                                               tmp_path: Path) -> None:
    root = ssh_repo(tmp_path, "true")
    result = hostlint("detect", cwd=root)
    assert result.code == 0, result.stderr
    out = result.out
    for row in (f"host: {ALIAS} -> 127.0.0.1", f"user: {sshd.user}", f"port: {sshd.port}",
                f"identity files: {sshd.client_key}", f"root: {root}",
                f"known_hosts: {ssh_home / '.ssh' / 'known_hosts'}"):
        assert row in out, out
    assert sshd.client_key_pub.read_text().split()[1] not in out
    assert "PRIVATE KEY" not in out
