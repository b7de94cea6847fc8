"""The narrated mix (``wam.render``, used by ``audio.py``): the bed (music, the clips' own
sound) ducks under speech and comes back up in the pauses; the whole mix is then
loudness-normalised for web video: measured with ffmpeg's ``loudnorm``, brought to about
−16 LUFS integrated by one gain, its peaks limited under −1.5 dBFS (no clipping).

``duck_gain`` is pure (seconds in, gains out); ``ducked`` wraps a moviepy clip with it;
``normalise_loudness`` runs ffmpeg.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np

from wam.core.errors import WamError, one_line

#: How far the bed dips under speech (dB), how early it starts dipping before a sentence is
#: spoken and how long it takes to come back after (seconds).
DUCK_DB = -15.0
DUCK_ATTACK = 0.12
DUCK_RELEASE = 0.35
#: Target integrated loudness (LUFS), true-peak ceiling (dBTP) and loudness range of a narrated mix.
TARGET_LUFS = -16.0
TRUE_PEAK = -1.5
LOUDNESS_RANGE = 11.0
#: The limiter sits this far (dB) under the true-peak ceiling: room for the AAC encoder's overshoot.
LIMITER_MARGIN = 0.5


def merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans sorted, with overlapping ones joined."""
    out: list[list[float]] = []
    for a, b in sorted((a, b) for a, b in spans if b > a):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def duck_gain(t: np.ndarray, spans: list[tuple[float, float]], depth_db: float = DUCK_DB,
              attack: float = DUCK_ATTACK, release: float = DUCK_RELEASE) -> np.ndarray:
    """Linear gain of the bed at times ``t``: ``depth_db`` while speaking (``spans``), ramping
    down over ``attack`` before each span and back up over ``release`` after it."""
    t = np.asarray(t, dtype=np.float64)
    spans = merged(spans)
    if not spans:
        return np.ones_like(t)
    starts = np.array([a for a, _ in spans])
    ends = np.array([b for _, b in spans])
    k = np.searchsorted(starts, t, side="right") - 1  # the span that began last (−1: none yet)
    prev_end = np.where(k >= 0, ends[np.maximum(k, 0)], -np.inf)
    after = np.where(t <= prev_end, 1.0, np.clip(1.0 - (t - prev_end) / max(release, 1e-6), 0.0, 1.0))
    after = np.where(k >= 0, after, 0.0)
    nxt = np.minimum(k + 1, len(starts) - 1)
    before = np.where(k + 1 < len(starts), np.clip(1.0 - (starts[nxt] - t) / max(attack, 1e-6), 0.0, 1.0),
                      0.0)
    depth = np.maximum(after, before)
    return 10 ** (depth_db * depth / 20)


def ducked(clip, spans: list[tuple[float, float]]):
    """``clip`` (a moviepy audio clip) with ``duck_gain`` applied."""
    from moviepy import AudioClip

    def frame(t):
        x = clip.get_frame(t)
        g = duck_gain(np.atleast_1d(t), spans)
        return x * g[:, None] if np.ndim(t) else x * g[0]

    return AudioClip(frame_function=frame, duration=clip.duration, fps=clip.fps)


def _loudnorm(extra: str = "") -> str:
    return f"loudnorm=I={TARGET_LUFS}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}" + extra


def measured_loudness(path: Path) -> dict:
    """ffmpeg loudnorm's first-pass measurement of ``path`` (input_i, input_tp, input_lra, input_thresh,
    target_offset)."""
    from wam.media.ffmpeg_stream import ffmpeg_exe

    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path), "-af",
                           _loudnorm(":print_format=json"), "-f", "null", "-"], capture_output=True,
                          timeout=3600)
    text = proc.stderr.decode(errors="replace")
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", text)
    if proc.returncode != 0 or not m:
        raise WamError(f"measuring the loudness of the mix failed ({one_line(text[-300:], 120)})")
    return json.loads(m.group(0))


def normalise_loudness(mix: Path, out: Path, *, rate: int, bitrate: str = "160k") -> dict:
    """Encode ``mix`` to AAC at ``out``, normalised to ``TARGET_LUFS``: its loudness measured
    (loudnorm's first pass), then one constant gain and a look-ahead peak limiter under the
    ceiling. A constant gain keeps the ducking as mixed (loudnorm's dynamic mode, which it
    falls back to for speech's high peaks, would pump the music back up under the voice).
    Returns the measurement; a silent mix is encoded as it is."""
    from wam.media.ffmpeg_stream import ffmpeg_exe

    m = measured_loudness(mix)
    try:
        gain = TARGET_LUFS - float(m["input_i"])
        silent = float(m["input_i"]) < -70
    except (KeyError, ValueError):
        gain, silent = 0.0, True
    limit = 10 ** ((TRUE_PEAK - LIMITER_MARGIN) / 20)
    af = [] if silent else ["-af", f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:attack=5:release=80"
                                   ":level=false:latency=true"]
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(mix), *af, "-ar",
                           str(rate), "-c:a", "aac", "-b:a", bitrate, "-f", "mp4", str(out)],
                          capture_output=True, timeout=3600)
    if proc.returncode != 0:
        raise WamError(f"encoding the sound failed ({one_line(proc.stderr.decode(errors='replace'), 120)})")
    return m
