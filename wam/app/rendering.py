"""Use case: render a plan. ``RenderSettings`` become the renderer's ``RenderOptions`` for a
plan (its own size unless the settings give one; a saved plan's talk shown the way the
settings say), the segments come from and go to the user's render cache (reused across
renders, the CLI's, a batch's and the studio's alike), and the plan is kept as the previous
plan of its output for the next stable re-plan.

Place in the flow: layer 5, above ``wam.render`` (timeline → MP4); the CLI, ``wam.batch`` (in
its render workers) and ``wam.studio`` call these.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from wam.core.settings import RenderSettings

if TYPE_CHECKING:
    from wam.core.timeline import Timeline
    from wam.render.options import RenderOptions
    from wam.render.renderer import RenderResult
    from wam.render.segment_cache import RenderCache


def _ignore(message: str) -> None:
    pass


def render_options(timeline: Timeline, settings: RenderSettings | None = None) -> RenderOptions:
    """The renderer's options for ``timeline`` with ``settings`` (default: every option at its
    default, at the plan's own size)."""
    from wam.render.options import RenderOptions

    s = settings if settings is not None else RenderSettings()
    return RenderOptions.for_plan(timeline, size=s.size, preview=s.preview, fit=s.fit, preset=s.preset,
                                  crf=s.crf, subtitles=s.subtitles != "none", words=s.subtitles == "words",
                                  keep_audio=s.keep_audio, music=s.music, threads=s.threads,
                                  progress=s.progress)


def user_render_cache(warn: Callable[[str], None] = _ignore) -> RenderCache | None:
    """The user's render cache, or None (with a warning) when it cannot be used."""
    from wam.core.errors import WamError
    from wam.render.segment_cache import RenderCache

    try:
        return RenderCache.default().ensure()
    except WamError as exc:
        warn(f"{exc}; rendering without the cache")
        return None


def with_talk_mode(timeline: Timeline, mode: str | None, warn: Callable[[str], None] = _ignore) -> Timeline:
    """``timeline`` with its speaker shown the ``mode`` way (``--a-roll-mode`` on a saved plan;
    None: as planned); a plan without a talk as it is, with a warning."""
    if mode is None:
        return timeline
    if timeline.a_roll is None:
        warn("--a-roll-mode ignored: the plan has no talk under it (plan with --a-roll)")
        return timeline
    return replace(timeline, a_roll=dict(timeline.a_roll, mode=mode))


def render_plan(timeline: Timeline, output: str | os.PathLike, settings: RenderSettings | None = None, *,
                warn: Callable[[str], None] = _ignore, cache: RenderCache | None | bool = None,
                srt: str | os.PathLike | None = None, report: Callable[[int, int], None] | None = None,
                keep_plan: bool = True) -> RenderResult:
    """Render ``timeline`` to the video ``output`` with ``settings`` (and its subtitles to
    ``srt``, put in place with the video). ``cache``: a ``RenderCache``; None: the user's (none,
    with a warning, when it cannot be used); False: none (every segment encoded in a folder
    removed afterwards). With ``keep_plan`` (and a cache) the plan is kept as ``output``'s
    previous plan. ``report(done, total)`` hears the frames encoded so far."""
    from wam.render.renderer import render_timeline

    s = settings if settings is not None else RenderSettings()
    timeline = with_talk_mode(timeline, s.a_roll_mode, warn)
    if cache is None:
        cache = user_render_cache(warn)
    cache = cache or None
    result = render_timeline(timeline, output, render_options(timeline, s), warn=warn, cache=cache, srt=srt,
                             report=report)
    if cache is not None and keep_plan:
        cache.save_plan(output, timeline)
    return result
