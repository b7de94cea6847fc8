"""One sentence of a render as a playable MP4 (``wam studio``'s play button): its segment
from the render cache (encoded now if it is not there, exactly as ``render_timeline`` encodes
it, so that the final render reuses it), with that stretch of the video's sound, muxed by
stream copy with the index in front (a browser starts playing while it loads).

Place in the flow: beside ``renderer.render_timeline``. The segment comes from
``segments.encode_segments``, the sound from ``audio.write_audio_track`` (mixed once per plan
sound and kept in the caller's ``folder``: a narrated or music track takes seconds to mix).
A cached segment is a bare H.264 stream in an MP4 with its index at the end and no sound,
which is why it is not served as it is.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from wam.core.errors import WamError
from wam.core.timeline import Timeline
from wam.media.ffmpeg_stream import ffmpeg_exe

_lock = threading.Lock()  # one audio mix at a time per process


def sound_key(timeline: Timeline, opts) -> str | None:
    """What decides the video's sound (narration, music, the clips' own sound), as a key; None
    when the video is silent."""
    from wam.media.beats import music_of

    music = music_of(timeline, opts.music)
    if not opts.keep_audio and not music and timeline.narration is None:
        return None
    from wam.render.segments import cut_identity, file_identity

    narration = timeline.narration and timeline.narration.to_dict()
    desc = {"narration": narration, "music": music and file_identity(music),
            "duration": timeline.frames, "fps": timeline.fps,
            "cuts": [cut_identity(c) + [c.start_frame] for c in timeline.cuts()] if opts.keep_audio else None}
    return hashlib.sha256(json.dumps(desc, sort_keys=True, default=str).encode()).hexdigest()[:32]


def sound_track(timeline: Timeline, opts, folder: Path,
                warn: Callable[[str], None] = lambda m: None) -> Path | None:
    """The video's whole sound track (AAC) in ``folder``, mixed the first time it is asked for;
    None for a silent video."""
    from wam.render.audio import write_audio_track

    key = sound_key(timeline, opts)
    if key is None:
        return None
    path = folder / f"sound-{key}.m4a"
    with _lock:
        if not path.is_file():
            part = folder / f".sound-{key}.part.audio.m4a"
            try:
                for clip in write_audio_track(timeline, part, keep_audio=opts.keep_audio, music=opts.music,
                                              warn=warn):
                    clip.close()
                part.replace(path)
            finally:
                part.unlink(missing_ok=True)
    return path


def sentence_preview(timeline: Timeline, opts, index: int, cache, folder: Path,
                     warn: Callable[[str], None] = lambda m: None) -> Path:
    """A playable MP4 in ``folder`` of sentence ``index`` of ``timeline`` rendered with
    ``opts``: its segment from ``cache`` (a ``RenderCache``; encoded and added to it when
    missing) and its stretch of the sound. Made once per segment and sound."""
    from wam.render.segments import encode_segments, plan_segments

    if not 0 <= index < len(timeline.sentences):
        raise WamError(f"the plan has no sentence {index + 1}")
    seg = plan_segments(timeline, opts)[index]
    sound = sound_track(timeline, opts, folder, warn)
    identity = f"{seg.key}:{sound and sound.name}:{seg.first}:{seg.frames}"
    name = hashlib.sha256(identity.encode()).hexdigest()[:32]
    out = folder / f"sentence-{name}.mp4"
    if out.is_file():
        return out
    cache.ensure()
    work = folder / f"work-{name}-{threading.get_ident()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        (video,), _ = encode_segments(timeline, opts, [seg], cache, work)
        start, seconds = seg.first / timeline.fps, seg.frames / timeline.fps
        audio = (["-ss", f"{start:.6f}", "-t", f"{seconds:.6f}", "-i", str(sound)] if sound is not None
                 else ["-f", "lavfi", "-t", f"{seconds:.6f}", "-i", "anullsrc=r=44100:cl=stereo"])
        part = work / "preview.mp4"
        proc = subprocess.run([ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-i", str(video), *audio,
                               "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a",
                               "160k", "-t", f"{seconds:.6f}", "-movflags", "+faststart", "-f", "mp4",
                               str(part)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise WamError(f"making the preview of sentence {index + 1} failed"
                           + (f": {err[-1][:200]}" if err else ""))
        part.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
