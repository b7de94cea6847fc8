"""Shot boundaries: scene-cut frame numbers → half-open frame ranges of usable shots.

Pure: takes the cut list the decode pass found, returns ranges; no media access.
"""

from __future__ import annotations


def shot_ranges(cuts: list[int], total_frames: int, fps: float, min_seconds: float) -> list[tuple[int, int]]:
    """Half-open frame ranges [start, end) between cuts, dropping shots shorter than ``min_seconds``.

    ``cuts`` are the first frames of new shots (as PySceneDetect reports them); a clip
    without cuts is one shot. Cuts outside (0, total_frames) are ignored.
    """
    if total_frames <= 0 or fps <= 0:
        return []
    bounds = [0] + sorted({c for c in cuts if 0 < c < total_frames}) + [total_frames]
    min_frames = max(1, round(min_seconds * fps))
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b - a >= min_frames]
