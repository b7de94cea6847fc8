"""A PySceneDetect VideoStream fed by an ffmpeg process that decodes (multi-threaded) and
downscales the picture before it reaches Python, so the analysis pass moves small frames
only. Also the probe (size, rotation, frame rate, stream presence) of a video file.

ffmpeg (the binary of imageio-ffmpeg) decodes anything it knows, applies rotation
metadata, and keeps going on variable frame rate; a truncated file simply ends early.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from wam.core.errors import MediaError

#: Width of the frames the analysis pass sees (never upscaled).
ANALYSIS_WIDTH = 320


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class Probe:
    width: int  # displayed size: sample aspect ratio and rotation applied
    height: int
    fps: float
    frames: int  # declared frame count (0: unknown)
    has_audio: bool
    color_matrix: str = ""  # YUV matrix the stream is tagged with, e.g. "bt709" ("": untagged)
    color_range: str = ""  # "tv" (limited) or "pc" (full); "": untagged
    duration: float = 0.0  # the file's length in seconds, as its container says (0: unknown, e.g. a picture)


def probe(path: str) -> Probe:
    """What ffmpeg says about ``path``'s first video stream; MediaError if it has none."""
    import re

    from wam.media.moviepy_lib import ffmpeg_infos_parser

    try:
        out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path], capture_output=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"cannot probe the file ({type(exc).__name__})") from None
    text = out.stderr.decode("utf-8", errors="replace")
    if "Stream #" not in text:
        last = [ln.strip() for ln in text.splitlines() if ln.strip()][-1:] or ["no streams"]
        hint = last[0].split(": ")[-1][:100]
        raise MediaError(f"not a decodable video ({hint})")
    from wam.core.config import IMAGE_EXTENSIONS

    picture = Path(path).suffix.lower() in IMAGE_EXTENSIONS  # a still picture has no duration
    try:
        infos = ffmpeg_infos_parser()(text, path, check_duration=not picture, decode_file=False).parse()
    except Exception as exc:  # the parser trips on odd ffmpeg output
        raise MediaError(f"not a decodable video ({type(exc).__name__})") from None
    # ffmpeg ≥ 6 prints rotation as display-matrix side data, which moviepy's parser misses
    m = re.search(r"rotation of (-?\d+(?:\.\d+)?) degrees", text) or re.search(r"rotate\s*:\s*(-?\d+)", text)
    if m:
        infos["video_rotation"] = round(float(m.group(1))) % 360
    if not infos.get("video_found"):
        return_reason = "no video stream (audio-only)" if infos.get("audio_found") else "no video stream"
        raise MediaError(return_reason)
    w, h = infos.get("video_size") or (0, 0)
    sar = sample_aspect(text)
    if w and h and sar != 1:  # anamorphic (HDV, DV, some phone/broadcast footage): display size
        w, h = (max(2, round(w * sar)), h) if sar > 1 else (w, max(2, round(h / sar)))
    if abs(int(infos.get("video_rotation", 0) or 0)) in (90, 270):
        w, h = h, w
    fps = float(infos.get("video_fps") or 0.0)
    if not w or not h:
        raise MediaError("no decodable video frames (unknown picture size)")
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        raise MediaError("no video stream (unknown frame rate)")
    frames = int(infos.get("video_n_frames") or 0)
    duration = float(infos.get("duration") or 0.0)
    return Probe(int(w), int(h), fps, max(0, frames), bool(infos.get("audio_found")), *stream_colors(text),
                 duration=duration if np.isfinite(duration) and duration > 0 else 0.0)


def stream_colors(text: str) -> tuple[str, str]:
    """(matrix, range) of the first video stream in ffmpeg's ``-i`` output, from its pixel
    format's details (``yuv420p(tv, bt709, progressive)``); "" for what is not tagged."""
    import re

    for line in text.splitlines():
        if "Stream #" in line and "Video:" in line:
            m = re.search(r"Video: [^,]*, \w+\(([^)]*)\)", line)
            if not m:
                return "", ""
            tokens = [t.strip() for t in m.group(1).split(",")]
            rng = next((t for t in tokens if t in ("tv", "pc")), "")
            matrix = next((t.split("/")[0] for t in tokens
                           if t.split("/")[0].startswith(("bt", "smpte", "fcc", "ycgco", "gbr"))), "")
            return matrix, rng
    return "", ""


def sample_aspect(text: str) -> Fraction:
    """The sample (pixel) aspect ratio of the first video stream in ffmpeg's ``-i`` output
    (``[SAR 4:3 DAR 16:9]``); 1 when absent or unknown (``0:1``)."""
    import re

    for line in text.splitlines():
        if "Stream #" in line and "Video:" in line:
            m = re.search(r"\[SAR (\d+):(\d+) DAR \d+:\d+\]", line)
            if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
                return Fraction(int(m.group(1)), int(m.group(2)))
            return Fraction(1)
    return Fraction(1)


def ffmpeg_reason(text: str) -> str:
    """The gist of ffmpeg's complaint in ``text`` (its last error line, without the
    ``[in#0 @ 0x…]`` prefixes), e.g. ``Invalid data found when processing input``."""
    import re

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line)
        if line.startswith("At least one output file"):
            continue
        return line.split(": ")[-1]
    return "no streams"


