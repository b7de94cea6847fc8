"""Story-level claims on clips: when several sentences want one clip, the story decides
which sentence the clip is about, and the others leave it.

A sentence alone takes its best-scoring clip (MiniLM top-1, in effect), so a sentence that
mentions a neighbouring scene ("no crowd, no race: just one player and a ball") takes that
scene's clip — the stadium crowd — although the sentence about the crowd has nothing else
like it, and the sentence's own clip (the tennis player) is a close second. That is why the
right clip was missed on multi-shot clips (issue 20; bench/montage_quality.py's confusable
scenes). The story sees it: clips are assigned to sentences, each clip to one sentence, to
maximise their worth over the story (``story_held``: an optimal assignment,
``scipy.optimize.linear_sum_assignment``), and a sentence taking a clip another sentence
holds costs what the story loses when that sentence is made to take it, every other
sentence re-assigned at its best (``story_losses``; one more assignment per such clip).

Not an auction's prices (the first version): a price says what the *next bidder* would pay,
not what the holder loses. A sentence about a band that scores the stadium crowd (0.450) as
well as the band (0.444) bid the crowd's price up to its own indifference, so the price gap
between the two was nothing, and the band sentence showed the crowd — although the crowd
sentence had nothing else (its loss, 0.46, is what ``story_losses`` sees). Conversely a
sentence keeps its best clip, claim-free, when the sentence holding it has an equally good
alternative (the loss is then nothing).

What a clip is worth to a sentence is its evidence above the sentence's mean score over the
library (``story_values``) — raw scores let a sentence whose own clip is not among its
candidates push others off theirs — over all the sentence's candidates, not only those above
its floor (the clip the story gives a sentence may be under it: ``lead.py``). Clips count as
a whole: a clip's evidence for a sentence is its best shot's (``candidates.clip_evidence``),
so a clip's shots are claimed together.

``story_claims`` turns losses into a cost per second (the ``Claim`` term): in a sentence that
holds a clip, a clip another sentence holds costs, in score units, ``claim_of`` its loss
(nothing for a loss within ``LOSS_TIE``, beyond it the excess plus ``CLAIM_MARGIN``). A
sentence the story gives no clip, and a clip held by the sentence just before or after in
the same paragraph (a shot may run on into the next sentence; the scene goes on), claim
nothing. The term's weight (``CostWeights.claim``, 10) puts the story's assignment above
pace preferences — a calm edit would otherwise rather show another scene's still in one cut
than its own clip in three — but below the hard rules of ``lead.py`` and below a held frame:
a sentence with nothing else above its floor still shows a claimed clip. Pure; a long story
is assigned ``ASSIGN_CHUNK`` sentences at a time (sentences further apart do not contend:
the diversity loop shares footage out between them), and losses are found only for the
clips of a sentence's pool.
"""

from __future__ import annotations

import numpy as np

from wam.assemble.terms import PlanContext, Term
from wam.text.candidates import clip_evidence

#: A story loss within this is a tie (no claim); beyond it the claim reaches its margin
#: within one more ``LOSS_TIE``.
LOSS_TIE = 0.01
#: What a clip the story gave to another sentence is worth less than its net value here (score units).
CLAIM_MARGIN = 0.2
#: Sentences assigned together (a long story: window by window, so the work stays linear).
ASSIGN_CHUNK = 60


def story_values(rows: np.ndarray, scores: np.ndarray, clip_ids: np.ndarray, mean: float) -> dict[int, float]:
    """What each clip is worth to a sentence in the story's assignment: its evidence
    (``candidates.clip_evidence`` over the sentence's candidate ``rows`` and ``scores``) above
    ``mean``, the sentence's mean score over the library — what unrelated footage scores for
    it (only clips above it). Raw scores let a sentence whose own clip is not among its
    candidates take a sibling's clip, 0.31 against nothing, and push that sibling's sentence
    (0.61 for it) to a third clip (0.40): above the mean, the sibling's claim is the larger."""
    ev = clip_evidence(rows, scores, clip_ids)
    return {c: v - mean for c, v in ev.items() if v > mean}


def story_held(values: list[dict[int, float]]) -> list[int | None]:
    """Per sentence (``values``: clip → its worth, ``story_values``; taking nothing is worth 0)
    the clip it holds in an optimal assignment of clips to sentences, each clip to one
    sentence at most (None: nothing), ``ASSIGN_CHUNK`` sentences at a time."""
    held: list[int | None] = []
    for a in range(0, len(values), ASSIGN_CHUNK):
        part = values[a:a + ASSIGN_CHUNK]
        matrix, clips = _matrix(part)
        _, chosen = _assign(matrix)
        held += [clips[j] if j < len(clips) else None for j in chosen.tolist()]
    return held


