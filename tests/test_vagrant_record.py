"""The ``.vagrant`` record reader on damaged records: a check never crashes on them."""

from __future__ import annotations

from pathlib import Path

from hostlint.vagrant_record import find_project, guest_root
from tests.utils import hostlint, linter, linter_config, make_repo
from tests.vagrant_fixture import write_machine_record


def test_a_machine_id_that_is_not_utf8_breaks_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config(linter("fail.py"), target='"local"'),
                     staged=["a.py"])
    record = write_machine_record(root)
    (record / "id").write_bytes(b"\xff\xfe-not-utf8")
    result = hostlint("check", cwd=root)
    assert result.code == 1, result.stderr
    assert result.out == "a.py:1:1: E999 something is wrong\n"
    project = find_project(str(root), {})
    assert project is not None
    key = project.machines[0].key(project.vagrantfile)
    (record / "id").write_bytes(b"\xff\xfd-not-utf8")
    assert project.machines[0].key(project.vagrantfile) != key  # the cache is still invalidated


def test_a_synced_folder_hostpath_with_a_nul_is_skipped(tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    repo = project_dir / "repo"
    repo.mkdir(parents=True)
    write_machine_record(project_dir, synced_folders={"virtualbox": {
        "/broken": {"guestpath": "/broken", "hostpath": "/x\u0000y", "disabled": False},
        "/vagrant": {"guestpath": "/srv/proj", "hostpath": str(project_dir), "disabled": False},
    }})
    project = find_project(str(repo), {})
    assert project is not None
    assert guest_root(project, project.machines[0], str(repo))[0] == "/srv/proj/repo"


def test_the_guest_path_has_no_empty_or_dot_parts(tmp_path: Path) -> None:
    """A guest path written ``/srv//proj/./`` in the record still maps the linters' output
    back: the repository's guest root is ``/srv/proj/repo``, as Vagrant's guest sees it."""
    project_dir = tmp_path / "project"
    (project_dir / "repo").mkdir(parents=True)
    write_machine_record(project_dir, synced_folders={"virtualbox": {
        "/vagrant": {"guestpath": "/srv//proj/./", "hostpath": str(project_dir), "disabled": False},
    }})
    project = find_project(str(project_dir / "repo"), {})
    assert project is not None
    assert guest_root(project, project.machines[0], str(project_dir / "repo"))[0] == "/srv/proj/repo"


def test_every_machine_record_is_found_hidden_names_too(tmp_path: Path) -> None:
    write_machine_record(tmp_path, "web", "docker")
    write_machine_record(tmp_path, ".hidden", "virtualbox", vagrantfile=False)
    project = find_project(str(tmp_path), {})
    assert project is not None
    assert [(m.name, m.provider) for m in project.machines] == [(".hidden", "virtualbox"),
                                                                 ("web", "docker")]
