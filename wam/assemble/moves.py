"""Moves over stills (Ken Burns): each cut of a still picture gets one continuous, calm move
— a push in towards its face or salient point, a pan across it, a pull out — recorded in the
plan as the cut's ``move`` (normalised source rectangles ``from`` and ``to``: what fills the
output frame at the cut's first frame and at its end).

Pure: placed on the finished cut list (``still_moves``), after the DP chose the shots.
Successive cuts of one still take the variants in turn, so that no two of them frame it
alike; a move runs on across a sentence boundary (a continuation) without a jolt; no move
goes faster than ``STILL_MOVE_SPEED`` (``move_speed``). The renderer interpolates the
rectangle's centre linearly and its size geometrically over the cut (``rect_at``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from wam.core.config import STILL_MOVE_SPEED

Rect = tuple[float, float, float, float]  # x, y, w, h of the source picture, each in 0…1

#: The variants a still's successive cuts take in turn: (kind, size of the tighter framing
#: as a fraction of the widest one that fills the frame, size of the wider one).
VARIANTS = (("push_in", 0.6, 1.0), ("pan", 0.72, 0.72), ("pull_out", 0.62, 0.9), ("pan_back", 0.66, 0.66))
#: No move travels further than this (in ``move_speed``'s measure), however long its cut.
MAX_TRAVEL = 0.6
#: Two framings of one still look different when one is this far from the other (``travel``).
DISTINCT = 0.03


def full_size(aspect: float, out_aspect: float) -> tuple[float, float]:
    """(w, h), normalised, of the largest rectangle of the output's shape inside a picture of
    ``aspect`` (width / height; 0 or less: unknown, taken as the output's own)."""
    if aspect <= 0:
        aspect = out_aspect
    return (out_aspect / aspect, 1.0) if aspect >= out_aspect else (1.0, aspect / out_aspect)


def _centred(cx: float, cy: float, w: float, h: float) -> Rect:
    """The w × h rectangle centred as near (cx, cy) as fits inside the picture."""
    x = min(max(cx - w / 2, 0.0), 1.0 - w)
    y = min(max(cy - h / 2, 0.0), 1.0 - h)
    return (x, y, w, h)


def rect_at(a: Rect, b: Rect, p: float) -> Rect:
    """The rectangle a fraction ``p`` of the way from ``a`` to ``b``: centre linear, size geometric."""
    cx = a[0] + a[2] / 2 + ((b[0] + b[2] / 2) - (a[0] + a[2] / 2)) * p
    cy = a[1] + a[3] / 2 + ((b[1] + b[3] / 2) - (a[1] + a[3] / 2)) * p
    w = a[2] * (b[2] / a[2]) ** p
    h = a[3] * (b[3] / a[3]) ** p
    return (cx - w / 2, cy - h / 2, w, h)


def travel(a: Rect, b: Rect) -> float:
    """How far the picture moves under the frame from ``a`` to ``b``: its centre's travel in
    frame widths (or heights), or the log of the change of size, whichever is larger."""
    w = math.sqrt(a[2] * b[2])
    h = math.sqrt(a[3] * b[3])
    dx = abs((b[0] + b[2] / 2) - (a[0] + a[2] / 2)) / w
    dy = abs((b[1] + b[3] / 2) - (a[1] + a[3] / 2)) / h
    return max(dx, dy, abs(math.log(b[2] / a[2])))


def move_speed(a: Rect, b: Rect, seconds: float) -> float:
    """``travel`` per second of a move lasting ``seconds``."""
    return travel(a, b) / max(seconds, 1e-9)


def design(kind: str, tight: float, wide: float, size: tuple[float, float],
           focus: tuple[float, float]) -> tuple[Rect, Rect, float]:
    """The ideal (from, to) of a variant before its speed is limited, and the point of its
    path (0: from … 1: to) that a shortened move is centred on: a push in ends on the focus,
    a pull out starts on it, a pan sweeps the picture's free side and passes it mid-way."""
    fw, fh = size
    fx, fy = focus
    if kind == "push_in":
        return _centred(0.5, 0.5, fw * wide, fh * wide), _centred(fx, fy, fw * tight, fh * tight), 1.0
    if kind == "pull_out":
        return (_centred(fx, fy, fw * tight, fh * tight),
                _centred((fx + 0.5) / 2, (fy + 0.5) / 2, fw * wide, fh * wide), 0.0)
    w, h = fw * tight, fh * tight
    forward = kind == "pan"
    if (1.0 - w) >= (1.0 - h):  # along the side with more room
        a, b = _centred(0.0, fy, w, h), _centred(1.0, fy, w, h)
        q = (fx - w / 2) / (1.0 - w)
    else:
        a, b = _centred(fx, 0.0, w, h), _centred(fx, 1.0, w, h)
        q = (fy - h / 2) / (1.0 - h)
    q = min(max(q, 0.0), 1.0)
    return (a, b, q) if forward else (b, a, 1.0 - q)


def still_move(k: int, seconds: float, aspect: float, out_aspect: float, focus: tuple[float, float] | None,
               speed: float = STILL_MOVE_SPEED) -> tuple[Rect, Rect]:
    """The move of the ``k``-th cut of a still lasting ``seconds``: variant ``k`` of
    ``VARIANTS``, shortened about the point of its path ``design`` keeps, to travel at most ``speed``
    per second (and ``MAX_TRAVEL`` in all)."""
    kind, tight, wide = VARIANTS[k % len(VARIANTS)]
    focus = focus if focus is not None and all(np.isfinite(focus)) else (0.5, 0.5)
    a, b, q = design(kind, tight, wide, full_size(aspect, out_aspect), (float(focus[0]), float(focus[1])))
    allowed = min(speed * seconds, MAX_TRAVEL)

    def part(s: float) -> tuple[Rect, Rect]:  # the stretch of length s of the path, about q
        lo = min(max(q - s / 2, 0.0), 1.0 - s)
        return rect_at(a, b, lo), rect_at(a, b, lo + s)

    if travel(a, b) <= allowed:
        return a, b
    lo_s, hi_s = 0.0, 1.0  # the longest stretch within the allowed travel (bisection)
    for _ in range(40):
        mid = (lo_s + hi_s) / 2
        lo_s, hi_s = (mid, hi_s) if travel(*part(mid)) <= allowed else (lo_s, mid)
    return part(lo_s)


def next_move(k: int, seconds: float, aspect: float, out_aspect: float, focus,
              previous: tuple[Rect, Rect] | None, speed: float = STILL_MOVE_SPEED) -> tuple[Rect, Rect]:
    """The move of a still's ``k``-th cut after its ``previous`` one: variant ``k``, or the
    next variant whose start and end both differ from the previous move's (``DISTINCT``),
    and whose start differs from where the previous one ended (no jump cut when the two
    cuts meet)."""
    first = still_move(k, seconds, aspect, out_aspect, focus, speed)
    if previous is None:
        return first
    pa, pb = previous
    for j in range(k, k + len(VARIANTS)):
        a, b = still_move(j, seconds, aspect, out_aspect, focus, speed)
        if min(travel(a, pa), travel(b, pb), travel(a, pb)) > DISTINCT:
            return a, b
    return first


def _rounded(r: Rect) -> list[float]:
    return [round(float(v), 5) for v in r]


def still_moves(spans: list, table, width: int, height: int, speed: float = STILL_MOVE_SPEED) -> list:
    """``spans`` (SentenceSpans in timeline order) with a ``move`` on every cut of a still of
    ``table`` (a cut and the continuations after it share one move, split where they meet);
    other cuts unchanged (and any move they carried dropped)."""
    if table.still is None or not np.asarray(table.still).any():
        return spans
    wanted = {c.shot_id for sp in spans for c in sp.cuts}
    rows = {sid: i for i, sid in enumerate(table.shot_ids) if sid in wanted}
    cuts = [(si, ci, c) for si, sp in enumerate(spans) for ci, c in enumerate(sp.cuts)]
    moved: dict[tuple[int, int], dict | None] = {}
    uses: dict[str, int] = {}
    last: dict[str, tuple[Rect, Rect]] = {}
    i = 0
    while i < len(cuts):
        j = i + 1
        while j < len(cuts) and cuts[j][2].continues:
            j += 1
        run = cuts[i:j]
        first = run[0][2]
        row = rows.get(first.shot_id)
        if row is not None and bool(table.still[row]):
            total = sum(c.frames for _, _, c in run)
            k = uses.get(first.shot_id, 0)
            uses[first.shot_id] = k + 1
            aspect = float(table.aspect[row]) if table.aspect is not None else 0.0
            a, b = next_move(k, total / first.fps, aspect, width / height, _target(table, row),
                             last.get(first.shot_id), speed)
            last[first.shot_id] = (a, b)
            done = 0
            for si, ci, c in run:
                moved[(si, ci)] = {"from": _rounded(rect_at(a, b, done / total)),
                                   "to": _rounded(rect_at(a, b, (done + c.frames) / total))}
                done += c.frames
        i = j
    out = []
    for si, sp in enumerate(spans):
        new = [replace(c, move=moved.get((si, ci))) for ci, c in enumerate(sp.cuts)]
        out.append(replace(sp, cuts=new) if any(x.move != c.move for x, c in zip(new, sp.cuts)) else sp)
    return out


def _target(table, row: int) -> tuple[float, float] | None:
    """Where a move over a still heads: its largest face, else its most salient point."""
    face = table.face_centres[row]
    if np.all(np.isfinite(face)):
        return float(face[0]), float(face[1])
    if table.salient is not None and np.all(np.isfinite(table.salient[row])):
        return float(table.salient[row][0]), float(table.salient[row][1])
    return None
