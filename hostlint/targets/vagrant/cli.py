"""Asking the Vagrant CLI (slow: it boots Ruby, seconds): ``ssh-config`` on a cold cache, and
``status`` to explain a failure. The only module that imports python-vagrant."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO, Any

from hostlint.environment import which
from hostlint.errors import TargetUnavailable
from hostlint.targets.vagrant.plan import Plan
from hostlint.typing_lite import NamedTuple

#: Vagrant's machine states that mean "not running", with what to do.
ADVICE = {
    "poweroff": "run `vagrant up`",
    "saved": "run `vagrant up` (or `vagrant resume`)",
    "suspended": "run `vagrant resume`",
    "paused": "run `vagrant resume`",
    "aborted": "run `vagrant up`",
    "not_created": "run `vagrant up` to create it",
    "inaccessible": "check the provider (e.g. VirtualBox) and run `vagrant status`",
    "frozen": "run `vagrant up`",
    "stopped": "run `vagrant up`",
    "shutoff": "run `vagrant up`",
}


def _vagrant(plan: Plan, environ: Mapping[str, str]) -> tuple[Any, IO[bytes]]:
    if which("vagrant", environ) is None:
        raise TargetUnavailable("`vagrant` is not installed or not on PATH",
                                hint="install Vagrant, or set target = \"ssh\" with the guest's "
                                "address")
    with _quiet_logging():
        import vagrant  # python-vagrant warns through logging when vagrant is missing

    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    client = vagrant.Vagrant(  # type: ignore[no-untyped-call]  # python-vagrant is untyped
        root=str(plan.project.root), env=dict(environ), err_cm=lambda: contextlib.nullcontext(errors))
    return client, errors


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    import logging

    logger = logging.getLogger("vagrant")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def ask_ssh_config(plan: Plan, environ: Mapping[str, str]) -> str:
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            return str(client.ssh_config(vm_name=plan.machine))
        except Exception:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()
    raise unavailable(plan, environ, detail=detail[0] if detail else None)


class State(NamedTuple):
    id: str  # `running`, `poweroff`, `stopped`, `not_created`, ...
    words: str  # what `vagrant status` shows for it: `not created`


def state(plan: Plan, environ: Mapping[str, str]) -> State | None:
    """``vagrant status --machine-readable``: the machine's state, or None if Vagrant fails."""
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            output = client._run_vagrant_command(["status", "--machine-readable", plan.machine])
        except Exception:
            return None
    return parse_status(str(output), plan.machine)


def parse_status(output: str, machine: str) -> State | None:
    """The ``state`` and ``state-human-short`` lines of ``machine`` (``%!(VAGRANT_COMMA)``
    decoded)."""
    fields: dict[str, str] = {}
    for line in output.splitlines():
        parts = line.split(",", 3)
        if len(parts) == 4 and parts[1] == machine:
            fields.setdefault(parts[2], parts[3].replace("%!(VAGRANT_COMMA)", ","))
    if not fields.get("state"):
        return None
    words = fields.get("state-human-short") or fields["state"].replace("_", " ")
    return State(fields["state"], words)


def not_running(plan: Plan, current: State, *, note: str = "") -> TargetUnavailable:
    advice = ADVICE.get(current.id, "run `vagrant up`")
    return TargetUnavailable(f"{plan.label} is {current.words}: {advice}{note}")


def unavailable(plan: Plan, environ: Mapping[str, str], *, detail: str | None = None,
                cause: TargetUnavailable | None = None, note: str = "") -> TargetUnavailable:
    """The one line explaining why the machine cannot be used."""
    current = state(plan, environ)
    if current is not None and current.id != "running":
        return not_running(plan, current, note=note)
    if cause is not None:
        return cause
    return TargetUnavailable(f"vagrant could not give the ssh settings of {plan.label}"
                             + (f": {detail}" if detail else ""),
                             hint="run `vagrant ssh-config " + plan.machine + "` to see why")
