"""Glue shared by the commands that hand a cut on (``export``, ``storyboard``): the
PLAN_OR_STORY argument (a saved ``wam.timeline`` plan, or a story planned as ``wam plan``
would) and the check that the output may be written."""

from __future__ import annotations

import json
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
    try:
        with open(path, encoding="utf-8") as f:
            return isinstance(json.load(f), dict)
    except (OSError, ValueError):
        return False


def load_cut(source: str, *, size, fps, warn, **planning):
    """The timeline of SOURCE: the saved plan it holds, or its story planned with ``planning``."""
    if is_plan_file(source):
        from wam.timeline import read_plan

        timeline = read_plan(source)
        for w in timeline.warnings:
            warn(w)
        return timeline
    from wam.cli.options import plan_from_options

    return plan_from_options(source, size=size, fps=fps, warn=warn, **planning)


def check_output(output: str, inputs: list[str]) -> None:
    """Refuse an output path that is one of the run's inputs (WamError), before any work.

    ISSUE 13 (item 1): replace the body with the shared library check (likely in
    ``wam/outputs.py``) that also refuses files inside an indexed library, when it lands.
    This is its single call site for ``export`` and ``storyboard``."""
    from wam.errors import WamError

    target = os.path.realpath(output)
    for path in inputs:
        if path and path != "-" and os.path.realpath(path) == target:
            raise WamError(f"refusing to overwrite the input {path}; choose another output name")