def probe_audio(path: str) -> None:
    """Check that ``path`` has an audio stream ffmpeg can open; MediaError (with the reason) if not."""
    import os

    try:
        if os.path.getsize(path) == 0:
            raise MediaError("the file is empty (0 bytes)")
    except OSError as exc:
        raise MediaError(f"cannot read the file ({exc.strerror or exc})") from None
    try:
        out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path], capture_output=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"cannot probe the file ({type(exc).__name__})") from None
    text = out.stderr.decode("utf-8", errors="replace")
    if "Stream #" not in text:
        raise MediaError(f"not a sound or video file ({ffmpeg_reason(text)})")
    if not any("Stream #" in line and "Audio:" in line for line in text.splitlines()):
        raise MediaError("it has no sound (no audio stream)")


def analysis_size(width: int, height: int, target: int = ANALYSIS_WIDTH) -> tuple[int, int]:
    """Even (w, h) at most ``target`` wide with the source's aspect ratio."""
    if width <= target:
        w, h = width, height
    else:
        w, h = target, max(2, round(height * target / width))
    return max(2, w - w % 2), max(2, h - h % 2)


def _stream_class():
    from wam.media.scenedetect_lib import scenedetect_module

    scenedetect_module()
    from scenedetect.common import FrameTimecode, Timecode
    from scenedetect.video_stream import VideoStream

    class FfmpegFrameStream(VideoStream):
        """Sequential, non-seekable stream of BGR frames at analysis size from an ffmpeg pipe."""

        BACKEND_NAME = "wam_ffmpeg_pipe"

        def __init__(self, path: str, info: Probe, size: tuple[int, int], threads: int | None = None):
            self._path = path
            self._info = info
            self._size = size
            self._frame_rate = Fraction(info.fps).limit_denominator(100000)
            self._num_frames = 0
            self._decode_failures = 0
            w, h = size
            self._proc = subprocess.Popen(
                # deblocking is invisible at analysis size: skipping it decodes H.264 ~15% faster
                [ffmpeg_exe(), "-nostdin", "-v", "error", "-skip_loop_filter", "all",
                 *(["-threads", str(threads)] if threads else []), "-i", path,
                 "-map", "0:v:0", "-an", "-sn", "-dn",
                 # constant frame rate output: frame n is at n / fps even for variable-rate sources
                 "-vf", f"scale={w}:{h}:flags=area", "-fps_mode", "cfr", "-r",
                 f"{float(self._frame_rate):.6f}", "-pix_fmt", "bgr24",
                 # the scaler's threads too (the same pixels): where other workers decode beside
                 # this one, slice threads only cost their hand-offs (≈ 3 % of ffmpeg's CPU)
                 *(["-filter_threads", str(threads)] if threads else []),
                 "-f", "rawvideo", "-"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            )
            self._errors: list[bytes] = []
            self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
            self._err_thread.start()

        def _drain_stderr(self) -> None:
            for line in self._proc.stderr:
                if len(self._errors) < 20:
                    self._errors.append(line)

        @property
        def error_text(self) -> str:
            return b"".join(self._errors).decode(errors="replace").strip()

        def close(self) -> None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc.stdout.close()

        @property
        def frame_rate(self) -> Fraction:
            return self._frame_rate

        @property
        def path(self) -> str:
            return self._path

        @property
        def name(self) -> str:
            return self._path

        @property
        def is_seekable(self) -> bool:
            return False

        @property
        def frame_size(self) -> tuple[int, int]:
            return self._size

        @property
        def duration(self):
            return self.base_timecode + self._info.frames if self._info.frames > 0 else None

        @property
        def aspect_ratio(self) -> float:
            return 1.0

        @property
        def position(self):
            if self._num_frames < 1:
                return self.base_timecode
            fps = self._frame_rate
            timecode = Timecode(pts=(self._num_frames - 1) * fps.denominator,
                                time_base=Fraction(1, fps.numerator))
            return FrameTimecode(timecode=timecode, fps=fps)

        @property
        def position_ms(self) -> float:
            return max(0, self._num_frames - 1) * 1000.0 / float(self._frame_rate)

        @property
        def frame_number(self) -> int:
            return self._num_frames

        def read(self, decode: bool = True, advance: bool = True):
            w, h = self._size
            n = w * h * 3
            buf = self._proc.stdout.read(n)
            if len(buf) < n:
                return False
            self._num_frames += 1
            return np.frombuffer(buf, np.uint8).reshape(h, w, 3) if decode else True

        def reset(self) -> None:
            raise NotImplementedError("the ffmpeg pipe cannot rewind")

        def seek(self, target) -> None:
            raise NotImplementedError("the ffmpeg pipe cannot seek")

    return FfmpegFrameStream


def open_stream(path: str, info: Probe, width: int = ANALYSIS_WIDTH, threads: int | None = None):
    """A VideoStream of ``path`` at analysis size (close it after use); ``threads``: the
    decoder's and scaler's (default: ffmpeg's choice; 1 where other workers decode beside it)."""
    return _stream_class()(path, info, analysis_size(info.width, info.height, width), threads)
