"""The output's audio track: silence by default (b-roll), the cuts' own sound with
``--keep-audio``, and a music bed with ``--music`` (looped or trimmed, faded out); with a
narrated plan, the voice over them, the rest ducked under its speech and the whole
loudness-normalised (``voicemix``). A plan over the speaker's talk (``--a-roll``) has the
talk's sound as its narration: alone, it is the track untouched (``write_talk_sound``).
The output always has an audio stream so players and later concatenation behave.

Every file is checked with ffmpeg before moviepy opens it, so a file that is not sound
(a text file, an empty .mp3, a video without an audio stream) gives one clear message
instead of moviepy's parser errors.
"""

from __future__ import annotations

import numpy as np

from wam.core.errors import MediaError, WamError

AUDIO_FPS = 44100
MUSIC_FADE_OUT = 2.0
MUSIC_VOLUME = 0.8
#: A narrated mix is written at this gain (headroom: nothing clips before loudness normalisation).
MIX_HEADROOM = 0.5


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
        short = text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0] + " …"
        raise MediaError(f"its sound cannot be read ({short})") from None


def audio_track(timeline, *, keep_audio: bool = False, music: str | None = None, warn=lambda m: None):
    """A moviepy audio clip exactly ``timeline.duration`` long, and the clips to close afterwards.

    A cut whose sound cannot be read is silent (with a warning); unreadable music is an error.
    A narrated plan's voice lies over the rest, which ducks under its speech (``voicemix``)."""
    from moviepy import CompositeAudioClip, afx

    from wam.core.config import wam_home
    from wam.voice.narrate import narration_file

    duration = timeline.duration
    layers = [silence(duration)]
    opened = []
    try:
        voice_path, narration = narration_file(timeline, wam_home(), warn)
        if keep_audio:
            for cut in timeline.cuts():
                if cut.a_roll or not has_audio(cut.source):  # the talk's sound plays as the narration
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
            bed = bed.with_effects([afx.MultiplyVolume(MUSIC_VOLUME), afx.AudioFadeOut(min(MUSIC_FADE_OUT,
                                                                                           duration / 2))])
            layers.append(bed)
        if voice_path:
            layers = [_narrated(layers, voice_path, narration, timeline, opened)]
    except BaseException:
        for clip in opened:
            clip.close()
        raise
    track = CompositeAudioClip(layers).with_duration(duration) if len(layers) > 1 else layers[0]
    return track, opened


def _narrated(layers: list, voice_path: str, narration, timeline, opened: list):
    """The voice over ``layers`` (ducked under its speech), as one clip ``timeline.duration`` long."""
    from moviepy import CompositeAudioClip, afx

    from wam.render.voicemix import ducked

    duration = timeline.duration
    try:
        voice = open_audio(voice_path)
    except MediaError as exc:
        raise WamError(f"cannot use the narration {voice_path}: {exc}") from None
    opened.append(voice)
    voice = voice.subclipped(0, min(duration, voice.duration or 0.0)) if (voice.duration or 0) > 0 else None
    bed = CompositeAudioClip(layers).with_duration(duration) if len(layers) > 1 else layers[0]
    parts = [ducked(bed, timeline.speech_spans())]
    if voice is not None:
        parts.append(voice.with_effects([afx.MultiplyVolume(10 ** (narration.gain_db / 20))]))
    return CompositeAudioClip(parts).with_duration(duration).with_effects([afx.MultiplyVolume(MIX_HEADROOM)])


def write_silence(duration: float, path) -> None:
    """A silent AAC track ``duration`` seconds long, written by ffmpeg alone (no moviepy)."""
    from wam.core.signals import run_child
    from wam.media.ffmpeg_stream import ffmpeg_exe

    proc = run_child([ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                      f"anullsrc=r={AUDIO_FPS}:cl=stereo", "-t", f"{duration:.6f}", "-c:a", "aac", "-b:a",
                      "160k", "-f", "mp4", str(path)])
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise WamError("writing the silent audio track failed" + (f": {err[-1][:200]}" if err else ""))


def talk_sound(timeline) -> str | None:
    """The speaker's talk whose sound is the plan's narration (``--a-roll``), or None."""
    talk, narration = timeline.a_roll, timeline.narration
    if not talk or not narration or narration.file != talk.get("file"):
        return None
    return talk["file"]


def write_talk_sound(talk: str, duration: float, path) -> None:
    """The talk's own sound as the track, untouched (no gain, no mix; encoded to AAC), exactly
    ``duration`` seconds long (silence after it should it end first)."""
    from wam.core.signals import run_child
    from wam.media.ffmpeg_stream import ffmpeg_exe, ffmpeg_reason

    proc = run_child([ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-i", talk, "-map", "0:a:0", "-vn",
                      "-af",
                      "apad", "-t", f"{duration:.6f}", "-c:a", "aac", "-b:a", "192k", "-f", "mp4",
                      str(path)])
    if proc.returncode != 0:
        raise WamError(f"cannot use the sound of the talk {talk} "
                       f"({ffmpeg_reason(proc.stderr.decode(errors='replace'))})")


def write_audio_track(timeline, path, *, keep_audio: bool = False, music: str | None = None,
                      warn=lambda m: None) -> list:
    """Write the render's audio track (AAC) to ``path``; returns the clips to close afterwards.
    A narrated plan's mix is loudness-normalised (``voicemix.normalise_loudness``); without
    ``music``, the plan's own music plays (``music_of``)."""
    from pathlib import Path

    from wam.media.beats import music_of

    music = music_of(timeline, music, warn)

    if not keep_audio and not music and timeline.narration is None:
        write_silence(timeline.duration, path)
        return []
    talk = talk_sound(timeline)
    if talk is not None and not keep_audio and not music:
        write_talk_sound(talk, timeline.duration, path)
        return []
    track, opened = audio_track(timeline, keep_audio=keep_audio, music=music, warn=warn)
    if timeline.narration is None:
        track.write_audiofile(str(path), fps=AUDIO_FPS, codec="aac", bitrate="160k", logger=None)
        return opened
    from wam.render.voicemix import normalise_loudness

    path = Path(path)
    # beside it, in the render's work folder
    mix = path.with_name(path.name.replace(".audio.m4a", "") + ".wav")
    try:
        track.write_audiofile(str(mix), fps=AUDIO_FPS, nbytes=4, codec="pcm_s32le", logger=None)
        normalise_loudness(mix, path, rate=AUDIO_FPS)
    except BaseException:
        for clip in opened:
            clip.close()
        raise
    finally:
        mix.unlink(missing_ok=True)
    return opened
