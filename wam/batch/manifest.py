"""Batch manifests (``--manifest jobs.jsonl``): one JSON object per line naming a story (a
file, inline text or a saved plan), its output and any per-job options, read and checked
before any job starts. Every problem is a UsageError naming the line.

manifest file → ``ManifestLine`` list (raw options) → the command turns each into a ``Job``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from wam.core.config import MAX_JSON_BYTES
from wam.core.errors import InputError, UsageError, one_line
from wam.core.textfile import parse_json, read_text

#: Keys of a manifest line that say what the job is; every other key is a per-job option.
JOB_KEYS = ("story", "text", "plan", "output")


@dataclass(frozen=True)
class ManifestLine:
    """One job of a manifest: its line number, what it reads and writes (paths made absolute
    against the manifest's folder) and its other keys as given (per-job options)."""

    line: int
    story: str | None
    text: str | None
    plan: str | None
    output: str | None
    options: dict[str, Any]


class ManifestProblem(UsageError):
    """A manifest line that cannot be used (the message names the file and the line)."""


def read_manifest(path: str, *, plans: bool = True) -> tuple[str, list[ManifestLine]]:
    """The folder relative paths are read against and the jobs of the manifest at ``path``
    (``-``: standard input, paths relative to the current folder). ``plans``: whether a line
    may name a saved plan (``"plan"``). Blank lines are ignored."""
    name = "standard input" if path == "-" else path
    try:
        text = read_text(path, what="the manifest", limit=MAX_JSON_BYTES, error=InputError)
        base = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
    except UnicodeDecodeError:
        raise UsageError(f"cannot read the manifest {name}: it is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"cannot read the manifest {name} ({exc.strerror or exc})") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            lines.append(_parse_line(raw, number, name, base, plans))
    if not lines:
        raise UsageError(f"the manifest {name} holds no jobs (one JSON object per line)")
    return base, lines


def manifest_error(name: str, line: int, message: str) -> ManifestProblem:
    return ManifestProblem(f"{name} line {line}: {message}")


def _parse_line(raw: str, number: int, name: str, base: str, plans: bool) -> ManifestLine:
    def bad(message: str) -> ManifestProblem:
        return manifest_error(name, number, message)

    try:
        entry = parse_json(raw)
    except ValueError as exc:
        raise bad(f"not valid JSON ({one_line(exc, 100)})") from None
    if not isinstance(entry, dict):
        raise bad('each line must be a JSON object, e.g. {"story": "a.txt", "output": "a.mp4"}')
    for key in JOB_KEYS:
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            raise bad(f'"{key}" must be a non-empty string')
    given = [k for k in ("story", "text", "plan") if k in entry]
    if not plans and "plan" in given:
        raise bad('"plan" is not used by this command; name a saved plan as "story"')
    if len(given) != 1:
        what = '"story" (a file), "text" (the story itself)' + (' or "plan" (a saved plan)' if plans else "")
        raise bad(f"give exactly one of {what}" + (f", not {' and '.join(given)}" if given else ""))

    def path(key: str) -> str | None:
        value = entry.get(key)
        return None if value is None else os.path.abspath(os.path.join(base, os.path.expanduser(value)))

    for key in ("story", "plan"):
        p = path(key)
        if p is not None and not os.path.isfile(p):
            raise bad(f'{key} file {entry[key]} does not exist'
                      + (f" (read as {p})" if p != entry[key] else ""))
    return ManifestLine(line=number, story=path("story"), text=entry.get("text"), plan=path("plan"),
                        output=path("output"), options={k: v for k, v in entry.items() if k not in JOB_KEYS})
