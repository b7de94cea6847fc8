"""Story-level claims on clips: when several sentences want one clip and its footage serves
fewer of them, the story decides which sentence the clip is about, and the others leave it.

A sentence alone takes its best-scoring clip (MiniLM top-1, in effect), so a sentence that
mentions a neighbouring scene ("no crowd, no race: just one player and a ball") takes that
scene's clip — the stadium crowd — although the sentence that is about the crowd has nothing
else like it, and its own clip (the tennis player) is a close second. The story sees that
(issue 20: the right clip missed on multi-shot clips): clips are assigned to sentences to
maximise the evidence over the whole story, where a clip serves as many sentences as its
footage fills (``slots``), by Bertsekas' auction (``auction``): each sentence bids for the
clip whose evidence, less its price, is highest; a price rises by the bidder's margin over
its second choice (plus ``CLAIM_MARGIN``). At the end every sentence holds a clip within
``CLAIM_MARGIN`` of its best net value, and a clip's price is what the story loses if one
more sentence took it.

``story_claims`` turns the prices into a cost per second, in score units (the ``Claim``
term, at the semantic weight): in sentence s a clip costs what its price is above the price
of the clip s holds, plus ``CLAIM_MARGIN`` — so s never prefers a clip that the story gave
to another sentence over its own. Uncontended clips cost nothing (their price stays 0), so
five sentences about one long cat clip share it freely; a clip held by a neighbour in the
same paragraph costs nothing either (a shot may run on into the next sentence). Clips count
as a whole: a clip's evidence for a sentence is its best shot's
(``candidates.clip_evidence``). Pure numpy; a long story is assigned ``ASSIGN_CHUNK``
sentences at a time.
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


def auction(values: list[dict[int, float]], slots: dict[int, int], eps: float = AUCTION_EPS
            ) -> tuple[list[int | None], list[float], dict[int, float]]:
    """Assign clips to bidders (Bertsekas' auction): ``values`` per bidder, clip → value; a
    clip has ``slots[clip]`` places (default 1); a bidder may also take nothing (value 0).
    Returns per bidder the clip it holds (None: nothing) and the price it pays, and per clip
    the price of its cheapest place (what one more bidder must pay). Deterministic;
    ε-optimal (every bidder's net value within ``eps`` of its best)."""
    prices: dict[int, list[float]] = {}
    holders: dict[int, list[int | None]] = {}
    held: list[int | None] = [None] * len(values)
    paid = [0.0] * len(values)
    queue = deque(range(len(values)))
    while queue:
        s = queue.popleft()
        first = second = (0.0, None, -1)  # (net value, clip, place); taking nothing is worth 0
        for clip in sorted(values[s]):
            if clip not in prices:
                prices[clip] = [0.0] * max(1, slots.get(clip, 1))
                holders[clip] = [None] * len(prices[clip])
            order = np.argsort(prices[clip], kind="stable")[:2]  # its cheapest place, and the next one
            for rank, place in enumerate(order.tolist()):
                option = (values[s][clip] - prices[clip][place], clip, place)
                if rank == 0 and option[0] > first[0]:
                    first, second = option, first
                elif option[0] > second[0]:
                    second = option
        if first[1] is None:
            continue  # nothing is worth its price: this bidder holds nothing
        clip, place = first[1], first[2]
        bid = prices[clip][place] + first[0] - second[0] + eps
        before = holders[clip][place]
        if before is not None:
            held[before], paid[before] = None, 0.0
            queue.append(before)
        prices[clip][place], holders[clip][place] = bid, s
        held[s], paid[s] = clip, bid
    return held, paid, {c: min(p) for c, p in prices.items()}


def story_claims(ctx: PlanContext, pools: list[np.ndarray]) -> list[dict[int, float]]:
    """Per sentence: row → the claim on the row's clip (score units, > 0; rows without one are
    left out)."""
    clip_ids = np.asarray(ctx.table.clip_ids)
    starts = ctx.paragraph_start
    out: list[dict[int, float]] = []
    for a in range(0, len(pools), ASSIGN_CHUNK):
        chunk = range(a, min(len(pools), a + ASSIGN_CHUNK))
        values = [clip_evidence(pools[s], ctx.score(s, pools[s]), clip_ids) for s in chunk]
        held, paid, price = auction(values, {})
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
