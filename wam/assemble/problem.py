"""The DP's problem for a story (pure): from sentences, shot table and candidates to the
segment DP's spans and costs (``Problem``, ``build_problem``), and one exact solve of it
(``solve_problem``). The first step of planning after the candidates: ``diversity``,
``repair``, ``spread``, ``explain`` and ``report`` all work on the Problem built here.

Each sentence becomes a span of output frames with its candidate shots as the pool; the
cost terms (``terms.py``) turn into per-frame rates, per-cut length costs and transition
matrices; the segment DP (``segments.py``) finds the exact cheapest tiling — every cut its
own length on a 0.2 s grid inside the sentence, continuations across sentence boundaries
inside a paragraph. A sentence's pool holds only footage near its best, and only its best
may open it (``lead.py``: hard rules of the problem); a clip that several sentences want
goes to the one the story gives it to (``claims.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from wam.assemble.claims import story_claims, story_held, story_values
from wam.assemble.lead import floor_rows, may_open, pinned_mask
from wam.assemble.pairs import TransitionCosts
from wam.assemble.segment_dp import INF, Segment, Span, solve
from wam.assemble.styles import Pace
from wam.assemble.terms import WEAK_MATCH, CostWeights, PlanContext, Term
from wam.assemble.termset import default_terms
from wam.core.story import Sentence
from wam.text.candidates import Candidates

#: Cuts inside a sentence fall on multiples of this many seconds from its start (whole frames).
CUT_STEP_SECONDS = 0.2
#: At most this many shots per sentence are tracked as "shown at most once" (2^n DP states).
MAX_ONCE = 3
#: No cut is shorter than this (or than the pace's shortest cut, if that is shorter).
HARD_MIN_CUT = 0.5


def sentence_frames(sentences: list[Sentence], fps: int) -> list[tuple[int, int]]:
    """Each sentence's [start, end) in output frames: each ends on the frame nearest the sum
    of the durations so far (cumulative rounding: no drift), and lasts at least one frame."""
    out, t, a = [], 0.0, 0
    for s in sentences:
        t += s.duration
        b = max(a + 1, round(t * fps))
        out.append((a, b))
        a = b
    return out


def cut_grid(frames: int, fps: int, step_seconds: float = CUT_STEP_SECONDS) -> np.ndarray:
    """Frame offsets inside a sentence where a cut may fall: every step, and the end."""
    step = max(1, round(fps * step_seconds))
    return np.unique(np.concatenate([np.arange(0, frames, step), [frames]])).astype(np.int64)


@dataclass
class Problem:
    """Everything the DP needs, built once per plan; rates are rebuilt when penalties change."""

    ctx: PlanContext
    terms: list[Term]
    frames: list[tuple[int, int]]
    pools: list[np.ndarray]
    fps: int
    min_frames: int
    max_len: int
    _within: list[np.ndarray]
    _enter: list[np.ndarray | None]
    _opening: list[np.ndarray]
    _run_cap: list[np.ndarray]  # a shot runs on across a sentence boundary only as long as it lasts (no hold)
    _fixed: dict  # (kind, sentence) → the costs of the terms that do not vary while the plan is searched
    # re-planning a window of a plan: the fixed shots just before and after it (table rows),
    # the cost of cutting from / into them, and the seconds of each shot the rest of the plan shows
    entry_row: int | None = None
    exit_row: int | None = None
    entry: np.ndarray | None = None
    exit: np.ndarray | None = None
    used: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # row → source ranges shown
    beats: np.ndarray | None = None  # --music: the beats, seconds on this problem's clock (cuts fall on them)
    # a window of a plan being repaired (``repair.py``): row → seconds of it the rest of the plan leaves
    rooms: dict[int, float] = field(default_factory=dict)
    tick: Callable[[int], None] | None = None  # called with 1 after each sentence solved (a progress bar)
    # rows that never run out (the speaker of ``--a-roll``, ``aroll.py``): the diversity loop gives them no
    # budgets, once-sets or spread penalties
    free_rows: frozenset[int] = frozenset()

    def capacity(self, rows) -> np.ndarray:
        """Seconds of each shot this problem may show without repeating footage (of a shot the
        rest of the plan shows, its longest stretch left free, or what ``rooms`` says)."""
        rows = np.asarray(rows, np.int64)
        have = self.ctx.shot_seconds(rows)
        if self.used or self.rooms:
            table = self.ctx.table
            for i, r in enumerate(rows.ravel().tolist()):
                # a still never runs out
                if r in self.used and not (table.still is not None and table.still[r]):
                    have.flat[i] = longest_free(float(table.starts[r]), float(table.ends[r]), self.used[r])
                if r in self.rooms:
                    have.flat[i] = min(have.flat[i], self.rooms[r])
        return np.maximum(have, 0.0)

    def shown_elsewhere(self) -> list[int]:
        """Rows the rest of the plan shows too (this problem being a window of it)."""
        return sorted(set(self.used) | set(self.rooms))

    def spans(self) -> list[Span]:
        out = []
        for s, rows in enumerate(self.pools):
            a, b = self.frames[s]
            budget = self.ctx.budgets[s]
            # a shot may run on across a sentence boundary only while its budget does not bind
            carry_ok = (np.array([budget.get(r, np.inf) for r in rows.tolist()])
                        >= self.ctx.shot_seconds(rows) - 1e-6 if budget else None)
            limited = self.ctx.once[s] if self.ctx.once else ()
            once = np.nonzero(np.isin(rows, sorted(limited)))[0][:MAX_ONCE] if limited else None
            grid = self._fixed.get(("grid", s))
            if grid is None:
                grid = self._fixed[("grid", s)] = self.grid(a, b)
            out.append(Span(frames=b - a, grid=grid, rows=rows, rate=self.rate(s),
                            opening=self._opening[s], within=self._within[s], enter=self._enter[s],
                            continues=s > 0 and not self.ctx.paragraph_start[s], carry_ok=carry_ok, once=once,
                            run_cap=self._run_cap[s], presence=self.presence(s)))
        return out

    def grid(self, a: int, b: int) -> np.ndarray:
        """Where cuts may fall in the sentence of frames [a, b): the regular grid, or the
        music's beats (``beats.beat_grid``)."""
        if self.beats is None:
            return cut_grid(b - a, self.fps)
        from wam.assemble.beat_cuts import beat_grid

        return beat_grid(b - a, np.round(np.asarray(self.beats) * self.fps).astype(np.int64) - a, self.fps,
                         max(1, round(self.fps * CUT_STEP_SECONDS)))

    def rate(self, s: int) -> np.ndarray:
        """Cost per output frame of each pool row in sentence s."""
        total = self._fixed.get(("rate", s))
        if total is None:
            total = self._fixed[("rate", s)] = self._sum(s, "per_second", varies=False)
        varying = self._sum(s, "per_second", varies=True)
        return (total if varying is None else total + varying) / self.fps

    def presence(self, s: int) -> np.ndarray | None:
        """Cost of each pool row appearing in sentence s at all (None: nothing)."""
        if ("presence", s) not in self._fixed:
            self._fixed[("presence", s)] = self._sum(s, "per_sentence", varies=False, zero=False)
        total = self._fixed[("presence", s)]
        varying = self._sum(s, "per_sentence", varies=True, zero=False)
        return varying if total is None else total if varying is None else total + varying

    def _sum(self, s: int, method: str, *, varies: bool, zero: bool = True) -> np.ndarray | None:
        """The weighted sum of one kind of cost over the terms that vary (or not) while the plan is
        searched."""
        rows = self.pools[s]
        total = np.zeros(len(rows)) if zero and not varies else None
        for term in self.terms:
            if term.varies != varies:
                continue
            v = getattr(term, method)(self.ctx, s, rows)
            if v is not None:
                total = term.weight * v if total is None else total + term.weight * v
        return total

    def window(self, a: int, b: int, entry_row: int | None, exit_row: int | None) -> Problem:
        """Sentences [a, b) of this problem as a problem of their own, on their own clock (frame
        0 = the start of sentence a), between the fixed shots ``entry_row`` (shown just before
        it; at a = 0 this problem's own) and ``exit_row`` (just after it). Its context is a
        slice of this one's with empty budgets and once-sets (the caller sets them)."""
        from dataclasses import replace

        ctx = self.ctx
        n = b - a
        sub = replace(ctx, scores=ctx.scores[a:b], best=ctx.best[a:b], pool_best=ctx.pool_best[a:b],
                      paragraph_start=ctx.paragraph_start[a:b], penalties=ctx.penalties[a:b],
                      budgets=[{} for _ in range(n)], once=[set() for _ in range(n)],
                      sticky=ctx.sticky[a:b] if ctx.sticky else [],
                      claims=ctx.claims[a:b] if ctx.claims else [],
                      _tones=ctx._tones)
        base = self.frames[a][0]
        if a == 0:
            entry_row, entry = self.entry_row, self.entry
        else:
            entry = None if entry_row is None else _transitions(
                self.terms, sub, np.array([entry_row]), self.pools[a],
                across_paragraph=ctx.paragraph_start[a])[0]
        if b == len(self.pools):
            exit_row, exit = self.exit_row, self.exit
        else:
            exit = None if exit_row is None else _transitions(
                self.terms, sub, self.pools[b - 1], np.array([exit_row]),
                across_paragraph=ctx.paragraph_start[b])[:, 0]
        beats = None if self.beats is None else np.asarray(self.beats, np.float64) - base / self.fps
        return Problem(sub, self.terms, [(x - base, y - base) for x, y in self.frames[a:b]], self.pools[a:b],
                       self.fps, self.min_frames, self.max_len, self._within[a:b],
                       [None] + self._enter[a + 1:b], self._opening[a:b], self._run_cap[a:b], {}, entry_row,
                       exit_row, entry, exit, self.used, beats=beats, free_rows=self.free_rows)

    def cut_cost(self, s: int, span: Span, cap: int) -> np.ndarray:
        """(K, cap + 1) cost of one cut of each pool row of sentence s by its length in frames."""
        rows = span.rows
        seconds = np.arange(cap + 1) / self.fps
        hit = np.zeros((len(rows), cap + 1))
        for term in self.terms:
            v = term.per_cut(self.ctx, s, rows, seconds)
            if v is not None:
                hit += term.weight * v
        hit[:, : self.min_frames] = INF
        return hit


