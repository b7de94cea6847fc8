"""A ``Timeline`` as an OpenTimelineIO timeline: the one model every export format is written
from (``formats.py`` adapts it to what each adapter can say).

Pure apart from OpenTimelineIO itself: source frame rates come in as ``SourceInfo`` values
(``sources.py`` probes them). One video track of clips referencing the original media by
file URL; each clip's source range is in the source's *own* frame rate, its start on a
source frame, its length exactly the cut's length on the output timeline (so the track
lasts exactly as long as the plan). Paragraph cross-fades are ``Transition`` objects
centred on the cut, held frames are clips with a ``FreezeFrame`` effect (so is a still: its
move over the picture is in the clip's ``metadata["wam"]["move"]``), every sentence is a
marker on the clip showing its first frame, and audio beds become audio tracks. A plan over
the speaker's talk (``--a-roll``) has two video tracks, as editors lay out talking-head
footage: the talk on V1 (one clip, the whole length, the sentence markers on it) and the
library footage on V2 above it, with gaps where the speaker shows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from wam.core.timeline import SCHEMA, Timeline
from wam.export.sources import SourceInfo
from wam.export.spans import CROSSFADE_SECONDS, ClipSpan, clip_spans, split_crossfade

#: Marker colours: a sentence that needs an editor's look stands out.
COLOR_OK, COLOR_WEAK, COLOR_REUSED = "PURPLE", "RED", "ORANGE"


@dataclass(frozen=True)
class AudioBed:
    """A sound file laid under the cut on an audio track of its own (music, narration).

    It starts at output frame ``start_frame`` and plays from its beginning for ``frames``
    output frames (None: to the end of the cut or of the file, whichever comes first);
    ``seconds`` is the file's length if known."""

    path: str
    name: str = "Music"
    start_frame: int = 0
    frames: int | None = None
    seconds: float | None = None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def printable(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name, which would start
    a fake event in an EDL and is not allowed in XML) become a space."""
    return _CONTROL.sub(" ", text)


def file_url(path: str) -> str:
    """An absolute ``file://`` URL for a path (percent-encoded)."""
    return Path(path).absolute().as_uri()


def _rt(value, rate):
    from opentimelineio import opentime

    return opentime.RationalTime(float(value), float(rate))


def _range(start, duration, rate):
    from opentimelineio import opentime

    return opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def _seconds(x: float) -> Fraction:
    """Seconds from JSON (microsecond precision) as an exact fraction."""
    return Fraction(x).limit_denominator(10**6)


def source_range_frames(span: ClipSpan, rate: Fraction, fps: int, length: int | None) -> tuple[int,
                                                                                               Fraction]:
    """(first source frame, length in source frames) of a clip: it starts on the source
    frame nearest its ``source_in`` (a freeze: the frame being held) and lasts exactly its
    output length, which is a whole number of source frames when the rates agree."""
    at = _seconds(span.source_in) * rate
    first = math.floor(at + Fraction(1, 1000)) if span.freeze else round(at)
    if length:
        first = min(first, max(0, length - 1))
    return max(0, first), Fraction(span.frames) * rate / fps


def build_otio(timeline: Timeline, sources: dict[str, SourceInfo], *, name: str = "wam",
               audio: tuple[AudioBed, ...] | list[AudioBed] = (), crossfade: float = CROSSFADE_SECONDS):
    """The OpenTimelineIO timeline of ``timeline`` (``sources``: every cut's source clip)."""
    from opentimelineio import schema

    fps = timeline.fps
    spans = clip_spans(timeline, crossfade)
    out = schema.Timeline(name=printable(name))
    out.global_start_time = _rt(0, fps)
    out.metadata["wam"] = {"schema": SCHEMA, "fps": fps, "width": timeline.width, "height": timeline.height,
                           "frames": timeline.frames, "pace": timeline.pace, "model": timeline.model}
    if timeline.a_roll is not None:  # the talk on V1, the library footage over it on V2
        talk, spans = talk_span(timeline), footage_spans(timeline, spans)
        out.metadata["wam"]["a_roll"] = dict(timeline.a_roll)
        _fill_track(out, "V1", [talk], timeline, sources)
        _fill_track(out, "V2", spans, timeline, sources, markers=False)
    else:
        _fill_track(out, "V1", spans, timeline, sources)
    for bed in audio:
        out.tracks.append(_audio_track(bed, timeline))
    return out


def talk_span(timeline: Timeline) -> ClipSpan:
    """The speaker's talk (``--a-roll``) as one clip under the whole cut: its frames at the
    times they play (source time = output time), every sentence a marker on it."""
    talk = timeline.a_roll["file"]
    return ClipSpan(talk, "a-roll", 0.0, 0, timeline.frames,
                    cuts=[i for i, c in enumerate(timeline.cuts()) if c.a_roll],
                    sentences=[s.index for s in timeline.sentences])


