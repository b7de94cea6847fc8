"""Assemble a timeline from sentences, shot table and match scores (pure).

For every sentence a few *patterns* (1, 2, … equal cuts, lengths from the pace prior)
are offered; each cut chooses among the sentence's top-K candidate shots long enough
for it. One Viterbi pass over (sentence, pattern, cut) groups finds the exact optimum of
unary + transition costs; repeats of a shot are then penalised and the DP re-solved
until no shot is reused (or the library is too small, which is reported).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wam.assemble.costs import (
    FORBIDDEN, CostWeights, establishing_cost, quality_cost, semantic_cost, transition_costs,
)
from wam.assemble.solver import Graph, solve
from wam.assemble.styles import Pace
from wam.candidates import candidates_from_scores
from wam.errors import WamError
from wam.story import Sentence
from wam.timeline import Cut, SentenceSpan, Timeline

#: A sentence whose best match score is below this is flagged ``weak_match``.
WEAK_MATCH = 0.3
#: Extra cost per repeated use of a shot, per iteration of the diversity loop.
REUSE_ITERATIONS = 12


@dataclass(frozen=True)
class _Group:
    sentence: int
    pattern: int  # number of cuts
    cut: int
    frames: int  # length of this cut in output frames
    start_frame: int
    rows: np.ndarray  # candidate rows of the shot table


def sentence_frames(sentences: list[Sentence], fps: int) -> list[tuple[int, int]]:
    """Each sentence's [start, end) in output frames (cumulative rounding: no drift)."""
    out, t = [], 0.0
    for s in sentences:
        a = round(t * fps)
        t += s.duration
        out.append((a, max(a + 1, round(t * fps))))
        t = max(t, out[-1][1] / fps)
    return out


def split_frames(total: int, n: int) -> list[int]:
    """``total`` frames in ``n`` near-equal integer parts (longer parts first)."""
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def cut_counts(seconds: float, pace: Pace, best_shot_lengths: list[float]) -> list[int]:
    """Candidate numbers of cuts for a sentence: around duration / ASL within the pace bounds,
    plus the counts that let each of the best-matching shots fit."""
    n_min = max(1, math.ceil(seconds / pace.max_cut - 1e-9))
    n_opt = max(n_min, round(seconds / pace.asl))
    options = set(range(max(n_min, n_opt - 1), n_opt + 2))
    for length in best_shot_lengths:
        options.add(max(n_min, math.ceil(seconds / max(length, 1e-3) - 1e-9)))
    floor = min(pace.min_cut, seconds)
    fitting = {n for n in options if seconds / n >= floor - 1e-9}
    return sorted(fitting or {n_min})


def assemble(
    sentences: list[Sentence],
    table,
    candidates,
    *,
    pace: Pace,
    weights: CostWeights = CostWeights(),
    fps: int = 30,
    width: int = 1280,
    height: int = 720,
    k: int = 40,
    seed: int | None = None,
    model: str = "",
) -> Timeline:
    """The best timeline for ``sentences`` from their ``candidates`` (a list of Candidates, one
    per sentence, or a full (sentences × shots) score matrix)."""
    n_shots = len(table)
    if n_shots == 0:
        raise WamError("no shots to choose from")
    lengths = np.asarray(table.ends) - np.asarray(table.starts)
    frames = sentence_frames(sentences, fps)
    if isinstance(candidates, np.ndarray):
        candidates = candidates_from_scores(
            candidates, lengths, [min(s.duration, pace.max_cut) for s in sentences], k
        )
    ranked, cand_scores = [], []
    for si, c in enumerate(candidates):
        sc = c.scores.astype(np.float64)
        if seed is not None:  # an alternative cut: re-rank the candidates with seeded noise
            sc = sc + np.random.default_rng([seed, si]).uniform(0, 0.15, len(sc))
        order = np.lexsort((c.rows, -sc))
        ranked.append(c.rows[order])
        cand_scores.append(sc[order])
    groups: list[_Group] = []
    graph = Graph()
    prev_last: list[int] = []
    base_unary: list[np.ndarray] = []
    for si, s in enumerate(sentences):
        a, b = frames[si]
        total = b - a
        counts = cut_counts(total / fps, pace, [float(x) for x in lengths[ranked[si][:5]]])
        row_score = dict(zip(ranked[si].tolist(), cand_scores[si].tolist()))
        last_of_sentence: list[int] = []
        for n in counts:
            parts = split_frames(total, n)
            need = max(parts) / fps
            rows = ranked[si][lengths[ranked[si]] + 1e-6 >= need][:k]
            if len(rows) == 0:
                continue
            row_scores = np.array([row_score[r] for r in rows.tolist()])
            prev_group: int | None = None
            start = a
            for j, f in enumerate(parts):
                # unary costs are per share of the sentence's screen time, so splitting a
                # sentence into more cuts neither dilutes nor multiplies its semantic cost
                share = f / total
                unary = weights.semantic * semantic_cost(row_scores)
                unary = unary + weights.duration * pace.misfit(f / fps)
                unary = unary + weights.quality * quality_cost(table, rows)
                if candidates[si].best < WEAK_MATCH:  # nothing fits: prefer neutral wide footage
                    unary = unary + weights.establishing * establishing_cost(table, rows)
                unary = unary * share
                if s.paragraph_start and j == 0:
                    unary = unary + weights.establishing * establishing_cost(table, rows)
                if prev_group is None:
                    incoming = [
                        (g, transition_costs(table, groups[g].rows, rows, weights, across_paragraph=s.paragraph_start))
                        for g in prev_last
                    ]
                else:
                    incoming = [(prev_group, transition_costs(table, groups[prev_group].rows, rows, weights, across_paragraph=False))]
                gid = graph.add_group(unary, incoming)
                base_unary.append(unary.copy())
                groups.append(_Group(si, n, j, f, start, rows))
                start += f
                prev_group = gid
            last_of_sentence.append(prev_group)
        if not last_of_sentence:
            raise WamError(
                f"no shot is long enough for sentence {si + 1} ({total / fps:.1f} s); index more footage or use --pace fast"
            )
        prev_last = last_of_sentence
    graph.ends = prev_last

    path, penalties, reused = _solve_diverse(graph, groups, base_unary, weights, candidates, table.clip_ids)
    return _timeline(sentences, table, candidates, frames, groups, graph, path, penalties, reused, weights,
                     pace=pace, fps=fps, width=width, height=height, model=model)


