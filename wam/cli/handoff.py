"""Glue shared by the commands that hand a cut on (``export``, ``storyboard``): the
PLAN_OR_STORY argument (a saved ``wam.timeline`` plan, or a story planned as ``wam plan``
would) and the check that the output may be written."""

from __future__ import annotations

import os

PLAN_SUFFIXES = (".json",)


def is_plan_file(path: str) -> bool:
    """A saved plan: a ``.json`` file, or any file holding a JSON object (a story never starts with ``{``)."""
    if path == "-" or not os.path.isfile(path):
        return False
    if path.lower().endswith(PLAN_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    if not head.startswith(b"{"):
        return False
    from wam.config import MAX_JSON_BYTES
    from wam.errors import InputError
    from wam.textfile import parse_json, read_text

    try:
        text = read_text(path, what="the plan", limit=MAX_JSON_BYTES, error=InputError)
        return isinstance(parse_json(text), dict)
    except (OSError, ValueError, InputError):
        return False


def load_cut(source: str, *, size, fps, warn, music: str | None = None, **planning):
    """The timeline of SOURCE: the saved plan it holds, or its story planned with ``planning``
    (and on the beats of ``music``)."""
    if is_plan_file(source):
        from wam.timeline import read_plan

        timeline = read_plan(source)
        for w in timeline.warnings:
            warn(w)
        return timeline
    from wam.cli.options import plan_from_options

    return plan_from_options(source, size=size, fps=fps, warn=warn, music=music, **planning)


def plan_sources(source: str) -> list[str]:
    """The clips a saved plan SOURCE reads (protected with their sidecars); [] for a story."""
    if not is_plan_file(source):
        return []
    from wam.timeline import read_plan

    return sorted({c.source for c in read_plan(source).cuts()})


def subtitles_beside(output: str) -> str | None:
    """Where the SubRip subtitles of an export to ``output`` go: OUTPUT with ``.srt``; None when
    ``output`` is a device or a FIFO (``/dev/stdout``: nothing can be beside it)."""
    from wam.fileio import is_stream

    return None if is_stream(output) else os.path.splitext(output)[0] + ".srt"


def check_output(output: str, inputs: list[str], sources: list[str] = ()) -> None:
    """Refuse, before any work, an output that is an input of the run, a clip of the saved
    plan or its sidecar, lies inside an indexed library or the index folder, or is an
    indexed clip under another name (``wam.outputs.check_output``: a usage error, exit 2)."""
    from wam.outputs import check_output as refuse_unsafe

    refuse_unsafe(output, inputs=inputs, sources=sources)
