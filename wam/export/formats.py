"""The export formats: OpenTimelineIO's own JSON and, through its maintained adapter plugins,
CMX 3600 EDL (otio-cmx3600-adapter), Final Cut Pro 7 XML (otio-fcp-adapter; Premiere Pro and
DaVinci Resolve import it) and FCPX XML (otio-fcpx-xml-adapter).

Each format gets a copy of the OpenTimelineIO timeline adapted to what its adapter can
write (the adapters change what they are given, and each has limits):

* EDL: one frame rate for the whole list (the plan's, or the smallest SMPTE rate that is a
  whole multiple of it), every source in and out on a whole frame of it; reel names of at
  most 8 capital letters and digits, unique per source file, with the file's name in ``FROM
  CLIP NAME`` and its full path in a comment; freeze frames as ``M2`` speed 0 events; a
  still's move cannot be said (a note says so); one video track only, so a plan's talk (V1)
  and the footage over it (V2) are flattened into one (a note says so).
* Final Cut Pro 7 XML: clip rates must be SMPTE timecode rates, so a 15 fps source is
  written at 30 fps (every source frame is exactly two); a freeze gets a Time Remap filter
  at speed 0; a still's move, a Basic Motion filter with scale and centre keyframes at the
  clip's first and last frame (scale 100: the picture filling the frame; centre: where the
  picture's middle lies, in fractions of the frame from its middle).
* FCPX XML: only 24/25/30/50/60 fps formats are known to the adapter, and its reader
  misplaces clips of mixed rates, so every clip is given in the project's rate (FCPX times
  are exact seconds either way); it writes no transitions and no effects: cross-fades are
  left out (a note says so), held frames are plain clips starting on the held frame and a
  still's move is left out (a note says so).

Pure functions of the OpenTimelineIO timeline; nothing here opens media.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction

from wam.core.errors import WamError


@dataclass(frozen=True)
class Format:
    name: str  # --format value
    adapter: str  # OpenTimelineIO adapter name
    suffix: str
    title: str


FORMATS = {
    "otio": Format("otio", "otio_json", ".otio", "OpenTimelineIO"),
    "edl": Format("edl", "cmx_3600", ".edl", "CMX 3600 EDL"),
    "xml": Format("xml", "fcp_xml", ".xml", "Final Cut Pro 7 XML"),
    "fcpxml": Format("fcpxml", "fcpx_xml", ".fcpxml", "FCPX XML"),
}

#: Frame rates SMPTE timecode (and so EDL and Final Cut Pro 7 XML) can express, slowest first.
TIMECODE_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                  Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60))
#: Frame rates the FCPX adapter has a format for.
FCPX_RATES = (Fraction(24), Fraction(25), Fraction(30), Fraction(50), Fraction(60))
#: Reel names CMX 3600 reserves (black, auxiliary source).
_RESERVED_REELS = {"BL", "BLK", "AX"}


def format_for(path: str, fmt: str | None = None) -> Format:
    """The format named ``fmt``, or the one ``path``'s extension stands for (WamError if neither)."""
    if fmt:
        if fmt not in FORMATS:
            raise WamError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
        return FORMATS[fmt]
    suffix = os.path.splitext(str(path))[1].lower()
    for f in FORMATS.values():
        if f.suffix == suffix:
            return f
    raise WamError(f"cannot tell the export format from {os.path.basename(str(path))!r}: name it "
                   f"{', '.join(f.suffix for f in FORMATS.values())}, or give --format")


def multiple_rate(rate: float | Fraction, allowed) -> Fraction | None:
    """The slowest of ``allowed`` that shows every frame of ``rate`` exactly (15 → 30, 25 → 25)."""
    from wam.export.sources import exact_rate

    r = Fraction(rate) if isinstance(rate, Fraction) else exact_rate(float(rate))
    for a in allowed:
        if (a / r).denominator == 1:
            return a
    return None


