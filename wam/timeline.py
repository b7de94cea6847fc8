"""The cut list: Timeline / SentenceSpan / Cut dataclasses, validation and the
``wam.timeline/1`` JSON document (DESIGN.md). Pure; never opens media.

Times are seconds on the output timeline, half-open [start, end); cuts tile each
sentence exactly, on the output frame grid.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wam.errors import WamError

SCHEMA = "wam.timeline/1"


@dataclass(frozen=True)
class Cut:
    shot_id: str
    source: str
    source_in: float
    source_out: float
    start: float
    end: float
    score: float
    costs: dict = field(default_factory=dict)
    focus: list[float] | None = None  # [x, y] in 0..1 to keep in frame when cropping (largest face)
    continues: bool = False  # picks up the previous cut's shot where it ended: no visible cut
    hold: float = 0.0  # seconds the source's last frame is held at the end (the shot is too short)
    last_resort: bool = False  # scores under half its sentence's best candidate: shown only for lack of footage


@dataclass(frozen=True)
class SentenceSpan:
    index: int
    text: str
    start: float
    end: float
    paragraph: int
    cuts: list[Cut]
    weak_match: bool = False  # no shot matched well; best available footage used
    reused: bool = False  # a shot already used elsewhere had to be shown again


@dataclass(frozen=True)
class Timeline:
    duration: float
    fps: int
    width: int
    height: int
    sentences: list[SentenceSpan]
    pace: str = "normal"
    model: str = ""
    warnings: list[str] = field(default_factory=list)

    def cuts(self) -> list[Cut]:
        return [c for s in self.sentences for c in s.cuts]

    def to_dict(self) -> dict:
        d = {"schema": SCHEMA, **asdict(self)}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def timeline_from_dict(d: dict) -> Timeline:
    """Parse a ``wam.timeline/1`` document (WamError with the reason if it is not one)."""
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        raise WamError(f"not a wam plan (expected schema {SCHEMA!r})")
    try:
        sentences = [
            SentenceSpan(
                index=int(s["index"]), text=str(s["text"]), start=float(s["start"]), end=float(s["end"]),
                paragraph=int(s.get("paragraph", 0)),
                cuts=[Cut(**{k: c[k] for k in ("shot_id", "source", "source_in", "source_out", "start", "end")},
                          score=float(c.get("score", 0.0)), costs=dict(c.get("costs", {})),
                          focus=_focus(c.get("focus")), continues=bool(c.get("continues", False)),
                          hold=float(c.get("hold", 0.0)), last_resort=bool(c.get("last_resort", False)))
                     for c in s["cuts"]],
                weak_match=bool(s.get("weak_match", False)), reused=bool(s.get("reused", False)),
            )
            for s in d["sentences"]
        ]
        t = Timeline(duration=float(d["duration"]), fps=int(d["fps"]), width=int(d["width"]), height=int(d["height"]),
                     sentences=sentences, pace=str(d.get("pace", "normal")), model=str(d.get("model", "")),
                     warnings=list(d.get("warnings", [])))
    except (KeyError, TypeError, ValueError) as exc:
        raise WamError(f"malformed wam plan ({type(exc).__name__}: {exc})") from None
    problems = timeline_problems(t)
    if problems:
        raise WamError("invalid wam plan: " + problems[0])
    return t


def _focus(value) -> list[float] | None:
    if value is None:
        return None
    x, y = (float(v) for v in value)
    return [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]


def timeline_problems(t: Timeline) -> list[str]:
    """Contract violations: gaps/overlaps, cuts not tiling sentences, off-grid times, bad ranges."""
    eps = 1e-6
    out = []
    tick = 1.0 / t.fps
    prev_end = 0.0
    for s in t.sentences:
        if abs(s.start - prev_end) > eps:
            out.append(f"sentence {s.index} starts at {s.start}, not at {prev_end}")
        if not s.cuts:
            out.append(f"sentence {s.index} has no cuts")
            continue
        if abs(s.cuts[0].start - s.start) > eps or abs(s.cuts[-1].end - s.end) > eps:
            out.append(f"cuts of sentence {s.index} do not span it")
        for a, b in zip(s.cuts, s.cuts[1:]):
            if abs(a.end - b.start) > eps:
                out.append(f"gap or overlap between cuts in sentence {s.index}")
        for c in s.cuts:
            if c.end - c.start < tick - eps:
                out.append(f"cut {c.shot_id} in sentence {s.index} is shorter than a frame")
            if abs(round(c.start * t.fps) - c.start * t.fps) > 1e-3 or abs(round(c.end * t.fps) - c.end * t.fps) > 1e-3:
                out.append(f"cut {c.shot_id} in sentence {s.index} is off the {t.fps} fps frame grid")
            if c.source_out - c.source_in + c.hold + 1e-5 < c.end - c.start:
                out.append(f"cut {c.shot_id} is longer than its source range")
        prev_end = s.end
    if abs(prev_end - t.duration) > eps:
        out.append(f"duration {t.duration} differs from the last sentence's end {prev_end}")
    return out


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path`` and rename it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
