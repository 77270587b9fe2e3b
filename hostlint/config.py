"""``[tool.hostlint]`` in pyproject.toml, or ``.hostlint.toml`` → frozen, validated objects.

The schema is data (``SCHEMA``): validation and the generated configuration reference in
docs/ both read it, so they cannot drift apart.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping

from hostlint.config_file import find
from hostlint.errors import ConfigError, UsageError
from hostlint.typing_lite import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

TARGETS = ("auto", "local", "vagrant", "container", "ssh")
ON_UNAVAILABLE = ("fail", "skip", "local")
#: How long the name of the single `command` linter may get (it is named after its command).
NAME_LENGTH = 40
#: The git hooks hostlint installs and a linter may run in (``hooks``).
HOOKS = ("pre-commit", "pre-merge-commit", "commit-msg", "prepare-commit-msg", "pre-push")


class Key(NamedTuple):
    """One configuration key: its type, default, allowed values and documentation."""

    name: str
    kind: str  # "string" | "boolean" | "number" | "integer" | "strings" | "table"
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def allowed(self) -> str:
        if self.choices:
            return ("a list of: " if self.kind == "strings" else "") + " | ".join(self.choices)
        text = {
            "string": "a non-empty string without NUL" if self.name == "command"
            else "a string without NUL",
            "boolean": "true or false",
            "number": "a number",
            "integer": "an integer",
            "strings": "a list of strings without NUL",
            "table": "a table",
        }[self.kind]
        if self.minimum is not None and self.maximum is not None:
            return f"{text} from {self.minimum:g} to {self.maximum:g}"
        return text + (f" >= {self.minimum:g}" if self.minimum is not None else "")


LINTER_KEYS = (
    Key("command", "string", None, "Run by the target's shell from the repository root; file "
        "paths are appended, each quoted as one argument."),
    Key("include", "strings", ["*"], "Glob patterns (gitignore habits) a file must match to be "
        "passed. A pattern without `/` matches the name in any directory; one with `/` the "
        "path from the repository root (`src/*.py`, not `./src/*.py`); `**` spans "
        "directories; `[...]` classes include POSIX ones (`[[:alpha:]]`). Case-sensitive."),
    Key("exclude", "strings", [], "Glob patterns of files never passed."),
    Key("pass_filenames", "boolean", True, "false: run the command once with no file "
        "arguments (still only when some file matches `include`)."),
    Key("hooks", "strings", ["pre-commit"], "The git hooks it runs in (`pre-commit` also "
        "runs in `pre-merge-commit`); what each passes: docs/guide.md, \"Other git hooks\".",
        choices=HOOKS),
)

TOP_KEYS = (
    *LINTER_KEYS,
    Key("target", "string", "auto", "Where the linters run; `auto` follows the detection "
        "rules (`hostlint detect` explains them).", choices=TARGETS),
    Key("advisory", "boolean", False, "true: linter findings are printed but never block the "
        "commit (never hides exit 2 or 3)."),
    Key("on_unavailable", "string", "fail", "When the target cannot be used: `fail` (exit 3), "
        "`skip` (warn, exit 0) or `local` (warn, run locally).", choices=ON_UNAVAILABLE),
    Key("connect_timeout", "number", 10, "Seconds to reach a remote target.", minimum=0.1,
        maximum=3600),
    Key("alive_timeout", "number", 30, "Seconds of silence from a remote target (keepalives "
        "unanswered) before it counts as lost.", minimum=1, maximum=86400),
    Key("jobs", "integer", None, "How many linters run at once (default: all of them).",
        minimum=1, maximum=1000),
    Key("persist", "integer", 600, "Seconds of idleness after which a warm connection (the "
        "background keeper of a remote target's SSH connection) ends; `0`: none is kept. "
        "`hostlint stop` ends them at once.", minimum=0, maximum=604800),
    Key("stash_unstaged", "boolean", True, "true: the linters see the staged content: unstaged "
        "changes to staged files are set aside for the run (saved in the git dir first) and put "
        "back afterwards. false: they lint the work tree as it is (a notice names such files)."),
    Key("vagrant", "table", None, "Vagrant target settings (below)."),
    Key("container", "table", None, "Container target settings (below)."),
    Key("ssh", "table", None, "SSH target settings (below)."),
    Key("linters", "table", None, "Named linters, `[tool.hostlint.linters.NAME]`, each with "
        "`command`, `include`, `exclude`, `pass_filenames`, `hooks`; they run in parallel."),
)

VAGRANT_KEYS = (
    Key("machine", "string", None, "Machine name, for multi-machine Vagrantfiles (default: "
        "the only machine with a record, else `default`)."),
    Key("root", "string", None, "Guest path of the repository root (default: the synced "
        "folder from Vagrant's record, else `/vagrant`, plus the repository's path inside it)."),
)

CONTAINER_KEYS = (
    Key("name", "string", None, "A container name or id. Without it (and without `service`), `auto` "
        "looks for the container the devcontainer CLI labelled for this repository."),
    Key("service", "string", None, "A Compose service of this repository's project: the container "
        "Compose labelled with this repository as its working directory (`name` wins if both are set)."),
    Key("engine", "string", None, "The engine's CLI (default: whichever is on PATH, docker first); "
        "`DOCKER_HOST` and contexts apply as the CLI applies them.", choices=("docker", "podman")),
    Key("root", "string", None, "The repository root inside the container (default: from the "
        "container's bind mounts)."),
    Key("user", "string", None, "The user the linters run as, as `exec --user` takes it (default: "
        "`remoteUser` of a dev container, else the container's user)."),
    Key("workdir", "string", None, "Where the command starts inside (default: `root`); file arguments "
        "are then absolute paths inside the container."),
)

SSH_KEYS = (
    Key("host", "string", None, "An alias from ~/.ssh/config, or `[user@]host[:port]`."),
    Key("root", "string", None, "Path of the repository root on that host (required with "
        "`host`)."),
)

SCHEMA: dict[str, tuple[Key, ...]] = {
    "": TOP_KEYS,
    "vagrant": VAGRANT_KEYS,
    "container": CONTAINER_KEYS,
    "ssh": SSH_KEYS,
    "linters.NAME": LINTER_KEYS,
}


class Linter(NamedTuple):
    name: str
    command: str
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    pass_filenames: bool = True
    hooks: tuple[str, ...] = ("pre-commit",)


class VagrantSettings(NamedTuple):
    machine: str | None = None
    root: str | None = None


class ContainerSettings(NamedTuple):
    name: str | None = None
    service: str | None = None
    engine: str | None = None
    root: str | None = None
    user: str | None = None
    workdir: str | None = None


class SshSettings(NamedTuple):
    host: str | None = None
    root: str | None = None


class Config(NamedTuple):
    """The effective settings of one check, after precedence has been applied."""

    source: str
    linters: tuple[Linter, ...]
    target: str = "auto"
    target_source: str = "default"
    advisory: bool = False
    on_unavailable: str = "fail"
    connect_timeout: float = 10.0
    alive_timeout: float = 30.0
    jobs: int | None = None
    persist: int = 600
    stash_unstaged: bool = True
    vagrant: VagrantSettings = VagrantSettings()
    container: ContainerSettings = ContainerSettings()
    ssh: SshSettings = SshSettings()


def load(root: str) -> Config:
    path, table = find(root)
    name = os.path.basename(path)
    where = "[tool.hostlint]" if name == "pyproject.toml" else "top level"
    _check_table(path, where, table, TOP_KEYS)
    vagrant = _subtable(path, table, "vagrant", VAGRANT_KEYS)
    container = _subtable(path, table, "container", CONTAINER_KEYS)
    ssh = _subtable(path, table, "ssh", SSH_KEYS)
    if ssh.get("host") is not None and ssh.get("root") is None:
        raise ConfigError(f"{path}: [tool.hostlint.ssh] has `host` but no `root`",
                          hint="set root = \"/path/of/the/repository/on/that/host\"")
    return Config(
        source=path,
        linters=_linters(path, table),
        target=table.get("target", "auto"),
        target_source=name if "target" in table else "default",
        advisory=table.get("advisory", False),
        on_unavailable=table.get("on_unavailable", "fail"),
        connect_timeout=float(table.get("connect_timeout", 10)),
        alive_timeout=float(table.get("alive_timeout", 30)),
        jobs=table.get("jobs"),
        persist=table.get("persist", 600),
        stash_unstaged=table.get("stash_unstaged", True),
        vagrant=VagrantSettings(**vagrant),
        container=ContainerSettings(**container),
        ssh=SshSettings(**ssh),
    )


def apply_overrides(
    config: Config, *, target: str | None, advisory: bool | None, env: Mapping[str, str]
) -> Config:
    """Precedence: command-line option > ``HOSTLINT_*`` environment > file > default."""
    changes: dict[str, Any] = {}
    if target is not None:
        changes.update(target=_choice("--target", target, TARGETS), target_source="--target")
    elif env.get("HOSTLINT_TARGET"):
        changes.update(target=_choice("HOSTLINT_TARGET", env["HOSTLINT_TARGET"], TARGETS),
                       target_source="HOSTLINT_TARGET")
    if advisory is not None:
        changes["advisory"] = advisory
    elif env.get("HOSTLINT_ADVISORY"):
        changes["advisory"] = env_flag("HOSTLINT_ADVISORY", env["HOSTLINT_ADVISORY"])
    return config._replace(**changes)


def env_flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{name}={value!r} is not a boolean", hint=f"set {name}=1 or {name}=0")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"{name}={value!r} is not allowed", hint=f"use one of: {', '.join(choices)}")
    return value


def _subtable(path: str, table: dict[str, Any], name: str, keys: tuple[Key, ...]) -> dict[str, Any]:
    _check_table(path, f"[tool.hostlint.{name}]", sub := table.get(name, {}), keys)
    return dict(sub)


def _linters(path: str, table: dict[str, Any]) -> tuple[Linter, ...]:
    defaults = {k.name: table[k.name] for k in LINTER_KEYS[1:] if k.name in table}
    named = table.get("linters")
    if named is not None and "command" in table:
        raise ConfigError(f"{path}: both `command` and [tool.hostlint.linters] are set",
                          hint="keep one: `command` is the shorthand for a single linter")
    if named is None:
        if "command" not in table:
            raise ConfigError(f"{path}: missing key `command`",
                              hint="set command = \"./tools/lint\" or add "
                              "[tool.hostlint.linters.NAME] tables")
        return (_linter(command_name(table["command"]), {**defaults, "command": table["command"]}),)
    if not named:
        raise ConfigError(f"{path}: [tool.hostlint.linters] is empty", hint="add a linter table")
    linters = []
    for name, body in named.items():
        _check_name(path, name)
        where = f"[tool.hostlint.linters.{name}]"
        _check_table(path, where, body, LINTER_KEYS)
        if "command" not in body:
            raise ConfigError(f"{path}: {where} is missing key `command`",
                              hint="set command = \"...\"")
        linters.append(_linter(name, {**defaults, **body}))
    return tuple(linters)


def command_name(command: str) -> str:
    """The name of the single `command` linter in messages: the command itself, whole words
    up to ``NAME_LENGTH`` characters, then ``…``."""
    name = ""
    for word in command.split():
        joined = f"{name} {word}" if name else word
        if len(joined) > NAME_LENGTH:
            return f"{name} …" if name else word[:NAME_LENGTH - 1] + "…"
        name = joined
    return name


def _check_name(path: str, name: str) -> None:
    """A linter's name is printed in headers and one-line messages and given to ``SKIP``."""
    if not name or name != name.strip() or "," in name or not name.isprintable():
        raise ConfigError(f"{path}: [tool.hostlint.linters] linter name {name!r} is not allowed",
                          hint="use a non-empty name of printable characters without commas or "
                          "surrounding spaces (SKIP=name,name must be able to name it)")


