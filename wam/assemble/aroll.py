"""Talking head + B-roll (``--a-roll TALK``): the speaker's own video is the base of the cut and
library footage covers what the library shows well. Pure: sentences, arrays and dataclasses.

The speaker is one more shot (``speaker.py``), always available, shown at the time it plays
on the output, planned by the same segment DP as library footage, with these rules:

* library footage only where it matches well: a sentence's candidates scoring under
  ``ARollRules.match`` are left out, so a sentence the library does not show stays on the
  speaker (no filler); the speaker's cost per second decides where footage is worth a cut;
* cuts fall on word boundaries of the talk (``cut_points``, the DP's grid);
* no library footage shorter than the pace's shortest cut (``SpeakerTerm``);
* the cut opens and closes on the speaker for at least ``ARollRules.edge`` seconds, and the
  speaker comes back at least every ``ARollRules.every`` seconds, for at least
  ``ARollRules.back`` seconds (no flash of the speaker between two stretches of footage).

The last two are *speaker zones*: stretches of the output only the speaker may fill. The DP
runs over *pieces* — the sentences, split at the zones' edges — each with the pool of its
sentence (a zone's piece: the speaker alone). The opening and closing zones are known up
front; a run of library footage longer than ``every`` gets a zone of ``ARollRules.back``
seconds near its middle, the speaker seen for less than ``back`` between two runs a zone
``back`` long around it, and the plan is solved again until no rule is broken. The pieces
are then joined back into the story's sentences (``joined``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from wam.assemble.moves import still_moves
from wam.assemble.plan import solve_diverse
from wam.assemble.problem import build_problem, sentence_frames
from wam.assemble.report import span_warnings, timeline_of
from wam.assemble.speaker import SPEAKER_ID, speaker_table, speaker_terms
from wam.assemble.styles import Pace
from wam.assemble.terms import WEAK_MATCH, CostWeights
from wam.assemble.termset import default_terms
from wam.core.config import (
    A_ROLL_EDGE_SECONDS,
    DEFAULT_A_ROLL_EVERY,
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
)
from wam.core.story import Sentence
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.text.candidates import Candidates

#: Times the plan is solved again with more speaker zones, at most.
MAX_ROUNDS = 8
#: A zone's edge this close to a sentence boundary (seconds) moves onto it (no sliver of a sentence).
SNAP_SECONDS = 0.25


@dataclass(frozen=True)
class ARollRules:
    """How library footage may cover the speaker (seconds, and a match score)."""

    edge: float = A_ROLL_EDGE_SECONDS  # the cut opens and closes on the speaker for at least this long
    every: float = DEFAULT_A_ROLL_EVERY  # at most this long on library footage in a row
    back: float = 1.5  # the speaker, back between two stretches of footage, stays at least this long
    match: float = WEAK_MATCH  # the least a shot must score to cover the speaker


@dataclass(frozen=True)
class Piece:
    """Frames [start, end) of sentence ``sentence``; ``speaker``: only the speaker may show."""

    sentence: int
    start: int
    end: int
    speaker: bool


def edge_zones(total: int, points: np.ndarray, fps: int, edge: float) -> list[tuple[int, int]]:
    """The opening and closing speaker zones of a cut ``total`` frames long: up to the first
    cut point at least ``edge`` seconds in, and from the last one at least ``edge`` before the
    end (the whole cut when they meet)."""
    need = round(edge * fps)
    later = points[points >= need]
    first = int(later[0]) if len(later) else total
    earlier = points[points <= total - need]
    last = int(earlier[-1]) if len(earlier) else 0
    if first >= last:
        return [(0, total)]
    return [(0, first), (last, total)]


def pieces_of(frames: list[tuple[int, int]], zones: list[tuple[int, int]], fps: int) -> list[Piece]:
    """The sentences split at the zones' edges (an edge near a sentence boundary moves out onto it)."""
    bounds = sorted({a for a, _ in frames} | {frames[-1][1]})
    snap = round(SNAP_SECONDS * fps)
    covered: list[tuple[int, int]] = []
    for a, b in zones:
        near_a = [x for x in bounds if a - snap <= x <= a]
        near_b = [x for x in bounds if b <= x <= b + snap]
        covered.append((max(near_a) if near_a else a, min(near_b) if near_b else b))
    out = []
    for s, (a, b) in enumerate(frames):
        cuts = sorted({a, b} | {x for z in covered for x in z if a < x < b})
        for lo, hi in zip(cuts, cuts[1:]):
            out.append(Piece(s, lo, hi, any(za <= lo and hi <= zb for za, zb in covered)))
    return out


def footage_runs(cuts: list[tuple[bool, int, int]]) -> list[tuple[int, int]]:
    """[start, end) frames of each run of library footage among a plan's (is footage, start
    frame, end frame) cuts, in order."""
    runs: list[list[int]] = []
    for footage, a, b in cuts:
        if not footage:
            continue
        if runs and runs[-1][1] == a:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


