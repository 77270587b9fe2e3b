"""Configuration: loading, precedence, and one clear line (exit 2) for every mistake."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlint.config import Config, apply_overrides, load
from tests.utils import child_env, hostlint, hostlint_argv, make_repo

BAD = [
    ('[tool.hostlint]\ncomand = "x"\n', "unknown key 'comand'"),
    ('[tool.hostlint]\ncommand = 3\n', "key 'command' has integer 3"),
    ('[tool.hostlint]\ncommand = ""\n', "key 'command'"),
    ('[tool.hostlint]\ntarget = "docker"\ncommand = "x"\n', "key 'target' has string 'docker'"),
    ('[tool.hostlint]\nadvisory = "yes"\ncommand = "x"\n', "key 'advisory'"),
    ('[tool.hostlint]\nconnect_timeout = -1\ncommand = "x"\n', "key 'connect_timeout'"),
    ('[tool.hostlint]\ninclude = "*.py"\ncommand = "x"\n', "key 'include'"),
    ('[tool.hostlint]\njobs = 1.5\ncommand = "x"\n', "key 'jobs'"),
    ('[tool.hostlint]\nadvisory = true\n', "missing key `command`"),
    ('[tool.hostlint]\ncommand = "x"\n[tool.hostlint.linters.a]\ncommand = "y"\n', "both `command`"),
    ('[tool.hostlint.linters.a]\ninclude = ["*"]\n', "linters.a] is missing key `command`"),
    ('[tool.hostlint.linters.a]\ncommand = "y"\nfoo = 1\n', "linters.a] unknown key 'foo'"),
    ('[tool.hostlint.ssh]\nhost = "box"\n[tool.hostlint.linters.a]\ncommand = "y"\n', "no `root`"),
    ('[tool.hostlint.vagrant]\nmachine = 1\n[tool.hostlint.linters.a]\ncommand = "y"\n',
     "vagrant] key 'machine'"),
    ('[tool.hostlint\ncommand = "x"\n', "invalid TOML"),
    ('[tool.hostlint]\ncommand = "x"\ninclude = ["[z-a].py"]\n', "invalid pattern '[z-a].py'"),
    ('[tool]\nhostlint = 3\n', "must be a table"),
    ('[tool.hostlint.linters.a]\ncommand = "y"\nhooks = ["pre-pus"]\n',
     "linters.a] key 'hooks' has array ['pre-pus']; allowed: a list of: pre-commit |"),
    ('[tool.hostlint]\ncommand = "x"\nhooks = "commit-msg"\n', "key 'hooks' has string"),
    ('[tool.hostlint]\ncommand = "x"\ninclude = ["[[:alfa:]].py"]\n', "invalid pattern '[[:alfa:]].py'"),
    ('[tool.hostlint]\ncommand = "x"\ninclude = ["./src/*.py"]\n', "pattern './src/*.py' can never match"),
    ('[tool.hostlint]\ncommand = "x"\nexclude = ["a//b"]\n', "pattern 'a//b' can never match"),
    ('[tool.hostlint]\ncommand = "x"\ninclude = [""]\n', "pattern '' can never match"),
    ('[tool.hostlint]\ncommand = "x"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ('[tool.hostlint]\ncommand = "x"\ninclude.' + "a." * 5000 + "a = 1\n", "key 'include' has table"),
    ('[tool.hostlint]\ncommand = "x"\nconnect_timeout = 1e300\n',
     "key 'connect_timeout' has float 1e+300; allowed: a number from 0.1 to 3600"),
    ('[tool.hostlint]\ncommand = "x"\nalive_timeout = 1e10\n',
     "key 'alive_timeout' has float 10000000000.0; allowed: a number from 1 to 86400"),
    ('[tool.hostlint]\ncommand = "x"\njobs = 9223372036854775807\n', "key 'jobs'"),
    ('[tool.hostlint]\ncommand = "echo \\u0000 x"\n', "key 'command' has string 'echo \\x00 x'"),
    ('[tool.hostlint]\ncommand = "x"\n[tool.hostlint.ssh]\nhost = "h"\nroot = "/a\\u0000b"\n',
     "ssh] key 'root' has string '/a\\x00b'; allowed: a string without NUL"),
    ('[tool.hostlint]\ncommand = "x"\n[tool.hostlint.vagrant]\nroot = "/a\\u0000b"\n',
     "vagrant] key 'root'"),
    ('[tool.hostlint.linters."a\\nb"]\ncommand = "x"\n', "linter name 'a\\nb'"),
    ('[tool.hostlint.linters."a\\u001b[31mb"]\ncommand = "x"\n', "linter name 'a\\x1b[31mb'"),
]
# No configuration at all is one line too, followed by the lines to paste: tests/test_hook.py.


@pytest.mark.parametrize("text, expected", BAD, ids=[b[1] for b in BAD])
def test_config_errors_are_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    root = make_repo(tmp_path / "repo", text)
    (root / "a.py").write_text("x\n")
    result = hostlint("check", "a.py", cwd=root)
    assert result.code == 2
    assert result.stdout == b""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hostlint: ") and expected in lines[0]
    assert "pyproject.toml" in lines[0] or "no configuration" in lines[0]
    assert "Traceback" not in result.stderr


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncomand = "x"\n')
    result = hostlint("check", "-v", cwd=root)
    assert result.code == 2 and "Traceback" in result.stderr


def test_dotfile_wins_over_pyproject(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "from-pyproject"\n')
    (root / ".hostlint.toml").write_text('command = "from-dotfile"\n')
    config = load(str(root))
    assert os.path.basename(config.source) == ".hostlint.toml"
    assert [linter.command for linter in config.linters] == ["from-dotfile"]


def test_defaults_and_named_linters_inherit_top_level_filters(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", """
[tool.hostlint]
exclude = ["vendor/"]
[tool.hostlint.linters.ruff]
command = "ruff check"
include = ["*.py"]
[tool.hostlint.linters.eslint]
command = "npx eslint"
include = ["*.js"]
exclude = []
""")
    config = load(str(root))
    assert (config.target, config.advisory, config.on_unavailable) == ("auto", False, "fail")
    assert (config.connect_timeout, config.alive_timeout) == (10.0, 30.0)
    ruff, eslint = config.linters
    assert (ruff.name, ruff.include, ruff.exclude) == ("ruff", ("*.py",), ("vendor/",))
    assert (eslint.name, eslint.exclude) == ("eslint", ())
    assert ruff.hooks == eslint.hooks == ("pre-commit",)


def test_hooks_per_linter_and_as_the_top_level_default(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", """
[tool.hostlint]
hooks = ["pre-push"]
[tool.hostlint.linters.tests]
command = "pytest"
[tool.hostlint.linters.gitlint]
command = "gitlint --msg-filename"
hooks = ["commit-msg", "prepare-commit-msg"]
""")
    tests, gitlint = load(str(root)).linters
    assert tests.hooks == ("pre-push",)
    assert gitlint.hooks == ("commit-msg", "prepare-commit-msg")


def test_precedence_option_env_file_default(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "x"\ntarget = "ssh"\n'
                     '[tool.hostlint.ssh]\nhost = "h"\nroot = "/r"\n')
    config = load(str(root))
    env = {"HOSTLINT_TARGET": "local", "HOSTLINT_ADVISORY": "1"}
    assert apply_overrides(config, target=None, advisory=None, env={}).target == "ssh"
    from_env = apply_overrides(config, target=None, advisory=None, env=env)
    assert (from_env.target, from_env.target_source, from_env.advisory) == (
        "local", "HOSTLINT_TARGET", True)
    from_option = apply_overrides(config, target="vagrant", advisory=False, env=env)
    assert (from_option.target, from_option.advisory) == ("vagrant", False)


@pytest.mark.parametrize("name, value", [("HOSTLINT_TARGET", "docker"),
                                         ("HOSTLINT_ADVISORY", "maybe"),
                                         ("HOSTLINT_COLOR", "sometimes")])
def test_bad_environment_values_are_exit_2(tmp_path: Path, name: str, value: str) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    (root / "a.py").write_text("x\n")
    result = hostlint("check", "a.py", cwd=root, environ=dict(os.environ, **{name: value}))
    assert result.code == 2
    assert len(result.stderr.splitlines()) == 1 and name.split("_")[1].lower() in result.stderr.lower()


toml_scalars = st.one_of(st.booleans(), st.integers(-5, 50), st.floats(allow_nan=True),
                         st.text(max_size=8), st.lists(st.text(max_size=5), max_size=3))
keys = st.sampled_from(["command", "target", "advisory", "on_unavailable", "connect_timeout",
                        "alive_timeout", "pass_filenames", "include", "exclude", "jobs", "persist",
                        "bogus", "ssh", "vagrant", "linters"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(keys, st.one_of(toml_scalars, st.dictionaries(
    st.sampled_from(["host", "root", "machine", "command", "x"]),
    st.one_of(toml_scalars, st.dictionaries(st.sampled_from(["command", "include"]), toml_scalars)),
    max_size=3)), max_size=6))
def test_fuzzed_config_loads_or_fails_cleanly(tmp_path: Path, table: dict[str, object]) -> None:
    """Property: any TOML document gives a Config or a ConfigError/UsageError — never a crash."""
    from hostlint.errors import HostlintError

    (tmp_path / ".hostlint.toml").write_text(_dump(table))
    try:
        assert isinstance(load(str(tmp_path)), Config)
    except HostlintError as exc:
        assert exc.exit_code == 2
        assert "\n" not in exc.line()


def _dump(table: dict[str, object]) -> str:
    """A tiny TOML writer for the fuzzer (inline tables for nesting)."""
    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            special = {"nan": "nan", "inf": "inf", "-inf": "-inf"}
            return special.get(repr(v), repr(v))
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + "".join(c if c.isalnum() or c in " ._-*/" else f"\\u{ord(c):04x}"
                                 for c in v if ord(c) < 0xD800 or ord(c) > 0xDFFF) + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(i) for i in v) + "]"
        assert isinstance(v, dict)
        return "{" + ", ".join(f'"{k}" = {value(i)}' for k, i in v.items()) + "}"
    return "".join(f'"{k}" = {value(v)}\n' for k, v in table.items())


def test_configuration_reference_matches_the_model() -> None:
    from hostlint.config import reference

    doc = Path(__file__).parents[1] / "docs" / "configuration.md"
    assert doc.read_text() == reference(), "run: python -m hostlint.config > docs/configuration.md"


def test_an_edited_config_is_read_again(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "aaa"\n')
    assert load(str(root)).linters[0].command == "aaa"
    assert load(str(root)).linters[0].command == "aaa"  # from the cache
    (root / "pyproject.toml").write_text('[tool.hostlint]\ncommand = "bbb"\n')  # same size
    assert load(str(root)).linters[0].command == "bbb"


def test_a_warm_hook_does_not_import_the_toml_parser(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.utils import child_env

    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n')
    probe = ("import sys; from hostlint.__main__ import hook; hook(['pre-commit']); "
             "print('tomllib' in sys.modules or 'tomli' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=root, env=child_env(),
                           capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert runs == ["True\n", "False\n"]


def test_a_pyproject_whose_tool_is_not_a_table_is_exit_2(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", 'tool = 3\n')
    result = hostlint("check", cwd=root)
    assert result.code == 2 and "no configuration" in result.stderr


def test_a_config_that_is_not_utf8_is_exit_2(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "")
    (root / "pyproject.toml").write_bytes(b'[tool.hostlint]\ncommand = "echo \xff"\n')
    result = hostlint("check", cwd=root)
    assert result.code == 2 and "invalid TOML" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_planted_symlink_at_the_cache_s_temporary_file_is_not_written_through(
        tmp_path: Path) -> None:
    from hostlint.config_file import _cache_file

    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "aaa"\n')
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    cache = Path(_cache_file(str(root / "pyproject.toml")))
    cache.parent.mkdir(parents=True)
    os.symlink(victim, cache.with_name(f"{cache.name}.{os.getpid()}"))
    assert load(str(root)).linters[0].command == "aaa"
    assert victim.read_text() == "precious\n"
    assert not cache.is_symlink() and (cache.stat().st_mode & 0o777) == 0o600


def _check_with_cache_env(root: Path, **environ: str) -> None:
    env = {k: v for k, v in child_env().items() if k != "XDG_CACHE_HOME"}
    proc = subprocess.run(hostlint_argv("check"), cwd=root, env={**env, **environ},
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_missing_home_is_never_created_for_the_cache(tmp_path: Path) -> None:
    """Root, or a service account, with a HOME that names nothing: the check runs, and keeps
    no cache rather than create the home (as root, ``mkdir -p`` of ~/.cache would)."""
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n', staged=["a.py"])
    _check_with_cache_env(root, HOME=str(tmp_path / "gone"))
    assert not (tmp_path / "gone").exists()


def test_a_relative_xdg_cache_home_is_ignored(tmp_path: Path) -> None:
    """As the XDG specification says: the cache goes to ~/.cache, not into a directory of
    that name in the repository the check runs in."""
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "true"\n', staged=["a.py"])
    (tmp_path / "home").mkdir()
    _check_with_cache_env(root, HOME=str(tmp_path / "home"), XDG_CACHE_HOME="cache")
    assert not (root / "cache").exists()
    assert os.listdir(tmp_path / "home" / ".cache" / "hostlint" / "config")


def test_a_same_size_rewrite_with_its_mtime_restored_is_read_again(tmp_path: Path) -> None:
    """The cache is keyed on the file's content, not on its mtime, size and inode."""
    root = make_repo(tmp_path / "repo", '[tool.hostlint]\ncommand = "aaa"\n')
    pyproject = root / "pyproject.toml"
    assert load(str(root)).linters[0].command == "aaa"
    before = pyproject.stat()
    pyproject.write_text('[tool.hostlint]\ncommand = "bbb"\n')  # same size, same inode
    os.utime(pyproject, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert pyproject.stat().st_ino == before.st_ino
    assert load(str(root)).linters[0].command == "bbb"
