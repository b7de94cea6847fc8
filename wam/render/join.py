"""Joining encoded segments into the output MP4 without re-encoding: ffmpeg's concat
demuxer copies the H.264 streams one after the other (each segment is a closed stream with
the same encoder parameters, so the result is one continuous stream), the audio track of
the whole video is muxed beside it, and the index goes to the front (faststart).

Place in the flow: the last step of ``renderer.render_timeline``.
"""

from __future__ import annotations

from pathlib import Path

from wam.core.errors import WamError
from wam.core.signals import run_child
from wam.media.ffmpeg_stream import ffmpeg_exe


def concat_list(paths: list[Path], frames: list[int], fps: int) -> str:
    """An ffconcat document naming each segment and its exact length (frames / fps), so that
    every segment starts exactly where the previous one ends."""
    lines = ["ffconcat version 1.0"]
    for p, n in zip(paths, frames):
        quoted = str(Path(p).resolve()).replace("'", "'\\''")
        lines += [f"file '{quoted}'", f"duration {n / fps:.9f}"]
    return "\n".join(lines) + "\n"


def join_command(listing: Path, audio: Path, target: Path) -> list[str]:
    return [ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
            "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart",
            "-f", "mp4", str(target)]


def join_segments(paths: list[Path], frames: list[int], fps: int, audio: Path, target: Path,
                  work: Path) -> None:
    """Write ``target``: the segments' video streams in order plus ``audio``, by stream copy."""
    listing = work / "segments.ffconcat"
    listing.write_text(concat_list(paths, frames, fps))
    proc = run_child(join_command(listing, audio, target))  # never writing after an interrupt
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise WamError(f"joining the segments of {target.name} failed"
                       + (f": {err[-1][:200]}" if err else ""))
