"""A sentence's lead: it opens on its best footage, never shows footage far below it, and
leaves a clip that another sentence of the story is about to that sentence.

Two rules are hard, part of the problem the segment DP solves (``plan.build_problem``), so
that no weighing of continuity, pace or diversity and no near-tie of floats can break them
in a sentence that has good footage (one not flagged weak):

* the *floor*: a shot scoring under ``FLOOR_RATIO`` × the sentence's best candidate is not
  in its pool at all (``floor_rows``; a shot the user pinned in ``wam studio`` stays). Where the footage above the floor is shorter than
  the sentence, the last frame of a shot is held (or a still plays its move) rather than
  cutting to something off-topic;
* the *opening*: the footage that starts the sentence — a cut, or a shot running on from
  the sentence before — scores at least ``OPENING_RATIO`` × its best (``may_open``).

Two cost terms go with them: ``Opening`` (the first cut's shortfall against the sentence's
best, so that continuity buys at most a slightly lesser opening) and ``Claim`` (story-level
evidence: a clip that another sentence of the story matches clearly better, and would open
on, is that sentence's — showing it here costs as if it scored ``claim`` / ``semantic``
less). Clips count as a whole: a clip's evidence for a sentence is its best shot's
(``candidates.clip_evidence``), so the three shots of one scene are claimed together.
"""

from __future__ import annotations

import numpy as np

from wam.assemble.stable import KEEP_PINNED
from wam.assemble.terms import PlanContext, Term
from wam.candidates import clip_evidence

#: No shot scores under this fraction of its sentence's best candidate (unless the sentence is weak).
FLOOR_RATIO = 0.6
#: The footage opening a sentence scores at least this fraction of its best (unless it is weak).
OPENING_RATIO = 0.8
#: A clip another sentence matches this much better (score units) counts as fully claimed by it.
CLAIM_SPAN = 0.1


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


def story_claims(ctx: PlanContext, pools: list[np.ndarray]) -> list[dict[int, float]]:
    """Per sentence: row → how strongly another sentence of the story claims the row's clip
    (0 … 1). Sentence t claims clip c when c could open it (its evidence is at least
    ``OPENING_RATIO`` × t's best); the claim on c in sentence s grows linearly with how much
    better t matches c, to 1 at ``CLAIM_SPAN``. A neighbour in the same paragraph makes no
    claim: a shot may run on from one sentence into the next (the scene goes on)."""
    clip_ids = np.asarray(ctx.table.clip_ids)
    evidence = [clip_evidence(rows, ctx.score(s, rows), clip_ids) for s, rows in enumerate(pools)]
    # per clip: the four best claims (score, sentence), so that each sentence sees the best one
    # that is neither itself nor a neighbour in its paragraph
    top: dict[int, list[tuple[float, int]]] = {}
    for s, ev in enumerate(evidence):
        best = ctx.pool_best[s]
        for clip, v in ev.items():
            if best > 0 and v >= OPENING_RATIO * best - 1e-9:
                top[clip] = sorted(top.get(clip, []) + [(v, s)], key=lambda x: (-x[0], x[1]))[:4]
    starts = ctx.paragraph_start
    out = []
    for s, rows in enumerate(pools):
        near = {s} | ({s - 1} if s > 0 and not starts[s] else set()) | (
            {s + 1} if s + 1 < len(pools) and not starts[s + 1] else set())
        claims = {}
        for r, clip in zip(rows.tolist(), clip_ids[rows].tolist()):
            rival = next((v for v, t in top.get(clip, ()) if t not in near), None)
            if rival is not None:
                gap = rival - evidence[s][clip]
                if gap > 0:
                    claims[r] = min(1.0, gap / CLAIM_SPAN)
        out.append(claims)
    return out


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


class Claim(Term):
    """Per second of a clip that another sentence of the story is about (``story_claims``)."""

    name = "claim"

    def per_second(self, ctx, s, rows):
        if not ctx.claims or not ctx.claims[s]:
            return None
        get = ctx.claims[s].get
        return np.fromiter((get(int(r), 0.0) for r in rows), np.float64, len(rows))
