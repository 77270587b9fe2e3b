"""Where to connect (hostlint/targets/ssh/endpoint.py): aliases, ``[user@]host[:port]``
and ``Include`` in ~/.ssh/config."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostlint.errors import ConfigError
from hostlint.targets.ssh.endpoint import resolve
from hostlint.targets.ssh.spec import parse_spec
from tests.ssh_helpers import ssh_repo
from tests.sshd import ALIAS, SshServer
from tests.utils import hostlint


def test_resolve_reads_the_alias_and_spec_overrides(sshd: SshServer, ssh_home: Path) -> None:
    endpoint = resolve(ALIAS, environ=os.environ)
    assert (endpoint.host, endpoint.port, endpoint.user) == ("127.0.0.1", sshd.port, sshd.user)
    assert endpoint.identity_files == (str(sshd.client_key),)
    assert endpoint.identities_only and endpoint.check_host_key
    assert endpoint.known_hosts[0] == str(ssh_home / ".ssh" / "known_hosts")
    assert endpoint.known_hosts_name == f"[127.0.0.1]:{sshd.port}"
    other = resolve(f"someone@{ALIAS}:2222", environ=os.environ)
    assert (other.host, other.port, other.user) == ("127.0.0.1", 2222, "someone")
    plain = resolve("example.invalid", environ=os.environ)
    assert (plain.host, plain.port, plain.known_hosts_name) == ("example.invalid", 22, "example.invalid")
    assert parse_spec("u@[::1]:2200") == ("u", "::1", 2200)


def test_resolve_follows_include(sshd: SshServer, ssh_home: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    (ssh_home / ".ssh" / "conf.d").mkdir()
    (ssh_home / ".ssh" / "conf.d" / "test.conf").write_text(config.read_text())
    config.write_text("Include conf.d/*.conf\n")
    assert resolve(ALIAS, environ=os.environ).port == sshd.port



def test_an_include_with_an_open_quote_is_a_configuration_error(ssh_home: Path) -> None:
    config = ssh_home / ".ssh" / "config"
    config.write_text('Include "conf.d/*.conf\n' + config.read_text())
    with pytest.raises(ConfigError, match=f'{config}: cannot read `Include "conf.d'):
        resolve(ALIAS, environ=os.environ)

# -- names that would reach a shell (CVE-2023-51385) -------------------------------------------


@pytest.mark.parametrize("spec", ["x$(touch PWN)", "x`touch PWN`", "x;touch PWN", "x|touch PWN",
                                  "-oProxyCommand=touch PWN", "a b", "x\ny", "u$(touch PWN)@host",
                                  "u;x@host", "-u@host"])
def test_hosts_and_users_with_shell_metacharacters_are_refused(spec: str) -> None:
    with pytest.raises(ConfigError, match="shell metacharacters"):
        parse_spec(spec)


def test_a_host_with_command_substitution_never_reaches_a_proxy_command(
        ssh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``%h`` and ``%r`` in ProxyCommand are substituted unquoted: a host or user from the
    repository's configuration must not run anything there (as OpenSSH 9.6 refuses them)."""
    monkeypatch.chdir(tmp_path)  # where a ProxyCommand started by this process would run
    config = ssh_home / ".ssh" / "config"
    config.write_text("Host *\n    ProxyCommand /bin/sh -c 'echo %r %h >&2; exit 1'\n" + config.read_text())
    for host in ("x$(touch PWN)", "u$(touch PWN)@x"):
        root = ssh_repo(tmp_path / host.replace("/", "_"), "true", "a.py", host=host, connect_timeout="2")
        result = hostlint("check", cwd=root)
        assert not list(tmp_path.rglob("PWN")), result.stderr
        assert result.code == 2, result.stderr
        assert "shell metacharacters" in result.stderr and result.stderr.count("\n") == 1


# -- the same answers as OpenSSH's own client (ssh -G) ---------------------------------------------

