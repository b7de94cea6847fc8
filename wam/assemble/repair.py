"""Constraints on the whole plan, enforced after the diversity loop, so that the plan's
invariants do not hang on the last bits of a float.

The diversity loop (``diversity.py``) steers the segment DP with penalties towards a plan
without repeated footage, but where it ends depends on how near-ties fall (torch gives
slightly different embeddings on other CPUs). Here the rules are constraints: each
``Constraint`` counts the frames of the plan that break it and, for a window of sentences,
limits what a re-solve may show there. ``enforce`` walks the segments that break a
constraint in timeline order; each one's *window* — the sentences it covers, grown until
no segment crosses its edges — is solved again exactly by the segment DP between the fixed
shots around it, under every constraint's limits, and the new window is kept when the plan
then breaks the constraints lexicographically less (the first count that changes, in rank
order, goes down). Counts are whole frames, so the walk ends; a window where no re-solve
can help (``can_mend`` says so) is not solved at all, which keeps a story far too long for
its library linear.

``LastResort`` (no shot under half its sentence's best, ``terms.last_resort``) only guards:
a repair may not add such frames. ``NoRepeat`` (no footage shown twice while the library
allows it): in a window every shot may show what the rest of the plan leaves of it, at
``reuse`` per second beyond that, and shots with little left are shown at most once per
sentence. A rule such as "every cut at least 0.6 × its sentence's best" would be another
local constraint: its count, its broken segments, and a ``limit`` barring rows in windows.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import replace

from wam.assemble.diversity import kept_in_order, search, use_fit
from wam.assemble.problem import frames_per_sentence, last_sentence
from wam.assemble.segment_dp import Segment

#: Windows solved again at most: this many, plus one per this many sentences; and the walk
#: stops after this many windows in a row that could not be mended.
MAX_TRIALS = 32
TRIALS_PER_SENTENCES = 100
MAX_FAILS = 8
#: Walks over the broken segments at most (another walk only after one changed the plan).
MAX_PASSES = 3
#: Each broken segment's window is tried as it is, then with this many more sentences on either side,
#: and in a story of at most ``WHOLE_STORY`` sentences, last, as the whole story.
GROW = (0, 1)
WHOLE_STORY = 24
#: Rounds of the diversity loop on a window.
WINDOW_ROUNDS = 4
#: The price of a second of repeated footage in a window solved again (the plan's ``reuse``
#: weighs a repeat against other costs; here it is what the constraint forbids).
REPAIR_REUSE = 100.0


class Constraint:
    """A rule over a plan's segments. ``count`` is the frames breaking it now; ``delta`` what
    replacing ``removed`` by ``added`` would change; ``commit`` makes that the plan."""

    name = "constraint"

    def count(self) -> int:
        raise NotImplementedError

    def delta(self, removed: list[Segment], added: list[Segment]) -> int:
        raise NotImplementedError

    def commit(self, removed: list[Segment], added: list[Segment]) -> None:
        """Record that ``removed`` were replaced by ``added``."""

    def broken(self) -> list[Segment]:
        """Segments breaking the rule that a re-solve of their window may mend (none: a guard)."""
        return []

    def can_mend(self, a: int, b: int, bad: Segment) -> bool:
        """Whether a re-solve of sentences [a, b) could mend ``bad``."""
        return True

    def limit(self, window) -> None:
        """Set this rule's limits on ``window`` (a problem of some sentences of the plan, solved
        again while the rest of the plan is as the rule's state says)."""


class LastResort(Constraint):
    """Frames of shots scoring under half their sentence's best candidate (``terms.last_resort``)."""

    name = "last_resort"

    def __init__(self, problem, segments: list[Segment]):
        self.problem = problem
        self.total = self._frames(segments)

    def _frames(self, segments) -> int:
        from wam.assemble.terms import LAST_RESORT_RATIO

        ctx = self.problem.ctx
        total = 0
        for g in segments:
            for s, f in frames_per_sentence(self.problem, g):
                best = ctx.pool_best[s]
                if best > 0 and ctx.scores[s].get(g.row, 0.0) < LAST_RESORT_RATIO * best:
                    total += f
        return total

    def count(self) -> int:
        return self.total

    def delta(self, removed, added) -> int:
        return self._frames(added) - self._frames(removed)

    def commit(self, removed, added) -> None:
        self.total += self.delta(removed, added)


