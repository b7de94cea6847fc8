"""Pure geometry and timing of the output picture: output sizes (a talk's shape, probed, for
``--a-roll``), cover/contain fitting
(crop centred on a face), fades from/to black and paragraph cross-fades."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from wam.core.config import ASPECTS, DEFAULT_FIT, MAX_CROSSFADE_SECONDS
from wam.core.errors import UsageError, WamError
from wam.core.timeline import frame_size_problem


def output_size(resolution: str, aspect: str | None = None) -> tuple[int, int]:
    """(width, height) from ``--resolution WxH`` and an optional ``--aspect``.

    The resolution's short side is kept; the aspect decides the shape, so ``1280x720``
    with ``9:16`` gives 720×1280 and with ``1:1`` gives 720×720. Sizes are made even (yuv420p).
    UsageError for a malformed size, or one H.264 cannot encode (see ``frame_size_problem``).
    """
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", resolution or "")
    if not m:
        raise UsageError(f"--resolution must look like 1280x720, not {resolution!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if aspect:
        if aspect not in ASPECTS:
            raise UsageError(f"--aspect must be one of {', '.join(ASPECTS)}, not {aspect!r}")
        aw, ah = ASPECTS[aspect]
        short = min(w, h)
        if aw >= ah:
            w, h = round(short * aw / ah), short
        else:
            w, h = short, round(short * ah / aw)
    w, h = w - w % 2, h - h % 2
    if problem := frame_size_problem(w, h):
        shape = f" (with --aspect {aspect})" if aspect else ""
        raise UsageError(f"--resolution {resolution.strip()}{shape}: {problem}")
    return w, h


def output_size_like(resolution: str, width: int, height: int) -> tuple[int, int]:
    """(width, height) of ``--resolution``'s short side in the shape of a ``width`` × ``height``
    picture (a plan over a talk takes the talk's shape: a phone's 1080×1920 at 1280x720 gives
    720×1280); the resolution as it is when that shape cannot be encoded."""
    w, h = output_size(resolution)
    if width <= 0 or height <= 0:
        return w, h
    short = min(w, h)
    shaped = (round(short * width / height),
              short) if width >= height else (short, round(short * height / width))
    shaped = (shaped[0] - shaped[0] % 2, shaped[1] - shaped[1] % 2)
    return (w, h) if frame_size_problem(*shaped) else shaped


def output_frame(resolution: str, aspect: str | None, *, a_roll: str | None = None,
                 explicit: frozenset | set = frozenset()) -> tuple[int, int]:
    """The output frame: ``resolution`` in the shape of ``aspect``; over a talk (``a_roll``), unless
    ``explicit`` names "resolution" or "aspect", in the talk's own shape (the resolution's short
    side kept: a phone's upright talk gives an upright video)."""
    if a_roll and not {"resolution", "aspect"} & set(explicit):
        from wam.voice.talk import talk_info

        talk = talk_info(a_roll)
        return output_size_like(resolution, talk.width, talk.height)
    return output_size(resolution, aspect)


@dataclass(frozen=True)
class Placement:
    """How one source picture maps onto the output: scale to (scaled_w, scaled_h), then take
    the window at (crop_x, crop_y) of the output size (cover), or paste at (pad_x, pad_y) (contain)."""

    scaled_w: int
    scaled_h: int
    crop_x: int
    crop_y: int
    pad_x: int
    pad_y: int


def fit_picture(src_w: int, src_h: int, out_w: int, out_h: int, mode: str = DEFAULT_FIT,
                focus: tuple[float, float] | None = None) -> Placement:
    """Cover (scale up, crop; the crop follows ``focus``, e.g. the largest face) or contain (letterbox)."""
    if src_w <= 0 or src_h <= 0:
        raise ValueError("source size must be positive")
    if mode == "cover":
        s = max(out_w / src_w, out_h / src_h)
        sw, sh = max(out_w, math.ceil(src_w * s - 1e-6)), max(out_h, math.ceil(src_h * s - 1e-6))
        fx, fy = focus if focus is not None else (0.5, 0.5)
        cx = min(max(round(fx * sw - out_w / 2), 0), sw - out_w)
        cy = min(max(round(fy * sh - out_h / 2), 0), sh - out_h)
        return Placement(sw, sh, cx, cy, 0, 0)
    if mode == "contain":
        s = min(out_w / src_w, out_h / src_h)
        sw, sh = min(out_w, max(2, round(src_w * s))), min(out_h, max(2, round(src_h * s)))
        return Placement(sw, sh, 0, 0, (out_w - sw) // 2, (out_h - sh) // 2)
    raise WamError(f"--fit must be cover or contain, not {mode!r}")


def fade_level(t: float, duration: float, fade: float) -> float:
    """Brightness multiplier for a fade from black at the start and to black at the end."""
    if fade <= 0:
        return 1.0
    return max(0.0, min(1.0, t / fade, (duration - t) / fade))


def crossfade_frames(seconds: float, fps: int) -> int:
    """Frames of a paragraph cross-fade of ``seconds`` (clamped to 0 … ``MAX_CROSSFADE_SECONDS``)
    at ``fps``."""
    return round(min(MAX_CROSSFADE_SECONDS, max(0.0, seconds)) * fps)


def crossfade_weight(t: float, boundary: float, length: float) -> float:
    """Weight of the incoming picture during a cross-fade ending at ``boundary`` (0 outside it)."""
    if length <= 0 or not (boundary - length <= t < boundary):
        return 0.0
    return (t - (boundary - length)) / length
