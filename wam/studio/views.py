"""What the studio page shows of a plan, as JSON: per sentence its text, times, flags, cuts
(with the URLs of their thumbnails and of the sentence's preview) and next best shots, and a
signature of its cuts that changes exactly when they do (the page redraws only those rows).
Pure: a Timeline, the alternatives and the render segments' keys in, plain data out.
"""

from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import quote

from wam.core.timeline import Cut, SentenceSpan, Timeline


def cut_signature(cuts: list[Cut]) -> str:
    """What a sentence's cuts show (shots, source frames, lengths, pins), as a short hash."""
    data = [[c.shot_id, round(c.source_in, 4), round(c.source_out, 4), c.frames, c.pinned, c.move]
            for c in cuts]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def thumb_url(shot_id: str, seconds: float, width: int) -> str:
    return f"/media/thumb/{quote(shot_id, safe='')}?t={seconds:.2f}&w={width}"


def cut_view(c: Cut) -> dict:
    middle = c.source_in + (c.source_out - c.source_in) / 2
    return {"shot_id": c.shot_id, "name": os.path.basename(c.source), "source": c.source,
            "source_in": round(c.source_in, 3), "source_out": round(c.source_out, 3),
            "start": round(c.start, 3), "end": round(c.end, 3), "seconds": round(c.duration, 3),
            "score": round(c.score, 3), "last_resort": c.last_resort, "continues": c.continues,
            "hold": round(c.hold, 3), "pinned": c.pinned, "still": c.move is not None, "a_roll": c.a_roll,
            "thumb": thumb_url(c.shot_id, middle, 320)}


def alternative_view(a) -> dict:
    return {"shot_id": a.shot_id, "name": os.path.basename(a.source), "source": a.source, "start": a.start,
            "end": a.end, "score": a.score, "description": a.description,
            "thumb": thumb_url(a.shot_id, a.start + (a.end - a.start) / 2, 192),
            "clip": f"/media/clip/{quote(a.shot_id, safe='')}#t={a.start:.2f},{a.end:.2f}"}


def sentence_view(s: SentenceSpan, new_paragraph: bool, alternatives: list, key: str) -> dict:
    return {"index": s.index, "text": s.text, "start": round(s.start, 3), "end": round(s.end, 3),
            "seconds": round(s.duration, 3), "paragraph": s.paragraph, "new_paragraph": new_paragraph,
            "weak_match": s.weak_match, "reused": s.reused, "signature": cut_signature(s.cuts),
            "cuts": [cut_view(c) for c in s.cuts],
            "alternatives": [alternative_view(a) for a in alternatives],
            "preview": f"/media/sentence/{s.index}.mp4?key={key}"}


def plan_view(timeline: Timeline, alternatives: dict, keys: list[str]) -> dict:
    """The page's view of ``timeline`` (``alternatives``: sentence index → Alternative list;
    ``keys``: each sentence's render segment key, so a preview URL changes with its pictures)."""
    out, prev = [], None
    for s, key in zip(timeline.sentences, keys):
        out.append(sentence_view(s, prev is not None and s.paragraph != prev, alternatives.get(s.index, []),
                                 key))
        prev = s.paragraph
    cuts = [c for c in timeline.cuts() if not c.continues]
    return {"sentences": out, "duration": round(timeline.duration, 3), "cuts": len(cuts),
            "width": timeline.width, "height": timeline.height, "fps": timeline.fps, "pace": timeline.pace,
            "warnings": list(timeline.warnings),
            "a_roll": timeline.a_roll and {"name": os.path.basename(timeline.a_roll["file"]),
                                           "mode": timeline.a_roll.get("mode", "cut")},
            "bans": {"shots": list(timeline.bans.shots), "clips": [{"file": c, "name": os.path.basename(c)}
                                                                   for c in timeline.bans.clips]}}