#: name -> (~/.ssh/config, included files, specs to resolve). ``{d}`` is the .ssh directory
#: (Include paths are absolute: ``ssh -F`` reads relative ones from the real ~/.ssh).
CONFIGS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "Include inside a Host block": (
        "Host target\n    Include {d}/inc.conf\n    Port 48817\nHost *\n    User fallback\n",
        {"inc.conf": "User incuser\nHost other\n    Port 1111\n"}, ("target", "other")),
    "Include inside a Host block that does not match": (
        "Host elsewhere\n    Include {d}/inc.conf\nHost target\n    HostName real.example\n",
        {"inc.conf": "Port 2222\nUser wrong\nHost *\n    Port 2223\n"}, ("target", "elsewhere")),
    "top-level Include, then global lines": (
        "Include {d}/inc.conf\nPort 2200\n",
        {"inc.conf": "Host other\n    User x\n"}, ("target", "other")),
    "Include inside Match all": (
        "Host target\n    HostName t.example\nMatch all\n    Include {d}/inc.conf\n    Port 2209\n",
        {"inc.conf": "User everyone\nHost target\n    User only-target\n"}, ("target", "other")),
    "Include inside Match originalhost": (
        "Match originalhost target\n    Include {d}/inc.conf\n    Port 2208\n",
        {"inc.conf": "User inmatch\nHost target\n    HostName via.example\nHost other\n    Port 1\n"},
        ("target", "other")),
    "nested Include": (
        "Host t*\n    Include {d}/a.conf\n    User outer\n",
        {"a.conf": "Host target\n    Include {d}/b.conf\n    Port 2210\n",
         "b.conf": "HostName deep.example\n"},
        ("target", "tx")),
    "Include=, and an = in a file name": (
        "Host target\n    Include={d}/a.conf\n    Include {d}/b=c.conf\n    User outer\n",
        {"a.conf": "Port 2211\n", "b=c.conf": "HostName eq.example\n"}, ("target", "other")),
    "Match all": (
        "Host target\n    HostName t.example\nMatch all\n    Port 2201\n    User everyone\n",
        {}, ("target", "other")),
    "several Host patterns": ("Host foo target bar\n    Port 2202\n", {}, ("target", "bar", "baz")),
    "negation": ("Host * !target\n    Port 2203\nHost *\n    Port 2204\n", {}, ("target", "other")),
    "the first value wins": (
        "Host target\n    Port 2205\nHost t*\n    Port 2206\n    User second\n", {}, ("target", "tx")),
    "ProxyJump": ("Host target\n    ProxyJump jump1,jump2\nHost *\n    ProxyJump other\n", {},
                  ("target", "x")),
    "IdentityFile lines add up": (
        "Host target\n    IdentityFile /k/a\nHost *\n    IdentityFile /k/b\n", {}, ("target", "x")),
    "user@host:port beats the config": (
        "Host target\n    Port 2207\n    User cfg\n", {}, ("someone@target:2300", "target")),
}


def ssh_g(config: Path, spec: str) -> dict[str, list[str]]:
    """What OpenSSH's client resolves for ``spec`` from ``config`` alone."""
    user, host, port = parse_spec(spec)
    argv = ["ssh", "-G", "-F", str(config), *(["-l", user] if user else []),
            *(["-p", str(port)] if port else []), host]
    lines = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.splitlines()
    options: dict[str, list[str]] = {}
    for line in lines:
        key, _, value = line.partition(" ")
        options.setdefault(key, []).append(value)
    return options


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH's client (openssh-client) is missing")
@pytest.mark.parametrize("name", list(CONFIGS))
def test_endpoints_agree_with_ssh_g(name: str, tmp_path: Path) -> None:
    text, included, specs = CONFIGS[name]
    home = tmp_path / "home"
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(parents=True)
    for file, body in included.items():
        (ssh_dir / file).write_text(body.format(d=ssh_dir))
    config = ssh_dir / "config"
    config.write_text(text.format(d=ssh_dir))
    for spec in specs:
        want = ssh_g(config, spec)
        got = resolve(spec, environ={"HOME": str(home)})
        assert (got.host, got.port, got.user) == (want["hostname"][0], int(want["port"][0]),
                                                  want["user"][0]), (name, spec)
        assert got.proxy_jump == want.get("proxyjump", [None])[0], (name, spec)
        if "IdentityFile" in text:
            assert list(got.identity_files) == want["identityfile"], (name, spec)