def _solve_diverse(graph: Graph, groups: list[_Group], base_unary: list[np.ndarray], weights: CostWeights, fit, clip_ids):
    """Solve, then penalise later uses of repeated shots and re-solve, keeping the best plan found."""
    penalties = [np.zeros(len(u)) for u in base_unary]
    where: dict[int, list[tuple[int, int]]] = {}  # row → (group, option) everywhere it is offered
    for g, grp in enumerate(groups):
        for option, row in enumerate(grp.rows.tolist()):
            where.setdefault(row, []).append((g, option))
    best = None
    clip_ids = np.asarray(clip_ids)
    for iteration in range(REUSE_ITERATIONS):
        for g, u in enumerate(base_unary):
            graph.unary[g] = u + penalties[g]
        path = solve(graph)
        chosen = [int(groups[g].rows[c]) for g, c in zip(path.groups, path.choices)]
        uses: dict[int, list[int]] = {}
        for pos, row in enumerate(chosen):
            uses.setdefault(row, []).append(pos)
        repeats: set[int] = set()
        keep_group: dict[int, int] = {}
        for row, positions in uses.items():
            if len(positions) > 1:
                # keep the use where the shot fits its sentence best; the others must move
                keep = min(positions, key=lambda p: (-fit[groups[path.groups[p]].sentence].score_of(row), p))
                keep_group[row] = path.groups[keep]
                repeats.update(p for p in positions if p != keep)
        base_cost = path.cost - sum(float(penalties[g][c]) for g, c in zip(path.groups, path.choices))
        sentence_uses = [[groups[path.groups[p]].sentence for p in positions] for positions in uses.values()]
        gaps = [b - a for v in sentence_uses for a, b in zip(v, v[1:])]
        score = (len(repeats), -min(gaps, default=len(groups)), base_cost)
        if best is None or score < best[0]:
            best = (score, path, [p.copy() for p in penalties], repeats)
        if iteration == 0:  # spread use across sources: discourage clips used far more than others
            clip_uses: dict[int, int] = {}
            for row in chosen:
                clip_uses[int(clip_ids[row])] = clip_uses.get(int(clip_ids[row]), 0) + 1
            fair = max(2, -(-len(chosen) // max(1, len(np.unique(clip_ids)))))
            crowded = {c: u - fair for c, u in clip_uses.items() if u > fair}
            if crowded:
                for g, grp in enumerate(groups):
                    extra = np.array([crowded.get(int(c), 0) for c in clip_ids[grp.rows]], np.float64)
                    penalties[g] += weights.spread * extra
                continue
        if not repeats:
            break
        for row, keep in keep_group.items():
            used_at = [groups[path.groups[p]].sentence for p in uses[row]]
            for g, option in where[row]:
                if g != keep:  # reuse near another use costs most: what must repeat, repeats far apart
                    distance = min(abs(groups[g].sentence - u) for u in used_at)
                    penalties[g][option] += weights.reuse * (1.5 + 4.0 / (1 + distance))
    _, path, penalties, repeats = best
    for g, u in enumerate(base_unary):
        graph.unary[g] = u + penalties[g]
    if repeats:
        path, repeats = _spread_repeats(graph, groups, path, clip_ids)
    return path, penalties, repeats


def _spread_repeats(graph: Graph, groups: list[_Group], path, clip_ids, max_moves: int = 500):
    """When a small library forces reuse, move repeated uses apart: repeatedly take the two
    closest uses of one shot and give the later one the cheapest option of its group (no
    same-source neighbour) whose nearest other use is farther away than that gap."""
    from wam.assemble.solver import Path, path_cost

    choices = list(path.choices)
    sent = [groups[g].sentence for g in path.groups]

    def row_at(p, c=None):
        return int(groups[path.groups[p]].rows[choices[p] if c is None else c])

    for _ in range(max_moves):
        uses: dict[int, list[int]] = {}
        for p in range(len(choices)):
            uses.setdefault(row_at(p), []).append(p)
        closest = None
        for row, ps in uses.items():
            for a, b in zip(ps, ps[1:]):
                gap = sent[b] - sent[a]
                if closest is None or gap < closest[0]:
                    closest = (gap, b, row)
        if closest is None:
            break
        gap, p, row = closest
        g = path.groups[p]
        best = None
        for c in range(len(groups[g].rows)):
            r = row_at(p, c)
            if r == row:
                continue
            neighbours = [row_at(q) for q in (p - 1, p + 1) if 0 <= q < len(choices)]
            if any(clip_ids[r] == clip_ids[n] for n in neighbours):
                continue
            others = [sent[q] for q in uses.get(r, [])]
            distance = min((abs(sent[p] - o) for o in others), default=len(groups) + 1)
            if distance <= gap:
                continue
            cost = float(graph.unary[g][c])
            key = (cost, -distance, c)
            if best is None or key < best[0]:
                best = (key, c)
        if best is None:
            break  # the closest pair cannot be spread further
        choices[p] = best[1]
    chosen = [row_at(p) for p in range(len(choices))]
    seen: set[int] = set()
    repeats = set()
    for p, r in enumerate(chosen):
        if r in seen:
            repeats.add(p)
        seen.add(r)
    return Path(path.groups, choices, path_cost(graph, path.groups, choices)), repeats


def _focus_of(table, row: int) -> list[float] | None:
    fx, fy = (float(v) for v in table.face_centres[row])
    return None if np.isnan(fx) else [round(fx, 4), round(fy, 4)]


def _timeline(sentences, table, scores, frames, groups, graph, path, penalties, repeats, weights, *, pace, fps,
              width, height, model) -> Timeline:
    by_sentence: dict[int, list[Cut]] = {i: [] for i in range(len(sentences))}
    reused_sentences: set[int] = set()
    prev = None
    for pos, (g, c) in enumerate(zip(path.groups, path.choices)):
        grp = groups[g]
        row = int(grp.rows[c])
        length = grp.frames / fps
        shot_len = float(table.ends[row] - table.starts[row])
        src_in = float(table.starts[row]) + max(0.0, (shot_len - length) / 2)
        trans = 0.0
        if prev is not None:
            pg, pc = prev
            m = dict(graph.incoming[g])[pg]
            trans = float(m[pc, c])
        si = grp.sentence
        if pos in repeats:
            reused_sentences.add(si)
        by_sentence[si].append(
            Cut(
                shot_id=table.shot_ids[row],
                source=table.sources[row],
                source_in=round(src_in, 6),
                source_out=round(src_in + length, 6),
                start_frame=grp.start_frame,
                frames=grp.frames,
                fps=fps,
                score=round(scores[si].score_of(row), 4),
                costs={
                    "semantic": round(float(semantic_cost(np.array([scores[si].score_of(row)]))[0]), 4),
                    "duration": round(pace.misfit(length), 4),
                    "quality": round(float(1.0 - table.quality[row]), 4),
                    "transition": round(trans, 4),
                    "diversity": round(float(penalties[g][c]), 4),
                },
                focus=_focus_of(table, row),
            )
        )
        prev = (g, c)
    spans = []
    for i, s in enumerate(sentences):
        a, b = frames[i]
        spans.append(
            SentenceSpan(index=i, text=s.text, start_frame=a, frames=b - a, fps=fps, paragraph=s.paragraph,
                         cuts=by_sentence[i], weak_match=bool(scores[i].best < WEAK_MATCH), reused=i in reused_sentences)
        )
    warnings = []
    if path.cost >= FORBIDDEN:
        warnings.append("the library is too small for this story: some consecutive cuts come from the same clip; "
                        "index more footage")
    if repeats:
        warnings.append(
            f"the library is too small for this story: {len(repeats)} cut(s) reuse a shot; index more footage"
        )
    weak = [s.index + 1 for s in spans if s.weak_match]
    if weak:
        warnings.append(f"no good footage for sentence(s) {', '.join(map(str, weak))}; best available used")
    return Timeline(fps=fps, width=width, height=height, sentences=spans,
                    pace=pace.name, model=model, warnings=warnings)
