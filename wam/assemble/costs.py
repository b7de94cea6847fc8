"""The weighted cost terms of a plan's cuts, as the segment DP paid them (pure): ``Piece``
(one cut or continuation), ``pieces_costs`` (each term of each piece) and ``segments_cost``
(the objective of a whole tiling). Used after a solve, on a ``problem.Problem``: by the
diversity loop (what its penalties added), by the plan's last edits (their cost), by
``explain`` (term totals of the runner-up) and by ``report`` (every cut's ``costs``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from wam.assemble.problem import frames_per_sentence
from wam.assemble.segment_dp import Segment


class Piece(NamedTuple):
    """One cut (or continuation) as the DP costs it: sentence ``s`` shows ``row`` for
    ``seconds``; ``cut_length``: the whole cut's seconds where the piece starts a cut (None:
    it runs on from the sentence before); ``opens``: the piece shows the sentence's first frame; the cut
    into it is from ``prev_row`` (None: none is seen), ``across`` a paragraph boundary."""

    s: int
    row: int
    seconds: float
    cut_length: float | None
    opens: bool
    prev_row: int | None
    across: bool


def piece_costs(problem, s: int, row: int, seconds: float, cut_length: float | None, *, opens: bool,
                prev_row: int | None, across: bool, only: str | None = None) -> dict[str, float]:
    """The weighted terms of one cut (or continuation) as the DP costed it."""
    return pieces_costs(problem, [Piece(s, row, seconds, cut_length, opens, prev_row, across)], only=only)[0]


def pieces_costs(problem, pieces: list[Piece], only: str | None = None,
                 tick: Callable[[int], None] | None = None) -> list[dict[str, float]]:
    """``piece_costs`` of every piece (``only``: of that term alone). Each term is asked once
    per sentence for all the pieces in it: a long plan has tens of thousands of pieces.
    ``tick(1)`` is called after each sentence (a progress bar)."""
    ctx = problem.ctx
    out: list[dict[str, float]] = [{} for _ in pieces]
    in_sentence: dict[int, list[int]] = {}
    for i, p in enumerate(pieces):
        in_sentence.setdefault(p.s, []).append(i)
    terms = [t for t in problem.terms if only is None or t.name == only]
    for s, idx in in_sentence.items():
        mine = [pieces[i] for i in idx]
        rows = np.array([p.row for p in mine], np.int64)
        starts = [j for j, p in enumerate(mine) if p.cut_length is not None]  # the pieces that start a cut
        opening = [j for j, p in enumerate(mine) if p.opens]  # the pieces showing the sentence's first frame
        lengths = np.array([mine[j].cut_length for j in starts], np.float64)
        for term in terms:
            # Python floats of the terms' numbers: the same additions, in the same order, as one piece
            # at a time
            per_second = _floats(term.per_second(ctx, s, rows))
            per_sentence = _floats(term.per_sentence(ctx, s, rows))
            per_cut = term.per_cut(ctx, s, rows[starts], lengths) if starts else None
            cut = dict(zip(starts, np.diagonal(per_cut).tolist())) if per_cut is not None else None
            opens = term.opening(ctx, s, rows[opening]) if opening else None
            opened = dict(zip(opening, opens.tolist())) if opens is not None else None
            for j, p in enumerate(mine):
                total = 0.0
                if per_second is not None:
                    # the DP charges per frame: the same number, summed frame by frame
                    total += per_second[j] * p.seconds
                if per_sentence is not None:
                    total += per_sentence[j]
                if p.opens and opened is not None:  # a cut, or a shot running on into the sentence
                    total += opened[j]
                if p.cut_length is not None:
                    if cut is not None:
                        total += cut[j]
                    v = None if p.prev_row is None else _transition(ctx, term, p.prev_row, p.row, p.across)
                    if v is not None:
                        total += v
                out[idx[j]][term.name] = term.weight * total
        if tick is not None:
            tick(1)
    return out


def _floats(v) -> list[float] | None:
    return None if v is None else np.asarray(v, np.float64).tolist()


def _transition(ctx, term, prev_row: int, row: int, across: bool) -> float | None:
    """``term``'s unweighted cost of the cut from ``prev_row`` to ``row`` (None: it has none)."""
    key = (term.name, prev_row, row, across)
    if key not in ctx.cuts:  # transitions never vary: the same pairs recur all over a long plan
        v = term.transition(ctx, np.array([prev_row]), np.array([row]), across_paragraph=across)
        ctx.cuts[key] = None if v is None else float(v[0, 0])
    return ctx.cuts[key]


def segments_cost(problem, segments: list[Segment]) -> float:
    """The objective of a tiling, term by term, as the report computes it."""
    pieces = []
    prev = None
    for seg in segments:
        for j, (s, frames) in enumerate(frames_per_sentence(problem, seg)):
            a = problem.frames[s][0]
            first = j == 0
            cut_length = (seg.end - seg.start) / problem.fps if first else None
            pieces.append(Piece(s, seg.row, frames / problem.fps, cut_length,
                                opens=not first or seg.start == a, prev_row=prev if first else None,
                                across=first and seg.start == a and problem.ctx.paragraph_start[s]))
        prev = seg.row
    total = 0.0
    for costs in pieces_costs(problem, pieces):
        total += sum(costs.values())
    return total