def longest_free(start: float, end: float, taken: list[tuple[float, float]]) -> float:
    """The longest stretch of [start, end) that no range of ``taken`` covers."""
    best, pos = 0.0, start
    for a, b in sorted(taken):
        best = max(best, min(a, end) - pos)
        pos = max(pos, b)
    return max(best, end - pos, 0.0)


def build_problem(sentences: list[Sentence], table, candidates: list[Candidates], *, pace: Pace, fps: int,
                  weights: CostWeights, terms: list[Term] | None = None, seed: int | None = None,
                  frames: list[tuple[int, int]] | None = None, sticky=None, entry_row: int | None = None,
                  exit_row: int | None = None, exit_across: bool = False,
                  used: dict[int, list[tuple[float, float]]] | None = None, beats=None) -> Problem:
    """The DP's problem for ``sentences`` (all of a story, or a window of it: then ``frames``
    are their places on the whole timeline, ``entry_row`` / ``exit_row`` the fixed shots
    around it, ``used`` what the rest of the plan shows, ``sticky`` per sentence the rows it
    showed before and how strongly to keep them; ``beats``: the music's beats in seconds on
    the clock of ``frames``, where cuts then fall)."""
    terms = terms if terms is not None else default_terms(weights)
    frames = sentence_frames(sentences, fps) if frames is None else frames
    noisy = []
    for si, c in enumerate(candidates):
        sc = np.asarray(c.scores, np.float64)
        if seed is not None:  # an alternative cut: re-rank the candidates with seeded noise
            sc = sc + np.random.default_rng([seed, si]).uniform(0, 0.15, len(sc))
        noisy.append(sc)
    clip_ids = np.asarray(table.clip_ids)
    values = [story_values(np.asarray(c.rows, np.int64), sc, clip_ids, c.mean)
              for c, sc in zip(candidates, noisy)]
    held = story_held(values)
    pools, scores, pool_best = [], [], []
    for si, (c, sc) in enumerate(zip(candidates, noisy)):
        best = float(sc.max()) if len(sc) else 0.0
        order = np.lexsort((c.rows, -sc))
        rows = np.asarray(c.rows, np.int64)[order]
        pinned = pinned_mask(sticky[si] if sticky else None, rows)
        order = order[floor_rows(sc[order], best, c.best < WEAK_MATCH, pinned)]  # nothing far below the best
        rows = np.asarray(c.rows, np.int64)[order]
        pools.append(rows)
        scores.append(dict(zip(rows.tolist(), sc[order].tolist())))
        pool_best.append(best)
    ctx = PlanContext(table=table, pace=pace, weights=weights, scores=scores,
                      best=[c.best for c in candidates], pool_best=pool_best,
                      paragraph_start=[s.paragraph_start for s in sentences],
                      penalties=[{} for _ in sentences], budgets=[{} for _ in sentences],
                      once=[set() for _ in sentences], sticky=list(sticky) if sticky else [])
    ctx.claims = story_claims(ctx, pools, values, held)
    shortest = min(b - a for a, b in frames)
    min_frames = max(1, min(round(min(HARD_MIN_CUT, pace.min_cut) * fps), shortest))
    within, enter, opening = [], [], []
    cuts = TransitionCosts(lambda a, b, **kw: _transitions(terms, ctx, a, b, **kw), pools)
    for s, rows in enumerate(pools):
        w = cuts(rows, rows, across_paragraph=False)
        w[backwards_in_clip(table, rows)] = INF
        within.append(w)
        enter.append(None if s == 0 else cuts(pools[s - 1], rows,
                                              across_paragraph=sentences[s].paragraph_start))
        op = np.zeros(len(rows))
        for term in terms:
            v = term.opening(ctx, s, rows)
            if v is not None:
                op += term.weight * v
        op[~may_open(ctx, s, rows)] = INF  # only footage near the best opens a sentence (or runs on into it)
        opening.append(op)
    run_cap = [np.floor(ctx.shot_seconds(rows) * fps + 1e-6).astype(np.int64) for rows in pools]
    entry = exit = None
    if entry_row is not None:
        entry = _transitions(terms, ctx, np.array([entry_row]), pools[0],
                             across_paragraph=sentences[0].paragraph_start)[0]
    if exit_row is not None:
        exit = _transitions(terms, ctx, pools[-1], np.array([exit_row]), across_paragraph=exit_across)[:, 0]
    return Problem(ctx, terms, frames, pools, fps, min_frames, max(min_frames, round(pace.max_cut * fps)),
                   within, enter, opening, run_cap, {}, entry_row, exit_row, entry, exit, dict(used or {}),
                   None if beats is None else np.asarray(beats, np.float64))