class NoRepeat(Constraint):
    """Frames of footage shown twice (``diversity.split_uses`` decides which uses of a shot
    are kept and which repeat). Each shot's uses are kept in the order that rule considers
    them (best fit first, then the earliest), so that a change costs one pass over the uses
    of the shots it touches."""

    name = "repeat"

    def __init__(self, problem, segments: list[Segment]):
        self.problem = problem
        self.uses: dict[int, list[tuple]] = {}  # row → (−fit, start, frames, segment) of its uses, sorted
        for g in segments:
            self.uses.setdefault(g.row, []).append(self._use(g))
        for order in self.uses.values():
            order.sort(key=_fit_order)
        self.rooms: dict[int, float] = {}
        self._last = None  # the last change _after worked out, and its result
        self.state = {row: self._split(row, order) for row, order in self.uses.items()}

    def _use(self, g: Segment) -> tuple:
        return (-use_fit(self.problem, g), g.start, g.end - g.start, g)

    def room(self, row: int) -> float:
        if row not in self.rooms:
            self.rooms[row] = float(self.problem.capacity([row])[0])
        return self.rooms[row]

    def _split(self, row: int, order: list[tuple]) -> tuple[float, list[bool], int]:
        """(seconds kept, whether each use is kept, frames repeated) of a shot's uses (``order``:
        as ``uses`` keeps them)."""
        frames = [u[2] for u in order]
        kept = kept_in_order(self.problem, row, frames, self.room(row))
        kept_frames = sum(f for f, k in zip(frames, kept) if k)
        return kept_frames / self.problem.fps, kept, sum(frames) - kept_frames

    def count(self) -> int:
        return sum(v[2] for v in self.state.values())

    def _after(self, removed, added) -> dict[int, tuple[list[tuple], tuple]]:
        key = (tuple(removed), tuple(added))
        if self._last is not None and self._last[0] == key:  # delta, then commit of the same change
            return self._last[1]
        out = self._changed(removed, added)
        self._last = (key, out)
        return out

    def _changed(self, removed, added) -> dict[int, tuple[list[tuple], tuple]]:
        rows = {g.row for g in removed} | {g.row for g in added}
        out = {}
        for row in rows:
            order = list(self.uses.get(row, ()))
            for g in removed:
                if g.row == row:
                    use = self._use(g)
                    i = bisect_left(order, use[:2], key=_fit_order)
                    if i < len(order) and order[i][3] == g:
                        del order[i]
            for g in added:
                if g.row == row:
                    insort(order, self._use(g), key=_fit_order)
            out[row] = (order, self._split(row, order))
        return out

    def delta(self, removed, added) -> int:
        return sum(st[2] - (self.state[row][2] if row in self.state else 0)
                   for row, (_, st) in self._after(removed, added).items())

    def commit(self, removed, added) -> None:
        changed = self._after(removed, added)
        self._last = None
        for row, (order, st) in changed.items():
            if order:
                self.uses[row], self.state[row] = order, st
            else:
                self.uses.pop(row, None)
                self.state.pop(row, None)

    def broken(self) -> list[Segment]:
        return sorted((u[3] for row, st in self.state.items()
                       for u, k in zip(self.uses[row], st[1]) if not k),
                      key=lambda g: g.start)

    def can_mend(self, a: int, b: int, bad: Segment) -> bool:
        """Whether the sentences of [a, b) that may show ``bad``'s shot may also show shots
        costing less per second than the repeat with unused footage left (a shortest cut of
        it in all: slivers of several shots count, cut points can move)."""
        problem = self.problem
        reuse = max(problem.ctx.weights.reuse, REPAIR_REUSE) / problem.fps
        spare: dict[int, float] = {}
        for s in range(a, b):
            pool = problem.pools[s].tolist()
            if bad.row not in pool:
                continue
            rate = dict(zip(pool, problem.rate(s).tolist()))
            for r in pool:
                if r != bad.row and rate[r] < rate[bad.row] + reuse:
                    spare[r] = self.room(r) - (self.state[r][0] if r in self.state else 0.0)
        return sum(max(0.0, v) for v in spare.values()) * problem.fps >= problem.min_frames - 1e-6

    def limit(self, window) -> None:
        """Every shot the rest of the plan shows may show only what it leaves (kept uses subtracted)."""
        rows = {r for pool in window.pools for r in pool.tolist()}
        window.rooms.update({r: max(0.0, self.room(r) - self.state[r][0]) for r in rows if r in self.state})


def _fit_order(use: tuple) -> tuple:
    """The order ``split_uses`` considers a shot's uses in: best fit first, then the earliest."""
    return use[:2]