def story_losses(values: list[dict[int, float]], held: list[int | None], wanted=None
                 ) -> list[dict[int, float]]:
    """Per sentence, for every clip it values that another sentence of its chunk holds
    (``held``: ``story_held``; ``wanted``: per sentence, the clips to look at, default all):
    what the assignment's total loses when this sentence is made to take that clip and every
    other sentence is re-assigned at its best (≥ 0; 0 where another sentence has an equally
    good alternative)."""
    out: list[dict[int, float]] = [{} for _ in values]
    for a in range(0, len(values), ASSIGN_CHUNK):
        part = values[a:a + ASSIGN_CHUNK]
        matrix, clips = _matrix(part)
        col = {c: j for j, c in enumerate(clips)}
        holder = {held[a + i]: i for i in range(len(part)) if held[a + i] is not None}
        total = None
        for i, v in enumerate(part):
            for c in sorted(v):
                if holder.get(c, i) == i or (wanted is not None and c not in wanted[a + i]):
                    continue  # its own, or nobody's: taking it costs the others nothing
                if total is None:
                    total = _assign(matrix)[0]
                forced = matrix.copy()
                forced[i, :] = -np.inf
                forced[i, col[c]] = v[c]
                out[a + i][c] = max(0.0, total - _assign(forced)[0])
    return out


def _matrix(values: list[dict[int, float]]) -> tuple[np.ndarray, list[int]]:
    """The assignment's matrix (sentences × their clips, then one "nothing" column each, worth
    0; −inf where a sentence does not value a clip) and its clips, in order."""
    clips = sorted({c for v in values for c in v})
    col = {c: j for j, c in enumerate(clips)}
    n, m = len(values), len(clips)
    matrix = np.full((n, m + n), -np.inf)
    matrix[:, m:] = 0.0
    for i, v in enumerate(values):
        for c, x in v.items():
            matrix[i, col[c]] = x
    return matrix, clips


def _assign(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """(the best total, each row's column) of ``matrix``'s maximum assignment."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(matrix, maximize=True)
    chosen = np.empty(len(matrix), np.int64)
    chosen[rows] = cols
    return float(matrix[rows, cols].sum()), chosen


def story_claims(ctx: PlanContext, pools: list[np.ndarray], values: list[dict[int, float]] | None = None,
                 held: list[int | None] | None = None) -> list[dict[int, float]]:
    """Per sentence: row → the claim on the row's clip (score units, > 0; rows without one are
    left out). ``values``: per sentence, clip → its worth (``story_values`` over all its
    candidates; default: the clips of its pool as scored); ``held``: ``story_held`` of them."""
    clip_ids = np.asarray(ctx.table.clip_ids)
    starts = ctx.paragraph_start
    if values is None:
        values = [clip_evidence(p, ctx.score(s, p), clip_ids) for s, p in enumerate(pools)]
    if held is None:
        held = story_held(values)
    in_pool = [set(clip_ids[p].tolist()) for p in pools]
    losses = story_losses(values, held, [w if held[s] is not None else set() for s, w in enumerate(in_pool)])
    out: list[dict[int, float]] = []
    for s, pool in enumerate(pools):
        # a neighbour in the paragraph may hold the clip: its shot may run on into this sentence
        near = {held[k] for k in (s - 1, s + 1)
                if 0 <= k < len(pools) and k // ASSIGN_CHUNK == s // ASSIGN_CHUNK
                and not starts[max(s, k)]} - {None}
        claims = {}
        if held[s] is not None:  # a sentence the story gives no clip has none of its own to keep to
            for r, c in zip(pool.tolist(), clip_ids[pool].tolist()):
                loss = losses[s].get(c, 0.0)
                if c not in near and loss > LOSS_TIE:
                    claims[r] = claim_of(loss)
        out.append(claims)
    return out


def claim_of(loss: float) -> float:
    """A claim from the story's ``loss`` (``story_losses``): 0 within ``LOSS_TIE`` (a tie —
    sentences valuing every clip alike claim nothing from each other), beyond it the excess
    plus ``CLAIM_MARGIN``, reached within one more ``LOSS_TIE``. Continuous in the loss, so
    that last-bit noise moves a claim by last bits."""
    over = max(0.0, loss - LOSS_TIE)
    return over + CLAIM_MARGIN * min(1.0, over / LOSS_TIE)


class Claim(Term):
    """Per second of a clip the story gave to another sentence: its claim in score units
    (``story_claims``), so at the ``semantic`` weight the clip is never worth more here than
    the sentence's own where taking it costs the story."""

    name = "claim"

    def per_second(self, ctx, s, rows):
        if not ctx.claims or not ctx.claims[s]:
            return None
        get = ctx.claims[s].get
        return np.fromiter((get(int(r), 0.0) for r in rows), np.float64, len(rows))
