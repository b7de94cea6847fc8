"""The cut list: ``Timeline`` / ``SentenceSpan`` / ``Cut``, their validation, and the
``wam.timeline/1`` JSON document (see ARCHITECTURE.md). Pure data: nothing here opens media;
``read_plan`` is the one function that reads a (JSON) file.

Positions on the output timeline are integer frames at ``fps``, the source of truth: a cut
covers the half-open frame range [start_frame, start_frame + frames). Seconds (``start``,
``end``, ``duration``) are derived from them; the JSON document carries both, the seconds
for scripts. ``source_in`` / ``source_out`` are seconds in the source file.

Every object here is frozen: an edit makes a new one (``Timeline.with_*``, ``dataclasses.replace``).
The plan's voice-over is typed in ``wam.core.narration``, read and checked with the rest of the plan.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field, replace
from pathlib import Path

from wam.core import planfields as pf
from wam.core.bans import Bans
from wam.core.config import A_ROLL_MODES, DEFAULT_PACE, MAX_FPS, MAX_PIXELS, MAX_SIDE, MIN_SIDE
from wam.core.errors import WamError, one_line
from wam.core.narration import Narration, narration_from_dict

SCHEMA_NAME = "wam.timeline"
SCHEMA_VERSION = 1
SCHEMA = f"{SCHEMA_NAME}/{SCHEMA_VERSION}"


class _FrameRange:
    """Seconds derived from the integer frame range [start_frame, start_frame + frames) at fps."""

    start_frame: int
    frames: int
    fps: int

    def _check_frames(self) -> None:
        for name in ("start_frame", "frames", "fps"):  # ints (numpy ints too), never floats
            object.__setattr__(self, name, operator.index(getattr(self, name)))

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames

    @property
    def start(self) -> float:
        return self.start_frame / self.fps

    @property
    def end(self) -> float:
        return self.end_frame / self.fps

    @property
    def duration(self) -> float:
        return self.frames / self.fps


@dataclass(frozen=True)
class Cut(_FrameRange):
    """One shot on the output timeline: frames [start_frame, end_frame) show ``source`` from ``source_in``.

    ``continues``: this cut picks up the previous cut's shot where it ended (not a visible
    cut). ``hold``: seconds the last source frame is held at the end, so the source range
    may be shorter than the cut by exactly that much. ``last_resort``: the shot scores under
    half the best candidate of its sentence and is shown only for lack of better footage.
    """

    shot_id: str
    source: str
    source_in: float
    source_out: float
    start_frame: int
    frames: int
    fps: int
    score: float
    costs: dict = field(default_factory=dict)
    focus: list[float] | None = None  # [x, y] in 0..1 to keep in frame when cropping (largest face)
    continues: bool = False
    hold: float = 0.0
    last_resort: bool = False  # scores under half its sentence's best candidate: shown for lack of footage
    # a still's move: {"from": [x, y, w, h], "to": [...]} of the source, 0…1 (assemble/moves.py)
    move: dict | None = None
    a_roll: bool = False  # the speaker's talk (``Timeline.a_roll``), source time = output time
    # kept by every re-plan while its sentence's text and length are unchanged (wam studio)
    pinned: bool = False

    def __post_init__(self) -> None:
        self._check_frames()

    @classmethod
    def from_seconds(cls, shot_id: str, source: str, source_in: float, source_out: float, start: float,
                     end: float, fps: int, score: float = 0.0, **extra) -> Cut:
        """A cut given in seconds on the output timeline, snapped to the nearest frames."""
        a, b = round(start * fps), round(end * fps)
        return cls(shot_id, source, source_in, source_out, a, b - a, fps, score, **extra)

    def to_dict(self) -> dict:
        return {
            "shot_id": self.shot_id, "source": self.source, "source_in": self.source_in,
            "source_out": self.source_out,
            "start": round(self.start, 6), "end": round(self.end, 6), "start_frame": self.start_frame,
            "frames": self.frames, "score": self.score, "costs": dict(self.costs), "focus": self.focus,
            "continues": self.continues, "hold": self.hold, "last_resort": self.last_resort,
        } | ({"move": self.move} if self.move is not None else {}) | ({"a_roll": True} if self.a_roll
                                                                      else {}) | (
            {"pinned": True} if self.pinned else {})


@dataclass(frozen=True)
class SentenceSpan(_FrameRange):
    """One sentence on the output timeline and the cuts that tile it."""

    index: int
    text: str
    start_frame: int
    frames: int
    fps: int
    paragraph: int
    cuts: list[Cut]
    weak_match: bool = False  # no shot matched well; best available footage used
    reused: bool = False  # a shot already used elsewhere had to be shown again
    explain: dict | None = None  # ``wam plan --explain``: the runner-up and how its cost terms differ

    def __post_init__(self) -> None:
        self._check_frames()

    def to_dict(self) -> dict:
        d = {
            "index": self.index, "text": self.text, "start": round(self.start, 6), "end": round(self.end, 6),
            "start_frame": self.start_frame, "frames": self.frames, "paragraph": self.paragraph,
            "cuts": [c.to_dict() for c in self.cuts], "weak_match": self.weak_match, "reused": self.reused,
        }
        if self.explain is not None:
            d["explain"] = self.explain
        return d


@dataclass(frozen=True)
class Timeline:
    """The whole cut: sentences in order, at ``fps`` on a ``width`` × ``height`` frame.

    Frozen, like its sentences and cuts: an edit makes a new timeline (``with_*``, or
    ``dataclasses.replace``) and leaves this one as it was."""

    fps: int
    width: int
    height: int
    sentences: list[SentenceSpan]
    pace: str = DEFAULT_PACE
    model: str = ""
    warnings: list[str] = field(default_factory=list)
    # the voice-over (file, per-sentence speech spans): ``wam.core.narration``
    narration: Narration | None = None
    # --music: {"file", "sha256", "size", "tempo", "beats": [seconds]} (``wam.media.beats``)
    music: dict | None = None
    a_roll: dict | None = None  # --a-roll: the speaker's talk {"file", "duration", "mode", …} under the cut
    # footage this story must not show; re-plans keep them (wam studio)
    bans: Bans = field(default_factory=Bans)

    def __post_init__(self) -> None:
        for name in ("fps", "width", "height"):
            object.__setattr__(self, name, operator.index(getattr(self, name)))

    @property
    def frames(self) -> int:
        """Length in frames: where the last sentence ends."""
        return self.sentences[-1].end_frame if self.sentences else 0

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def cuts(self) -> list[Cut]:
        return [c for s in self.sentences for c in s.cuts]

    def speech_spans(self) -> list[tuple[float, float]]:
        """Seconds where each sentence is spoken: its narration's span (clipped to the timeline),
        or without narration the sentence's whole span."""
        if self.narration is None:
            return [(s.start, s.end) for s in self.sentences]
        end = self.duration
        return [(min(s.start, end), min(max(s.end, s.start), end)) for s in self.narration.sentences]

    def with_narration(self, narration: Narration | None) -> Timeline:
        """This cut with ``narration`` as its voice-over (a new timeline; this one is unchanged)."""
        return replace(self, narration=narration)

    def with_warnings(self, warnings: list[str]) -> Timeline:
        """This cut with ``warnings`` (a new timeline; this one is unchanged)."""
        return replace(self, warnings=list(warnings))

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA, "duration": round(self.duration, 6), "frames": self.frames, "fps": self.fps,
            "width": self.width, "height": self.height, "sentences": [s.to_dict() for s in self.sentences],
            "pace": self.pace, "model": self.model, "warnings": list(self.warnings),
        } | ({"narration": self.narration.to_dict()} if self.narration is not None else {}) | (
            {"music": self.music} if self.music is not None else {}) | (
            {"a_roll": self.a_roll} if self.a_roll is not None else {}) | ({"bans": self.bans.to_dict()}
                                                                           if self.bans else {})

    def pinned_cuts(self) -> list[tuple[int, int]]:
        """(sentence, cut) positions of every pinned cut."""
        return [(s.index, k) for s in self.sentences for k, c in enumerate(s.cuts) if c.pinned]

    def to_json(self) -> str:
        """The ``wam.timeline/1`` document, indented by two spaces. orjson writes it (the plan of
        a long story is tens of MB, and the standard library's indenting encoder is pure Python:
        2 s for a 1 MB story); the same text as ``json.dumps(…, indent=2, ensure_ascii=False)``
        but for exponents (``1e-6``, not ``1e-06``). What orjson refuses (a lone surrogate, an
        integer over 64 bits) goes to the standard library."""
        import orjson

        d = self.to_dict()
        try:
            return orjson.dumps(d, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
        except orjson.JSONEncodeError:
            return json.dumps(d, indent=2, ensure_ascii=False)


def read_plan(path: str | Path) -> Timeline:
    """The timeline saved in the JSON file at ``path`` (``wam plan -o``); WamError if unusable."""
    from wam.core.config import MAX_JSON_BYTES
    from wam.core.errors import InputError
    from wam.core.textfile import parse_json, read_text

    try:
        d = parse_json(read_text(str(path), what="the plan", limit=MAX_JSON_BYTES, error=InputError))
        return timeline_from_dict(d)
    except (OSError, ValueError, RecursionError) as exc:
        raise WamError(f"cannot read the plan {path} ({one_line(exc)})") from None


def timeline_from_dict(d: dict) -> Timeline:
    """Parse a ``wam.timeline/1`` document (WamError naming the bad field if it is not a valid one).

    Every field is checked for its type up front (numbers finite, frames whole numbers, the
    frame rate and size within what can be rendered), then the timeline for the contract
    (``timeline_problems``). Documents written before cuts carried frames are upgraded:
    frames are the seconds × fps, rounded. Where both are given they must agree.
    """
    _check_schema(d)
    try:
        pf.check_finite(d, "")
        fps = pf.get(d, "fps", int)
        if not 1 <= fps <= MAX_FPS:
            raise pf.Bad(f"fps must be between 1 and {MAX_FPS}, not {fps}")
        width, height = pf.get(d, "width", int), pf.get(d, "height", int)
        if problem := frame_size_problem(width, height):
            raise pf.Bad(f"width x height: {problem}")
        sentences = []
        for i, s in enumerate(pf.get(d, "sentences", list)):
            where = f"sentences[{i}]"
            s = pf.object_(s, where)
            cuts = []
            for j, c in enumerate(pf.get(s, "cuts", list, where)):
                cw = f"{where}.cuts[{j}]"
                c = pf.object_(c, cw)
                ca, cn = pf.frames(c, fps, cw)
                costs = pf.get(c, "costs", dict, cw, {})
                for key in costs:
                    pf.get(costs, key, float, f"{cw}.costs")
                cuts.append(Cut(
                    shot_id=pf.get(c, "shot_id", str, cw), source=pf.get(c, "source", "path", cw),
                    source_in=pf.get(c, "source_in", float, cw), source_out=pf.get(c, "source_out", float,
                                                                                   cw),
                    start_frame=ca, frames=cn, fps=fps, score=pf.get(c, "score", float, cw, 0.0),
                    costs=dict(costs),
                    focus=pf.focus(c.get("focus"), f"{cw}.focus"), continues=pf.get(c, "continues", bool, cw,
                                                                                    False),
                    hold=pf.get(c, "hold", float, cw, 0.0), last_resort=pf.get(c, "last_resort", bool, cw,
                                                                               False),
                    move=pf.move(c.get("move"), f"{cw}.move"), a_roll=pf.get(c, "a_roll", bool, cw, False),
                    pinned=pf.get(c, "pinned", bool, cw, False),
                ))
            a, n = pf.frames(s, fps, where)
            sentences.append(SentenceSpan(
                index=pf.get(s, "index", int, where), text=pf.get(s, "text", str, where), start_frame=a,
                frames=n, fps=fps, paragraph=pf.get(s, "paragraph", int, where, 0), cuts=cuts,
                weak_match=pf.get(s, "weak_match", bool, where, False), reused=pf.get(s, "reused", bool,
                                                                                      where, False),
                explain=dict(s["explain"]) if isinstance(s.get("explain"), dict) else None,
            ))
        warnings = pf.get(d, "warnings", list, "", [])
        for i in range(len(warnings)):
            pf.get(dict(enumerate(warnings)), i, str, "warnings")
        t = Timeline(fps=fps, width=width, height=height, sentences=sentences, pace=pf.get(d, "pace", str,
                                                                                           "", "normal"),
                     model=pf.get(d, "model", str, "", ""), warnings=list(warnings),
                     narration=None if d.get("narration") is None else narration_from_dict(
                         pf.get(d, "narration", dict), len(sentences), pf.Bad),
                     music=pf.music(d.get("music")), a_roll=pf.a_roll(d.get("a_roll"), A_ROLL_MODES),
                     bans=Bans(*pf.bans(d.get("bans"))))
        stated = [("frames", pf.get(d, "frames", int)) if "frames" in d else None,
                  ("duration", pf.to_frame(pf.get(d, "duration", float), fps)) if "duration" in d else None]
    except pf.Bad as exc:
        raise WamError(f"invalid wam plan: {exc}") from None
    problems = timeline_problems(t)
    if any(x is not None and x[1] != t.frames for x in stated):
        problems.append(f"its length ({d.get('duration')} s) differs from the last sentence's end (frame "
                        f"{t.frames})")
    if problems:
        raise WamError("invalid wam plan: " + problems[0])
    return t


def frame_size_problem(width: int, height: int) -> str | None:
    """Why an output frame of ``width`` × ``height`` cannot be rendered (None: it can)."""
    if width < MIN_SIDE or height < MIN_SIDE:
        return f"{width}x{height} is too small (at least {MIN_SIDE} pixels a side)"
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        return (f"{width}x{height} is too large for H.264 (at most {MAX_SIDE} pixels a side and "
                f"{MAX_PIXELS:,} pixels in all, e.g. 8192x4320)")
    return None


def _check_schema(d) -> None:
    schema = d.get("schema") if isinstance(d, dict) else None
    name, _, version = str(schema).partition("/")
    if name != SCHEMA_NAME or not version.isdigit() or int(version) < 1:
        raise WamError(f"not a wam plan (expected schema {SCHEMA!r})")
    if int(version) > SCHEMA_VERSION:
        raise WamError(f"the plan was written by a newer wam (schema {schema!r}; this wam reads "
                       f"{SCHEMA!r}); "
                       "upgrade wam to use it")


#: Slack, in output frames, when comparing a source range (seconds in the source, rounded to
#: microseconds in JSON) with a cut's length.
_SOURCE_SLACK_FRAMES = 1e-3


def timeline_problems(t: Timeline) -> list[str]:
    """Contract violations: gaps/overlaps, cuts not tiling sentences, bad frame or source ranges."""
    out = []
    if t.fps <= 0 or t.width <= 0 or t.height <= 0:
        out.append(f"bad frame rate or size ({t.fps} fps, {t.width}x{t.height})")
        return out
    if not t.sentences:
        out.append("it has no sentences (nothing to show)")
    prev_end = 0
    prev_cut: Cut | None = None
    for s in t.sentences:
        if s.fps != t.fps or any(c.fps != t.fps for c in s.cuts):
            out.append(f"sentence {s.index} is not on the timeline's {t.fps} fps grid")
        if s.start_frame != prev_end:
            out.append(f"sentence {s.index} starts at frame {s.start_frame}, not at {prev_end}")
        if s.frames < 1:
            out.append(f"sentence {s.index} is shorter than a frame")
        prev_end = s.end_frame
        if not s.cuts:
            out.append(f"sentence {s.index} has no cuts")
            continue
        if s.cuts[0].start_frame != s.start_frame or s.cuts[-1].end_frame != s.end_frame:
            out.append(f"cuts of sentence {s.index} do not span it")
        for a, b in zip(s.cuts, s.cuts[1:]):
            if a.end_frame != b.start_frame:
                out.append(f"gap or overlap between cuts in sentence {s.index}")
        for c in s.cuts:
            out.extend(f"cut {c.shot_id} in sentence {s.index} {p}" for p in _cut_problems(c, prev_cut))
            if c.a_roll:
                out.extend(f"cut {c.shot_id} in sentence {s.index} {p}" for p in _a_roll_problems(c,
                                                                                                  t.a_roll))
            prev_cut = c
    return out


def _a_roll_problems(c: Cut, talk: dict | None) -> list[str]:
    """What is wrong with an A-roll cut: the speaker's talk shown at the time it plays on the output."""
    if talk is None:
        return ["is marked a_roll but the plan has no a_roll"]
    if c.source != talk.get("file"):
        return [f"is marked a_roll but shows {c.source}, not the talk {talk.get('file')}"]
    if abs(c.source_in - c.start) * c.fps >= 0.5 or c.hold:
        return [f"is marked a_roll but shows the talk at {c.source_in} s, not at its place on the output "
                f"({c.start} s)"]
    return []


def _cut_problems(c: Cut, prev: Cut | None) -> list[str]:
    out = []
    if c.frames < 1:
        out.append("is shorter than a frame")
    if not c.source_out > c.source_in >= 0:
        out.append(f"has an empty or negative source range [{c.source_in}, {c.source_out})")
    if not 0 <= c.hold < c.duration:
        out.append(f"holds its last frame for {c.hold} s, not between 0 and its {c.duration:.3f} s")
    elif (c.source_out - c.source_in + c.hold) * c.fps + _SOURCE_SLACK_FRAMES < c.frames:
        out.append("is longer than its source range" + (" and its hold" if c.hold else ""))
    if c.continues:
        if prev is None or (prev.source, prev.shot_id) != (c.source, c.shot_id):
            out.append("continues a different shot (or none)")
        elif abs(c.source_in - prev.source_out) * c.fps >= 0.5:
            out.append(f"continues its shot at {c.source_in} s, not where the previous cut ended "
                       f"({prev.source_out} s)")
    return out
