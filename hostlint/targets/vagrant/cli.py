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


def state(plan: Plan, environ: Mapping[str, str]) -> str | None:
    """``vagrant status --machine-readable``: the machine's state, or None if Vagrant fails."""
    client, errors = _vagrant(plan, environ)
    with errors:
        try:
            statuses = client.status(vm_name=plan.machine)
        except Exception:
            return None
    for status in statuses:
        if status.name == plan.machine:
            return str(status.state)
    return None


def unavailable(plan: Plan, environ: Mapping[str, str], *, detail: str | None = None,
                cause: TargetUnavailable | None = None) -> TargetUnavailable:
    """The one line explaining why the machine cannot be used."""
    current = state(plan, environ)
    if current is not None and current != "running":
        advice = ADVICE.get(current, "run `vagrant up`")
        return TargetUnavailable(f"{plan.label} is {current}: {advice}")
    if cause is not None:
        return cause
    return TargetUnavailable(f"vagrant could not give the ssh settings of {plan.label}"
                             + (f": {detail}" if detail else ""),
                             hint="run `vagrant ssh-config " + plan.machine + "` to see why")
