"""The lines a check says about itself beside the linters' output: where the linters run,
why none runs, and what the target's shell meant by 126 or 127. Each is one line; the
target supplies its own words (``Target.where``, ``Target.path_hint``)."""

from __future__ import annotations

from collections.abc import Sequence

from hostlint.status import RunResult


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def where(files: int, linters: int | None, target: str) -> str:
    """``3 files, 2 linters → ssh devbox:/srv/proj`` (``linters`` None: a single command)."""
    counted = plural(files, "file") + (f", {plural(linters, 'linter')}" if linters else "")
    return f"{counted} → {target}"


def shell_failure(name: str, result: RunResult, where: str, path_hint: str) -> str | None:
    """One line when the shell, not the linter, failed (127: not found, 126: not executable)."""
    what = result.not_run
    if what is None:
        return None
    return (f"{name}: {what} on {where} (exit {result.returncode}); check `command` and "
            f"{path_hint}")


def nothing_run(names: Sequence[str], kind: str, skipped: Sequence[tuple[str, str]],
                everyone: bool) -> str:
    """Why no linter runs: no files (``kind``: staged, pushed, tracked or given), none that
    any linter takes, or ``skipped`` linters (name, by what); ``everyone``: every linter was
    skipped."""
    if not names:
        return ("nothing to lint: no tracked files under the paths given" if kind == "given"
                else f"nothing to lint: no files are {kind}")
    some = (f"the {plural(len(names), 'file')} given" if kind == "given"
            else f"the {len(names)} {kind} file{'' if len(names) == 1 else 's'}")
    if len(names) <= 3:
        some += f" ({', '.join(names)})"
    if not skipped:
        return f"nothing to lint: no linter takes {some}; see each linter's include and exclude"
    reasons = dict.fromkeys(why for _, why in skipped)
    by = "; ".join(", ".join(name for name, w in skipped if w == why) + f" by {why}"
                   for why in reasons)
    if everyone:
        return f"nothing run: every linter was skipped ({by})"
    return f"nothing run: skipped {by}; no other linter takes {some}"
