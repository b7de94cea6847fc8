"""Why the plan is what it is (``wam plan --explain``): for every sentence, the runner-up —
the best plan in which that sentence shows none of the shots it shows now, everything else
free to change — and how each cost term differs between the two.

Pure: re-solves the problem the assembler built, with the diversity settings it ended
with, once per sentence.
"""

from __future__ import annotations

import numpy as np

from wam.assemble.costs import piece_costs
from wam.assemble.problem import frames_per_sentence, solve_problem
from wam.assemble.segment_dp import Segment

#: Per second: a cost no runner-up pays when it has any other choice.
BARRED = 1e6


def term_totals(problem, segments: list[Segment]) -> dict[str, float]:
    """The weighted total of every cost term over a tiling (they add up to its cost)."""
    totals = {t.name: 0.0 for t in problem.terms}
    prev = None
    for seg in segments:
        for j, (s, frames) in enumerate(frames_per_sentence(problem, seg)):
            first = j == 0
            opens = not first or seg.start == problem.frames[s][0]
            for name, v in piece_costs(problem, s, seg.row, frames / problem.fps,
                                       (seg.end - seg.start) / problem.fps if first else None, opens=opens,
                                       prev_row=prev if first else None,
                                       across=first and opens and problem.ctx.paragraph_start[s]).items():
                totals[name] += v
        prev = seg.row
    return totals


def explanations(problem, segments: list[Segment]) -> list[dict]:
    """Per sentence: the runner-up's cuts (shot ids and seconds) and, per term, how much more
    (positive) or less it would cost than the chosen plan; ``total`` is the sum."""
    ctx = problem.ctx
    chosen = term_totals(problem, segments)
    shown_in: list[set[int]] = [set() for _ in problem.pools]
    for seg in segments:
        for s, _ in frames_per_sentence(problem, seg):
            shown_in[s].add(seg.row)
    out = []
    for s, rows in enumerate(shown_in):
        saved = dict(ctx.penalties[s])
        for r in rows:
            ctx.penalties[s][r] = saved.get(r, 0.0) + BARRED
        try:
            alt = solve_problem(problem)
        except ValueError:
            alt = None
        finally:
            ctx.penalties[s] = saved
        if alt is None or alt.cost >= BARRED:
            out.append({"runner_up": [], "delta": {}, "total": None,
                        "note": "no other shot can fill this sentence"})
            continue
        totals = term_totals(problem, alt.segments)
        delta = {k: round(totals[k] - chosen[k], 4) for k in chosen}
        cuts = [{"shot_id": ctx.table.shot_ids[g.row], "source": ctx.table.sources[g.row],
                 "seconds": round(f / problem.fps, 3)}
                for g in alt.segments for t, f in frames_per_sentence(problem, g) if t == s]
        total = round(float(np.sum(list(delta.values()))), 4)
        out.append({"runner_up": cuts, "delta": delta, "total": total})
    return out
