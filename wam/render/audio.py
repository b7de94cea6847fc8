"""The output's audio track: silence by default (b-roll), the cuts' own sound with
``--keep-audio``, and a music bed with ``--music`` (looped or trimmed, faded out).
The output always has an audio stream so players and later concatenation behave.

Every file is checked with ffmpeg before moviepy opens it, so a file that is not sound
(a text file, an empty .mp3, a video without an audio stream) gives one clear message
instead of moviepy's parser errors.
"""

from __future__ import annotations

import numpy as np

from wam.errors import MediaError, WamError

AUDIO_FPS = 44100
MUSIC_FADE_OUT = 2.0
MUSIC_VOLUME = 0.8


def silence(duration: float):
    from moviepy import AudioClip

    def frame(t):
        return np.zeros((len(t), 2)) if np.ndim(t) else np.zeros(2)

    return AudioClip(frame_function=frame, duration=duration, fps=AUDIO_FPS)


def has_audio(path: str) -> bool:
    from wam.media.ffmpeg_stream import probe

    try:
        return probe(path).has_audio
    except MediaError:
        return False


def open_audio(path: str):
    """A moviepy AudioFileClip of ``path``; MediaError (one line) if it has no readable sound."""
    from moviepy import AudioFileClip
    from moviepy.audio.io.readers import FFMPEG_AudioReader

    from wam.media.ffmpeg_stream import probe_audio

    # moviepy's reader sets ``proc`` only after parsing; a failed parse then raised again in __del__
    if not hasattr(FFMPEG_AudioReader, "proc"):
        FFMPEG_AudioReader.proc = None
    probe_audio(path)
    try:
        return AudioFileClip(path, fps=AUDIO_FPS)
    except Exception as exc:  # moviepy's parser: KeyError, IndexError, OSError …
        text = " ".join(str(exc).split()).strip("'\"") or type(exc).__name__
        raise MediaError(f"its sound cannot be read ({text if len(text) <= 100 else text[:100].rsplit(' ', 1)[0] + ' …'})") from None


def audio_track(timeline, *, keep_audio: bool = False, music: str | None = None, warn=lambda m: None):
    """A moviepy audio clip exactly ``timeline.duration`` long, and the clips to close afterwards.

    A cut whose sound cannot be read is silent (with a warning); unreadable music is an error."""
    from moviepy import CompositeAudioClip, afx

    duration = timeline.duration
    layers = [silence(duration)]
    opened = []
    try:
        if keep_audio:
            for cut in timeline.cuts():
                if not has_audio(cut.source):
                    continue
                try:
                    clip = open_audio(cut.source)
                except MediaError as exc:
                    warn(f"{cut.source}: {exc}; its cuts are silent")
                    continue
                opened.append(clip)
                end = min(cut.source_out, clip.duration or 0.0)
                if end <= cut.source_in:
                    continue
                layers.append(clip.subclipped(cut.source_in, end).with_start(cut.start))
        if music:
            try:
                bed = open_audio(music)
            except MediaError as exc:
                raise WamError(f"cannot use the music file {music}: {exc}") from None
            opened.append(bed)
            if not bed.duration or bed.duration <= 0:
                raise WamError(f"cannot use the music file {music}: it has no sound (zero length)")
            if bed.duration < duration:
                bed = bed.with_effects([afx.AudioLoop(duration=duration)])
            else:
                bed = bed.subclipped(0, duration)
            bed = bed.with_effects([afx.MultiplyVolume(MUSIC_VOLUME), afx.AudioFadeOut(min(MUSIC_FADE_OUT, duration / 2))])
            layers.append(bed)
    except BaseException:
        for clip in opened:
            clip.close()
        raise
    track = CompositeAudioClip(layers).with_duration(duration) if len(layers) > 1 else layers[0]
    return track, opened
