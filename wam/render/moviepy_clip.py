"""The cut as a moviepy 2.x ``VideoClip`` (``wam.to_moviepy``), for people who compose their
own video in moviepy: layer it, trim it, add titles, write it themselves.

Its frames are the ones ``wam render`` encodes, made by the same ``frames.FrameSource`` (per-cut
ffmpeg decoding to the output size, paragraph cross-fades, fades, optional subtitles),
converted from I420 to RGB (BT.709, limited range, as the MP4 is tagged); its audio is the
render's audio track. Nothing is decoded until a frame is asked for.
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_FIT
from wam.core.errors import WamError
from wam.core.timeline import Timeline
from wam.render.frames import FrameSource
from wam.render.options import RenderOptions
from wam.render.renderer import missing_sources


def as_timeline(plan) -> Timeline:
    """A Timeline from a Timeline, a plan file path, or a ``wam.timeline/1`` dict."""
    from wam.core.timeline import read_plan, timeline_from_dict

    if isinstance(plan, Timeline):
        return plan
    if isinstance(plan, (str, os.PathLike)):
        return read_plan(Path(plan))
    if isinstance(plan, dict):
        return timeline_from_dict(plan)
    raise TypeError(f"expected a Timeline, a plan file or a plan dict, not {type(plan).__name__}")


def i420_to_rgb(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """A flat I420 frame (BT.709, limited range) as an (h, w, 3) uint8 RGB image."""
    n = width * height
    y = frame[:n].reshape(height, width).astype(np.float32)
    u = frame[n : n + n // 4].reshape(height // 2, width // 2).astype(np.float32)
    v = frame[n + n // 4 : n + n // 2].reshape(height // 2, width // 2).astype(np.float32)
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)
    yy = (y - 16.0) * (255.0 / 219.0)
    cb = (u - 128.0) * (255.0 / 224.0)
    cr = (v - 128.0) * (255.0 / 224.0)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = yy + 1.5748 * cr
    rgb[..., 1] = yy - 0.187324 * cb - 0.468124 * cr
    rgb[..., 2] = yy + 1.8556 * cb
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def to_moviepy(plan, *, size: tuple[int, int] | None = None, fit: str = DEFAULT_FIT, subtitles: bool = True,
               keep_audio: bool = False, music: str | None = None):
    """The montage of ``plan`` (a Timeline, a plan JSON path or dict) as a moviepy ``VideoClip``.

    ``size``: (width, height), default the plan's; ``fit``: "cover" or "contain";
    ``subtitles``: burn in the sentences; ``keep_audio``: the clips' own sound;
    ``music``: a sound file laid under it. Its ``fps`` is the plan's. Call ``close()`` when done.
    """
    from wam.render.audio import audio_track

    timeline = as_timeline(plan)
    if not timeline.sentences:
        raise WamError("the plan has no sentences: nothing to show")
    gone = missing_sources(timeline)
    if gone:
        raise WamError(f"source clip missing since indexing: {gone[0]}"
                       + (f" (and {len(gone) - 1} more)" if len(gone) > 1 else "")
                       + "; run `wam index` again and re-plan")
    opts = RenderOptions.for_plan(timeline, size=size, fit=fit, subtitles=subtitles, keep_audio=keep_audio,
                                  music=music)

    track, opened = audio_track(timeline, keep_audio=keep_audio, music=music)
    frames = _Frames(timeline, opts)
    clip = _clip_class()(duration=timeline.duration)  # no frame_function yet: nothing decodes now
    clip.frame_function = frames.at
    clip.size = (opts.width, opts.height)
    clip.fps = timeline.fps
    clip.audio = track
    clip.wam_resources = (frames, opened)
    return clip


@cache
def _clip_class():
    from moviepy import VideoClip

    class WamClip(VideoClip):
        """A wam cut as a moviepy VideoClip; ``close()`` ends its decoders and audio readers."""

        def close(self) -> None:
            frames, opened = getattr(self, "wam_resources", (None, ()))
            if frames is not None:
                frames.close()  # decoders start again if a frame is asked for later
            for c in opened:
                c.close()
            super().close()

    return WamClip


class _Frames:
    """RGB frame at time t, decoded on demand. Decoding runs forwards; asking for an earlier
    frame starts fresh decoders (a backward seek), and the last frame is kept (moviepy often
    asks for the same one twice)."""

    def __init__(self, timeline: Timeline, opts: RenderOptions):
        self.timeline, self.opts = timeline, opts
        self.source: FrameSource | None = None
        self.fps, self.w, self.h, self.total = timeline.fps, opts.width, opts.height, timeline.frames
        self.last: tuple[int, np.ndarray] | None = None

    def at(self, t: float) -> np.ndarray:
        i = min(max(math.floor(t * self.fps + 1e-6), 0), self.total - 1)
        if self.last is not None and self.last[0] == i:
            return self.last[1]
        if self.source is not None and self.last is not None and i < self.last[0]:
            self.source.close()
            self.source = None
        if self.source is None:
            self.source = FrameSource(self.timeline, self.opts)
        self.last = (i, i420_to_rgb(self.source.frame(i), self.w, self.h))
        return self.last[1]

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
        self.source, self.last = None, None
