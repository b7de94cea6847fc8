"""The frame-by-frame path of a render: ``FrameSource`` gives output frame i of a timeline,
each cut decoded by its own ffmpeg process straight to the output size, frame rate and pixel
format (``wam.render.cutreader``), with subtitles, cross-fades, the speaker's box and fades
applied in numpy on the I420 planes (never through RGB). At most two cuts are open at a time
(the current one and the next, whose decoder starts early), each with a small frame queue, so
memory stays bounded however long the output is.

Place in the flow: ``segments`` pipes its frames to x264 for a segment the one-process graph
(``segment_graph``) cannot express; ``moviepy_clip`` serves them as a moviepy clip
(``wam.to_moviepy``). ``tests/test_segment_graph.py`` compares its pictures with the graph's.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

import numpy as np

from wam.core.timeline import Timeline
from wam.render.cutreader import CutReader
from wam.render.layout import crossfade_frames, crossfade_weight, fade_level
from wam.render.options import RenderOptions


class FrameSource:
    """Output frame i of a timeline: picture, cross-fade, the speaker's box (``pip``), subtitle, fade.

    ``end``: the frames asked for stop before this one (a segment), so no decoder is started
    early for a cut at or after it (except the one a cross-fade shows before it starts)."""

    def __init__(self, timeline: Timeline, opts: RenderOptions, end: int | None = None):
        self.tl, self.opts = timeline, opts
        self.fps = timeline.fps
        self.w, self.h = opts.width, opts.height
        self.cuts = timeline.cuts()
        self.cut_starts = [c.start_frame for c in self.cuts]
        self.total = timeline.frames
        self.end = self.total if end is None else end
        sent = timeline.sentences
        self.sentence_starts = [s.start_frame for s in sent]
        first_cut_of = {}
        k = 0
        for si, s in enumerate(sent):
            first_cut_of[si] = k
            k += len(s.cuts)
        self.xfade_into = {  # cut index → frame where it starts, for cuts opening a new paragraph
            first_cut_of[si]: self.sentence_starts[si]
            for si in range(1, len(sent)) if sent[si].paragraph != sent[si - 1].paragraph
        }
        self.xf_frames = crossfade_frames(opts.crossfade, self.fps)
        # the paragraph boundaries in order: a cross-fade fills the xf frames before each,
        # whichever cuts they belong to
        self.boundaries = sorted((b, k) for k, b in self.xfade_into.items())
        self.readers: dict[int, CutReader] = {}
        self.captions = None  # wam.render.captions.Captions, made when the first subtitle is needed
        self.pip = None  # (reader of the talk from its first frame, that frame, box): --a-roll-mode pip

    def _open(self, k: int) -> None:
        if k not in self.readers and k < len(self.cuts):
            lead = self.xf_frames if k in self.xfade_into else 0  # a cross-fade shows it before it starts
            self.readers[k] = CutReader(self.cuts[k], self.w, self.h, self.opts.fit, lead=lead)

    def reader(self, k: int) -> CutReader:
        """The reader of cut k; the next cut's decoder starts now, so it is warm when needed."""
        self._open(k)
        if k + 1 < len(self.cuts) and self.cut_starts[k + 1] < self.end:
            self._open(k + 1)
        for old in [x for x in self.readers if x < k]:
            self.readers.pop(old).close()
        return self.readers[k]

    def frame(self, i: int) -> np.ndarray:
        i = min(max(i, 0), self.total - 1)
        k = bisect_right(self.cut_starts, i) - 1
        frame = self.reader(k).frame(i - self.cut_starts[k])
        at = bisect_right(self.boundaries, (i, len(self.cuts)))  # the first paragraph boundary after frame i
        if self.xf_frames and at < len(self.boundaries) and self.boundaries[at][0] - i <= self.xf_frames:
            b, nxt = self.boundaries[at]
            # in whole frames from the boundary: the same weights wherever the boundary lies
            w = crossfade_weight(float(i - b), 0.0, float(self.xf_frames))
            if w > 0:  # a linear mix is exact in YUV too (an affine image of RGB)
                self._open(nxt)  # not reader(): that would close the current cut
                incoming = self.readers[nxt].frame(i - b)  # the incoming shot plays into its cut
                frame = mixed(frame, incoming, w)
        if not self.cuts[k].a_roll and self.tl.a_roll and self.tl.a_roll.get("mode") == "pip":
            frame = self.speaker_box(frame, i)
        if self.opts.subtitles:
            sub = self.subtitle(i)
            if sub is not None:
                sub.blend_yuv(frame, self.w, self.h)
        level = fade_level((i + 0.5) / self.fps, self.total / self.fps, self.opts.fade)
        if level < 1.0:
            frame = to_black(frame, self.w * self.h, level)
        return frame

    def speaker_box(self, frame: np.ndarray, i: int) -> np.ndarray:
        """``frame`` with the talk at output frame i in the speaker's box (``wam.render.pip``)."""
        from wam.render.cutreader import source_info
        from wam.render.pip import paste, pip_rect, talk_cut

        if self.pip is None or i < self.pip[1]:
            if self.pip is not None:
                self.pip[0].close()
            info = source_info(self.tl.a_roll["file"])
            rect = pip_rect(self.w, self.h, info.width, info.height)
            reader = CutReader(talk_cut(self.tl, i, self.total - i), rect[2], rect[3], "cover")
            self.pip = (reader, i, rect)
        reader, first, rect = self.pip
        return paste(frame, reader.frame(i - first), rect, self.w, self.h)

    def subtitle(self, i: int):
        """The subtitle image over output frame i (``wam.render.captions``: its sentence's page
        for that moment, only while it is spoken when the plan is narrated)."""
        if self.captions is None:
            from wam.render.captions import Captions

            self.captions = Captions(self.tl, self.w, self.h, words=self.opts.words)
        return self.captions.image(i)

    def close(self) -> None:
        for r in self.readers.values():
            r.close()
        self.readers.clear()
        if self.pip is not None:
            self.pip[0].close()
            self.pip = None


def mixed(outgoing: np.ndarray, incoming: np.ndarray, weight: float) -> np.ndarray:
    """``outgoing`` × (1 − weight) + ``incoming`` × weight, rounded, in 8-bit fixed point
    (weight in 1/256 steps): integer arithmetic, several times faster than floats per frame."""
    k = round(min(1.0, max(0.0, weight)) * 256)
    mix = outgoing.astype(np.uint16)
    mix *= 256 - k
    mix += incoming.astype(np.uint16) * np.uint16(k)
    mix += 128
    mix >>= 8
    return mix.astype(np.uint8)


@lru_cache(maxsize=256)
def _black_tables(level: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.arange(256, dtype=np.float64)
    luma = np.clip(np.floor(16 + (values - 16) * level + 0.5), 0, 255).astype(np.uint8)
    chroma = np.clip(np.floor(128 + (values - 128) * level + 0.5), 0, 255).astype(np.uint8)
    return luma, chroma


def to_black(frame: np.ndarray, luma_size: int, level: float) -> np.ndarray:
    """An I420 frame faded towards limited-range black (Y 16, U/V 128) by ``level`` (1: unchanged),
    through a lookup table per plane (the same value for the same level and pixel everywhere)."""
    luma, chroma = _black_tables(round(float(level), 6))
    out = np.empty_like(frame)
    np.take(luma, frame[:luma_size], out=out[:luma_size])
    np.take(chroma, frame[luma_size:], out=out[luma_size:])
    return out
