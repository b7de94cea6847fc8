"""Re-plan a story that was planned before (``stable.py`` decides what is kept): solve each
window of changed sentences between the fixed cuts around it, and splice the windows and
the kept sentences into one Timeline (pure).

Windows are solved in story order; each sees the footage the kept sentences and the
earlier windows show as spoken for (``Problem.used``), the fixed shot before it and the
one after it (the cut into and out of it is costed), and its neighbours' previous shots
as sticky. The kept sentences' cuts are copied with their source frames untouched; the cut
right after a window gets its transition costs re-computed against its new predecessor, and
a kept cut that continued a shot no longer before it becomes a cut of its own. A pinned
sentence planned again (``Reuse.repin``) has its pins put back on the cuts showing its pinned
shots; the timeline's warnings say when none does.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wam.assemble.moves import still_moves
from wam.assemble.plan import solve_diverse
from wam.assemble.problem import build_problem
from wam.assemble.report import span_warnings, timeline_of
from wam.assemble.stable import Reuse, reuse_of
from wam.assemble.styles import Pace
from wam.assemble.terms import CostWeights
from wam.core.config import DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_WIDTH
from wam.core.story import Sentence
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.text.candidates import Candidates


def reuse_for(sentences: list[Sentence], previous: Timeline, table, *, fps: int, exists=None,
              pinned_only: bool = False) -> Reuse:
    """``stable.reuse_of`` against the shots of ``table`` (``exists``: whether a source file is there)."""
    import os

    row_of = {sid: i for i, sid in enumerate(table.shot_ids)}
    return reuse_of(sentences, fps, previous, row_of,
                    lambda r: (float(table.starts[r]), float(table.ends[r])), exists or os.path.isfile,
                    pinned_only=pinned_only)


def assemble_again(sentences: list[Sentence], table, candidates: dict[int, Candidates], reuse: Reuse, *,
                   pace: Pace, weights: CostWeights = CostWeights(), fps: int = DEFAULT_FPS,
                   width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, model: str = "",
                   seed: int | None = None, beats=None) -> Timeline:
    """The timeline of ``sentences``: kept sentences as they were, each window of ``reuse``
    solved again from ``candidates`` (by sentence index; needed for planned sentences only;
    ``beats``: the music's, in seconds from the start, where the windows' cuts fall)."""
    frames = reuse.frames
    row_of = {sid: i for i, sid in enumerate(table.shot_ids)}
    spans: list[SentenceSpan | None] = [None] * len(sentences)
    used: dict[int, list[tuple[float, float]]] = {}
    for j, old in reuse.kept.items():
        spans[j] = _moved(old, j, sentences[j], frames[j][0])
        for c in old.cuts:
            used.setdefault(row_of[c.shot_id], []).append((c.source_in, c.source_out))
    for a, b in reuse.windows:
        entry_row = row_of[spans[a - 1].cuts[-1].shot_id] if a > 0 else None
        exit_row = row_of[spans[b].cuts[0].shot_id] if b < len(sentences) else None
        sticky = []
        for j in range(a, b):
            ids, strength = reuse.sticky.get(j, ((), 0.0))
            rows = frozenset(row_of[i] for i in ids if i in row_of)
            sticky.append((rows, strength) if rows else None)
        cands = [candidates[j] for j in range(a, b)]
        base = frames[a][0]  # the window is solved on its own clock, then moved into place
        problem = build_problem(sentences[a:b], table, cands, pace=pace, fps=fps, weights=weights, seed=seed,
                                frames=[(x - base, y - base) for x, y in frames[a:b]], sticky=sticky,
                                entry_row=entry_row, exit_row=exit_row,
                                exit_across=b < len(sentences) and sentences[b].paragraph_start, used=used,
                                beats=None if beats is None else np.asarray(beats, np.float64) - base / fps)
        result = solve_diverse(problem, cands, costed=False)
        window = timeline_of(sentences[a:b], problem, cands, result, pace=pace, fps=fps, width=width,
                             height=height, model=model, first_index=a)
        spans[a:b] = [_moved(sp, sp.index, sentences[sp.index], sp.start_frame + base)
                      for sp in window.sentences]
        for sp in window.sentences:
            for c in sp.cuts:
                used.setdefault(row_of[c.shot_id], []).append((c.source_in, c.source_out))
        if exit_row is not None:
            spans[b] = _recosted_entry(spans[b], problem, row_of[spans[b - 1].cuts[-1].shot_id], exit_row,
                                       sentences[b].paragraph_start)
    done = [sp for sp in spans if sp is not None]
    if len(done) != len(sentences):
        raise AssertionError("a re-plan left a sentence without cuts")
    done, lost = _repinned(repeats_flagged(still_moves(continuity_fixed(done), table, width, height)),
                           reuse.repin)
    warnings = span_warnings(done, pace)
    if lost:
        warnings.append(f"the pinned shot of sentence(s) {', '.join(str(j + 1) for j in lost)} could not be "
                        "kept: the sentence changed length and the shot no longer fits it; pin another cut")
    return Timeline(fps=fps, width=width, height=height, sentences=done, pace=pace.name, model=model,
                    warnings=warnings)


def continuity_fixed(spans: list[SentenceSpan]) -> list[SentenceSpan]:
    """``spans`` where a cut marked as continuing a shot that no longer comes right before it
    (a kept sentence after a re-planned one) is a cut of its own."""
    out, prev = [], None
    for sp in spans:
        cuts = list(sp.cuts)
        for k, c in enumerate(cuts):
            if c.continues and (prev is None or (prev.source, prev.shot_id) != (c.source, c.shot_id)
                                or abs(c.source_in - prev.source_out) * c.fps >= 0.5):
                cuts[k] = c = replace(c, continues=False)
            prev = c
        out.append(replace(sp, cuts=cuts) if cuts != sp.cuts else sp)
    return out


def _repinned(spans: list[SentenceSpan],
              repin: dict[int, tuple[str, ...]]) -> tuple[list[SentenceSpan], list[int]]:
    """``spans`` with the pins of re-planned pinned sentences put back on the cuts showing their
    pinned shots, and the sentences where no cut shows one (their pin is lost)."""
    lost = []
    out = list(spans)
    for j, ids in sorted(repin.items()):
        sp = out[j]
        cuts = [replace(c, pinned=True) if c.shot_id in ids else c for c in sp.cuts]
        if any(c.pinned for c in cuts):
            out[j] = replace(sp, cuts=cuts)
        else:
            lost.append(j)
    return out, lost


def _moved(old: SentenceSpan, index: int, sentence: Sentence, start_frame: int) -> SentenceSpan:
    """A kept sentence at its new place on the timeline (same cuts, same source frames)."""
    delta = start_frame - old.start_frame
    cuts = [replace(c, start_frame=c.start_frame + delta) for c in old.cuts]
    return replace(old, index=index, start_frame=start_frame, paragraph=sentence.paragraph, cuts=cuts)


def _recosted_entry(span: SentenceSpan, problem, prev_row: int, row: int, across: bool) -> SentenceSpan:
    """``span`` with its first cut's transition costs re-computed for the shot now before it."""
    first: Cut = span.cuts[0]
    costs = dict(first.costs)
    for term in problem.terms:
        v = term.transition(problem.ctx, np.array([prev_row]), np.array([row]), across_paragraph=across)
        if v is not None:
            costs[term.name] = round(term.weight * float(v[0, 0]), 4)
    return replace(span, cuts=[replace(first, costs=costs)] + span.cuts[1:])


def repeats_flagged(spans: list[SentenceSpan]) -> list[SentenceSpan]:
    """``reused`` on every sentence with a cut showing source frames an earlier cut showed."""
    seen: dict[str, list[tuple[float, float]]] = {}
    out = []
    for sp in spans:
        reused = False
        for c in sp.cuts:
            if c.move is None and any(a < c.source_out - 1e-3 and c.source_in < b - 1e-3
                                      for a, b in seen.get(c.shot_id, ())):
                reused = True
            seen.setdefault(c.shot_id, []).append((c.source_in, c.source_out))
        out.append(replace(sp, reused=reused) if reused != sp.reused else sp)
    return out
