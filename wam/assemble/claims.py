"""Story-level claims on clips: when several sentences want one clip, the story decides
which sentence the clip is about, and the others leave it.

A sentence alone takes its best-scoring clip (MiniLM top-1, in effect), so a sentence that
mentions a neighbouring scene ("no crowd, no race: just one player and a ball") takes that
scene's clip — the stadium crowd — although the sentence about the crowd has nothing else
like it, and the sentence's own clip (the tennis player) is a close second. That is why the
right clip was missed on multi-shot clips (issue 20; bench/montage_quality.py's confusable
scenes). The story sees it: clips are assigned to sentences, each clip to one sentence, to
maximise the evidence over the whole story, by Bertsekas' auction (``auction``): each
sentence bids for the clip whose evidence less its price is highest, raising the price by
its margin over its second choice (plus ``AUCTION_EPS``); at the end every sentence holds
a clip within ``AUCTION_EPS`` of its best net value, and a clip's price is what another
sentence would have to give up to take it.

``story_claims`` turns prices into a cost per second (the ``Claim`` term): in a sentence
that holds a clip, another clip costs, in score units, what its price is above the price
of the sentence's own (``claim_of``: nothing for a tie within ``AUCTION_EPS``, beyond it the
excess plus ``CLAIM_MARGIN``). A sentence the story gives no clip, and a clip held by the
sentence just before or after in the same paragraph (a shot may run on into the next
sentence; the scene goes on), claim nothing. The term's weight (``CostWeights.claim``, 10)
puts the story's assignment above pace preferences — a calm edit would otherwise rather
show another scene's still in one cut than its own clip in three — but below the hard rules
of ``lead.py`` and below a held frame: a sentence with nothing else above its floor still
shows a claimed clip. Clips count as a whole: a clip's evidence for a sentence is its best
shot's (``candidates.clip_evidence``), so a clip's shots are claimed together. Pure; a long
story is assigned ``ASSIGN_CHUNK`` sentences at a time.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from wam.assemble.terms import PlanContext, Term
from wam.candidates import clip_evidence

#: The auction's bid increment (score units): the assignment is within this of the best.
AUCTION_EPS = 0.02
#: What a clip the story gave to another sentence is worth less than its net value here (score units).
CLAIM_MARGIN = 0.2
#: Sentences assigned together (a long story: chunk by chunk, so the work stays linear).
ASSIGN_CHUNK = 250


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


def story_claims(ctx: PlanContext, pools: list[np.ndarray]) -> list[dict[int, float]]:
    """Per sentence: row → the claim on the row's clip (score units, > 0; rows without one are
    left out)."""
    clip_ids = np.asarray(ctx.table.clip_ids)
    starts = ctx.paragraph_start
    out: list[dict[int, float]] = []
    for a in range(0, len(pools), ASSIGN_CHUNK):
        chunk = range(a, min(len(pools), a + ASSIGN_CHUNK))
        values = [clip_evidence(pools[s], ctx.score(s, pools[s]), clip_ids) for s in chunk]
        held, paid, price = auction(values)
        for j, s in enumerate(chunk):
            # a neighbour in the paragraph may hold the clip: its shot may run on into this sentence
            near = {held[k - a] for k in (s - 1, s + 1) if a <= k < chunk.stop
                    and not starts[max(s, k)]} - {None}
            claims = {}
            if held[j] is not None:  # a sentence the story gives no clip has none of its own to keep to
                for r, c in zip(pools[s].tolist(), clip_ids[pools[s]].tolist()):
                    gap = price.get(c, 0.0) - paid[j]
                    if c != held[j] and c not in near and gap > AUCTION_EPS:
                        claims[r] = claim_of(gap)
            out.append(claims)
    return out


def claim_of(gap: float) -> float:
    """A claim from the price ``gap`` (a clip's price over the one the sentence pays): 0 within
    the auction's precision (``AUCTION_EPS``: a tie — sentences valuing every clip alike claim
    nothing from each other), beyond it the excess plus ``CLAIM_MARGIN``, reached within one
    more ``AUCTION_EPS``. Continuous in the gap, so that last-bit noise moves a claim by last bits."""
    over = max(0.0, gap - AUCTION_EPS)
    return over + CLAIM_MARGIN * min(1.0, over / AUCTION_EPS)


class Claim(Term):
    """Per second of a clip the story gave to another sentence: its claim in score units
    (``story_claims``), so at the ``semantic`` weight the clip is never worth more here than
    the sentence's own."""

    name = "claim"

    def per_second(self, ctx, s, rows):
        if not ctx.claims or not ctx.claims[s]:
            return None
        get = ctx.claims[s].get
        return np.fromiter((get(int(r), 0.0) for r in rows), np.float64, len(rows))
