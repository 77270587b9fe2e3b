"""What Vagrant keeps on disk about a project, read without running Vagrant: the project
root, each machine's record under ``.vagrant/machines/<name>/<provider>/`` and its synced
folders, and which machine a check means. Detection and the Vagrant target both read it, so
it sits below both; detection reads it on every check, so it stays small and imports nothing
heavy."""

from __future__ import annotations

import os
from collections.abc import Mapping

from hostlint.errors import UsageError
from hostlint.fsutil import inside, read_bytes
from hostlint.typing_lite import NamedTuple

DEFAULT_GUEST_ROOT = "/vagrant"


class Machine(NamedTuple):
    name: str
    provider: str
    path: str  # .vagrant/machines/<name>/<provider>

    @property
    def id(self) -> str:
        """The provider's id (bytes that are not UTF-8 kept as surrogate escapes, so they
        still change the cache key); empty once the machine is destroyed (Vagrant deletes ``id``
        and leaves the directory)."""
        try:
            data = read_bytes(os.path.join(self.path, "id"))
        except OSError:
            return ""
        return data.decode("utf-8", "surrogateescape").strip()

    @property
    def created(self) -> bool:
        return bool(self.id)

    def synced_folders(self) -> dict[str, dict[str, dict[str, object]]]:
        import json  # only beside a Vagrantfile

        try:
            with open(os.path.join(self.path, "synced_folders")) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def key(self, vagrantfile: str) -> str:
        """Changes whenever Vagrant may have moved the machine: a new id, provider,
        Vagrantfile, or an ``up``/``reload`` (which rewrites ``synced_folders``)."""
        try:
            mtime = os.stat(os.path.join(self.path, "synced_folders")).st_mtime_ns
        except OSError:
            mtime = 0
        import json

        return json.dumps([self.id, self.provider, vagrantfile, mtime])


class Project(NamedTuple):
    root: str
    vagrantfile: str
    machines: tuple[Machine, ...]

    def machine(self, name: str) -> Machine | None:
        """The machine's record: a created one first (a provider used before may have left
        an empty directory)."""
        records = [m for m in self.machines if m.name == name]
        return next((m for m in records if m.created), records[0] if records else None)


def find_project(repo_root: str, environ: Mapping[str, str]) -> Project | None:
    """The Vagrant project that holds ``repo_root`` (``VAGRANT_CWD`` and
    ``VAGRANT_VAGRANTFILE`` honoured), with every machine that has a record."""
    name = environ.get("VAGRANT_VAGRANTFILE") or "Vagrantfile"
    if environ.get("VAGRANT_CWD"):
        candidates = [os.path.realpath(os.path.expanduser(environ["VAGRANT_CWD"]))]
    else:
        candidates = _ancestors(os.path.realpath(repo_root))
    for directory in candidates:
        vagrantfile = os.path.join(directory, name)
        if os.path.isfile(vagrantfile):
            return Project(directory, vagrantfile, tuple(_machines(directory)))
    return None


def _ancestors(path: str) -> list[str]:
    """``path`` and each directory above it, up to ``/``."""
    found = [path]
    while (parent := os.path.dirname(found[-1])) != found[-1]:
        found.append(parent)
    return found


def _machines(root: str) -> list[Machine]:
    """Every ``.vagrant/machines/<name>/<provider>/`` directory: created machines have an
    ``id``; a destroyed (or never created) one is still a machine of the project."""
    base = os.path.join(root, ".vagrant", "machines")
    return [Machine(name, provider, path) for name in _listdir(base)
            for provider in _listdir(os.path.join(base, name))
            if os.path.isdir(path := os.path.join(base, name, provider))]