def footage_spans(timeline: Timeline, spans: list[ClipSpan]) -> list[ClipSpan]:
    """The clips of library footage over the talk: ``spans`` without the talk's, a cross-fade
    kept only between two clips that meet (a clip after a gap fades in from nothing)."""
    cuts = timeline.cuts()
    out = []
    for sp in spans:
        if cuts[sp.cuts[0]].a_roll:
            continue
        if sp.crossfade_in and not (out and out[-1].end_frame == sp.start_frame):
            sp.crossfade_in = 0
        sp.sentences = []
        out.append(sp)
    return out


def _fill_track(out, name: str, spans: list[ClipSpan], timeline: Timeline, sources: dict[str, SourceInfo], *,
                markers: bool = True) -> None:
    """A video track ``name`` of ``spans`` (gaps where they leave room), added to ``out``."""
    from opentimelineio import schema

    fps = timeline.fps
    track = schema.Track(name=name, kind=schema.TrackKind.Video)
    out.tracks.append(track)
    used_end: dict[str, Fraction] = {}
    firsts = []
    for span in spans:
        info = sources[span.source]
        first, length = source_range_frames(span, info.rate, fps, info.frames)
        if span.move is not None and span.crossfade_in:
            # a still's picture is the same on every frame: hold one the dissolve into it can reach back from
            first = max(first, math.ceil(Fraction(split_crossfade(span.crossfade_in)[0]) * info.rate / fps))
        firsts.append(first)
        end = first + (1 if span.freeze else length)
        used_end[span.source] = max(used_end.get(span.source, Fraction(0)), end)
    refs = {}
    for path, info in sources.items():
        frames = info.frames or math.ceil(used_end.get(path, 1))
        refs[path] = (frames, info)
    by_index = {s.index: s for s in timeline.sentences}
    at = 0
    for span, first in zip(spans, firsts):
        info = sources[span.source]
        if span.start_frame > at:
            track.append(schema.Gap(source_range=_range(0, span.start_frame - at, fps)))
        at = span.end_frame
        if span.crossfade_in:
            before, after = split_crossfade(span.crossfade_in)
            track.append(schema.Transition(
                name="Cross Dissolve", transition_type=schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=_rt(before, fps), out_offset=_rt(after, fps)))
        frames, _ = refs[span.source]
        ref = schema.ExternalReference(target_url=file_url(span.source),
                                       available_range=_range(0, frames, info.rate))
        ref.metadata["wam"] = {"path": span.source, "found": info.found,
                               "length_known": info.frames is not None}
        clip = schema.Clip(name=printable(span.name), media_reference=ref,
                           source_range=_range(first, Fraction(span.frames) * info.rate / fps, info.rate))
        if span.freeze:
            clip.effects.append(schema.FreezeFrame())
        clip.metadata["wam"] = {"shot_id": span.shot_id, "cuts": list(span.cuts), "score": span.score,
                                "source_in": span.source_in, "record_start_frame": span.start_frame,
                                "record_frames": span.frames, "freeze": span.freeze}
        if span.move is not None:  # a still's move: normalised source rectangles at the clip's start and end
            clip.metadata["wam"]["move"] = {"from": list(span.move["from"]), "to": list(span.move["to"]),
                                            "source_aspect": info.aspect}
        for si in span.sentences if markers else ():
            clip.markers.append(_sentence_marker(by_index[si], span, first, info.rate, fps))
        track.append(clip)
    if timeline.frames > at:
        track.append(schema.Gap(source_range=_range(0, timeline.frames - at, fps)))


def _sentence_marker(s, span: ClipSpan, first: int, rate: Fraction, fps: int):
    from opentimelineio import schema

    offset = 0 if span.freeze else round(Fraction(s.start_frame - span.start_frame) * rate / fps)
    length = round(Fraction(min(s.end_frame, span.end_frame) - s.start_frame) * rate / fps)
    color = COLOR_WEAK if s.weak_match else COLOR_REUSED if s.reused else COLOR_OK
    marker = schema.Marker(name=printable(" ".join(s.text.split())), marked_range=_range(first + offset,
                                                                                         length, rate),
                           color=color)
    marker.metadata["wam"] = {"sentence": s.index, "paragraph": s.paragraph, "start": round(s.start, 6),
                              "end": round(s.end, 6), "weak_match": s.weak_match, "reused": s.reused}
    return marker


def _audio_track(bed: AudioBed, timeline: Timeline):
    from opentimelineio import schema

    fps = timeline.fps
    track = schema.Track(name=bed.name, kind=schema.TrackKind.Audio)
    start = max(0, min(bed.start_frame, timeline.frames))
    frames = timeline.frames - start if bed.frames is None else min(bed.frames, timeline.frames - start)
    file_frames = math.floor(bed.seconds * fps) if bed.seconds else None
    if file_frames is not None:
        frames = min(frames, file_frames)
    if start:
        track.append(schema.Gap(source_range=_range(0, start, fps)))
    if frames > 0:
        ref = schema.ExternalReference(target_url=file_url(bed.path),
                                       available_range=_range(0, file_frames or frames, fps))
        track.append(schema.Clip(name=printable(Path(bed.path).name), media_reference=ref,
                                 source_range=_range(0, frames, fps)))
    return track
