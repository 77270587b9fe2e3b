from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.keepers import end_keepers, keeper_dirs
from tests.utils import linter, linter_config, make_repo

pytest_plugins = ["tests.sshd", "tests.vagrant_fixture", "tests.engine", "tests.vagrant_real"]

_CLEARED = ("PYTHONUNBUFFERED", "VIRTUAL_ENV", "SKIP", "NO_COLOR", "FORCE_COLOR", "GIT_DIR",
            "GIT_INDEX_FILE", "GIT_WORK_TREE", "VAGRANT_CWD", "VAGRANT_VAGRANTFILE",
            "SSH_AUTH_SOCK", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "CONTAINER_HOST",
            "CONTAINER_CONNECTION", "CONTAINERS_CONF", "CONTAINERS_CONF_OVERRIDE",
            "CONTAINERS_STORAGE_CONF")
# What CI demands of the test infrastructure outlives the clearing below.
_KEPT = ("HOSTLINT_REQUIRE_SSHD", "HOSTLINT_REQUIRE_DOCKER", "HOSTLINT_REQUIRE_VAGRANT",
         "HOSTLINT_REQUIRE_PODMAN")


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read the real ~/.ssh, never write to the real $HOME; a clean environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / ".run"))
    (home / ".run").mkdir(mode=0o700)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")
    for name in list(os.environ):
        if name in _CLEARED or (name.startswith("HOSTLINT") and name not in _KEPT):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(autouse=True)
def no_keeper_left(isolated: Path) -> Iterator[None]:
    """Every keeper a test's checks started (in this test's own runtime and cache dirs) is
    ended afterwards, by the pid in its info file."""
    places = keeper_dirs(dict(os.environ))
    yield
    end_keepers(places)


@pytest.fixture
def repo(tmp_path: Path) -> Callable[[str], Path]:
    """A factory: a git repository whose config is the given TOML."""
    def make(config: str) -> Path:
        return make_repo(tmp_path / "repo", config)
    return make


@pytest.fixture
def args_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose linter records its arguments (NUL-separated) in a log file."""
    log = tmp_path / "args.log"
    root = make_repo(tmp_path / "repo", linter_config(linter("record_args.py", str(log))))
    return root, log