def _listdir(directory: str) -> list[str]:
    """The sorted names in ``directory``, hidden ones too (as pathlib's ``glob``), or none."""
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def guest_root(project: Project, machine: Machine | None, repo_root: str) -> tuple[str, str]:
    """The repository's path in the guest, and where that came from: the machine's synced
    folder record, or before the first ``vagrant up`` (no record), the Vagrantfile's lines."""
    repo = os.path.realpath(repo_root)
    if machine is not None:
        pairs = [(folder.get("hostpath"), folder.get("guestpath"), "")
                 for folders in machine.synced_folders().values() if isinstance(folders, dict)
                 for folder in folders.values()
                 if isinstance(folder, dict) and not folder.get("disabled")]
        source = f"synced folder record {os.path.join(machine.path, 'synced_folders')}"
    else:
        pairs = [(h, g, f" line {n}") for h, g, n in vagrantfile_folders(project.vagrantfile)]
        source = project.vagrantfile
    best: tuple[int, str, str] | None = None
    for host, guest, where in pairs:
        if not isinstance(host, str) or not isinstance(guest, str) or "\0" in host + guest:
            continue  # not a folder Vagrant could have synced
        hostpath = os.path.realpath(os.path.join(project.root, os.path.expanduser(host)))
        within = inside(repo, hostpath)
        if within is not None and (best is None or len(hostpath) > best[0]):
            best = (len(hostpath), _guest_path(guest, within), where)
    if best is not None:
        return best[1], source + best[2]
    project_root = os.path.realpath(project.root)
    within = inside(repo, project_root)
    if within is None:
        raise UsageError(f"the repository {repo} is not inside the Vagrant project {project_root} "
                         "(VAGRANT_CWD?) and no synced folder covers it",
                         hint="set [tool.hostlint.vagrant] root to the repository's path in the guest")
    return (_guest_path(DEFAULT_GUEST_ROOT, within),
            "default (/vagrant; no synced folder record covers the repository)")


def _guest_path(guest: str, within: str) -> str:
    """The guest's path of a host directory ``within`` a synced folder (relative to it),
    without empty or ``.`` parts (as ``PurePosixPath``: ``/srv//proj`` is ``/srv/proj``)."""
    if not within:
        return guest
    parts = [part for part in f"{guest}/{within}".split("/") if part not in ("", ".")]
    return ("/" if guest.startswith("/") else "") + "/".join(parts)


#: ``config.vm.synced_folder "HOST", "GUEST"`` (or ``web.vm...``, single quotes, parentheses).
#: Patterns as text, compiled (and cached by ``re``) only when a Vagrantfile is read.
_SYNCED_FOLDER = (r"""^\s*\w+\.vm\.synced_folder\s*\(?\s*"""
                  r"""(["'])([^"']*)\1\s*,\s*(["'])([^"']*)\3(.*)$""")
_DISABLED = r"(?:\bdisabled:|:disabled\s*=>)\s*true\b"


def vagrantfile_folders(vagrantfile: str) -> list[tuple[str, str, int]]:
    """The synced folders a Vagrantfile declares, as (host, guest, line number), read as text:
    lines of the plain form only; Ruby is never run, so a path built by interpolation
    (``#{...}``) or a disabled folder is left out."""
    import re  # only beside a Vagrantfile

    try:
        with open(vagrantfile, errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(_SYNCED_FOLDER, line)
        if match is None or "#{" in line.split("#", 1)[0] + match.group(2) + match.group(4):
            continue
        if not re.search(_DISABLED, match.group(5).split("#", 1)[0]):
            found.append((match.group(2), match.group(4), number))
    return found


def machine_name(project: Project | None, configured: str | None) -> str:
    """The configured machine, else the only machine with a record, else ``default``."""
    if configured:
        return configured
    names = sorted({m.name for m in project.machines}) if project else []
    if len(names) > 1:
        raise several_machines(project, names)
    return names[0] if names else "default"


def several_machines(project: Project | None, names: list[str]) -> UsageError:
    return UsageError(
        f"the Vagrant project {project.root if project else ''} has several machines: "
        f"{', '.join(names)}",
        hint="choose one with [tool.hostlint.vagrant] machine = \"NAME\"",
    )


def rsync_folder(machine: Machine, repo_root: str) -> str | None:
    """The guest path of a Vagrant ``rsync`` synced folder that holds ``repo_root``, from the
    machine record's ``synced_folders`` (its top-level keys are the folder types). Such a
    guest sees the work tree as of the last ``vagrant rsync``, not the content set out here."""
    folders = machine.synced_folders().get("rsync") or {}
    repo = os.path.realpath(repo_root)
    for folder in folders.values() if isinstance(folders, dict) else ():
        host = folder.get("hostpath") if isinstance(folder, dict) else None
        if isinstance(host, str) and "\0" not in host and not folder.get("disabled") and \
                inside(repo, os.path.realpath(host)) is not None:
            return str(folder.get("guestpath"))
    return None


def rsync_note(guest: str) -> str:
    return (f"the synced folder {guest} is of type rsync: the guest lints its copy as of the "
            "last `vagrant rsync`, not the content this commit records; run `vagrant rsync` "
            "first (or keep `vagrant rsync-auto` running), or use a shared folder type")
