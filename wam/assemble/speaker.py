"""The speaker as a shot (``--a-roll``; used by ``aroll.py``): one more row of the shot table,
always available, as long as the talk, shown at the time it plays on the output, and its
costs in the segment DP. Pure: numpy over ShotTable columns.

* ``speaker_table``: the table with the talk as its last row.
* ``SpeakerTerm`` (``a_roll`` in each cut's ``costs``): a second of the speaker costs what a
  second of a shot matching its sentence ``SPEAKER_SCORE`` well costs (``semantic``), so
  footage that matches clearly better covers them; library footage (B-roll) never lasts
  less than the pace's shortest cut. ``Cutaway`` (``cutaway``): every cut between the
  speaker and library footage costs ``CUTAWAY``.
* ``OffSpeaker``: any other term, costing nothing on the speaker's row (the speaker has no
  match score, no pace to keep and no continuity with itself to break: speaker to speaker
  is no visible cut).
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from wam.assemble.segment_dp import INF
from wam.assemble.styles import Pace
from wam.assemble.terms import PlanContext, Term
from wam.core.types import SHOT_SCALES, ShotTable

#: The speaker's shot id in plans.
SPEAKER_ID = "a-roll"
#: A second of the speaker costs what a second of a shot matching this well costs.
SPEAKER_SCORE = 0.1
#: The cost of a cut between the speaker and library footage (either way), on the semantic scale.
CUTAWAY = 0.3


def speaker_table(table: ShotTable, talk: str, seconds: float, aspect: float = 0.0) -> ShotTable:
    """``table`` with the talk at ``talk`` as one more row (its last): a medium shot
    ``seconds`` long from 0, of its own clip, with no text (it matches no sentence), neutral
    pictures (no colour, no thumbnail, no framing pairs) and full quality."""
    n = len(table)
    clip = int(np.max(table.clip_ids)) + 1 if n else 0
    row: dict = {"clip_ids": clip, "starts": 0.0, "ends": float(seconds), "brightness": 0.5, "motion": 0.0,
                 "camera_motion": 0, "scale": SHOT_SCALES.index("medium"), "quality": 1.0,
                 "face_centres": np.nan, "thumbs": 0, "framing_known": False, "still": False,
                 "aspect": float(aspect), "salient": np.nan, "image": 0.0, "embeddings": 0.0,
                 "camera": 0.0}
    if table.pks is not None:
        row["pks"] = int(np.max(table.pks)) + 1 if n else 1
    changes: dict = {"shot_ids": list(table.shot_ids) + [SPEAKER_ID], "sources": list(table.sources) + [talk]}
    for f in fields(table):
        col = getattr(table, f.name)
        if not isinstance(col, np.ndarray):
            continue
        extra = np.full((1,) + col.shape[1:], row.get(f.name, 0), dtype=col.dtype)
        if f.name == "histograms":
            extra[:] = 1.0 / max(1, col.shape[1])
        changes[f.name] = np.concatenate([col, extra])
    return replace(table, **changes)


class OffSpeaker(Term):
    """``inner``, costing nothing on the speaker's row ``row`` (nor for a cut to or from it)."""

    def __init__(self, inner: Term, row: int):
        super().__init__(inner.weight)
        self.inner, self.row = inner, row
        self.name, self.varies = inner.name, inner.varies

    def _off(self, v, rows):
        return None if v is None else np.where(np.asarray(rows) == self.row, 0.0, v)

    def per_second(self, ctx, s, rows):
        return self._off(self.inner.per_second(ctx, s, rows), rows)

    def per_sentence(self, ctx, s, rows):
        return self._off(self.inner.per_sentence(ctx, s, rows), rows)

    def opening(self, ctx, s, rows):
        return self._off(self.inner.opening(ctx, s, rows), rows)

    def per_cut(self, ctx, s, rows, seconds):
        v = self.inner.per_cut(ctx, s, rows, seconds)
        return None if v is None else np.where((np.asarray(rows) == self.row)[:, None], 0.0, v)

    def transition(self, ctx, a, b, *, across_paragraph):
        v = self.inner.transition(ctx, a, b, across_paragraph=across_paragraph)
        if v is None:
            return None
        touches = (np.asarray(a) == self.row)[:, None] | (np.asarray(b) == self.row)[None, :]
        return np.where(touches, 0.0, v)


class SpeakerTerm(Term):
    """A second of the speaker, and the shortest library footage over them (see the module's
    docstring). Weight 1: its values are on the semantic term's scale."""

    name = "a_roll"

    def __init__(self, row: int, pace: Pace, semantic: float, fps: int):
        super().__init__(1.0)
        self.row, self.pace, self.fps = row, pace, fps
        self.rate = semantic * (1.0 - SPEAKER_SCORE)

    def per_second(self, ctx: PlanContext, s, rows):
        return np.where(np.asarray(rows) == self.row, self.rate, 0.0)

    def per_cut(self, ctx, s, rows, seconds):
        # lengths come in whole frames: a cut one frame short of the pace's shortest is too short
        short = np.asarray(seconds, np.float64) < self.pace.min_cut - 0.5 / self.fps
        footage = np.asarray(rows) != self.row
        return np.where(footage[:, None] & short[None, :], INF, 0.0)


class Cutaway(Term):
    """``CUTAWAY`` for every cut between the speaker and library footage, either way."""

    name = "cutaway"

    def __init__(self, row: int):
        super().__init__(1.0)
        self.row = row

    def transition(self, ctx, a, b, *, across_paragraph):
        return CUTAWAY * ((np.asarray(a) == self.row)[:, None] != (np.asarray(b) == self.row)[None, :])


def speaker_terms(terms: list[Term], row: int, pace: Pace, semantic: float, fps: int) -> list[Term]:
    """``terms`` off the speaker's row, and the speaker's own terms."""
    return [OffSpeaker(t, row) for t in terms] + [SpeakerTerm(row, pace, semantic, fps), Cutaway(row)]
