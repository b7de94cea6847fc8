"""The studio's direct edits of a plan (no re-planning): swap a cut for another shot, pin or
unpin a cut. Pure: a Timeline and the index's ``ShotTable`` in, a new Timeline out, still
valid by the ``wam.timeline/1`` contract (cuts tile the sentences; a cut that continued the
swapped shot becomes a cut of its own; a still gets its move; the flags and warnings are
read off the new cuts again).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wam.assemble.moves import still_moves
from wam.assemble.replan import continuity_fixed, repeats_flagged
from wam.assemble.report import span_warnings
from wam.assemble.styles import pace as pace_preset
from wam.core.errors import UsageError
from wam.core.timeline import Cut, Timeline


def cut_at(timeline: Timeline, sentence: int, cut: int) -> Cut:
    """Cut ``cut`` of sentence ``sentence``; UsageError when there is none (a stale page)."""
    if not 0 <= sentence < len(timeline.sentences) or not 0 <= cut < len(timeline.sentences[sentence].cuts):
        raise UsageError(f"the plan has no cut {cut + 1} in sentence {sentence + 1}; reload the page")
    return timeline.sentences[sentence].cuts[cut]


def source_range(table, row: int, seconds: float) -> tuple[float, float]:
    """The part of shot ``row`` a cut of ``seconds`` shows: the middle of a longer shot, all of
    a shorter one (its last frame then held), a still from its start (its move plays over it)."""
    st, en = float(table.starts[row]), float(table.ends[row])
    if table.still is not None and bool(table.still[row]):
        return st, min(en, st + seconds)
    if en - st <= seconds:
        return st, en
    a = st + (en - st - seconds) / 2
    return a, a + seconds


def swapped(timeline: Timeline, sentence: int, cut: int, table, row: int, score: float) -> Timeline:
    """``timeline`` with cut ``cut`` of sentence ``sentence`` showing shot ``row`` of ``table``
    instead (same place and length on the timeline; ``score``: how well it matches the
    sentence). The cut keeps its pin."""
    old = cut_at(timeline, sentence, cut)
    a, b = source_range(table, row, old.duration)
    face = np.asarray(table.face_centres[row], np.float64)
    new = Cut(shot_id=table.shot_ids[row], source=table.sources[row], source_in=round(a, 6),
              source_out=round(b, 6), start_frame=old.start_frame, frames=old.frames, fps=old.fps,
              score=round(float(score), 4), costs={},
              focus=None if np.isnan(face).any() else [round(float(face[0]), 4), round(float(face[1]), 4)],
              hold=round(max(0.0, old.duration - (b - a)), 6), pinned=old.pinned)
    sp = timeline.sentences[sentence]
    spans = list(timeline.sentences)
    spans[sentence] = replace(sp, cuts=sp.cuts[:cut] + [new] + sp.cuts[cut + 1:])
    spans = repeats_flagged(still_moves(continuity_fixed(spans), table, timeline.width, timeline.height))
    return replace(timeline, sentences=spans, warnings=span_warnings(spans, pace_preset(timeline.pace)))


def pinned(timeline: Timeline, sentence: int, cut: int, on: bool = True) -> Timeline:
    """``timeline`` with cut ``cut`` of sentence ``sentence`` pinned (``on``) or not."""
    old = cut_at(timeline, sentence, cut)
    sp = timeline.sentences[sentence]
    spans = list(timeline.sentences)
    spans[sentence] = replace(sp, cuts=sp.cuts[:cut] + [replace(old, pinned=on)] + sp.cuts[cut + 1:])
    return replace(timeline, sentences=spans)
