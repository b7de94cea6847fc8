"""Small JPEG thumbnails of source clips, one ffmpeg call per picture (fast seek, one frame,
scaled down), two at a time; the storyboard embeds them as data URIs."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

#: Thumbnail widths (pixels) of a cut and of an alternative.
CUT_WIDTH = 320
ALT_WIDTH = 192
#: JPEG quality for ffmpeg's mjpeg encoder (2 best … 31 worst).
JPEG_QUALITY = 5


def thumbnail(source: str, seconds: float, width: int = CUT_WIDTH) -> bytes | None:
    """A JPEG of ``source`` at ``seconds``, ``width`` wide (None if it cannot be decoded)."""
    from wam.media.ffmpeg_stream import ffmpeg_exe

    if not os.path.isfile(source):
        return None
    for at in (max(0.0, seconds), 0.0):  # a time past a truncated file's end: fall back to its first frame
        cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i", source, "-map", "0:v:0",
               "-frames:v", "1", "-vf", f"scale={width}:-2:flags=bicubic", "-q:v", str(JPEG_QUALITY),
               "-f", "image2pipe", "-c:v", "mjpeg", "-"]
        try:
            out = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if out.returncode == 0 and out.stdout.startswith(b"\xff\xd8"):
            return out.stdout
    return None


def thumbnails(requests: list[tuple[str, float, int]], workers: int = 2) -> list[bytes | None]:
    """Thumbnails for (source, seconds, width) requests, in order (identical requests decode once)."""
    unique = list(dict.fromkeys(requests))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = dict(zip(unique, pool.map(lambda r: thumbnail(*r), unique)))
    return [done[r] for r in requests]
