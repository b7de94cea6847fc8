"""Use cases that hand a plan on: export it for a video editor (with its subtitles and, for a
synthesised narration, the voice track beside it) and draw its storyboard page (with the
next best shots the index offers).

Place in the flow: layer 5, above ``wam.export`` and ``wam.storyboard``; the CLI, ``wam.batch``
and ``wam.studio`` call these.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wam.core.config import DEFAULT_ALTERNATIVES, DEFAULT_K

if TYPE_CHECKING:
    from wam.core.timeline import Timeline
    from wam.export import ExportResult


def _ignore(message: str) -> None:
    pass


def export_cut(timeline: Timeline, output: str | os.PathLike, fmt: str | None = None, *,
               music: str | None = None, srt: str | os.PathLike | None = None, inputs: Iterable = (),
               sources: Iterable[str] = (), warn: Callable[[str], None] = _ignore) -> ExportResult:
    """Write ``timeline`` for an editor to ``output`` in ``fmt`` (an ``EXPORT_FORMATS`` name;
    None: from the extension), ``music`` on an audio track, and its SubRip subtitles to ``srt``.
    A synthesised narration is copied beside ``output``: that copy is refused first (a usage
    error) if it would overwrite one of ``inputs`` / ``sources`` (``wam.app.outputs.check_output``)."""
    from wam.app.outputs import check_output
    from wam.export import export_timeline, narration_copy_path, write_text
    from wam.render.subtitles import srt_text

    if timeline.narration is not None and timeline.narration.kind == "voice":  # its track is copied beside it
        check_output(narration_copy_path(output), inputs=[*inputs, output, srt], sources=list(sources))
    result = export_timeline(timeline, output, fmt, music=music, warn=warn)
    if srt:
        write_text(srt, srt_text(timeline))
    return result


def storyboard_page(timeline: Timeline, *, title: str, alternatives: int = DEFAULT_ALTERNATIVES,
                    k: int = DEFAULT_K, libraries: Iterable[str] = (),
                    warn: Callable[[str], None] = _ignore) -> str:
    """The storyboard of ``timeline`` as one self-contained HTML page, with up to ``alternatives``
    next best shots per sentence from the index (of ``k`` candidates, in ``libraries``; none,
    with a warning, when the index cannot give them)."""
    from wam.core.errors import WamError
    from wam.storyboard import storyboard_html

    alts = None
    if alternatives:
        from wam.app.alternatives import next_best

        try:
            alts = next_best(timeline, count=alternatives, k=k, libraries=list(libraries))
        except WamError as exc:
            warn(f"no alternatives shown: {exc}")
    return storyboard_html(timeline, title=title, alternatives=alts, warn=warn)
