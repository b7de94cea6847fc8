"""The plan's ``narration`` object (``wam.voice``): read back and checked field by field, and
the speech spans the subtitles and the audio mix follow.

```json
"narration": {"kind": "voice", "file": "/…/voice/tracks/….wav", "gain_db": 0.0,
              "voice": "en_US-joe-medium", "settings": {"noise_w_scale": 0.0}, "confidence": null,
              "sentences": [{"index": 0, "start": 0.0, "end": 1.62, "engine": "piper:en_US-joe-medium",
                             "words": [["The", 0.04, 0.16], …]}]}
```

``kind``: ``voice`` (synthesised; ``voice`` and ``settings`` say how, so a lost track file
is made again), ``recording`` (the user's file, aligned; ``confidence`` in [0, 1]) or
``timing`` (spans from ``--timing``, with or without a recording). ``file`` plays from its
start at the start of the video (null: no sound); ``gain_db`` is applied to it. Each
sentence's ``start`` / ``end`` are the seconds on the timeline where it is spoken, and
``words`` the same for each of its whitespace-separated words. An optional field of
``wam.timeline/1``: readers that do not know it ignore it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from wam.errors import WamError
from wam.timeline import Timeline

KINDS = ("voice", "recording", "timing")


@dataclass(frozen=True)
class SpokenSentence:
    start: float
    end: float
    words: list[tuple[str, float, float]] = field(default_factory=list)
    engine: str = ""


@dataclass(frozen=True)
class Narration:
    kind: str
    file: str | None
    sentences: list[SpokenSentence]
    gain_db: float = 0.0
    voice: str | None = None
    settings: dict = field(default_factory=dict)
    confidence: float | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "file": self.file, "gain_db": self.gain_db, "voice": self.voice,
            "settings": dict(self.settings), "confidence": self.confidence,
            "sentences": [{"index": i, "start": round(s.start, 4), "end": round(s.end, 4), "engine": s.engine,
                           "words": [[w, round(a, 4), round(b, 4)] for w, a, b in s.words]}
                          for i, s in enumerate(self.sentences)],
        }


class _Bad(WamError):
    pass


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _Bad(f"invalid wam plan: {where} must be a number")
    return float(v)


def narration_of(timeline: Timeline) -> Narration | None:
    """The timeline's narration, checked (WamError naming the bad field); None if it has none."""
    d = timeline.narration
    if d is None:
        return None
    kind = d.get("kind")
    if kind not in KINDS:
        raise _Bad(f"invalid wam plan: narration.kind must be one of {', '.join(KINDS)}")
    file = d.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise _Bad("invalid wam plan: narration.file must be a file path or null")
    if kind != "timing" and file is None and kind != "voice":
        raise _Bad("invalid wam plan: narration.file is missing")
    items = d.get("sentences")
    if not isinstance(items, list) or len(items) != len(timeline.sentences):
        raise _Bad("invalid wam plan: narration.sentences must list "
                   f"the plan's {len(timeline.sentences)} sentences")
    sentences = []
    for i, s in enumerate(items):
        where = f"narration.sentences[{i}]"
        if not isinstance(s, dict):
            raise _Bad(f"invalid wam plan: {where} must be an object")
        a, b = _number(s.get("start"), f"{where}.start"), _number(s.get("end"), f"{where}.end")
        if not 0 <= a <= b:
            raise _Bad(f"invalid wam plan: {where} ends ({b}) before it starts ({a})")
        words = []
        for k, w in enumerate(s.get("words") or []):
            if not (isinstance(w, list) and len(w) == 3 and isinstance(w[0], str)):
                raise _Bad(f"invalid wam plan: {where}.words[{k}] must be [word, start, end]")
            words.append((w[0], _number(w[1], f"{where}.words[{k}][1]"),
                          _number(w[2], f"{where}.words[{k}][2]")))
        sentences.append(SpokenSentence(a, b, words, str(s.get("engine") or "")))
    settings = d.get("settings") or {}
    if not isinstance(settings, dict):
        raise _Bad("invalid wam plan: narration.settings must be an object")
    conf = d.get("confidence")
    return Narration(kind, file, sentences, _number(d.get("gain_db", 0.0), "narration.gain_db"),
                     d.get("voice") if isinstance(d.get("voice"), str) else None, settings,
                     None if conf is None else _number(conf, "narration.confidence"))


def speech_spans(timeline: Timeline) -> list[tuple[float, float]]:
    """Seconds on the timeline where each sentence is spoken: its narration span, or without
    narration the sentence's whole span (clipped to the timeline)."""
    n = narration_of(timeline)
    if n is None:
        return [(s.start, s.end) for s in timeline.sentences]
    end = timeline.duration
    return [(min(s.start, end), min(max(s.end, s.start), end)) for s in n.sentences]
