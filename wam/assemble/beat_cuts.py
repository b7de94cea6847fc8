"""Cutting on the beat (``--music``): where cuts may fall when the plan has music (pure).

* Without narration, each sentence boundary moves to the music's nearest beat within
  ``BEAT_SNAP_SECONDS`` (``on_beats``), so the cut between two sentences lands on a beat;
  subtitles follow the sentences. With narration the voice keeps the sentences' times.
* Inside a sentence, cuts may fall only on beats (``beat_grid`` replaces the regular cut
  grid of ``problem.cut_grid``); where the music has no beat for a while (before it starts,
  after it ends, a break) the regular grid fills in. The pace still chooses which beats:
  a calm cut spans several, a fast one one or two.

Beats come as seconds from the plan's start (the music starts with the video and loops
like the sound bed does: ``looped_beats``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wam.core.config import BEAT_SNAP_SECONDS
from wam.core.story import Sentence

#: A sentence never shrinks below this fraction of its reading time to reach a beat.
MIN_SHARE = 0.75


def looped_beats(beats, file_seconds: float, total: float) -> np.ndarray:
    """The beats over ``total`` seconds of a sound bed that plays the file from its start and
    loops it (as ``render.audio`` lays it)."""
    beats = np.asarray(beats, np.float64)
    if len(beats) == 0 or file_seconds <= 0:
        return np.zeros(0)
    loops = int(np.ceil(total / file_seconds))
    out = np.concatenate([beats + k * file_seconds for k in range(max(1, loops))])
    return out[out < total]


def on_beats(sentences: list[Sentence], beats, tolerance: float = BEAT_SNAP_SECONDS) -> list[Sentence]:
    """``sentences`` whose boundaries (each sentence's end on the timeline) sit on the nearest
    beat within ``tolerance`` seconds, where one is near enough without shrinking a sentence
    below ``MIN_SHARE`` of its duration; the others keep their time."""
    beats = np.asarray(beats, np.float64)
    if len(beats) == 0:
        return sentences
    out, planned, placed = [], 0.0, 0.0
    for s in sentences:
        before = planned
        planned += s.duration
        floor = placed + MIN_SHARE * s.duration
        near = beats[(np.abs(beats - planned) <= tolerance) & (beats >= floor)]
        end = float(near[np.argmin(np.abs(near - planned))]) if len(near) else max(planned, floor)
        out.append(s if end == planned and placed == before else replace(s, duration=end - placed))
        placed = end
    return out


def beat_grid(frames: int, beat_frames: np.ndarray, fps: int, step_frames: int,
              gap_seconds: float | None = None) -> np.ndarray:
    """Frame offsets inside a sentence ``frames`` long where a cut may fall: its start and end,
    the beats inside it (``beat_frames``: every beat, in frames from the sentence's start), and
    every ``step_frames`` where no beat lies within ``gap_seconds`` (default: twice the
    music's typical beat interval, at least one second)."""
    beat_frames = np.unique(np.asarray(beat_frames, np.int64))
    if len(beat_frames) == 0:
        return np.unique(np.concatenate([np.arange(0, frames, step_frames), [frames]])).astype(np.int64)
    if gap_seconds is None:
        typical = float(np.median(np.diff(beat_frames))) / fps if len(beat_frames) > 1 else 1.0
        gap_seconds = max(1.0, 2.0 * typical)
    regular = np.arange(0, frames, step_frames)
    pos = np.searchsorted(beat_frames, regular)
    before = np.abs(regular - beat_frames[np.maximum(pos - 1, 0)])
    after = np.abs(beat_frames[np.minimum(pos, len(beat_frames) - 1)] - regular)
    lonely = regular[np.minimum(before, after) > gap_seconds * fps / 2]
    inside = beat_frames[(beat_frames > 0) & (beat_frames < frames)]
    return np.unique(np.concatenate([[0, frames], inside, lonely])).astype(np.int64)


def on_beat_share(cut_frames: list[int], beats, fps: int, tolerance_frames: int = 1) -> float:
    """The share of cut points (output frames) lying within ``tolerance_frames`` of a beat."""
    if not cut_frames:
        return 1.0
    beat_frames = np.asarray(beats, np.float64) * fps
    if len(beat_frames) == 0:
        return 0.0
    cuts = np.asarray(cut_frames, np.float64)
    pos = None
    if len(beat_frames) > 1:
        pos = np.clip(np.searchsorted(beat_frames, cuts), 1, len(beat_frames) - 1)
    if pos is None:
        return float(np.mean(np.abs(cuts - beat_frames[0]) <= tolerance_frames))
    near = np.minimum(np.abs(cuts - beat_frames[pos - 1]), np.abs(cuts - beat_frames[pos]))
    return float(np.mean(near <= tolerance_frames + 1e-9))
