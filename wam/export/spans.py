"""The plan as an editor sees it: the cuts of a ``Timeline`` turned into clips on one track.

Pure (no media, no OpenTimelineIO). Two cut fields change the clip list:

* ``continues``: the cut picks up the previous cut's shot where it ended, so it is no edit
  point; it is merged into the previous clip (one longer clip).
* ``hold``: the last source frame is held for that many seconds at the end of the cut; the
  held frames become a clip of their own, marked ``freeze`` (a freeze frame in an editor),
  so the timeline keeps its length.
* ``move``: a still's cut is one ``freeze`` clip of its picture for the whole cut, carrying
  the move (a continuation of the move is merged into it, the move spanning both).

Paragraph boundaries that fall on a clip boundary carry a cross-fade; each sentence becomes
a marker on the clip that shows its first frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from wam.core.config import CROSSFADE_SECONDS, MAX_CROSSFADE_SECONDS
from wam.core.timeline import Timeline

__all__ = ["CROSSFADE_SECONDS", "ClipSpan", "clip_spans", "hold_frames", "split_crossfade"]


@dataclass
class ClipSpan:
    """One clip on the editor's video track, in output frames at the plan's fps.

    The clip shows ``source`` from ``source_in`` seconds for ``frames`` output frames
    (a ``freeze`` clip shows the single frame at ``source_in`` for that long)."""

    source: str
    shot_id: str
    source_in: float
    start_frame: int
    frames: int
    freeze: bool = False
    cuts: list[int] = field(default_factory=list)  # indices of the plan's cuts it shows
    sentences: list[int] = field(default_factory=list)  # sentences whose first frame it shows
    score: float = 0.0
    crossfade_in: int = 0  # frames of the cross-fade that ends the previous clip (0: a cut)
    move: dict | None = None  # a still's move over the clip: {"from": [x, y, w, h], "to": [...]}, source 0…1

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames

    @property
    def name(self) -> str:
        base = os.path.basename(self.source) or self.source
        return f"{base} (freeze)" if self.freeze else base


def hold_frames(frames: int, hold: float, fps: int) -> int:
    """Frames of a cut that repeat its last source frame (as the renderer shows them)."""
    moving = max(1, frames - round(hold * fps))
    return frames - moving


def clip_spans(timeline: Timeline, crossfade: float = CROSSFADE_SECONDS) -> list[ClipSpan]:
    """The clips of ``timeline``'s video track, in order, tiling it without gap or overlap."""
    fps = timeline.fps
    spans: list[ClipSpan] = []
    cut_index = 0
    prev_hold = 0
    for s in timeline.sentences:
        for c in s.cuts:
            last = spans[-1] if spans else None
            if c.move is not None:  # a still: its picture, held, with the move over it
                if (c.continues and last is not None and last.move is not None and last.shot_id == c.shot_id
                        and last.end_frame == c.start_frame):
                    last.frames += c.frames
                    last.cuts.append(cut_index)
                    last.move = {"from": last.move["from"], "to": c.move["to"]}
                else:
                    spans.append(ClipSpan(c.source, c.shot_id, c.source_in, c.start_frame, c.frames,
                                          freeze=True, cuts=[cut_index], score=c.score, move=dict(c.move)))
                prev_hold = 0
                cut_index += 1
                continue
            held = hold_frames(c.frames, c.hold, fps)
            moving = c.frames - held
            if (c.continues and last is not None and not last.freeze and prev_hold == 0
                    and (last.source, last.shot_id) == (c.source,
                                                        c.shot_id) and last.end_frame == c.start_frame):
                last.frames += moving
                last.cuts.append(cut_index)
            else:
                spans.append(ClipSpan(c.source, c.shot_id, c.source_in, c.start_frame, moving,
                                      cuts=[cut_index], score=c.score))
            if held:
                # the held frame is the last one shown moving: moving - 1 output frames after source_in
                spans.append(ClipSpan(c.source, c.shot_id, c.source_in + (moving - 1) / fps,
                                      c.start_frame + moving,
                                      held, freeze=True, cuts=[cut_index], score=c.score))
            prev_hold = held
            cut_index += 1
    starts = {sp.start_frame: k for k, sp in enumerate(spans)}
    for s in timeline.sentences:
        k = _span_at(spans, s.start_frame)
        spans[k].sentences.append(s.index)
    xf = round(min(MAX_CROSSFADE_SECONDS, max(0.0, crossfade)) * fps)
    if xf >= 2:
        for a, b in zip(timeline.sentences, timeline.sentences[1:]):
            k = starts.get(b.start_frame)
            if b.paragraph != a.paragraph and k:
                # free of another fade
                before = spans[k - 1].frames - split_crossfade(spans[k - 1].crossfade_in)[1]
                n = min(xf, 2 * before, 2 * spans[k].frames - 1)
                spans[k].crossfade_in = n if n >= 2 else 0
    return spans


def _span_at(spans: list[ClipSpan], frame: int) -> int:
    for k, sp in enumerate(spans):
        if sp.start_frame <= frame < sp.end_frame:
            return k
    return len(spans) - 1


def split_crossfade(frames: int) -> tuple[int, int]:
    """(frames before the cut, frames after it) of a cross-fade centred on the cut."""
    return frames // 2, frames - frames // 2
