"""The synthesised narration as one sound file (``wam.voice``): every sentence's speech laid at
its sentence's start on the timeline, silence between, levelled to a speech loudness of
about −20 dBFS with its peak under −1 dBFS (the mix then normalises the whole).

Stored in ``$WAM_HOME/voice/tracks/<hash>.wav``, named by what it holds, so the same plan
gives the same file and a re-render finds it; the plan points at it. A track that has gone
(a cleaned cache, another machine) is made again from the cached (or re-synthesised)
sentences.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from wam.voice.engines import Speech
from wam.voice.speech_cache import voice_folder, write_wav

#: Speech loudness (RMS over speech, dBFS) and peak ceiling (dBFS) of a narration track.
SPEECH_DB, PEAK_DB = -20.0, -1.0


def level_gain(speeches: list[Speech]) -> float:
    """Linear gain bringing the speech to ``SPEECH_DB`` RMS with its peak at most ``PEAK_DB``."""
    power = [float(np.mean(s.samples.astype(np.float64) ** 2)) for s in speeches if len(s.samples)]
    peak = max((float(np.abs(s.samples).max()) for s in speeches if len(s.samples)), default=0.0)
    if not power or peak <= 0:
        return 1.0
    rms = float(np.sqrt(np.average(power, weights=[len(s.samples) for s in speeches if len(s.samples)])))
    return min(10 ** (SPEECH_DB / 20) / max(rms, 1e-9), 10 ** (PEAK_DB / 20) / peak)


def track_samples(speeches: list[Speech], starts: list[float], duration: float) -> tuple[np.ndarray, int]:
    """(mono samples, rate): each speech at its start, levelled, the whole ``duration`` long."""
    from scipy.signal import resample_poly

    rate = max(s.rate for s in speeches)
    out = np.zeros(max(1, round(duration * rate)), np.float32)
    gain = level_gain(speeches)
    for s, t in zip(speeches, starts):
        x = s.samples if s.rate == rate else resample_poly(s.samples, rate, s.rate).astype(np.float32)
        a = round(t * rate)
        if a >= len(out):
            continue
        x = x[: len(out) - a]
        out[a : a + len(x)] += x * gain
    return np.clip(out, -1.0, 1.0), rate


def tracks_folder(home: Path) -> Path:
    """Where narration tracks go: ``$WAM_HOME/voice/tracks``, or a temp folder when that cannot be written."""
    folder = voice_folder(home) / "tracks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"wam-voice-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_track(speeches: list[Speech], starts: list[float], duration: float, home: Path) -> Path:
    """The narration track file for ``speeches`` at ``starts`` (made if it does not exist yet)."""
    digest = hashlib.sha256()
    for s, t in zip(speeches, starts):
        digest.update(f"{s.rate}:{t:.6f}:{len(s.samples)}:".encode())
        digest.update(np.ascontiguousarray(s.samples, "<f4").tobytes())
    digest.update(f"{duration:.6f}".encode())
    path = tracks_folder(home) / f"{digest.hexdigest()[:32]}.wav"
    if not path.is_file():
        samples, rate = track_samples(speeches, starts, duration)
        write_wav(path, samples, rate)
    return path
