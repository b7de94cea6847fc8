"""The beats of a piece of music (``--music``), for cutting on them: the file decoded to mono
by ffmpeg, its beats found by librosa's beat tracker (dynamic programming over the onset
strength, Ellis 2007), each moved to the start of its onset (librosa's backtracked onset
detection), as seconds from the file's start.

librosa (``pip install 'wam[music]'``) is imported only here and only when a plan has music;
its first use compiles numba code, so the planner keeps each file's beats once found
(``planner.music_beats``). Deterministic: the same file gives the same beats.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

from wam.core.errors import BeatTrackerMissing, MediaError, one_line

#: Sample rate the music is analysed at (librosa's default), and the hop between onset
#: strength frames (≈ 12 ms: beats land within a frame of the sound at 30 fps).
BEAT_RATE = 22050
HOP = 256
#: A beat moves to the start of an onset at most this far from it (seconds).
ONSET_REACH = 0.06


@dataclass(frozen=True)
class Beats:
    """The beat grid of a music file: its tempo (beats per minute), the beats (seconds from the
    file's start, ascending) and the file's length in seconds."""

    tempo: float
    beats: tuple[float, ...]
    duration: float


def decode_mono(path: str, rate: int = BEAT_RATE) -> np.ndarray:
    """The sound of ``path`` as mono float32 samples at ``rate``; MediaError (one line) if it has none."""
    from wam.media.ffmpeg_stream import ffmpeg_exe, ffmpeg_reason, probe_audio

    probe_audio(path)
    try:
        out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar",
                              str(rate), "-f", "f32le", "-"], capture_output=True, timeout=3600,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"its sound cannot be read ({one_line(exc)})") from None
    if out.returncode != 0:
        raise MediaError(f"its sound cannot be read ({ffmpeg_reason(out.stderr.decode(errors='replace'))})")
    return np.frombuffer(out.stdout, "<f4").astype(np.float32)


def detect_beats(path: str) -> Beats:
    """The beats of the music file at ``path`` (MediaError: no readable sound; BeatTrackerMissing:
    librosa is not installed)."""
    try:
        import librosa.beat
    except ImportError:
        raise BeatTrackerMissing("librosa is not installed (pip install 'wam[music]')") from None
    y = decode_mono(path)
    duration = len(y) / BEAT_RATE
    if duration < 1.0:
        return Beats(0.0, (), round(duration, 6))
    import librosa.onset

    env = librosa.onset.onset_strength(y=y, sr=BEAT_RATE, hop_length=HOP)
    tempo, frames = librosa.beat.beat_track(onset_envelope=env, sr=BEAT_RATE, hop_length=HOP)
    beats = librosa.frames_to_time(frames, sr=BEAT_RATE, hop_length=HOP)
    # each beat moved to the start of its onset (the tracker's peaks of onset strength lag the sound)
    onsets = librosa.onset.onset_detect(onset_envelope=env, sr=BEAT_RATE, hop_length=HOP, backtrack=True,
                                        units="time")
    times = sorted({round(float(_onset_near(t, onsets)), 4) for t in np.atleast_1d(beats)
                    if 0 <= t < duration})
    return Beats(round(float(np.atleast_1d(tempo)[0]), 3), tuple(times), round(duration, 6))


def _onset_near(t: float, onsets: np.ndarray) -> float:
    """The onset nearest ``t`` within ``ONSET_REACH`` seconds, else ``t``."""
    if len(onsets) == 0:
        return t
    k = int(np.argmin(np.abs(onsets - t)))
    return float(onsets[k]) if abs(onsets[k] - t) <= ONSET_REACH else t


def music_of(timeline, music: str | None, warn=lambda m: None) -> str | None:
    """The music to lay under ``timeline``: ``music`` if given, else the plan's own (``--music``
    when it was planned; a warning and none if that file has gone)."""
    import os

    if music:
        return music
    planned = (timeline.music or {}).get("file")
    if planned and not os.path.isfile(planned):
        warn(f"the plan's music {planned} is missing; the video has no music")
        return None
    return planned
