"""What the exporters need to know about each source clip: its own frame rate (as an exact
fraction, so source ranges land on its frames), its length in frames, and whether it still
exists. The one place in ``wam.export`` that opens media (ffmpeg probes, via ``wam.media``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

#: NTSC-style rates ffmpeg reports rounded (23.98, 29.97, 59.94 …): n × 1000/1001.
_NTSC_BASES = (24, 30, 48, 60, 120)


@dataclass(frozen=True)
class SourceInfo:
    """A source clip's frame rate (exact), its length in its own frames (None: unknown), and
    whether the file was found (a missing one gets the plan's rate and is relinked in the editor)."""

    rate: Fraction
    frames: int | None = None
    found: bool = True
    aspect: float = 0.0  # width / height of its picture (0: unknown)


def exact_rate(fps: float) -> Fraction:
    """The exact frame rate behind ffmpeg's rounded one: 29.97 → 30000/1001, 25.0 → 25, 12.5 → 25/2."""
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(fps - float(ntsc)) < 0.006:
            return ntsc
    return Fraction(fps).limit_denominator(1000)


def probe_sources(paths, fallback_fps: int) -> tuple[dict[str, SourceInfo], list[str]]:
    """SourceInfo for every path, and the paths that are missing or unreadable (they get
    ``fallback_fps``, the plan's rate, so the export still works and the editor relinks them)."""
    from wam.core.errors import MediaError
    from wam.media.ffmpeg_stream import probe

    infos: dict[str, SourceInfo] = {}
    missing: list[str] = []
    for path in dict.fromkeys(paths):
        info = None
        if os.path.isfile(path):
            try:
                p = probe(path)
                info = SourceInfo(exact_rate(p.fps), p.frames or None, aspect=p.width / p.height)
            except MediaError:
                info = None
        if info is None:
            missing.append(path)
            info = SourceInfo(Fraction(fallback_fps), None, found=False)
        infos[path] = info
    return infos, missing


def audio_seconds(path: str) -> float | None:
    """Length in seconds of a file with a sound stream (what ffmpeg reports); None if it has
    none or cannot be read."""
    import re
    import subprocess

    from wam.media.ffmpeg_stream import ffmpeg_exe

    if not os.path.isfile(path):
        return None
    try:
        out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path], capture_output=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stderr.decode("utf-8", errors="replace")
    m = re.search(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)", text)
    if not m or not re.search(r"Stream #.*Audio:", text):
        return None
    h, mnt, sec = m.groups()
    return int(h) * 3600 + int(mnt) * 60 + float(sec)