def _linter(name: str, body: dict[str, Any]) -> Linter:
    return Linter(
        name=name,
        command=body["command"],
        include=tuple(body.get("include", ["*"])),
        exclude=tuple(body.get("exclude", [])),
        pass_filenames=body.get("pass_filenames", True),
        hooks=tuple(body.get("hooks", ["pre-commit"])),
    )


def _check_table(path: str, where: str, table: Any, keys: tuple[Key, ...]) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    known = {key.name: key for key in keys}
    for name, value in table.items():
        key = known.get(name)
        if key is None:
            raise ConfigError(f"{path}: {where} unknown key {name!r}",
                              hint=f"allowed keys: {', '.join(known)}")
        if not _valid(key, value):
            raise ConfigError(f"{path}: {where} key {name!r} has {_tomltype(value)} "
                              f"{_shown(value)}", hint=f"allowed: {key.allowed()}")
        if name in ("include", "exclude"):
            _check_patterns(path, where, name, value)


def _check_patterns(path: str, where: str, name: str, patterns: list[str]) -> None:
    from hostlint.files import PatternError, compile_pattern

    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise ConfigError(f"{path}: {where} key {name!r} has an invalid pattern {pattern!r} "
                              f"({exc})", hint="fix the glob (a `[...]` range must go upwards; "
                              "classes are [:alpha:], [:digit:], [:space:], ...)") from None
        if set(pattern.strip("/").split("/")) & {"", ".", ".."}:
            raise ConfigError(f"{path}: {where} key {name!r} pattern {pattern!r} can never match "
                              "(git paths have no empty, `.` or `..` parts)",
                              hint="write paths from the repository root, e.g. src/*.py, not "
                              "./src/*.py")


