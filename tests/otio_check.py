"""Reading exported files back with OpenTimelineIO and comparing them with a plan: shared by
the export tests. The expected clip list is worked out here independently of wam.export."""

from __future__ import annotations

import os

import opentimelineio as otio
from opentimelineio import schema


def expected_clips(timeline) -> list[dict]:
    """What the editor should see: `continues` cuts merged into the previous clip, each
    `hold` a freeze clip of its own; times in seconds."""
    fps = timeline.fps
    out: list[dict] = []
    prev_held = 0
    for c in timeline.cuts():
        held = c.frames - max(1, c.frames - round(c.hold * fps))
        moving = c.frames - held
        if c.continues and out and not out[-1]["freeze"] and prev_held == 0 and out[-1]["source"] == c.source:
            out[-1]["duration"] += moving / fps
        else:
            out.append({"source": c.source, "start": c.source_in, "duration": moving / fps, "freeze": False})
        if held:
            out.append({"source": c.source, "start": c.source_in + (moving - 1) / fps, "duration": held / fps,
                        "freeze": True})
        prev_held = held
    return out


def read_back(path, fps: int):
    """The timeline in ``path`` (EDLs are read at the plan's rate)."""
    ext = os.path.splitext(str(path))[1].lstrip(".")
    kwargs = {"rate": fps} if ext == "edl" else {}
    return otio.adapters.read_from_file(str(path), **kwargs)


def video_items(tl) -> list:
    tracks = [t for t in tl.tracks if t.kind == schema.TrackKind.Video]
    assert len(tracks) == 1, f"{len(tracks)} video tracks"
    return list(tracks[0])


def clip_ranges(tl, cut_point_offsets: list[float] | None = None) -> list[dict]:
    """Clips of the video track as {name, start, duration} in seconds, with each transition's
    cut point moved to where wam put it (``cut_point_offsets``: seconds from each transition's
    start, in order; an EDL reader puts the cut at the transition's start)."""
    items = video_items(tl)
    clips = [{"name": i.name, "start": i.source_range.start_time.to_seconds(),
              "duration": i.source_range.duration.to_seconds(),
              "effects": [e.effect_name or e.name or type(e).__name__ for e in i.effects],
              "url": getattr(i.media_reference, "target_url", None)}
             for i in items if isinstance(i, schema.Clip)]
    k, t = 0, 0
    for item in items:
        if isinstance(item, schema.Clip):
            k += 1
        elif isinstance(item, schema.Transition):
            if cut_point_offsets is not None:
                delta = cut_point_offsets[t] - item.in_offset.to_seconds()
                clips[k - 1]["duration"] += delta
                clips[k]["start"] += delta
                clips[k]["duration"] -= delta
            t += 1
    return clips


def assert_matches_plan(tl, timeline, source_rates: dict[str, float], *, names=None, cut_points=None) -> None:
    """Clip count, order and source ranges of ``tl`` equal the plan's within one source frame."""
    want = expected_clips(timeline)
    got = clip_ranges(tl, cut_points)
    assert len(got) == len(want), (len(got), len(want))
    for k, (g, w) in enumerate(zip(got, want)):
        base = os.path.basename(w["source"])
        allowed = names(w) if names else {base, f"{base} (freeze)"}
        assert g["name"] in allowed, (k, g["name"], allowed)
        frame = 1.0 / source_rates[w["source"]] + 1e-6
        assert abs(g["start"] - w["start"]) <= frame, (k, g, w)
        assert abs(g["duration"] - w["duration"]) <= frame, (k, g, w)
    assert abs(tl.duration().to_seconds() - timeline.duration) < 1e-6
