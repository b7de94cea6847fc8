"""Story-level claims on clips: when several sentences want one clip, the story decides
which sentence the clip is about, and the others leave it.

A sentence alone takes its best-scoring clip (MiniLM top-1, in effect), so a sentence that
mentions a neighbouring scene ("no crowd, no race: just one player and a ball") takes that
scene's clip — the stadium crowd — although the sentence about the crowd has nothing else
like it, and the sentence's own clip (the tennis player) is a close second. That is why the
right clip was missed on multi-shot clips (issue 20; bench/montage_quality.py's confusable
scenes). The story sees it: clips are assigned to sentences, each clip to one sentence, to
maximise the evidence over the whole story (``story_losses``: an optimal assignment,
``scipy.optimize.linear_sum_assignment``, per group of sentences that want the same clips),
and a sentence taking a clip another sentence holds costs the story what the assignment
loses when that sentence is made to take it (all the others re-assigned at their best).

Not the auction's prices: a price says what the *next bidder* would pay, not what the holder
loses. A sentence about a band that scores the stadium crowd (0.450) as well as the band
(0.444) bids the crowd's price up to its own indifference, so the price gap between the two
was nothing, and the band sentence showed the crowd — although the crowd sentence had
nothing else (its loss, 0.46, is what ``story_losses`` sees). Conversely a sentence keeps its
best clip, claim-free, when the sentence holding it has an equally good alternative (the
loss is then nothing).

``story_claims`` turns losses into a cost per second (the ``Claim`` term): in a sentence that
holds a clip, a clip another sentence holds costs, in score units, ``claim_of`` its loss
(nothing for a loss within ``LOSS_TIE``, beyond it the excess plus ``CLAIM_MARGIN``). A
sentence the story gives no clip, and a clip held by the sentence just before or after in
the same paragraph (a shot may run on into the next sentence; the scene goes on), claim
nothing. The term's weight (``CostWeights.claim``, 10) puts the story's assignment above
pace preferences — a calm edit would otherwise rather show another scene's still in one cut
than its own clip in three — but below the hard rules of ``lead.py`` and below a held frame:
a sentence with nothing else above its floor still shows a claimed clip. Clips count as a
whole: a clip's evidence for a sentence is its best shot's (``candidates.clip_evidence``),
so a clip's shots are claimed together. Pure; a long story is assigned ``ASSIGN_CHUNK``
sentences at a time, and a group of more than ``EXACT_SENTENCES`` sentences contending for
the same clips falls back on Bertsekas' auction (``auction``), a clip's loss taken as its
price over the price of the sentence's own.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from wam.assemble.terms import PlanContext, Term
from wam.candidates import clip_evidence

#: The auction's bid increment (score units): its assignment is within this of the best.
AUCTION_EPS = 0.02
#: A story loss within this is a tie (no claim); beyond it the claim reaches its margin
#: within one more ``LOSS_TIE``.
LOSS_TIE = 0.01
#: What a clip the story gave to another sentence is worth less than its net value here (score units).
CLAIM_MARGIN = 0.2
#: Sentences assigned together (a long story: chunk by chunk, so the work stays linear).
ASSIGN_CHUNK = 250
#: A group of sentences contending for the same clips larger than this is assigned by the
#: auction (one solve) instead of exactly, one solve per contended clip.
EXACT_SENTENCES = 60
#: A value standing for "this sentence may not take this clip" in the assignment matrix.
_BARRED = -1e6


def auction(values: list[dict[int, float]], eps: float = AUCTION_EPS
            ) -> tuple[list[int | None], list[float], dict[int, float]]:
    """Assign clips to bidders (Bertsekas' auction), each clip to one bidder at most:
    ``values`` per bidder, clip → value; a bidder may also take nothing (value 0). Returns per
    bidder the clip it holds (None: nothing) and the price it pays, and per clip its price
    (what another bidder must pay for it). Deterministic; ε-optimal (every bidder's net
    value within ``eps`` of its best)."""
    price: dict[int, float] = {}
    holder: dict[int, int] = {}
    held: list[int | None] = [None] * len(values)
    paid = [0.0] * len(values)
    options = [sorted(v.items()) for v in values]
    queue = deque(range(len(values)))
    while queue:
        s = queue.popleft()
        first, second, clip = 0.0, 0.0, None  # net values; taking nothing is worth 0
        for c, v in options[s]:
            net = v - price.get(c, 0.0)
            if net > first:
                first, second, clip = net, first, c
            elif net > second:
                second = net
        if clip is None:
            continue  # nothing is worth its price: this bidder holds nothing
        bid = price.get(clip, 0.0) + first - second + eps
        before = holder.get(clip)
        if before is not None:
            held[before], paid[before] = None, 0.0
            queue.append(before)
        price[clip], holder[clip] = bid, s
        held[s], paid[s] = clip, bid
    return held, paid, price


def story_values(rows: np.ndarray, scores: np.ndarray, clip_ids: np.ndarray, mean: float) -> dict[int, float]:
    """What each clip is worth to a sentence in the story's assignment: its evidence
    (``candidates.clip_evidence`` over the sentence's candidate ``rows`` and ``scores``) above
    ``mean``, the sentence's mean score over the library — what unrelated footage scores for
    it (only clips above it). Raw scores let a sentence whose own clip is not among its
    candidates take a sibling's clip, 0.31 against nothing, and push that sibling's sentence
    (0.61 for it) to a third clip (0.40): above the mean, the sibling's claim is the larger."""
    ev = clip_evidence(rows, scores, clip_ids)
    return {c: v - mean for c, v in ev.items() if v > mean}


def story_assignment(values: list[dict[int, float]]) -> tuple[list[int | None], list[dict[int, float]]]:
    """``story_losses`` of a whole story, ``ASSIGN_CHUNK`` sentences at a time (``values``:
    per sentence, clip → its worth, ``story_values``)."""
    held: list[int | None] = []
    losses: list[dict[int, float]] = []
    for a in range(0, len(values), ASSIGN_CHUNK):
        h, lo = story_losses(values[a:a + ASSIGN_CHUNK])
        held += h
        losses += lo
    return held, losses


def story_claims(ctx: PlanContext, pools: list[np.ndarray], story=None) -> list[dict[int, float]]:
    """Per sentence: row → the claim on the row's clip (score units, > 0; rows without one are
    left out). ``story``: the ``story_assignment`` of the sentences' clips (default: of the
    clips of their pools, as scored)."""
    clip_ids = np.asarray(ctx.table.clip_ids)
    starts = ctx.paragraph_start
    if story is None:
        story = story_assignment([clip_evidence(p, ctx.score(s, p), clip_ids) for s, p in enumerate(pools)])
    held, losses = story
    out: list[dict[int, float]] = []
    for s, pool in enumerate(pools):
        # a neighbour in the paragraph may hold the clip: its shot may run on into this sentence
        # (held within one chunk of the assignment)
        near = {held[k] for k in (s - 1, s + 1) if 0 <= k < len(pools) and k // ASSIGN_CHUNK == s // ASSIGN_CHUNK
                and not starts[max(s, k)]} - {None}
        claims = {}
        if held[s] is not None:  # a sentence the story gives no clip has none of its own to keep to
            for r, c in zip(pool.tolist(), clip_ids[pool].tolist()):
                loss = losses[s].get(c, 0.0)
                if c not in near and loss > LOSS_TIE:
                    claims[r] = claim_of(loss)
        out.append(claims)
    return out


def story_losses(values: list[dict[int, float]]) -> tuple[list[int | None], list[dict[int, float]]]:
    """The story's assignment of clips to sentences and what leaving it costs: per sentence
    (``values``: clip → evidence; taking nothing is worth 0) the clip it holds in an optimal
    assignment (each clip to one sentence at most; None: nothing), and for every clip it
    values that another sentence holds, the loss of the assignment's total when this
    sentence is made to take that clip and every other sentence re-assigned at its best (≥ 0;
    0 where another sentence has an equally good alternative). Exact per group of sentences
    linked by the clips they value (one solve per contended clip), unless a group has more
    than ``EXACT_SENTENCES`` sentences: there the auction's price gap (``auction``)."""
    held: list[int | None] = [None] * len(values)
    losses: list[dict[int, float]] = [{} for _ in values]
    for group in contending_groups(values):
        if len(group) > EXACT_SENTENCES:
            g_held, paid, price = auction([values[s] for s in group])
            holder = {c: s for s, c in zip(group, g_held) if c is not None}
            for s, c, p in zip(group, g_held, paid):
                held[s] = c
                # the price gap, less the auction's imprecision
                losses[s] = {k: max(0.0, price.get(k, 0.0) - p - AUCTION_EPS) for k in values[s]
                             if holder.get(k, s) != s}
            continue
        _exact_losses(values, group, held, losses)
    return held, losses


def _exact_losses(values, group: list[int], held: list, losses: list) -> None:
    """``story_losses`` for one group of sentences, exactly (fills ``held`` and ``losses``)."""
    from scipy.optimize import linear_sum_assignment

    clips = sorted({c for s in group for c in values[s]})
    col = {c: i for i, c in enumerate(clips)}
    n, m = len(group), len(clips)
    matrix = np.full((n, m + n), _BARRED)
    matrix[:, m:] = 0.0  # taking nothing
    for i, s in enumerate(group):
        for c, v in values[s].items():
            matrix[i, col[c]] = v

    def best(mat: np.ndarray) -> tuple[float, np.ndarray]:
        rows, cols = linear_sum_assignment(mat, maximize=True)
        out = np.full(len(mat), -1)
        out[rows] = cols
        return float(mat[rows, cols].sum()), out

    total, chosen = best(matrix)
    holder = {}
    for i, s in enumerate(group):
        if chosen[i] < m:
            held[s] = clips[chosen[i]]
            holder[clips[chosen[i]]] = s
    for i, s in enumerate(group):
        for c, v in sorted(values[s].items()):
            if holder.get(c, s) == s:
                continue  # its own, or nobody's: taking it costs the others nothing
            others = np.delete(np.delete(matrix, i, axis=0), [col[c], m + n - 1], axis=1)
            losses[s][c] = max(0.0, total - v - best(others)[0])


def contending_groups(values: list[dict[int, float]]) -> list[list[int]]:
    """The sentences in groups linked by the clips they value (each sentence in one group,
    groups in order of their first sentence)."""
    parent = list(range(len(values)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[int, int] = {}
    for s, v in enumerate(values):
        for c in v:
            if c in first:
                a, b = root(first[c]), root(s)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first[c] = s
    groups: dict[int, list[int]] = {}
    for s in range(len(values)):
        groups.setdefault(root(s), []).append(s)
    return list(groups.values())


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
