"""How a timeline is rendered: ``RenderOptions`` (output size, framing, encoder settings,
subtitles, audio, transitions), every default from ``wam.core.config``.

Place in the flow: made by the CLI, the batch and the studio from their options (or by
``RenderOptions.for_plan``), read by every step of a render (``renderer``, ``segments``,
``segment_graph``, ``frames``); a segment's key holds its picture fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from wam.core.config import (
    CROSSFADE_SECONDS,
    DEFAULT_CRF,
    DEFAULT_FIT,
    DEFAULT_HEIGHT,
    DEFAULT_PRESET,
    DEFAULT_WIDTH,
    FADE_SECONDS,
    MIN_SIDE,
    PREVIEW_CRF,
    PREVIEW_PRESET,
    PREVIEW_SCALE,
)
from wam.core.timeline import Timeline


@dataclass(frozen=True)
class RenderOptions:
    """How to render: output size, framing, encoder settings, subtitles, audio, transitions.

    ``RenderOptions.for_plan(timeline)`` gives the options for rendering a timeline at its own size.
    """

    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    fit: str = DEFAULT_FIT  # a FIT_MODES name: "cover" (crop to fill) or "contain" (letterbox)
    preset: str = DEFAULT_PRESET
    crf: int = DEFAULT_CRF
    subtitles: bool = True
    words: bool = False  # highlight the word being spoken (needs a narrated plan)
    keep_audio: bool = False
    music: str | None = None
    crossfade: float = CROSSFADE_SECONDS  # at paragraph boundaries (≤ MAX_CROSSFADE_SECONDS)
    fade: float = FADE_SECONDS  # from black at the start, to black at the end
    threads: int | None = None
    progress: bool = False

    @classmethod
    def for_plan(cls, timeline: Timeline, *, size: tuple[int, int] | None = None, preview: bool = False,
                 **settings) -> RenderOptions:
        """Options to render ``timeline``: at its own size unless ``size`` says otherwise (made
        even for yuv420p); ``preview`` gives a fast draft (``PREVIEW_SCALE`` of the size,
        ``PREVIEW_PRESET``, ``PREVIEW_CRF``).
        ``settings`` are any other fields (``fit``, ``subtitles``, ``music`` …)."""
        width, height = size or (timeline.width, timeline.height)
        width, height = width - width % 2, height - height % 2
        if preview:  # smaller, but never below the smallest output (MIN_SIDE), keeping the shape
            scale = min(1.0, max(PREVIEW_SCALE, MIN_SIDE / max(1, min(width, height))))
            width, height = (max(MIN_SIDE, int(side * scale) // 2 * 2) for side in (width, height))
            settings.update(preset=PREVIEW_PRESET, crf=PREVIEW_CRF)
        return cls(width=width, height=height, **settings)
