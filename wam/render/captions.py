"""Which subtitle image shows on which output frame (``wam.render``, used by
``frames.FrameSource`` and the segment filtergraphs).

The sentences' frames come from ``render/cues.py`` (the same ones the SubRip file uses); a
long sentence's pages (``render/subtitles.py`` wraps and draws them) turn when their first
word is spoken; with ``words`` the word being spoken is drawn in colour (karaoke style).
Images are drawn once per page and word.
"""

from __future__ import annotations

from bisect import bisect_right

from wam.core.timeline import Timeline
from wam.render.cues import caption_frames, word_frames

__all__ = ["Captions", "caption_frames", "word_frames"]


class Captions:
    """The subtitle image over output frame i of a timeline (None: no subtitle there)."""

    def __init__(self, timeline: Timeline, width: int, height: int, words: bool = False):
        self.tl, self.w, self.h, self.words = timeline, width, height, words
        self.frames = caption_frames(timeline)
        self.starts = [a for a, _ in self.frames]
        self.word_starts = word_frames(timeline)
        self.current = None  # (sentence, first frame of each page, pages, first word of each page)
        self.drawn = None  # ((sentence, page, word), image)

    def _pages(self, si: int):
        if self.current is None or self.current[0] != si:
            from wam.render.subtitles import subtitle_pages

            first, last = self.frames[si]
            pages = subtitle_pages(self.tl.sentences[si].text, self.w, self.h)
            firsts, k = [], 0
            for p in pages:
                firsts.append(k)
                k += p.words
            ws = self.word_starts[si]
            # words not as the subtitle wraps them (e.g. CJK): no word timing
            if ws is not None and len(ws) != k:
                ws = None
            if ws is not None:
                starts = [first] + [min(max(ws[f], first), last - 1) for f in firsts[1:]]
            else:
                starts = [first + round(p.start * (last - first)) for p in pages]
            self.current = (si, starts, pages, firsts, ws)
        return self.current

    def image(self, i: int):
        si = bisect_right(self.starts, i) - 1
        if si < 0 or i >= self.frames[si][1]:
            return None
        _, starts, pages, firsts, ws = self._pages(si)
        if not pages:
            return None
        k = max(0, bisect_right(starts, i) - 1)
        word = None
        if self.words and ws is not None:
            spoken = bisect_right(ws, i) - 1
            if firsts[k] <= spoken < firsts[k] + pages[k].words:
                word = spoken - firsts[k]
        key = (si, k, word)
        if self.drawn is None or self.drawn[0] != key:
            self.drawn = (key, pages[k].image(self.w, self.h, word))
        return self.drawn[1]
