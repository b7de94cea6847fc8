"""The plan's ``narration`` object as typed, frozen data (layer 0, part of the cut-list data
model: ``wam.core.timeline.Timeline.narration`` holds it, ``wam.voice`` makes it, the renderer, the
exports, the storyboard and the studio read its fields). Read and checked once, when a plan is
read (``narration_from_dict``, called by ``wam.core.timeline.timeline_from_dict``), and written back
field for field, so that reading a plan and writing it again gives the same bytes.

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

Pure: imports nothing of wam (a layer-0 unit); a bad field is an error of the class the caller
passes (``wam.core.planfields.Bad`` for the timeline's reader, which turns it into the one-line
"invalid wam plan: …" error), its message naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = ("voice", "recording", "timing")
#: Decimal places of the seconds a plan records for speech (sentences and words).
PLACES = 4

Word = tuple[str, float, float]


@dataclass(frozen=True)
class SpokenSentence:
    """Where one sentence is spoken: seconds on the output timeline, and per word (word, start, end)."""

    start: float
    end: float
    words: tuple[Word, ...] = ()
    engine: str = ""  # what spoke it (synthesised narration), e.g. "piper:en_US-joe-medium"

    @classmethod
    def at(cls, start: float, end: float, words: Iterable[Word] = (), engine: str = "") -> SpokenSentence:
        """A sentence spoken from ``start`` to ``end`` (seconds, and its words' times) as a plan
        records them: rounded to ``PLACES`` decimals, so a plan and the same plan read back agree."""
        return cls(round(start, PLACES), round(end, PLACES),
                   tuple((w, round(a, PLACES), round(b, PLACES)) for w, a, b in words), engine)

    def to_dict(self, index: int) -> dict:
        return {"index": index, "start": self.start, "end": self.end, "engine": self.engine,
                "words": [[w, a, b] for w, a, b in self.words]}


@dataclass(frozen=True)
class Narration:
    """The voice-over of a plan: which sound plays from the video's start and where each sentence
    is spoken in it (one ``SpokenSentence`` per sentence of the plan, in order)."""

    kind: str
    file: str | None
    sentences: tuple[SpokenSentence, ...]
    gain_db: float = 0.0
    voice: str | None = None
    settings: dict = field(default_factory=dict)
    confidence: float | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "file": self.file, "gain_db": self.gain_db, "voice": self.voice,
            "settings": dict(self.settings), "confidence": self.confidence,
            "sentences": [s.to_dict(i) for i, s in enumerate(self.sentences)],
        }


def _number(v, where: str, error: type[Exception]) -> float:
    """``v`` if it is a finite number (kept as given, so it is written back as it was read)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise error(f"{where} must be a number")
    return v


def narration_from_dict(d: dict, sentences: int, error: type[Exception] = ValueError) -> Narration:
    """The plan's ``narration`` object ``d`` of a plan with ``sentences`` sentences, checked
    field by field (``error`` naming the bad field)."""
    kind = d.get("kind")
    if kind not in KINDS:
        raise error(f"narration.kind must be one of {', '.join(KINDS)}")
    file = d.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise error("narration.file must be a file path or null")
    if kind == "recording" and file is None:
        raise error("narration.file is missing")
    items = d.get("sentences")
    if not isinstance(items, list) or len(items) != sentences:
        raise error(f"narration.sentences must list the plan's {sentences} sentences")
    spoken = []
    for i, s in enumerate(items):
        where = f"narration.sentences[{i}]"
        if not isinstance(s, dict):
            raise error(f"{where} must be an object")
        a, b = _number(s.get("start"), f"{where}.start", error), _number(s.get("end"), f"{where}.end", error)
        if not 0 <= a <= b:
            raise error(f"{where} ends ({b}) before it starts ({a})")
        words = []
        for k, w in enumerate(s.get("words") or []):
            if not (isinstance(w, list) and len(w) == 3 and isinstance(w[0], str)):
                raise error(f"{where}.words[{k}] must be [word, start, end]")
            words.append((w[0], *(_number(w[j], f"{where}.words[{k}][{j}]", error) for j in (1, 2))))
        spoken.append(SpokenSentence(a, b, tuple(words), str(s.get("engine") or "")))
    settings = d.get("settings") or {}
    if not isinstance(settings, dict):
        raise error("narration.settings must be an object")
    conf = d.get("confidence")
    return Narration(kind, file, tuple(spoken), _number(d.get("gain_db", 0.0), "narration.gain_db", error),
                     d.get("voice") if isinstance(d.get("voice"), str) else None, dict(settings),
                     None if conf is None else _number(conf, "narration.confidence", error))
