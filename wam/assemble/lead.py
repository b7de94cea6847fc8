"""A sentence's lead: it opens on its best footage and never shows footage far below it.

Two rules are hard, part of the problem the segment DP solves (``problem.build_problem``), so
that no weighing of continuity, pace or diversity and no near-tie of floats can break them
in a sentence that has good footage (one not flagged weak):

* the *floor*: a shot scoring under ``FLOOR_RATIO`` × the sentence's best candidate is not
  in its pool at all (``floor_rows``; a shot the user pinned in ``wam studio`` stays). Where
  the footage above the floor is shorter than the sentence, the last frame of a shot is held
  (or a still plays its move) rather than cutting to something off-topic. No exception
  for the clip the story gives the sentence (``claims``): letting it down to the last-resort
  line helped one sentence of bench/montage_quality.py's tuned set but broke the rule users
  and held-out plans rely on (no cut under 0.6 × unless the sentence is weak);
* the *opening*: the footage that starts the sentence — a cut, or a shot running on from
  the sentence before — scores at least ``OPENING_RATIO`` × its best (``may_open``).

A cost term goes with them: ``Opening``, the first cut's shortfall against the sentence's
best, so that continuity buys at most a slightly lesser opening. (Which sentence a clip
several sentences want is about is the story's decision: ``claims.py``.)
"""

from __future__ import annotations

import numpy as np

from wam.assemble.stable import KEEP_PINNED
from wam.assemble.terms import PlanContext, Term

#: No shot scores under this fraction of its sentence's best candidate (unless the sentence is weak).
FLOOR_RATIO = 0.6
#: The footage opening a sentence scores at least this fraction of its best (unless it is weak).
OPENING_RATIO = 0.8


def floor_rows(scores: np.ndarray, best: float, weak: bool, pinned=None) -> np.ndarray:
    """Which of a sentence's candidate ``scores`` stay in its pool: all of a weak sentence's,
    else those at or above ``FLOOR_RATIO`` × ``best``, and the ``pinned`` ones (bool mask):
    a shot the user pinned is theirs to choose."""
    scores = np.asarray(scores, np.float64)
    if weak or best <= 0:
        return np.ones(len(scores), bool)
    keep = scores >= FLOOR_RATIO * best - 1e-9
    return keep if pinned is None else keep | np.asarray(pinned, bool)


def may_open(ctx: PlanContext, s: int, rows: np.ndarray) -> np.ndarray:
    """(K,) bool: which rows may show the first frame of sentence s (a pinned shot always may)."""
    best = ctx.pool_best[s]
    if ctx.weak(s) or best <= 0:
        return np.ones(len(rows), bool)
    ok = ctx.score(s, rows) >= OPENING_RATIO * best - 1e-9
    return ok | pinned_mask(ctx.sticky[s] if ctx.sticky else None, rows)


def pinned_mask(sticky, rows: np.ndarray) -> np.ndarray:
    """(K,) bool: which ``rows`` a sentence's ``sticky`` entry (rows, strength) pins — the
    strength of a pinned sentence planned again (``stable.KEEP_PINNED``)."""
    rows = np.asarray(rows, np.int64)
    if sticky is None or sticky[1] < KEEP_PINNED:
        return np.zeros(len(rows), bool)
    return np.isin(rows, np.fromiter(sticky[0], np.int64, len(sticky[0])))


class Opening(Term):
    """A sentence opens on its best footage: the first cut's shortfall against the
    sentence's best candidate, (best − score) / best. (Rows that may not open it at all,
    ``may_open``, are barred by the problem itself, whatever this term's weight.)"""

    name = "opening"

    def opening(self, ctx, s, rows):
        best = ctx.pool_best[s]
        if best <= 0:
            return None
        return np.clip((best - ctx.score(s, rows)) / best, 0.0, 1.0)
