"""Glue shared by the commands that hand a cut on (``export``, ``storyboard``): the clips of a
PLAN_OR_STORY argument (a saved plan: ``wam.app.is_plan_file``), where the subtitles go, and
the check that the output may be written."""

from __future__ import annotations

import os

from wam.app.planning import is_plan_file


def plan_sources(source: str) -> list[str]:
    """The clips a saved plan SOURCE reads (protected with their sidecars); [] for a story."""
    if not is_plan_file(source):
        return []
    from wam.core.timeline import read_plan

    return sorted({c.source for c in read_plan(source).cuts()})


def subtitles_beside(output: str) -> str | None:
    """Where the SubRip subtitles of an export to ``output`` go: OUTPUT with ``.srt``; None when
    ``output`` is a device or a FIFO (``/dev/stdout``: nothing can be beside it)."""
    from wam.core.fileio import is_stream

    return None if is_stream(output) else os.path.splitext(output)[0] + ".srt"


def check_output(output: str, inputs: list[str], sources: list[str] = ()) -> None:
    """Refuse, before any work, an output that is an input of the run, a clip of the saved
    plan or its sidecar, lies inside an indexed library or the index folder, or is an
    indexed clip under another name (``wam.app.outputs.check_output``: a usage error, exit 2)."""
    from wam.app.outputs import check_output as refuse_unsafe

    refuse_unsafe(output, inputs=inputs, sources=sources)
