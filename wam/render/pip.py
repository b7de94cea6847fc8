"""The speaker in a corner (``--a-roll-mode pip``): while library footage covers the speaker,
their talk plays in a small box at the top right of the picture (above the subtitles, which
sit at the bottom). Used by both renderers: ``segment_graph`` overlays it as a filter,
``frames.FrameSource`` copies it into each frame; the box's pixels are the same either way
(the talk decoded and fitted by the cut reader's own filters, pasted on even coordinates).

The box shows the talk at the time it plays on the output, so a segment's box depends on
where the segment lies (its key says so, ``segments.plan_segments``).
"""

from __future__ import annotations

import numpy as np

from wam.core.timeline import Cut, Timeline

#: The box's width as a share of the output's, its height at most this share of the output's
#: height, and the margin to the picture's edges as a share of its shorter side.
PIP_WIDTH, PIP_MAX_HEIGHT, PIP_MARGIN = 0.3, 0.4, 0.03


def pip_on(timeline: Timeline) -> bool:
    """Whether the plan keeps the speaker in a corner during library footage."""
    return bool(timeline.a_roll) and timeline.a_roll.get("mode") == "pip"


def pip_rect(out_w: int, out_h: int, talk_w: int, talk_h: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the speaker's box on a ``out_w`` × ``out_h`` picture: the talk's shape,
    ``PIP_WIDTH`` of the picture's width (at most ``PIP_MAX_HEIGHT`` of its height), at the top
    right; every number even (the chroma planes are half size)."""
    aspect = talk_w / talk_h if talk_w > 0 and talk_h > 0 else out_w / out_h
    w = PIP_WIDTH * out_w
    h = w / aspect
    if h > PIP_MAX_HEIGHT * out_h:
        h = PIP_MAX_HEIGHT * out_h
        w = h * aspect
    w, h = max(2, round(w / 2) * 2), max(2, round(h / 2) * 2)
    margin = round(PIP_MARGIN * min(out_w, out_h) / 2) * 2
    return max(0, out_w - w - margin), margin, min(w, out_w), min(h, out_h)


def talk_cut(timeline: Timeline, first: int, frames: int) -> Cut:
    """The talk over output frames [first, first + frames), as a cut (source time = output time)."""
    fps = timeline.fps
    return Cut("a-roll", timeline.a_roll["file"], first / fps, (first + frames) / fps, first, frames, fps,
               0.0, a_roll=True)


def footage_ranges(timeline: Timeline, first: int, end: int) -> list[tuple[int, int]]:
    """Output frames [a, b) within [first, end) that show library footage (where the box shows)."""
    out: list[tuple[int, int]] = []
    for c in timeline.cuts():
        if c.a_roll or c.end_frame <= first or c.start_frame >= end:
            continue
        a, b = max(first, c.start_frame), min(end, c.end_frame)
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def paste(frame: np.ndarray, box: np.ndarray, rect: tuple[int, int, int, int], width: int,
          height: int) -> np.ndarray:
    """``box`` (an I420 picture of the rectangle's size) copied into the I420 ``frame`` at ``rect``."""
    x, y, w, h = rect
    luma = frame[: width * height].reshape(height, width)
    luma[y : y + h, x : x + w] = box[: w * h].reshape(h, w)
    cw, ch = width // 2, height // 2
    for k in range(2):
        plane = frame[width * height + k * cw * ch : width * height + (k + 1) * cw * ch].reshape(ch, cw)
        size = (w // 2) * (h // 2)
        src = box[w * h + k * size : w * h + (k + 1) * size].reshape(h // 2, w // 2)
        plane[y // 2 : y // 2 + h // 2, x // 2 : x // 2 + w // 2] = src
    return frame
