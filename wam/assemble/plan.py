"""Assemble a timeline from sentences, shot table and candidates (pure): the top of the
assembler, which the planner calls.

``problem.py`` builds the segment DP's problem and solves it exactly. Reusing footage is
a global constraint the DP cannot see, so ``diversity.py`` penalises repeats and
re-solves, ``repair.py`` enforces the plan's rules by re-solving windows and ``spread.py``
moves forced repeats apart (``solve_diverse``, here: the three in turn); ``report.py``
turns the chosen segments into the Timeline with each cut's costs (``costs.py``),
``moves.py`` gives every still a move and ``explain.py`` the runner-up of every sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from wam.assemble.costs import segments_cost
from wam.assemble.diversity import DiverseResult, footage_uses, search
from wam.assemble.explain import explanations
from wam.assemble.moves import still_moves
from wam.assemble.problem import build_problem
from wam.assemble.repair import enforce
from wam.assemble.report import timeline_of
from wam.assemble.segment_dp import INF, Solution
from wam.assemble.spread import spread_repeats
from wam.assemble.styles import Pace
from wam.assemble.terms import CostWeights
from wam.core.config import DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_K, DEFAULT_WIDTH
from wam.core.errors import WamError
from wam.core.story import Sentence
from wam.core.timeline import Timeline
from wam.text.candidates import candidates_from_scores


def assemble(
    sentences: list[Sentence],
    table,
    candidates,
    *,
    pace: Pace,
    weights: CostWeights = CostWeights(),
    fps: int = DEFAULT_FPS,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    k: int = DEFAULT_K,
    seed: int | None = None,
    model: str = "",
    explain: bool = False,
    beats=None,
    tick: Callable[[int], None] | None = None,
) -> Timeline:
    """The best timeline for ``sentences`` from their ``candidates`` (a list of Candidates, one
    per sentence, or a full (sentences × shots) score matrix). With ``explain``, every
    sentence also says why its cuts beat the runner-up (``explain.py``); with ``beats``
    (seconds from the start), cuts inside sentences fall on them. ``tick(1)`` is called
    after each sentence solved (at most ``diversity.rounds_for`` times per sentence), then
    once more per sentence as the plan's cuts are costed (``report.timeline_of``)."""
    if len(table) == 0:
        raise WamError("no shots to choose from")
    if isinstance(candidates, np.ndarray):
        lengths = table.lengths()
        need = [min(s.duration, pace.max_cut) for s in sentences]
        candidates = candidates_from_scores(candidates, lengths, need, k)
    problem = build_problem(sentences, table, candidates, pace=pace, fps=fps, weights=weights, seed=seed,
                            beats=beats)
    problem.tick = tick
    result = solve_diverse(problem, candidates, costed=False)
    problem.tick = None
    timeline = timeline_of(sentences, problem, candidates, result, pace=pace, fps=fps, width=width,
                           height=height, model=model, tick=tick)
    timeline = replace(timeline, sentences=still_moves(timeline.sentences, table, width, height))
    if explain:
        why = explanations(problem, result.solution.segments)
        explained = [replace(s, explain=w) for s, w in zip(timeline.sentences, why)]
        timeline = replace(timeline, sentences=explained)
    return timeline


def solve_diverse(problem, candidates=None, *, costed: bool = True) -> DiverseResult:
    """The plan ``search`` finds, then its constraints enforced (``repair.enforce``: no footage
    shown twice while the library allows it, whatever way the loop's near-ties fell), and
    repeats the library forces moved apart. Without ``costed``, a plan edited after the
    search has no cost (``nan``): the assembler's report costs every cut of it anyway, and
    costing a long plan twice takes seconds."""
    ctx = problem.ctx
    _, result, ctx.budgets, ctx.once = search(problem)
    ctx.penalties = result.penalties
    found = result.solution.segments
    segs = enforce(problem, found)
    uses = footage_uses(problem, segs) if segs != found else result.uses
    if uses.repeats:
        segs = spread_repeats(problem, segs)
        uses = footage_uses(problem, segs)
    if segs == found:
        return result
    if not costed:
        return DiverseResult(Solution(float("nan"), segs), uses, result.penalties, result.rounds)
    cost = segments_cost(problem, segs)  # the edited plan's objective
    solution = Solution(cost if np.isfinite(cost) else INF, segs)
    return DiverseResult(solution, uses, result.penalties, result.rounds)
