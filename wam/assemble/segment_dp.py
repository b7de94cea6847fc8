"""Exact segment DP (a semi-Markov Viterbi) that tiles a timeline of spans with cuts.

The assembler's search, with nothing about video in it. The output timeline is a row of
*spans* (sentences); each span offers a pool of *rows* (candidate shots) and a grid of
frame offsets where a cut may fall. A *segment* shows one row over [start, end) frames:

* a segment lies inside one span, or — when the next span allows it (same paragraph)
  and the row is in both pools — runs on across the boundary (a continuation: the same
  shot keeps playing, no cut is seen);
* its cost is ``rate[row]`` per frame and ``presence[row]`` once in every span it covers,
  plus ``cut_cost[row, L]`` for its whole length L in frames (``inf``: length not allowed),
  plus ``opening[row]`` of every span whose first frame it shows (started afresh there, or
  running on into it);
* consecutive segments pay ``within[a, b]`` inside a span and ``enter[a, b]`` when the new
  segment starts a span.

* a span may name a few rows that it shows at most once (no A … A inside it).

``solve`` returns the exact minimum over all tilings (every segment boundary on a grid
point or a span boundary). Work is O(2^once · (Σ positions² · K + positions · K²)) and
memory is the back pointers only; ``cut_cost`` is asked for one span at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Span:
    """One sentence's slice of the problem (arrays indexed by the span's own row order)."""

    frames: int  # length in output frames
    grid: np.ndarray  # int64 offsets where a cut may fall, ascending, starting at 0 and ending at ``frames``
    rows: np.ndarray  # int64 (K,) row identities (a continuation needs the same identity on both sides)
    rate: np.ndarray  # float64 (K,) cost per frame of showing each row in this span
    # float64 (K,) cost of a segment showing this span's first frame (afresh or running on)
    opening: np.ndarray
    within: np.ndarray  # float64 (K, K) cost of a cut between two segments inside the span
    # float64 (K_prev, K) cost of a cut at the span's start (None: first span)
    enter: np.ndarray | None = None
    continues: bool = False  # a segment of the previous span may run on into this one
    # bool (K,): rows that may run on into or out of this span (None: all)
    carry_ok: np.ndarray | None = None
    once: np.ndarray | None = None  # indices of rows shown at most once in this span (a few: 2^len states)
    run_cap: np.ndarray | None = None  # int64 (K,): longest segment of each row that may cross a boundary
    # float64 (K,): cost of each segment (or run-on piece) of a row in this span
    presence: np.ndarray | None = None


#: ``cut_cost(span_index, span, max_len)`` → float64 (K, max_len + 1): cost of one whole
#: segment of each row of the span by length in frames (inf where not allowed). For rows
#: that may continue (``carry_ok``) it must not depend on the span, since a continuation is
#: costed by the span it ends in; rows that cannot continue may have span-specific costs.
CutCost = Callable[[int, Span, int], np.ndarray]


@dataclass(frozen=True)
class Segment:
    row: int  # the row's identity
    start: int  # first frame on the whole timeline
    end: int  # one past the last frame
    span: int  # span where it starts
    k: int  # index of the row in that span's pool


@dataclass
class Solution:
    cost: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class _Back:
    grid: np.ndarray
    rows: np.ndarray
    bits: np.ndarray  # (K,) the row's bit in the "shown already" mask (0: not limited)
    best_from: np.ndarray  # (n+1, S, K) int32: ≥0 start position of a fresh segment, <0: −(carry entry + 1)
    inn_from: np.ndarray  # (n, S, K) int32: the previous segment's row (previous span's pool at position 0)
    end_mask: np.ndarray  # (K,) mask of the cheapest state ending the span with each row
    carry_span: np.ndarray  # origin span of each carry entry usable in this span
    carry_pos: np.ndarray  # origin position of each carry entry
    carry_mask: np.ndarray  # (K, m) mask at the origin of each carry entry, per row


@dataclass
class _Carry:
    """Segments still running at a span's end: entry c started at (span[c], pos[c]) with mask
    ``mask[k, c]``, has run ``length[c]`` frames and cost ``cost[k, c]`` so far for row k
    (without its cut cost)."""

    rows: np.ndarray
    length: np.ndarray
    cost: np.ndarray
    span: np.ndarray
    pos: np.ndarray
    mask: np.ndarray


def solve(spans: list[Span], cut_cost: CutCost, max_len: int, min_len: int = 1, *,
          entry: np.ndarray | None = None, exit: np.ndarray | None = None,
          tick: Callable[[int], None] | None = None) -> Solution:
    """The cheapest tiling of ``spans``: no segment shorter than ``min_len`` frames (unless
    a whole span is shorter), none longer than ``max_len`` across a span boundary (inside a
    span one segment may always cover it all). ``entry`` (K of the first span) is added to
    the first segment's cost and ``exit`` (K of the last span) to the last one's: the cut
    from and into fixed footage on either side, when only a window of a plan is solved."""
    if not spans:
        return Solution(0.0, [])
    offsets = np.concatenate([[0], np.cumsum([sp.frames for sp in spans])]).astype(np.int64)
    backs: list[_Back] = []
    prev_end: np.ndarray | None = None
    carry: _Carry | None = None
    for s, sp in enumerate(spans):
        nxt = spans[s + 1] if s + 1 < len(spans) else None
        back, prev_end, carry = _forward_span(s, sp, cut_cost, max_len, min_len, prev_end, carry, nxt,
                                              entry if s == 0 else None)
        backs.append(back)
        if tick is not None:
            tick(1)
    if exit is not None:
        prev_end = prev_end + np.asarray(exit, np.float64)
    k = int(np.argmin(prev_end))
    cost = float(prev_end[k])
    if not np.isfinite(cost):
        raise ValueError("no tiling satisfies the constraints")
    return Solution(cost, _backtrack(backs, offsets, k))


def _bits(sp: Span) -> np.ndarray:
    bits = np.zeros(len(sp.rows), np.int64)
    if sp.once is not None:
        for b, k in enumerate(np.asarray(sp.once, np.int64).tolist()):
            bits[k] = 1 << b
    return bits


def _forward_span(s: int, sp: Span, cut_cost: CutCost, max_len: int, min_len: int, prev_end, carry, nxt,
                  entry=None):
    P = np.ascontiguousarray(sp.grid, np.int64)
    n = len(P) - 1
    K = len(sp.rows)
    F = int(sp.frames)
    bits = _bits(sp)
    S = 1 << (0 if sp.once is None else len(sp.once))
    cap = max(max_len, F)
    cc = np.array(cut_cost(s, sp, cap), np.float64)
    cc[:, :min_len] = INF
    opening = np.asarray(sp.opening, np.float64)
    if prev_end is None:
        inn0 = opening.copy() if entry is None else opening + np.asarray(entry, np.float64)
        inn0_from = np.full(K, -1, np.int32)
    else:
        tot = prev_end[:, None] + sp.enter
        inn0_from = np.argmin(tot, axis=0).astype(np.int32)
        inn0 = tot[inn0_from, np.arange(K)] + opening
    # segments that may run on into this span, re-indexed to this span's rows
    c_len = np.zeros(0, np.int64)
    c_cost = np.zeros((K, 0))
    c_mask = np.zeros((K, 0), np.int64)
    c_span = np.zeros(0, np.int32)
    c_pos = np.zeros(0, np.int32)
    if carry is not None and sp.continues and len(carry.length):
        where = _positions(carry.rows, sp.rows)
        ok = where >= 0
        if sp.carry_ok is not None:
            ok &= np.asarray(sp.carry_ok, bool)
        if ok.any():
            c_len, c_span, c_pos = carry.length, carry.span, carry.pos
            c_cost = np.full((K, len(c_len)), INF)
            c_cost[ok] = carry.cost[where[ok]]
            c_mask = np.zeros((K, len(c_len)), np.int64)
            c_mask[ok] = carry.mask[where[ok]]
    rate = np.ascontiguousarray(sp.rate, np.float64)
    run_cap = np.full(K, max_len, np.int64) if sp.run_cap is None else np.minimum(np.asarray(sp.run_cap,
                                                                                             np.int64),
                                                                                             max_len)
    presence = np.zeros(K) if sp.presence is None else np.asarray(sp.presence, np.float64)
    if sp.presence is not None:
        c_cost = c_cost + presence[:, None]  # a segment running on into this span is present in it too
    c_cost = c_cost + opening[:, None]  # … and opens it
    best_from, inn_from, end, end_mask, fresh_cost, fresh_mask = _relax_span(
        P, rate, cc, presence, np.asarray(sp.within, np.float64), inn0, inn0_from, bits, S, c_len, c_cost,
        run_cap)
    back = _Back(P, np.asarray(sp.rows, np.int64), bits, best_from, inn_from, end_mask, c_span, c_pos,
                 c_mask)
    new_carry = None
    if nxt is not None and nxt.continues:
        run = F - P[:n]  # fresh segments started at positions 0..n-1 still running at the end
        keep = np.nonzero(run < max_len)[0]
        lengths = [run[keep]]
        costs = [fresh_cost[:, keep]]
        masks_ = [fresh_mask[:, keep]]
        spans_ = [np.full(len(keep), s, np.int32)]
        pos_ = [keep.astype(np.int32)]
        if len(c_len):
            through = c_len + F < max_len
            if through.any():
                lengths.append(c_len[through] + F)
                costs.append(c_cost[:, through] + rate[:, None] * F)
                masks_.append(c_mask[:, through])
                spans_.append(c_span[through])
                pos_.append(c_pos[through])
        length = np.concatenate(lengths)
        if len(length):
            cost = np.concatenate(costs, axis=1)
            cost = np.where(length[None, :] < run_cap[:, None], cost, INF)
            if sp.carry_ok is not None:
                cost = np.where(np.asarray(sp.carry_ok, bool)[:, None], cost, INF)
            alive = np.isfinite(cost).any(axis=0)
            new_carry = _Carry(np.asarray(sp.rows, np.int64), length[alive], cost[:, alive],
                               np.concatenate(spans_)[alive], np.concatenate(pos_)[alive],
                               np.concatenate(masks_, axis=1)[:, alive])
    return back, end, new_carry


def _relax_span(P, rate, cc, presence, within, inn0, inn0_from, bits, S, c_len, c_cost, run_cap):
    """The DP inside one span, by relaxation: all positions are updated at once from the
    current entry costs until nothing improves (as many rounds as the cheapest tilings have
    cuts, plus one). Costs are non-negative and segments only go forward, so the fixpoint
    is the exact optimum and its back pointers are consistent.

    Returns best_from (n+1, S, K), inn_from (n, S, K), end (K,), end_mask (K,), and for
    segments started at each position and still running at the span's end, their cost so
    far (K, n) and origin mask (K, n). Arrays are laid out so that every minimum is taken
    over a leading axis (numpy's fast case); most spans have one mask (S = 1)."""
    n = len(P) - 1
    K = len(rate)
    ar = np.arange(K)
    cap = cc.shape[1] - 1
    by_len = np.empty((cap + 2, K))  # cut costs by length in frames, and a last row of INF: "not forward"
    by_len[: cap + 1] = cc.T
    by_len[cap + 1] = INF
    L = P[None, :] - P[:n, None]  # (n, n+1) start position → end position
    Pf = P.astype(np.float64)
    seg = np.take(by_len, np.where(L > 0, L, cap + 1), axis=0)  # (n, n+1, K)
    seg += rate[None, None, :] * (Pf[None, :] - Pf[:n, None])[:, :, None]
    seg += presence
    # segments running on from the previous span: always the span's first segment
    cont = np.full((n + 1, K), INF)
    cont_from = np.zeros((n + 1, K), np.int32)
    if len(c_len):
        Lc = c_len[:, None] + P[None, :]  # (m, n+1) carry entry, end position → whole length
        Lc[:, 0] = cap + 1  # a segment running on covers at least the span's first stretch
        run_on = by_len.copy()
        run_on[np.arange(cap + 2)[:, None] > run_cap[None, :]] = INF  # longer than each row may run on
        total = c_cost.T[:, None, :] + (rate[None, :] * Pf[:, None])[None, :, :]  # (m, n+1, K)
        total += np.take(run_on, np.where(Lc <= cap, Lc, cap + 1), axis=0)
        cont = total.min(axis=0)
        cont_from = -(total.argmin(axis=0) + 1).astype(np.int32)
    simple = S == 1
    inn = np.full((n, S, K), INF)
    inn_from = np.full((n, S, K), -1, np.int32)
    inn[0, bits, ar] = inn0
    inn_from[0, bits, ar] = inn0_from
    if not simple:
        masks = np.arange(S)[:, None]
        # (S, K) mask before entering k
        enter_src = np.where(bits[None, :] > 0, masks ^ bits[None, :], masks)
        enter_ok = (bits[None, :] == 0) | ((masks & bits[None, :]) != 0)
    land = (slice(None), bits, ar)  # the state a continuation lands in, per (position, row)
    seg = seg[:, :, None, :]
    cand = np.empty((n, n + 1, S, K))
    fresh = np.empty((n + 1, S, K))  # the best fresh segment ending at each position
    tot = np.empty((K, n - 1, S, K))  # (row before the cut, position, mask, row after)
    t = np.empty((n - 1, S, K))
    w = within[:, None, None, :]
    while True:  # values only; the back pointers are read off the fixpoint afterwards
        np.add(inn[:, None], seg, out=cand)
        cand.min(axis=0, out=fresh)
        if simple:
            best = np.minimum(fresh, cont[:, None, :])
        else:
            best = fresh.copy()
            best[land] = np.minimum(best[land], cont)
        np.add(best[1:n].transpose(2, 0, 1)[..., None], w, out=tot)
        tot.min(axis=0, out=t)
        new = t if simple else np.where(enter_ok, t[:, enter_src, ar], INF)
        if (new == inn[1:]).all():
            break
        inn[1:] = new
    best_from = cand.argmin(axis=0).astype(np.int32)
    from_carry = cont < (fresh[:, 0] if simple else fresh[land])
    if from_carry.any():
        jb, kb = np.nonzero(from_carry)
        best_from[jb, bits[kb], kb] = cont_from[jb, kb]
    if n > 1:
        kk = tot.argmin(axis=0)
        inn_from[1:] = kk if simple else np.where(enter_ok, kk[:, enter_src, ar], -1)
    end_mask = np.argmin(best[n], axis=0)
    end = best[n, end_mask, ar]
    if simple:
        fresh_mask, fresh_in = np.zeros((n, K), np.int64), inn[:, 0]
    else:
        fresh_mask = np.argmin(inn, axis=1)  # (n, K)
        fresh_in = np.take_along_axis(inn, fresh_mask[:, None, :], axis=1)[:, 0, :]
    run = (P[n] - P[:n]).astype(np.float64)
    fresh_cost = (fresh_in + rate[None, :] * run[:, None] + presence[None, :]).T
    return best_from, inn_from, end, end_mask, fresh_cost, fresh_mask.T


def _positions(rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, its index in ``rows`` (−1 if absent)."""
    rows = np.asarray(rows)
    order = np.argsort(rows, kind="stable")
    pos = np.searchsorted(rows[order], wanted)
    pos = np.minimum(pos, len(rows) - 1)
    found = rows[order][pos] == wanted
    return np.where(found, order[pos], -1)


def _backtrack(backs: list[_Back], offsets: np.ndarray, k: int) -> list[Segment]:
    segments: list[Segment] = []
    s = len(backs) - 1
    j = len(backs[s].grid) - 1
    m = int(backs[s].end_mask[k])
    while True:
        b = backs[s]
        row = int(b.rows[k])
        end = int(offsets[s] + b.grid[j])
        o = int(b.best_from[j, m, k])
        if o >= 0:
            s0, i0, k0, m0 = s, o, k, m
        else:
            c = -o - 1
            s0, i0 = int(b.carry_span[c]), int(b.carry_pos[c])
            m0 = int(b.carry_mask[k, c])
            k0 = int(_positions(backs[s0].rows, np.array([row]))[0])
        b0 = backs[s0]
        segments.append(Segment(row, int(offsets[s0] + b0.grid[i0]), end, s0, k0))
        prev = int(b0.inn_from[i0, m0, k0])
        if i0 == 0:
            if s0 == 0:
                break
            s, k = s0 - 1, prev
            j = len(backs[s].grid) - 1
            m = int(backs[s].end_mask[k])
        else:
            bit = int(b0.bits[k0])
            s, k, j, m = s0, prev, i0, (m0 ^ bit) if bit else m0
    segments.reverse()
    return segments
