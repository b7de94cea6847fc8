"""Repeats the library forces, moved apart (after ``repair.enforce``): when a story needs
more footage than its shots hold, a shot shown again should at least not be shown again
soon. Pure, and near-linear in the plan's segments.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort

from wam.assemble.problem import last_sentence
from wam.assemble.repair import NoRepeat
from wam.assemble.segment_dp import Segment

#: Repeats moved apart at most: this many, plus one per this many segments.
MAX_MOVES = 200
MOVES_PER_SEGMENTS = 50


def spread_repeats(problem, segments: list[Segment]) -> list[Segment]:
    """When the library is too small, move repeats apart: take the repeat closest to another
    use of its shot (the same sentence first) and show instead the cheapest shot of its
    sentence that is used farther away (or not at all), keeping the cut's length, every
    editing rule at its neighbours and the seconds of repeated footage; then the next
    closest. Returns the edited segments. Near-linear: uses of each shot are kept as sorted sentence
    positions, and at most ``MAX_MOVES`` plus one per ``MOVES_PER_SEGMENTS`` segments are made."""
    ctx = problem.ctx
    fps = problem.fps
    segs = list(segments)
    far_away = len(problem.pools) + 1
    at: dict[int, list[int]] = {}  # row → sentences of its uses, sorted (with repeats)
    for g in segs:
        at.setdefault(g.row, []).append(g.span)
    rates: dict[int, dict[int, float]] = {}
    rule = NoRepeat(problem, segs)

    def rate(s: int) -> dict[int, float]:
        if s not in rates:
            rates[s] = dict(zip(problem.pools[s].tolist(), problem.rate(s).tolist()))
        return rates[s]

    def distance(row: int, s: int, own: bool) -> int:
        """Sentences from s to the nearest use of ``row`` (``own``: not counting one use at s)."""
        spans = at.get(row, [])
        i = bisect_left(spans, s)
        if own:
            if i + 1 < len(spans) and spans[i + 1] == s:
                return 0
            left = spans[i - 1] if i > 0 else None
            right = spans[i + 1] if i + 1 < len(spans) else None
        else:
            left = spans[i - 1] if i > 0 else None
            right = spans[i] if i < len(spans) else None
        return min(s - left if left is not None else far_away, right - s if right is not None else far_away)

    repeated = {g.row for g in rule.broken()}
    heap = [(distance(g.row, g.span, True), i) for i, g in enumerate(segs)
            if g.row in repeated and last_sentence(problem, g) == g.span]
    heapq.heapify(heap)
    moves = MAX_MOVES + len(segs) // MOVES_PER_SEGMENTS
    while heap and moves > 0:
        gap, i = heapq.heappop(heap)
        seg = segs[i]
        if distance(seg.row, seg.span, True) != gap:
            heapq.heappush(heap, (distance(seg.row, seg.span, True), i))
            continue
        pool = problem.pools[seg.span].tolist()
        have = ctx.shot_seconds(problem.pools[seg.span]).tolist()
        length = (seg.end - seg.start) / fps
        here = rate(seg.span)
        options = []
        for k, r in enumerate(pool):
            if r == seg.row or have[k] + 1e-6 < length or here[r] > here[seg.row] + ctx.weights.reuse / fps:
                # the same shot, too short, or worse than the repeat it would replace (e.g. a last resort)
                continue
            far = distance(r, seg.span, False)
            if far > gap:
                options.append((here[r], -far, r, k))
        for _, minus_far, r, k in sorted(options)[:3]:
            moved = Segment(r, seg.start, seg.end, seg.span, k)
            if not _fits_between(problem, segs, i, r) or rule.delta([seg], [moved]) > 0:
                continue
            rule.commit([seg], [moved])
            segs[i] = moved
            at[seg.row].remove(seg.span)
            insort(at.setdefault(r, []), seg.span)
            heapq.heappush(heap, (-minus_far, i))
            moves -= 1
            break
    return segs


def _fits_between(problem, segs: list[Segment], i: int, row: int) -> bool:
    """Whether ``row`` may replace segment i: no same-shot neighbour, no going back inside a
    clip next to it in the same sentence, and not already shown elsewhere in the sentence."""
    seg = segs[i]
    table = problem.ctx.table
    for j in (i - 1, i + 1):
        if not 0 <= j < len(segs):
            continue
        other = segs[j]
        if other.row == row:
            return False
        if other.span == seg.span:
            a, b = (other.row, row) if j < i else (row, other.row)
            if (int(table.clip_ids[a]) == int(table.clip_ids[b])
                    and float(table.starts[b]) <= float(table.starts[a])):
                return False
    j = i - 1
    while j >= 0 and segs[j].span == seg.span:
        if segs[j].row == row:
            return False
        j -= 1
    j = i + 1
    while j < len(segs) and segs[j].span == seg.span:
        if segs[j].row == row:
            return False
        j += 1
    return True