def write_format(tl, fmt: Format, fps: int) -> tuple[str, list[str]]:
    """The text of ``tl`` (an OpenTimelineIO timeline, left unchanged) in ``fmt``, and notes on
    what the format could not carry."""
    import opentimelineio as otio

    tl = tl.deepcopy()  # the adapters edit what they write
    notes: list[str] = []
    kwargs = {}
    if fmt.name == "edl":
        rate = _sequence_rate(fps, TIMECODE_RATES, fmt)
        kwargs["rate"] = float(rate)
        notes += flatten_layers(tl, fmt)
        _conform_edl(tl, rate)
        events = sum(1 for _ in _video_clips(tl))
        notes += _moves_left_out(tl, fmt)
        if events > 999:
            notes.append(f"{events} events: more than CMX 3600's 999 (split the story, or use .xml or .otio)")
    elif fmt.name == "xml":
        _conform_fcp7(tl, _sequence_rate(fps, TIMECODE_RATES, fmt))
    elif fmt.name == "fcpxml":
        notes += _conform_fcpx(tl, _sequence_rate(fps, FCPX_RATES, fmt))
    try:
        return otio.adapters.write_to_string(tl, fmt.adapter, **kwargs), notes
    except Exception as exc:  # an adapter's own error: one line, with the format's name
        from wam.core.errors import one_line

        raise WamError(f"the {fmt.title} adapter could not write this cut ({one_line(exc, 140)})") from None


def _sequence_rate(fps: int, allowed, fmt: Format) -> Fraction:
    rate = multiple_rate(Fraction(fps), allowed)
    if rate is None:
        names = ", ".join(f"{float(a):g}" for a in allowed)
        raise WamError(f"{fmt.title} cannot hold a {fps} fps timeline (it knows {names} fps); "
                       "re-plan with --fps 25 or --fps 30, or export .otio")
    return rate


def flatten_layers(tl, fmt: Format) -> list[str]:
    """One video track as the cut shows it, for a format that holds one: the footage of V2 over
    the talk of V1 (``--a-roll``), every sentence marker moved onto the clip that shows the
    sentence's first frame. A note says so; nothing to do with one video track."""
    import opentimelineio as otio
    from opentimelineio import schema

    video = [t for t in tl.tracks if t.kind == schema.TrackKind.Video]
    if len(video) < 2:
        return []
    marks = []  # (record time in seconds, marker) of every marker on the lower tracks
    for track in video[:-1]:
        for clip in (c for c in track if isinstance(c, schema.Clip)):
            shown = track.range_of_child(clip)
            # a sentence's marker knows where the sentence starts (not rounded to the clip's rate)
            for m in clip.markers:
                offset = m.marked_range.start_time.to_seconds() - clip.source_range.start_time.to_seconds()
                at = dict(m.metadata.get("wam") or {}).get("start", shown.start_time.to_seconds() + offset)
                marks.append((float(at), m.deepcopy()))
    flat = otio.algorithms.flatten_stack(video)
    clips = [c for c in flat if isinstance(c, schema.Clip)]
    for clip in clips:
        clip.markers.clear()
    for t, m in marks:
        for clip in clips:
            shown = flat.range_of_child(clip)
            if shown.start_time.to_seconds() - 1e-6 <= t < shown.end_time_exclusive().to_seconds() - 1e-6:
                rate = clip.source_range.start_time.rate
                start = clip.source_range.start_time.to_seconds() + t - shown.start_time.to_seconds()
                m.marked_range = otio.opentime.TimeRange(
                    otio.opentime.RationalTime(round(start * rate, 6), rate),
                    m.marked_range.duration.rescaled_to(rate))
                clip.markers.append(m)
                break
    flat.name = video[0].name
    kept = [t for t in tl.tracks if t.kind != schema.TrackKind.Video]
    tl.tracks[:] = [flat, *[t.deepcopy() for t in kept]]
    return [f"{fmt.title} holds one video track: the library footage and the talk under it are on one "
            "track, as the cut shows them (export .xml or .otio for the two tracks)"]


def _video_clips(tl):
    from opentimelineio import schema

    for track in tl.tracks:
        if track.kind == schema.TrackKind.Video:
            yield from (c for c in track if isinstance(c, schema.Clip))


