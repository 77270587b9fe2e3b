"""A Vagrant project before its first `vagrant up` (a Vagrantfile, no machine record):
`detect` and a check on a terminal say so, and the guest root comes from the Vagrantfile's
`synced_folder` line, read as text (Ruby is never run)."""

from __future__ import annotations

from pathlib import Path

from hostlint.vagrant_record import vagrantfile_folders
from tests.utils import hostlint, linter_config, make_repo

VAGRANTFILE = """\
Vagrant.configure("2") do |config|
  config.vm.box = "debian/bookworm64"
  # config.vm.synced_folder ".", "/commented"
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.synced_folder ".", "/srv/proj"
end
"""


def project(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py"])
    (root / "Vagrantfile").write_text(VAGRANTFILE)
    return root


def test_detect_reads_the_guest_root_from_the_vagrantfile(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = hostlint("detect", "--target", "vagrant", cwd=root).out
    assert f"  guest root: /srv/proj (from {root / 'Vagrantfile'} line 5)\n" in out
    assert "/vagrant" not in out.split("guest root:")[1].splitlines()[0]


def test_detect_says_the_project_has_no_machine_yet(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = hostlint("detect", cwd=root).out
    assert (f"  3. Vagrant project: Vagrantfile at {root / 'Vagrantfile'}, but no machine: it "
            "was never created (run `vagrant up`) -> no\n") in out


def test_check_on_a_terminal_says_so_in_one_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    line = (f"hostlint: a Vagrant project is here ({root / 'Vagrantfile'}) but has no machine: "
            "run `vagrant up` to lint in it; linting on this machine meanwhile\n")
    result = hostlint("check", cwd=root, tty=True)
    assert result.code == 0 and result.stderr.startswith(line), result.stderr
    assert line not in hostlint("check", cwd=root).stderr  # a hook off a terminal stays quiet


def test_synced_folder_lines_are_read_as_text(tmp_path: Path) -> None:
    vagrantfile = tmp_path / "Vagrantfile"
    vagrantfile.write_text(
        "Vagrant.configure('2') do |config|\n"
        "  config.vm.synced_folder('.', '/a')\n"
        "  config.vm.define 'web' do |web|\n"
        "    web.vm.synced_folder \"src\", \"/b\", type: \"nfs\"\n"
        "  end\n"
        "  config.vm.synced_folder \"#{ENV['HOME']}\", \"/home\"\n"
        "  config.vm.synced_folder \"x\", \"/c\", :disabled => true\n"
        "  config.vm.synced_folder \"y\" , \"/d\" # trailing comment\n"
        "end\n")
    assert vagrantfile_folders(str(vagrantfile)) == [(".", "/a", 2), ("src", "/b", 4), ("y", "/d", 8)]
