"""Where the linters ran, said in one line (on a terminal, and with -v); detection's rule 2
compares directories, not spellings, and says why it chose local; a single `command` is
named after itself; the shell's 126/127 are explained in the words of the target in use."""

from __future__ import annotations

from pathlib import Path

from tests.utils import hostlint, linter_config, linters_config, make_repo, toml_string


def test_on_a_terminal_one_line_names_the_target(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config("true"), staged=["a.py", "b.py"])
    result = hostlint("check", cwd=root, tty=True)
    assert result.stderr == f"hostlint: 2 files → local {root}\n"


def test_off_a_terminal_only_verbose_names_the_target(tmp_path: Path) -> None:
    specs = {"a": (0.0, 0, "*"), "b": (0.0, 0, "*.txt")}
    root = make_repo(tmp_path / "repo", linters_config(tmp_path / "t.log", specs), staged=["a.py"])
    assert "→" not in hostlint("check", cwd=root).stderr
    verbose = hostlint("check", "-v", cwd=root)
    assert f"hostlint: 1 file, 1 linter → local {root}\n" in verbose.stderr


def test_rule_2_sees_a_configured_root_reached_through_a_symlink(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    link = tmp_path / "link"
    link.symlink_to(root)
    make_repo(root, linter_config("true") + f'[tool.hostlint.ssh]\nhost = "devbox"\n'
              f"root = {toml_string(str(link))}\n")
    out = hostlint("detect", cwd=root).out
    assert out.startswith("target: local\n")
    assert (f"  2. inside the dev environment: the configured root {link} is this repository "
            f"({root}, the same directory by another path): this machine is the target -> local"
            ) in out


def test_a_single_command_is_named_after_itself_with_the_local_targets_hint(
        tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", linter_config("no-such-linter-xyz --check"),
                     staged=["a.py"])
    result = hostlint("check", cwd=root)
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        f"hostlint: no-such-linter-xyz --check: command not found on local {root} (exit 127); "
        "check `command` and the PATH hostlint runs /bin/sh with (not a login shell; a "
        "virtualenv's bin comes first)")
    assert "default" not in result.stderr


def test_a_long_command_is_shortened_in_its_name(tmp_path: Path) -> None:
    command = "no-such-linter-xyz " + " ".join(f"--flag-{i}" for i in range(20))
    root = make_repo(tmp_path / "repo", linter_config(command), staged=["a.py"])
    line = hostlint("check", cwd=root).stderr.splitlines()[0]
    assert line.startswith("hostlint: no-such-linter-xyz --flag-0 --flag-1 …: command not found")