def _all_items(tl):
    """Every clip and gap on every track."""
    from opentimelineio import schema

    for track in tl.tracks:
        yield from (c for c in track if isinstance(c, (schema.Clip, schema.Gap)))


def _retime(item, rate: Fraction) -> None:
    """Express a clip's (or gap's) source range, media range and markers at ``rate`` (same times)."""
    from opentimelineio import opentime, schema

    def at(r):
        return opentime.TimeRange(r.start_time.rescaled_to(float(rate)), r.duration.rescaled_to(float(rate)))

    item.source_range = at(item.source_range)
    if isinstance(item, schema.Clip) and item.media_reference.available_range is not None:
        item.media_reference.available_range = at(item.media_reference.available_range)
    for m in item.markers:
        m.marked_range = at(m.marked_range)


def _conform_rates(tl, allowed, fallback: Fraction) -> None:
    """Give every clip a rate of ``allowed``: a whole multiple of its own, else ``fallback``."""
    for item in _all_items(tl):
        rate = multiple_rate(item.source_range.start_time.rate, allowed) or fallback
        if float(rate) != item.source_range.start_time.rate:
            _retime(item, rate)


def reel_names(paths) -> dict[str, str]:
    """A CMX 3600 reel name for each source path: at most 8 capitals and digits, unique."""
    out: dict[str, str] = {}
    taken = set(_RESERVED_REELS)
    for path in dict.fromkeys(paths):
        stem = os.path.splitext(os.path.basename(path))[0]
        base = re.sub(r"[^A-Z0-9]", "", stem.upper()) or "CLIP"
        reel, n = base[:8], 1
        while reel in taken:
            suffix = str(n)
            reel, n = base[: 8 - len(suffix)] + suffix, n + 1
        taken.add(reel)
        out[path] = reel
    return out


def _conform_edl(tl, rate: Fraction) -> None:
    """One rate for the list: every source range on whole frames of it, as long as its record
    range (timecodes of a source in and out rounded apart would differ by a frame)."""
    from opentimelineio import opentime

    from wam.export.otio_build import printable

    clips = list(_video_clips(tl))
    for clip in clips:
        _retime(clip, rate)
        sr = clip.source_range
        clip.source_range = opentime.TimeRange(
            opentime.RationalTime(round(sr.start_time.value), sr.start_time.rate),
            opentime.RationalTime(round(sr.duration.value), sr.duration.rate))
        for m in clip.markers:
            m.marked_range = opentime.TimeRange(
                opentime.RationalTime(round(m.marked_range.start_time.value),
                                      m.marked_range.start_time.rate),
                opentime.RationalTime(round(m.marked_range.duration.value), m.marked_range.duration.rate))
    reels = reel_names(c.media_reference.metadata["wam"]["path"] for c in clips)
    for clip in clips:
        path = clip.media_reference.metadata["wam"]["path"]
        clip.metadata["cmx_3600"] = {"reel": reels[path], "comments": [f"SOURCE FILE: {printable(path)}"]}
        if clip.metadata["wam"]["freeze"]:
            clip.name = reels[path]  # the M2 (speed) line names the reel; a file name may hold spaces
        for m in clip.markers:
            m.name = m.name.replace("\n", " ")


def _conform_fcp7(tl, sequence_rate: Fraction) -> None:
    from opentimelineio import schema

    tl.global_start_time = tl.global_start_time.rescaled_to(float(sequence_rate))
    _conform_rates(tl, TIMECODE_RATES, sequence_rate)
    for track in tl.tracks:
        items = list(track)
        for k, item in enumerate(items):
            if isinstance(item, schema.Transition) and 0 < k < len(items) - 1:
                # the adapter adds each offset to its neighbour's source time: give it in that clip's rate
                item.in_offset = item.in_offset.rescaled_to(items[k + 1].source_range.start_time.rate)
                item.out_offset = item.out_offset.rescaled_to(items[k - 1].source_range.start_time.rate)
    out_aspect = tl.metadata["wam"]["width"] / tl.metadata["wam"]["height"]
    for clip in _video_clips(tl):
        if clip.metadata["wam"]["freeze"]:
            filters = [{"effect": _TIME_REMAP_HOLD}]
            move = clip.metadata["wam"].get("move")
            if move:
                length = round(clip.source_range.duration.value)
                filters.append({"effect": basic_motion(move, out_aspect, length)})
            clip.metadata["fcp_xml"] = {"filter": filters}