def return_zone(run: tuple[int, int], points: np.ndarray, bounds: list[int], fps: int, back: float,
                shortest: float) -> tuple[int, int]:
    """Where the speaker comes back inside a run of library footage that lasts too long: a zone
    ``back`` seconds long near the run's middle, starting on a sentence boundary there if one
    lies in its middle half, else on the cut point nearest the middle; footage keeps room for
    a shortest cut on either side when it can."""
    a, b = run
    length = round(back * fps)
    room = round(shortest * fps)
    lo, hi = a + room, b - room - length
    if lo > hi:
        lo = hi = max(a, (a + b - length) // 2)
    middle = (a + b - length) / 2
    quarter = (b - a) / 4
    near = [x for x in bounds if lo <= x <= hi and abs(x - middle) <= quarter]
    pool = near or [int(x) for x in points if lo <= x <= hi] or [round(middle)]
    start = min(pool, key=lambda x: (abs(x - middle), x))
    ends = points[points >= start + length]
    return start, int(ends[0]) if len(ends) and ends[0] <= b else min(b, start + length)


def widened(gap: tuple[int, int], points: np.ndarray, total: int, fps: int, back: float) -> tuple[int, int]:
    """A speaker zone at least ``back`` seconds long around ``gap`` (the speaker seen too briefly
    between two stretches of footage), its edges on cut points where there are some."""
    a, b = gap
    need = round(back * fps)
    lo, hi = max(0, (a + b - need) // 2), min(total, (a + b + need + 1) // 2)
    before, after = points[points <= lo], points[points >= hi]
    return (int(before[-1]) if len(before) else 0), (int(after[0]) if len(after) else total)


def assemble_a_roll(sentences: list[Sentence], table, candidates: list[Candidates], *, talk: str,
                    talk_seconds: float, cut_points, matched: bool, pace: Pace,
                    rules: ARollRules = ARollRules(), weights: CostWeights = CostWeights(),
                    fps: int = DEFAULT_FPS, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT,
                    model: str = "", aspect: float = 0.0,
                    seed: int | None = None, tick: Callable[[int], None] | None = None) -> Timeline:
    """The timeline of ``sentences`` (timed by the talk at ``talk``) over the speaker, with
    library footage from ``table`` where ``candidates`` match well (see the module's
    docstring). ``cut_points``: seconds where cuts may fall (word starts); ``matched``: the
    script was found in the talk (else the whole plan stays on the speaker); ``aspect``: the
    talk's width / height; ``seed``: an alternative cut (``problem.build_problem``). The plan's
    ``a_roll`` names the talk (the planner adds what else it knows of it)."""
    frames = sentence_frames(sentences, fps)
    total = frames[-1][1]
    points = np.unique(np.round(np.asarray(cut_points, np.float64) * fps).astype(np.int64))
    points = points[(points > 0) & (points < total)]
    tab = speaker_table(table, talk, max(talk_seconds, total / fps) + 60.0, aspect)
    speaker = len(table)
    zones = edge_zones(total, points, fps, rules.edge) if matched else [(0, total)]
    bounds = sorted({a for a, _ in frames})
    for _ in range(MAX_ROUNDS):
        pieces = pieces_of(frames, zones, fps)
        cuts, reused = _solve(pieces, sentences, frames, tab, candidates, speaker, points, pace=pace,
                              rules=rules, weights=weights, fps=fps, seed=seed, tick=tick)
        runs = footage_runs([(not _is_speaker(c, talk), c.start_frame, c.end_frame)
                             for cs in cuts for c in cs])
        added = [return_zone(r, points, bounds, fps, rules.back, pace.min_cut) for r in runs
                 if r[1] - r[0] > round(rules.every * fps)]
        added += [widened((a, b), points, total, fps, rules.back) for (_, a), (b, _) in zip(runs, runs[1:])
                  if b - a < round(rules.back * fps)]
        if not added:
            break
        zones = zones + added
    spans = joined(sentences, frames, pieces, cuts, candidates, talk, fps)
    spans = [replace(sp, reused=any(r for p, r in zip(pieces, reused) if p.sentence == i))
             for i, sp in enumerate(spans)]
    spans = still_moves(spans, tab, width, height)
    return Timeline(fps=fps, width=width, height=height, sentences=spans, pace=pace.name, model=model,
                    warnings=a_roll_warnings(spans, pace),
                    a_roll={"file": talk, "duration": round(talk_seconds, 6), "mode": "cut"})


def _solve(pieces: list[Piece], sentences, frames, tab, candidates, speaker: int, points: np.ndarray, *,
           pace, rules, weights, fps, seed, tick) -> tuple[list[list[Cut]], list[bool]]:
    """The cuts of each piece (a shot running on across pieces: a cut and its continuation),
    and whether each piece shows footage shown before (the library ran out)."""
    talk = tab.sources[speaker]
    if all(p.speaker for p in pieces):
        return [[Cut(SPEAKER_ID, talk, p.start / fps, p.end / fps, p.start, p.end - p.start, fps, 0.0)]
                for p in pieces], [False] * len(pieces)
    piece_sentences, piece_candidates = [], []
    for j, p in enumerate(pieces):
        s, c = sentences[p.sentence], candidates[p.sentence]
        # footage matching well, never the talk itself (should it be in the library too)
        strong = ((np.asarray(c.scores) >= rules.match) & (not p.speaker)
                  & np.array([tab.sources[int(r)] != talk for r in c.rows], bool))
        rows, scores = np.asarray(c.rows, np.int64)[strong], np.asarray(c.scores, np.float32)[strong]
        # the speaker scores as its piece's best footage: never a last resort, never raising the bar
        top = np.float32(scores.max() if len(scores) else max(c.best, 0.0))
        piece_candidates.append(Candidates(np.append(rows, speaker), np.append(scores, top), c.best))
        first = p.start == frames[p.sentence][0]
        piece_sentences.append(replace(s, index=j, duration=(p.end - p.start) / fps,
                                       paragraph_start=s.paragraph_start and first,
                                       paragraph_end=s.paragraph_end and p.end == frames[p.sentence][1]))
    terms = speaker_terms(default_terms(weights), speaker, pace, weights.semantic, fps)
    problem = build_problem(piece_sentences, tab, piece_candidates, pace=pace, fps=fps, weights=weights,
                            terms=terms, frames=[(p.start, p.end) for p in pieces], beats=points / fps,
                            seed=seed)
    problem.free_rows = frozenset({speaker})
    problem.tick = tick
    result = solve_diverse(problem, piece_candidates)
    problem.tick = None
    planned = timeline_of(piece_sentences, problem, piece_candidates, result, pace=pace, fps=fps, width=16,
                          height=16, model="")
    return [list(span.cuts) for span in planned.sentences], [span.reused for span in planned.sentences]


def _is_speaker(c: Cut, talk: str) -> bool:
    return c.a_roll or (c.shot_id == SPEAKER_ID and c.source == talk)


def speaker_cut(c: Cut, talk: str) -> Cut:
    """``c`` as the speaker's cut: the talk at the time it plays on the output."""
    return replace(c, shot_id=SPEAKER_ID, source=talk, source_in=round(c.start, 6),
                   source_out=round(c.end, 6), score=0.0, focus=None, hold=0.0, last_resort=False, move=None,
                   a_roll=True, costs={k: v for k, v in c.costs.items() if v})  # (those that cost anything)


def joined(sentences: list[Sentence], frames, pieces: list[Piece], cuts: list[list[Cut]], candidates,
           talk: str, fps: int) -> list[SentenceSpan]:
    """The story's sentences from the cuts of their pieces: the speaker's cuts as the talk at
    output time (one cut per sentence stretch, continuing across sentence boundaries), a shot
    running on across pieces of one sentence as one cut."""
    per: list[list[Cut]] = [[] for _ in sentences]
    for p, cs in zip(pieces, cuts):
        for c in cs:
            c = speaker_cut(c, talk) if _is_speaker(c, talk) else c
            here = per[p.sentence]
            if here and _mergeable(here[-1], c):
                here[-1] = _merged(here[-1], c)
            else:
                here.append(c)
    out, prev = [], None
    for i, s in enumerate(sentences):
        cs = per[i]
        if cs and cs[0].a_roll:  # the talk goes on: no cut at the sentence boundary
            cs[0] = replace(cs[0], continues=prev is not None and prev.a_roll)
        prev = cs[-1] if cs else prev
        a, b = frames[i]
        out.append(SentenceSpan(index=s.index, text=s.text, start_frame=a, frames=b - a, fps=fps,
                                paragraph=s.paragraph, cuts=cs,
                                weak_match=bool(candidates[i].best < WEAK_MATCH), reused=False))
    return out


def _mergeable(a: Cut, b: Cut) -> bool:
    if a.end_frame != b.start_frame:
        return False
    if a.a_roll or b.a_roll:
        return a.a_roll and b.a_roll
    return b.continues and (a.source, a.shot_id) == (b.source, b.shot_id)


def _merged(a: Cut, b: Cut) -> Cut:
    costs = dict(a.costs)
    for k, v in b.costs.items():
        costs[k] = round(costs.get(k, 0.0) + v, 4)
    if a.a_roll:
        return replace(a, frames=a.frames + b.frames, source_out=b.source_out, costs=costs)
    return replace(a, frames=a.frames + b.frames, source_out=max(a.source_out, b.source_out),
                   hold=round(a.hold + b.hold, 6), costs=costs, last_resort=a.last_resort or b.last_resort)


def a_roll_warnings(spans: list[SentenceSpan], pace: Pace) -> list[str]:
    """The plan's warnings about its library footage (repeats, held frames, short cuts, unrelated
    footage); a sentence nothing matches is no warning: it stays on the speaker."""
    footage = [replace(s, cuts=[c for c in s.cuts if not c.a_roll], weak_match=False) for s in spans]
    return span_warnings(footage, pace)