def default_constraints(problem, segments: list[Segment]) -> list[Constraint]:
    """The plan's rules, most important first."""
    return [LastResort(problem, segments), NoRepeat(problem, segments)]


def enforce(problem, segments: list[Segment], constraints: list[Constraint] | None = None) -> list[Segment]:
    """``segments`` with the windows of the segments that break a constraint solved again
    where that breaks the constraints lexicographically less (see the module's docstring).
    Accepted windows' limits stay in ``problem.ctx`` (the report costs the plan with them)."""
    segs = list(segments)
    rules = constraints if constraints is not None else default_constraints(problem, segs)
    trials = MAX_TRIALS + len(problem.pools) // TRIALS_PER_SENTENCES
    fails = 0
    for _ in range(MAX_PASSES):
        changed = False
        tried: set[tuple[int, int]] = set()
        starts = [g.start for g in segs]
        for rule in rules:
            for bad in rule.broken():
                at = bisect_left(starts, bad.start)
                if at >= len(segs) or segs[at] != bad:
                    continue  # no longer in the plan
                for grow in GROW + ((len(problem.pools),) if len(problem.pools) <= WHOLE_STORY else ()):
                    if trials <= 0:
                        return segs
                    i0, i1 = _window(problem, segs, at, grow)
                    a, b = segs[i0].span, last_sentence(problem, segs[i1 - 1]) + 1
                    if (a, b) in tried or not rule.can_mend(a, b, bad):
                        continue
                    tried.add((a, b))
                    trials -= 1
                    if _mended(problem, segs, i0, i1, rules):
                        starts = [g.start for g in segs]
                        changed = True
                        fails = 0
                        break
                    fails += 1
                    if fails >= MAX_FAILS:  # a library far too small for the story: nothing to mend
                        return segs
        if not changed:
            break
    return segs


def _mended(problem, segs: list[Segment], i0: int, i1: int, rules: list[Constraint]) -> bool:
    """Solve the sentences ``segs[i0:i1]`` show again (``diversity.search`` on that window,
    between the fixed shots around it, under every rule's limits given the rest of the plan,
    with the plan's diversity penalties there to start from); keep the result (in ``segs``,
    the rules and the context) if the plan then breaks the rules lexicographically less.
    Returns whether it did."""
    removed = segs[i0:i1]
    a, b = removed[0].span, last_sentence(problem, removed[-1]) + 1
    window = problem.window(a, b, segs[i0 - 1].row if i0 > 0 else None,
                            segs[i1].row if i1 < len(segs) else None)
    w = window.ctx.weights
    if w.reuse < REPAIR_REUSE:  # the rules are constraints here: a repeat costs more than any other way out
        window.ctx = replace(window.ctx, weights=replace(w, reuse=REPAIR_REUSE))
    for r in rules:  # the limits of the window given the rest of the plan
        r.commit(removed, [])
        r.limit(window)
        r.commit([], removed)
    try:
        _, result, budgets, once = search(window, WINDOW_ROUNDS, base=problem.ctx.penalties[a:b])
    except ValueError:  # nothing tiles it: the window stays as it was
        return False
    base = problem.frames[a][0]
    added = [Segment(g.row, g.start + base, g.end + base, g.span + a, g.k) for g in result.solution.segments]
    if next((d for d in (r.delta(removed, added) for r in rules) if d != 0), 0) >= 0:
        return False
    for r in rules:
        r.commit(removed, added)
    segs[i0:i1] = added
    ctx = problem.ctx
    ctx.budgets[a:b], ctx.once[a:b], ctx.penalties[a:b] = budgets, once, result.penalties
    return True


def _window(problem, segs: list[Segment], at: int, grow: int = 0) -> tuple[int, int]:
    """[i0, i1): the segments of the smallest run of whole sentences holding segment ``at``
    and ``grow`` sentences on either side that no segment crosses into or out of."""
    first = max(0, segs[at].span - grow)
    last = min(len(problem.frames) - 1, last_sentence(problem, segs[at]) + grow)
    start, end = problem.frames[first][0], problem.frames[last][1]
    i0, i1 = at, at + 1
    while True:
        while i0 > 0 and segs[i0 - 1].end > start:
            i0 -= 1
        while i1 < len(segs) and segs[i1].start < end:
            i1 += 1
        a, b = problem.frames[segs[i0].span][0], problem.frames[last_sentence(problem, segs[i1 - 1])][1]
        if (a, b) == (start, end):
            return i0, i1
        start, end = a, b