#: Final Cut Pro 7 XML's Time Remap filter at speed 0: the clip's first frame, held.
_TIME_REMAP_HOLD = {
    "name": "Time Remap", "effectid": "timeremap", "effectcategory": "motion", "effecttype": "motion",
    "mediatype": "video",
    "parameter": [
        {"parameterid": "variablespeed", "name": "variablespeed", "valuemin": "0", "valuemax": "1",
         "value": "0"},
        {"parameterid": "speed", "name": "speed", "valuemin": "-100000", "valuemax": "100000", "value": "0"},
        {"parameterid": "reverse", "name": "reverse", "value": "FALSE"},
        {"parameterid": "frameblending", "name": "frameblending", "value": "FALSE"},
    ],
}


def basic_motion(move, out_aspect: float, frames: int) -> dict:
    """Final Cut Pro 7 XML's Basic Motion filter for a still's move: scale (100: the picture
    filling the frame, ``moves.full_size``) and centre (the picture's middle, in fractions of
    the frame from its middle) keyframed at the clip's first frame and at frame ``frames``."""
    from wam.assemble.moves import full_size

    fw, _ = full_size(float(move.get("source_aspect") or 0.0), out_aspect)

    def scale(r):
        return f"{100.0 * fw / r[2]:.4f}"

    def centre(r):
        return {"horiz": f"{(0.5 - (r[0] + r[2] / 2)) / r[2]:.6f}",
                "vert": f"{(0.5 - (r[1] + r[3] / 2)) / r[3]:.6f}"}

    a, b = move["from"], move["to"]
    return {
        "name": "Basic Motion", "effectid": "basic", "effectcategory": "motion", "effecttype": "motion",
        "mediatype": "video",
        "parameter": [
            {"parameterid": "scale", "name": "Scale", "valuemin": "0", "valuemax": "1000", "value": scale(a),
             "keyframe": [{"when": "0", "value": scale(a)}, {"when": str(frames), "value": scale(b)}]},
            {"parameterid": "center", "name": "Center", "value": centre(a),
             "keyframe": [{"when": "0", "value": centre(a)}, {"when": str(frames), "value": centre(b)}]},
        ],
    }


def _moves_left_out(tl, fmt: Format) -> list[str]:
    moves = sum(1 for c in _video_clips(tl) if c.metadata["wam"].get("move"))
    if not moves:
        return []
    return [f"{fmt.title}: {moves} still(s) are held frames without their move (the format has no motion); "
            "animate them in the editor, or export .xml or .otio"]


def _conform_fcpx(tl, sequence_rate: Fraction) -> list[str]:
    from opentimelineio import schema

    notes = _moves_left_out(tl, FORMATS["fcpxml"])
    # the adapter's reader misplaces clips of mixed rates; times stay exact seconds
    for item in _all_items(tl):
        _retime(item, sequence_rate)
    fades = 0
    for track in tl.tracks:
        for k in reversed(range(len(track))):
            if isinstance(track[k], schema.Transition):
                del track[k]
                fades += 1
    freezes = 0
    for clip in _video_clips(tl):
        if clip.effects:
            clip.effects.clear()
            freezes += 1
    for track in tl.tracks:
        for clip in track:
            if isinstance(clip, schema.Clip):  # the adapter looks names up in XPath strings
                clip.name = clip.name.replace("'", "\u2019")
    if fades:
        notes.append(f"FCPX XML: the adapter writes no transitions; {fades} paragraph cross-fade(s) left out")
    if freezes:
        notes.append(f"FCPX XML: the adapter writes no effects; {freezes} held frame(s) are plain clips "
                     "starting on the held frame (add a freeze frame in Final Cut Pro)")
    return notes
