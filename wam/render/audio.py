"""The output's audio track: silence by default (b-roll), the cuts' own sound with
``--keep-audio``, and a music bed with ``--music`` (looped or trimmed, faded out).
The output always has an audio stream so players and later concatenation behave."""

from __future__ import annotations

import numpy as np

from wam.errors import WamError, one_line

AUDIO_FPS = 44100
MUSIC_FADE_OUT = 2.0
MUSIC_VOLUME = 0.8


def silence(duration: float):
    from moviepy import AudioClip

    def frame(t):
        return np.zeros((len(t), 2)) if np.ndim(t) else np.zeros(2)

    return AudioClip(frame_function=frame, duration=duration, fps=AUDIO_FPS)


def has_audio(path: str) -> bool:
    from wam.errors import MediaError
    from wam.media.ffmpeg_stream import probe

    try:
        return probe(path).has_audio
    except MediaError:
        return False


def audio_track(timeline, *, keep_audio: bool = False, music: str | None = None):
    """A moviepy audio clip exactly ``timeline.duration`` long, and the clips to close afterwards."""
    from moviepy import AudioFileClip, CompositeAudioClip, afx

    duration = timeline.duration
    layers = [silence(duration)]
    opened = []
    if keep_audio:
        for cut in timeline.cuts():
            if not has_audio(cut.source):
                continue
            clip = AudioFileClip(cut.source, fps=AUDIO_FPS)
            opened.append(clip)
            end = min(cut.source_out, clip.duration)
            if end <= cut.source_in:
                continue
            layers.append(clip.subclipped(cut.source_in, end).with_start(cut.start))
    if music:
        try:
            bed = AudioFileClip(music, fps=AUDIO_FPS)
        except Exception as exc:
            raise WamError(f"cannot read the music file {music} ({one_line(exc, 120)})") from None
        opened.append(bed)
        if bed.duration < duration:
            bed = bed.with_effects([afx.AudioLoop(duration=duration)])
        else:
            bed = bed.subclipped(0, duration)
        bed = bed.with_effects([afx.MultiplyVolume(MUSIC_VOLUME), afx.AudioFadeOut(min(MUSIC_FADE_OUT, duration / 2))])
        layers.append(bed)
    track = CompositeAudioClip(layers).with_duration(duration) if len(layers) > 1 else layers[0]
    return track, opened
