"""The narration of a narrated plan as a small MP3 (mono, 64 kbit/s) for the storyboard page,
which embeds it as a data URI so the cut can be listened to sentence by sentence."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from wam.core.timeline import Timeline

#: MP3 bit rate of the embedded narration (speech, mono): about 0.5 MB a minute.
BITRATE = "64k"


def narration_mp3(timeline: Timeline, warn: Callable[[str], None] = lambda m: None) -> bytes | None:
    """The plan's narration (``wam.voice``: its recording, or its synthesised track, made
    again from the cache if it was cleared) as MP3 bytes; None when the plan is not narrated
    or its sound cannot be read (with a warning)."""
    from wam.core.config import wam_home
    from wam.core.errors import WamError
    from wam.media.ffmpeg_stream import ffmpeg_exe
    from wam.voice.narrate import narration_file

    try:
        path, _ = narration_file(timeline, wam_home(), warn)
    except WamError as exc:
        warn(f"the page has no narration: {exc}")
        return None
    if path is None:
        return None
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-t",
           f"{timeline.duration:.3f}", "-ac", "1", "-c:a", "libmp3lame", "-b:a", BITRATE, "-f", "mp3", "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        out = None
    if out is None or out.returncode != 0 or not out.stdout:
        warn(f"the page has no narration: {path} cannot be read as sound")
        return None
    return out.stdout