def _valid(key: Key, value: Any) -> bool:
    if key.kind == "table":
        return isinstance(value, dict)
    if key.kind == "strings":
        return isinstance(value, list) and all(
            isinstance(item, str) and "\0" not in item
            and (not key.choices or item in key.choices) for item in value)
    if key.kind == "boolean":
        return isinstance(value, bool)
    if key.kind == "string":
        return isinstance(value, str) and "\0" not in value and (
            not key.choices or value in key.choices) and (
            key.name != "command" or bool(value.strip()))
    numeric = (int,) if key.kind == "integer" else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric) or not math.isfinite(value):
        return False
    return (key.minimum is None or value >= key.minimum) and (
        key.maximum is None or value <= key.maximum)


def _shown(value: Any) -> str:
    """A value as an error line shows it: short, and safe however deeply it nests."""
    import reprlib  # only on the way to an error

    shown = reprlib.Repr()
    shown.maxstring = shown.maxother = 80
    return shown.repr(value)


def _tomltype(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (str, "string"), (int, "integer"), (float, "float"),
                       (list, "array"), (dict, "table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def reference() -> str:
    """docs/configuration.md's key tables, generated from ``SCHEMA`` (a test keeps the
    document and the model equal: run ``python -m hostlint.config > docs/configuration.md``)."""
    titles = {"": "[tool.hostlint]", "vagrant": "[tool.hostlint.vagrant]",
              "container": "[tool.hostlint.container]",
              "ssh": "[tool.hostlint.ssh]", "linters.NAME": "[tool.hostlint.linters.NAME]"}
    out = [
        "# Configuration reference",
        "",
        "<!-- generated by `python -m hostlint.config`; edit hostlint/config.py, not this file -->",
        "",
        "`[tool.hostlint]` in `pyproject.toml` at the repository root, or the same keys at the top",
        "level of `.hostlint.toml` (which wins if both exist). Unknown keys and wrong types are",
        "errors (exit 2) naming the file, the key and what is allowed. Top-level `include`,",
        "`exclude`, `pass_filenames` and `hooks` are the defaults of every named linter.",
        "",
        "Precedence: command-line option > `HOSTLINT_*` environment variable (`HOSTLINT_TARGET`,",
        "`HOSTLINT_ADVISORY`, `HOSTLINT_COLOR`) > configuration file > default.",
    ]
    for section, keys in SCHEMA.items():
        out += ["", f"## `{titles[section]}`", "", "| key | type | default | meaning |",
                "| --- | --- | --- | --- |"]
        for key in keys:
            default = "—" if key.default is None else f"`{_toml_value(key.default)}`"
            allowed = key.allowed().replace("|", "\\|")
            out.append(f"| `{key.name}` | {allowed} | {default} | {key.doc} |")
    return "\n".join(out) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


if __name__ == "__main__":
    sys.stdout.write(reference())
