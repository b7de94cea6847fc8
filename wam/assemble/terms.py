"""Cost terms of the assembler: each is an object with a name, a weight and the costs it
adds, used both by the segment DP and by the per-cut ``costs`` report of the plan.

A cut of row r lasting L seconds in sentence s, and the cut into it from row q, cost

    Σ_terms weight × ( per_second(s, r) × L + per_sentence(s, r) + per_cut(r, L)
                       + opening(s, r) + transition(q, r) )

(``opening`` only for a cut that starts a sentence afresh, ``transition`` only where a cut
is seen; a continuation across a sentence boundary pays per-second and per-sentence costs
in each sentence and one ``per_cut`` for its whole length). Every method returns *unweighted* costs, or
None when the term says nothing there. Pure numpy over ShotTable columns.

To add a term: subclass ``Term``, give it a ``name``, a default weight in
``CostWeights`` and add it to ``termset.default_terms``; the DP, the JSON report and
``wam plan --explain`` pick it up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from wam.assemble.styles import Pace
from wam.core.types import CAMERA_MOTIONS, SHOT_SCALES, ShotTable

#: A sentence whose best match score is below this is flagged ``weak_match``.
WEAK_MATCH = 0.3
#: A shot scoring below this fraction of its sentence's best candidate is a last resort.
LAST_RESORT_RATIO = 0.5


@dataclass(frozen=True)
class CostWeights:
    """The weight of every term (a term's unweighted cost is roughly 0..1 per unit).

    Per second on screen: ``semantic`` (1 − match score), ``relevance`` (1 for a last-resort
    shot, one scoring under half its sentence's best candidate), ``claim`` (a clip the story
    gave to another sentence, in score units, ``claims.Claim``), ``quality`` (1 − shot
    quality), ``diversity`` (the reuse and spread penalties found by the diversity loop,
    already in cost units). Per cut: ``duration`` (misfit of the cut's length against the
    pace prior), ``hold`` (per second a shot's last frame is frozen because the shot is too
    short), ``establishing`` (a non-wide shot opening a paragraph; also per second of
    non-wide footage in a sentence nothing matches), ``opening`` (the shortfall of a
    sentence's first cut against its best candidate, ``lead.Opening``). Per visible cut:
    ``transition`` (continuity of tone, brightness and camera motion — relaxed by
    ``paragraph_relax`` across paragraphs), ``grammar`` (shot-size grammar, ``sizes.ShotSize``)
    and ``jump_cut`` (the same shot again, or near-identical framing, judged from the pictures).

    The ordering is deliberate: a second of last-resort footage (relevance 10 +
    semantic) costs more than any pace misfit, continuity or diversity saving it could
    buy, and a held frame (hold 16 / s) costs more than anything else.
    """

    semantic: float = 3.0
    relevance: float = 20.0
    opening: float = 8.0
    claim: float = 10.0
    quality: float = 0.5
    duration: float = 1.6
    hold: float = 30.0
    establishing: float = 0.3
    transition: float = 1.0
    jump_cut: float = 1.2
    diversity: float = 1.0
    grammar: float = 0.5
    # parts of the transition term (and the relaxation of the grammar's too)
    tone: float = 0.35
    brightness: float = 0.35
    motion: float = 0.3
    paragraph_relax: float = 0.3
    # diversity: per second of repeated footage; per second of a clip over its fair share;
    # per second of a forced repeat next to another use of its shot
    reuse: float = 9.0
    spread: float = 0.15
    nearby: float = 2.0
    # stable re-planning: per second of a shot the sentence did not show in the previous plan
    stick: float = 2.0


_OPPOSITE = {("pan_left", "pan_right"), ("pan_right", "pan_left"), ("tilt_up", "tilt_down"),
             ("tilt_down", "tilt_up"), ("zoom_in", "zoom_out"), ("zoom_out", "zoom_in")}
OPPOSITE_MOTION = np.array(
    [[1.0 if (a, b) in _OPPOSITE else 0.0 for b in CAMERA_MOTIONS] for a in CAMERA_MOTIONS], np.float64
)
_WIDE = SHOT_SCALES.index("wide")


@dataclass
class PlanContext:
    """What every term may look at: the shot table, each sentence's candidate scores, the pace."""

    table: ShotTable
    pace: Pace
    weights: CostWeights
    scores: list[dict[int, float]]  # per sentence: row → match score (after any --seed noise)
    best: list[float]  # per sentence: the best match score over the whole table
    pool_best: list[float]  # per sentence: the best score among its candidates
    paragraph_start: list[bool]
    # per sentence: row → diversity cost per second
    penalties: list[dict[int, float]] = field(default_factory=list)
    # per sentence: row → seconds of it left to show
    budgets: list[dict[int, float]] = field(default_factory=list)
    once: list[set[int]] = field(default_factory=list)  # per sentence: rows it may show only once (no A B A)
    # per sentence: the rows it showed in the previous plan and how strongly to keep them (re-planning)
    sticky: list[tuple[frozenset[int], float] | None] = field(default_factory=list)
    # per sentence: row → claim of another sentence on its clip
    claims: list[dict[int, float]] = field(default_factory=list)
    _tones: dict = field(default_factory=dict, repr=False)  # tone distances already computed, by row sets
    # (term, from row, to row, across) → one cut's transition cost
    cuts: dict = field(default_factory=dict, repr=False)

    def tone(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``tone_distance`` of the table, remembered (the transition and jump-cut terms both need it)."""
        key = (np.asarray(a, np.int64).tobytes(), np.asarray(b, np.int64).tobytes())
        hit = self._tones.get(key)
        if hit is None:
            if len(self._tones) > 4096:
                self._tones.clear()
            hit = self._tones[key] = tone_distance(self.table, a, b)
        return hit

    def score(self, s: int, rows: np.ndarray) -> np.ndarray:
        get = self.scores[s].get
        return np.fromiter((get(int(r), 0.0) for r in rows), np.float64, len(rows))

    def weak(self, s: int) -> bool:
        return self.best[s] < WEAK_MATCH

    def shot_seconds(self, rows: np.ndarray) -> np.ndarray:
        """Seconds each row can fill (a still: unlimited, ``ShotTable.lengths``)."""
        return self.table.lengths(rows)


class Term:
    """One cost term. Override the methods that apply; each returns unweighted costs or None.

    A term with a ``transition`` cost has no other cost: a cut's cost report keeps one value
    per term, and a re-plan (``replan._recosted_entry``) replaces a kept cut's transition
    values when its predecessor changes, which would drop any other part of the same term."""

    name = "term"
    #: Whether its costs change while the diversity loop searches (else they are computed once per problem).
    varies = False

    def __init__(self, weight: float):
        self.weight = float(weight)

    def per_second(self, ctx: PlanContext, s: int, rows: np.ndarray) -> np.ndarray | None:
        """(K,) cost per second of showing each row during sentence s."""
        return None

    def per_sentence(self, ctx: PlanContext, s: int, rows: np.ndarray) -> np.ndarray | None:
        """(K,) cost of each row appearing in sentence s at all: once per cut, and once for a
        cut that runs on into s from the sentence before."""
        return None

    def per_cut(self, ctx: PlanContext, s: int, rows: np.ndarray, seconds: np.ndarray) -> np.ndarray | None:
        """(K, len(seconds)) cost of one cut of each row lasting each length (whole length),
        starting in sentence s. It may depend on s only for rows that cannot run on across a
        sentence boundary (``ctx.budgets``)."""
        return None

    def opening(self, ctx: PlanContext, s: int, rows: np.ndarray) -> np.ndarray | None:
        """(K,) cost of a cut that starts sentence s afresh."""
        return None

    def transition(self, ctx: PlanContext, a: np.ndarray, b: np.ndarray, *,
                   across_paragraph: bool) -> np.ndarray | None:
        """(len(a), len(b)) cost of a visible cut from a row of ``a`` to a row of ``b``."""
        return None


class Semantic(Term):
    """The story must be shown: 1 − match score (cosine + keyword evidence) per second."""

    name = "semantic"

    def per_second(self, ctx, s, rows):
        return np.clip(1.0 - ctx.score(s, rows), 0.0, 1.5)


class Relevance(Term):
    """A shot far below the best candidate of its sentence is a last resort: 1 per second,
    and 0.5 for appearing at all (so that no sliver of it is ever cheap)."""

    name = "relevance"

    def per_second(self, ctx, s, rows):
        return last_resort(ctx.score(s, rows), ctx.pool_best[s]).astype(np.float64)

    def per_sentence(self, ctx, s, rows):
        return 0.5 * self.per_second(ctx, s, rows)


def last_resort(scores: np.ndarray, best: float) -> np.ndarray:
    """Which scores are last resorts against a sentence whose best candidate scores ``best``."""
    if best <= 0:
        return np.zeros(len(scores), bool)
    return np.asarray(scores) < LAST_RESORT_RATIO * best


class Quality(Term):
    """Blur, bad exposure and shake: 1 − quality per second."""

    name = "quality"

    def per_second(self, ctx, s, rows):
        return 1.0 - np.asarray(ctx.table.quality[rows], np.float64)


#: The duration cost of one cut is bounded (misfit ≤ 2, plus ≤ 2 below the pace's shortest
#: or above its longest cut), so that no pacing saving can pay for a second of unrelated or
#: repeated footage.
MISFIT_CAP = 2.0


class Duration(Term):
    """Cut length against the pace: the log-normal misfit (capped), plus a steep rise below
    the pace's shortest and above its longest cut (not for a still, which may hold a whole
    sentence with one move)."""

    name = "duration"

    def per_cut(self, ctx, s, rows, seconds):
        cost = np.broadcast_to(duration_cost(ctx.pace, seconds), (len(rows), len(seconds)))
        still = ctx.table.still
        if still is None or not np.asarray(still[rows]).any():
            return cost
        # a still holds a whole sentence, however long: no rise above the pace's longest cut
        return np.where(np.asarray(still[rows], bool)[:, None], duration_cost(ctx.pace, seconds,
                                                                              long=False)[None, :],
                        cost)


def duration_cost(pace: Pace, seconds: np.ndarray, *, long: bool = True) -> np.ndarray:
    """Unweighted duration cost of cuts of the given lengths (seconds); without ``long``, no
    rise above the pace's longest cut (a still's move). Remembered: the planner asks for the
    same lengths in every sentence (read-only arrays)."""
    sec = np.asarray(seconds, np.float64)
    return _duration_costs(pace, sec.tobytes(), long).reshape(sec.shape)


@lru_cache(maxsize=1024)
def _duration_costs(pace: Pace, seconds: bytes, long: bool) -> np.ndarray:
    sec = np.maximum(np.frombuffer(seconds, np.float64), 1e-3)
    mode = math.exp(pace.mu - pace.sigma**2)
    misfit = np.minimum(((np.log(sec) - math.log(mode)) / (2 * pace.sigma)) ** 2, MISFIT_CAP)
    short = np.clip((pace.min_cut - sec) / pace.min_cut, 0.0, 1.0)
    too_long = np.clip((sec - pace.max_cut) / pace.max_cut, 0.0, 1.0) if long else 0.0
    out = misfit + 2.0 * (short + too_long) + pace.per_cut
    out.flags.writeable = False
    return out


#: What any held frame costs (in hold-seconds) before its length: a one-frame freeze is never
#: cheaper than a cut.
HOLD_ONSET = 0.25


class Hold(Term):
    """Seconds a shot's last frame is held because the shot is shorter than the cut."""

    name = "hold"

    def per_cut(self, ctx, s, rows, seconds):
        have = ctx.shot_seconds(rows)
        over = np.maximum(np.asarray(seconds, np.float64)[None, :] - have[:, None] - 1e-6, 0.0)
        return np.where(over > 0, over + HOLD_ONSET, 0.0)  # a freeze at all is a cost, not only its length


class Establishing(Term):
    """A paragraph opens on a wide shot; a sentence nothing matches prefers neutral wide footage."""

    name = "establishing"

    def opening(self, ctx, s, rows):
        if not ctx.paragraph_start[s]:
            return None
        return not_wide(ctx.table, rows)

    def per_second(self, ctx, s, rows):
        return 0.25 * not_wide(ctx.table, rows) if ctx.weak(s) else None


def not_wide(table: ShotTable, rows: np.ndarray) -> np.ndarray:
    return (np.asarray(table.scale[rows]) != _WIDE).astype(np.float64)


class Transition(Term):
    """Continuity across a visible cut: colour tone, brightness and opposite camera motions
    (relaxed across a paragraph boundary)."""

    name = "transition"

    def transition(self, ctx, a, b, *, across_paragraph):
        t, w = ctx.table, ctx.weights
        tone = ctx.tone(a, b)
        bright = np.abs(np.asarray(t.brightness[a], np.float64)[:, None] - np.asarray(t.brightness[b],
                                                                                      np.float64)[None, :])
        motion = OPPOSITE_MOTION[np.asarray(t.camera_motion[a])[:, None],
                                 np.asarray(t.camera_motion[b])[None, :]]
        cost = w.tone * tone + w.brightness * np.minimum(bright * 2.0, 1.0) + w.motion * motion
        return cost * w.paragraph_relax if across_paragraph else cost


def tone_distance(table: ShotTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Bhattacharyya distance between colour histograms (0 same … 1 disjoint)."""
    ha = np.sqrt(np.maximum(np.asarray(table.histograms[a], np.float64), 0))
    hb = np.sqrt(np.maximum(np.asarray(table.histograms[b], np.float64), 0))
    bc = np.clip(ha @ hb.T, 0.0, 1.0)
    return np.sqrt(1.0 - bc)


class JumpCut(Term):
    """Cutting to the same shot again, or to near-identical framing: see ``jump_similarity``."""

    name = "jump_cut"

    def transition(self, ctx, a, b, *, across_paragraph):
        return jump_similarity(ctx.table, a, b, tone=ctx.tone(a, b))


def jump_similarity(table: ShotTable, a: np.ndarray, b: np.ndarray, *,
                    tone: np.ndarray | None = None) -> np.ndarray:
    """(len(a), len(b)) 0..1: how much a cut from a to b looks like a jump cut.

    1 for the same shot. Between shots of one clip, the framing similarity measured at index
    time from the pictures (matched features and the transform between the end of one shot
    and the start of the other; ``library/framing.py``). Between clips, near-identical
    thumbnails with near-identical colour (two takes from one tripod position). Clips
    indexed before framing was measured fall back on colour alone.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    tone = tone_distance(table, a, b) if tone is None else tone
    by_colour = (tone < 0.05).astype(np.float64) * 0.5
    thumbs = table.thumbs
    if thumbs is not None and len(a) and len(b):
        ta = np.asarray(thumbs[a], np.float64)
        tb = np.asarray(thumbs[b], np.float64)
        na = np.linalg.norm(ta, axis=1)
        nb = np.linalg.norm(tb, axis=1)
        corr = (ta @ tb.T) / np.maximum(na[:, None] * nb[None, :], 1e-9)
        look = np.clip((corr - 0.85) / 0.12, 0.0, 1.0) * np.clip((0.2 - tone) / 0.1, 0.0, 1.0)
        out = np.where((na[:, None] > 0) & (nb[None, :] > 0), look, by_colour)
    else:
        out = by_colour
    same_clip = np.asarray(table.clip_ids[a])[:, None] == np.asarray(table.clip_ids[b])[None, :]
    if same_clip.any():
        measured = np.zeros(same_clip.shape, bool)
        if table.framing is not None and table.framing_known is not None and table.pks is not None:
            known = np.asarray(table.framing_known, bool)
            measured = same_clip & known[a][:, None] & known[b][None, :]
            if measured.any():
                out = np.where(measured, table.framing.lookup(table.pks[a], table.pks[b]), out)
        out = np.where(same_clip & ~measured, np.maximum(out, (tone < 0.08).astype(np.float64)), out)
    out[a[:, None] == b[None, :]] = 1.0
    return out


class Diversity(Term):
    """Footage shown twice: ``reuse`` per second of a cut beyond what is left of its shot for
    this sentence (``ctx.budgets``); and per-second penalties that spread use across clips
    and push forced repeats apart (``ctx.penalties``). Both are set by the diversity loop."""

    name = "diversity"
    varies = True

    def per_second(self, ctx, s, rows):
        if not ctx.penalties or not ctx.penalties[s]:
            return None
        get = ctx.penalties[s].get
        return np.fromiter((get(int(r), 0.0) for r in rows), np.float64, len(rows))

    def per_cut(self, ctx, s, rows, seconds):
        if not ctx.budgets or not ctx.budgets[s]:
            return None
        get = ctx.budgets[s].get
        left = np.fromiter((get(int(r), np.inf) for r in rows), np.float64, len(rows))
        over = np.asarray(seconds, np.float64)[None, :] - left[:, None]
        return ctx.weights.reuse * np.clip(over, 0.0, None)


class Stick(Term):
    """Stable re-planning: an edit changes the cut only where it must. In a sentence that
    was planned before (its text unchanged, or only reworded), 1 per second of a shot it
    did not show then, times how strongly that sentence keeps its cuts (``ctx.sticky``)."""

    name = "stick"

    def per_second(self, ctx, s, rows):
        if not ctx.sticky or ctx.sticky[s] is None:
            return None
        shown, strength = ctx.sticky[s]
        return strength * ~np.isin(np.asarray(rows, np.int64), np.fromiter(shown, np.int64, len(shown)))
