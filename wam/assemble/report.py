"""From the DP's segments to the Timeline: where in each shot to take the footage, the cuts
of every sentence (a segment crossing a sentence boundary becomes a cut and its
continuation), each cut's weighted cost terms, the flags and the warnings.

The ``costs`` of every cut are the weighted terms the solver paid for it, so that their
sum over the plan equals the objective it minimised (tested).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wam.assemble.costs import Piece, pieces_costs
from wam.assemble.diversity import DiverseResult
from wam.assemble.problem import sentence_pieces
from wam.assemble.terms import WEAK_MATCH, last_resort
from wam.core.timeline import Cut, SentenceSpan, Timeline


def source_ranges(problem, result: DiverseResult) -> list[tuple[float, float]]:
    """Per segment, the [in, out) seconds of its shot it shows (out − in < its length: the
    last frame is held). Uses of one shot that fit in it get disjoint parts in timeline
    order, evenly spaced; a repeat is centred."""
    table = problem.ctx.table
    segments = result.solution.segments
    fps = problem.fps
    out: list[tuple[float, float] | None] = [None] * len(segments)
    for row, kept in result.uses.kept.items():
        st, en = float(table.starts[row]), float(table.ends[row])
        length = [(segments[i].end - segments[i].start) / fps for i in kept]
        if _still(table, row):  # every use of a still shows its picture from the start (and holds it)
            for i, ln in zip(kept, length):
                out[i] = (st, min(en, st + ln))
            continue
        if row in problem.used:  # a window of a plan: fit around what the rest of the plan shows
            for i, place in zip(kept, _fit_around(st, en, problem.used[row], length)):
                out[i] = place
            continue
        gap = max(0.0, (en - st - sum(length)) / (len(kept) + 1))
        pos = st + gap
        for i, ln in zip(kept, length):
            a = min(pos, en)
            out[i] = (a, min(en, a + ln))
            pos = a + ln + gap
    for i in result.uses.repeats:
        seg = segments[i]
        st, en = float(table.starts[seg.row]), float(table.ends[seg.row])
        ln = (seg.end - seg.start) / fps
        a = st + max(0.0, (en - st - ln) / 2)
        out[i] = (a, min(en, a + ln))
    return out  # type: ignore[return-value]


def _fit_around(st: float, en: float, taken: list[tuple[float, float]], lengths: list[float]):
    """Source ranges for uses of lengths ``lengths`` inside [st, en) that avoid ``taken``:
    each in the first free stretch long enough, in order (centred in the shot if none is)."""
    free, pos = [], st
    for a, b in sorted(taken):
        if a > pos:
            free.append([pos, min(a, en)])
        pos = max(pos, b)
    if pos < en:
        free.append([pos, en])
    out = []
    for ln in lengths:
        gap = next((g for g in free if g[1] - g[0] + 1e-6 >= ln), None)
        if gap is None:
            a = st + max(0.0, (en - st - ln) / 2)
            out.append((a, min(en, a + ln)))
        else:
            out.append((gap[0], min(gap[1], gap[0] + ln)))
            gap[0] = min(gap[1], gap[0] + ln)
    return out


def timeline_of(sentences, problem, candidates, result: DiverseResult, *, pace, fps, width, height, model,
                first_index: int = 0, tick: Callable[[int], None] | None = None) -> Timeline:
    """The Timeline of a solution (``first_index``: the index of ``sentences[0]`` in the story,
    when the problem is a window of it; ``tick(1)`` after each sentence's cuts are costed)."""
    ctx = problem.ctx
    table = ctx.table
    segments = result.solution.segments
    ranges = source_ranges(problem, result)
    cuts: dict[int, list[Cut]] = {i: [] for i in range(len(sentences))}
    reused: set[int] = set()
    held: dict[int, float] = {}
    resort: dict[int, float] = {}
    short: set[int] = set()
    prev_row = problem.entry_row
    pieces: list[Piece] = []
    made: list[tuple[int, dict]] = []  # per piece: its sentence and its cut's fields but the costs
    for i, seg in enumerate(segments):
        src_in, src_out = ranges[i]
        length = (seg.end - seg.start) / fps
        first = True
        parts = list(sentence_pieces(problem, seg))
        shown = piece_sources(src_in, src_out, [(lo - seg.start, hi - seg.start) for _, lo, hi in parts], fps)
        for (s, lo, hi), (p_in, p_out) in zip(parts, shown):
            a, b = problem.frames[s]
            pieces.append(Piece(s, seg.row, (hi - lo) / fps, length if first else None, opens=lo == a,
                                prev_row=prev_row if first else None,
                                across=first and lo == a and sentences[s].paragraph_start))
            score = candidates[s].score_of(seg.row)
            flagged = bool(last_resort(np.array([ctx.scores[s].get(seg.row, 0.0)]), ctx.pool_best[s])[0])
            hold = round(max(0.0, (hi - lo) / fps - (p_out - p_in)), 6)
            made.append((s, dict(
                shot_id=table.shot_ids[seg.row], source=table.sources[seg.row],
                source_in=round(p_in, 6), source_out=round(p_out, 6),
                start_frame=lo, frames=hi - lo, fps=fps, score=round(score, 4),
                focus=_focus_of(table, seg.row), continues=not first, hold=hold, last_resort=flagged,
            )))
            if i in result.uses.repeats:
                reused.add(s)
            if hold > 1e-3 and not _still(table, seg.row):  # a still's move plays over its hold
                held[s] = held.get(s, 0.0) + hold
            if flagged:
                resort[s] = resort.get(s, 0.0) + (hi - lo) / fps
            if first and length < pace.min_cut - 1e-6:
                short.add(s)
            first = False
        prev_row = seg.row
    for (s, fields), costs in zip(made, pieces_costs(problem, pieces, tick=tick)):
        cuts[s].append(Cut(costs={k: round(v, 4) for k, v in costs.items()}, **fields))
    spans = []
    for s, sent in enumerate(sentences):
        a, b = problem.frames[s]
        spans.append(SentenceSpan(index=first_index + s, text=sent.text, start_frame=a, frames=b - a, fps=fps,
                                  paragraph=sent.paragraph, cuts=cuts[s],
                                  weak_match=bool(candidates[s].best < WEAK_MATCH),
                                  reused=s in reused))
    uses = result.uses
    repeats = (len(uses.repeats), uses.repeat_seconds(segments, fps)) if uses.repeats else None
    warnings = _warnings(spans, repeats, {first_index + s: v for s, v in held.items()},
                         {first_index + s: v for s, v in resort.items()}, {first_index + s for s in short},
                         pace)
    return Timeline(fps=fps, width=width, height=height, sentences=spans, pace=pace.name, model=model,
                    warnings=warnings)


def piece_sources(src_in: float, src_out: float, pieces: list[tuple[int, int]],
                  fps: int) -> list[tuple[float, float]]:
    """The source range each piece of a segment shows, ``pieces`` being its (first, end) frames
    counted from the segment's start: the source plays on from piece to piece, and a segment
    held past its source's end (a still, a short shot) keeps at least one source frame for every
    piece, so that a continuation across a sentence never has an empty source range."""
    frame = 1.0 / fps
    n = len(pieces)
    out = []
    for j, (lo, hi) in enumerate(pieces):
        last_in = max(src_in, src_out - (n - j) * frame)  # room for a frame of this piece and each later one
        last_out = max(src_in, src_out - (n - j - 1) * frame)
        p_in = min(src_in + lo / fps, last_in)
        p_out = max(min(src_in + hi / fps, last_out), p_in)
        out.append((p_in, p_out))
    return out


def _still(table, row: int) -> bool:
    return table.still is not None and bool(table.still[row])


def _focus_of(table, row: int) -> list[float] | None:
    fx, fy = (float(v) for v in table.face_centres[row])
    return None if np.isnan(fx) else [round(fx, 4), round(fy, 4)]


def _numbers(items) -> str:
    items = sorted(items)
    shown = ", ".join(str(i + 1) for i in items[:8])
    return shown + (f" and {len(items) - 8} more" if len(items) > 8 else "")


def span_warnings(spans: list[SentenceSpan], pace) -> list[str]:
    """The plan's warnings read off its sentences alone (a re-plan spliced from parts): a
    repeat is a cut showing source frames an earlier cut of the same shot showed (a still,
    a cut with a ``move``, is never one)."""
    held: dict[int, float] = {}
    resort: dict[int, float] = {}
    short: set[int] = set()
    seen: dict[str, list[tuple[float, float]]] = {}
    n_rep, rep_secs = 0, 0.0
    cuts = [(sp.index, c) for sp in spans for c in sp.cuts]
    for j, (s, c) in enumerate(cuts):
        if c.move is not None:  # a still: any length, shown again with another move
            continue
        if c.hold > 1e-3:
            held[s] = held.get(s, 0.0) + c.hold
        if c.last_resort:
            resort[s] = resort.get(s, 0.0) + c.duration
        if not c.continues:
            length = c.frames + sum(x.frames for _, x in _continued(cuts, j))
            if length / c.fps < pace.min_cut - 1e-6:
                short.add(s)
            if any(a < c.source_out - 1e-3 and c.source_in < b - 1e-3 for a, b in seen.get(c.shot_id, ())):
                n_rep += 1
                rep_secs += length / c.fps
        seen.setdefault(c.shot_id, []).append((c.source_in, c.source_out))
    return _warnings(spans, (n_rep, rep_secs) if n_rep else None, held, resort, short, pace)


def _continued(cuts, j):
    for item in cuts[j + 1:]:
        if not item[1].continues:
            break
        yield item


def _warnings(spans, repeats: tuple[int, float] | None, held, resort, short, pace) -> list[str]:
    out = []
    if repeats:
        out.append(f"the library is too small for this story: {repeats[0]} cut(s) show footage "
                   f"already used ({repeats[1]:.1f} s); index more footage")
    held = {s: v for s, v in held.items() if v >= 0.1}  # a frame or two held is invisible
    if held:
        out.append(f"no shot is long enough for sentence(s) {_numbers(held)}: the last frame is held for "
                   f"{sum(held.values()):.1f} s in all; index longer clips")
    if short:
        out.append(f"the library's shots are short: sentence(s) {_numbers(short)} use cuts under "
                   f"{pace.min_cut:g} s, shorter than the {pace.name} pace wants")
    weak = [s.index for s in spans if s.weak_match]
    if weak:
        out.append(f"no good footage for sentence(s) {_numbers(weak)}; best available used")
    weak_at = {sp.index for sp in spans if sp.weak_match}
    strong_resort = {s: v for s, v in resort.items() if s not in weak_at}
    if strong_resort:
        out.append(f"sentence(s) {_numbers(strong_resort)} show unrelated footage for "
                   f"{sum(strong_resort.values()):.1f} s: their matching clips are used up; "
                   "index more footage about them")
    return out