def backwards_in_clip(table, rows: np.ndarray) -> np.ndarray:
    """(K, K) True where a cut from row a to row b inside one sentence would go back (or
    stay) in the same clip. Inside a sentence a clip's shots appear in their own order, so
    no shot is shown twice and no clip is intercut with itself (A B A B)."""
    clips = np.asarray(table.clip_ids[rows])
    starts = np.asarray(table.starts[rows])
    return (clips[:, None] == clips[None, :]) & (starts[None, :] <= starts[:, None])


def _transitions(terms, ctx, a, b, *, across_paragraph: bool) -> np.ndarray:
    total = np.zeros((len(a), len(b)))
    for term in terms:
        v = term.transition(ctx, a, b, across_paragraph=across_paragraph)
        if v is not None:
            total += term.weight * v
    return total


def solve_problem(problem: Problem):
    """One exact solve with the problem's current penalties."""
    return solve(problem.spans(), problem.cut_cost, problem.max_len, problem.min_frames,
                 entry=problem.entry, exit=problem.exit, tick=problem.tick)


def last_sentence(problem, seg: Segment) -> int:
    """The last sentence a segment covers."""
    s = seg.span
    while s + 1 < len(problem.frames) and problem.frames[s + 1][0] < seg.end:
        s += 1
    return s


def frames_per_sentence(problem, seg: Segment):
    """(sentence, frames) of each sentence a segment covers."""
    s = seg.span
    if seg.end <= problem.frames[s][1]:
        return ((s, seg.end - seg.start),)
    return ((s, hi - lo) for s, lo, hi in sentence_pieces(problem, seg))


def sentence_pieces(problem, seg: Segment):
    """(sentence, first frame, end frame) of each sentence a segment covers."""
    s = seg.span
    while s < len(problem.frames):
        a, b = problem.frames[s]
        lo, hi = max(a, seg.start), min(b, seg.end)
        if lo >= hi:
            break
        yield s, lo, hi
        s += 1
