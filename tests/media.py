"""Tiny generated clips for tests: textured colour shots with hard cuts, and bad files."""

from __future__ import annotations

import math
import subprocess
import zlib
from pathlib import Path

import numpy as np

from wam.media.ffmpeg_stream import ffmpeg_exe  # noqa: F401  (re-exported for the tests)


def texture(h: int, w: int, seed: int, color: tuple[int, int, int]) -> np.ndarray:
    """A smooth random texture tinted with ``color`` (BGR), large enough to pan over."""
    import cv2

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (h // 8 + 2, w // 8 + 2), dtype=np.uint8)
    base = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    img = np.stack([base * c for c in color], axis=-1)
    return np.clip(img + 20, 0, 255).astype(np.uint8)


def shot_frames(color, seconds: float, fps: float, size: tuple[int, int], seed: int, pan: float = 0.0):
    """Frames of one shot: a texture in ``color`` panning ``pan`` frame widths per second."""
    w, h = size
    tex = texture(h, w * 3, seed, color)
    n = max(1, round(seconds * fps))
    for i in range(n):
        x = int(w + pan * w * i / fps) % (2 * w)
        yield tex[:, x : x + w]


def write_clip(path: Path, shots: list[tuple], *, fps: float = 25.0, size: tuple[int, int] = (160, 96),
               extra: list[str] | None = None) -> Path:
    """Write an H.264 clip made of ``shots`` = [(bgr colour, seconds[, pan]), …] with hard cuts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    args = [ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
            "-r", str(fps), "-i", "-"]
    args += extra or []
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE)
    for k, shot in enumerate(shots):
        color, seconds = shot[0], shot[1]
        pan = shot[2] if len(shot) > 2 else 0.0
        for frame in shot_frames(color, seconds, fps, size, seed=k + zlib.crc32(str(path.name).encode()),
                                 pan=pan):
            proc.stdin.write(np.ascontiguousarray(frame).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0, f"ffmpeg failed writing {path}"
    return path


RED, GREEN, BLUE, YELLOW = (40, 40, 230), (40, 200, 40), (230, 60, 30), (30, 220, 230)


def tiny_library(lib: Path, scale: float = 1.0) -> Path:
    """Three clips in three folders (a red bus in a street, a sandy beach, a quiet forest),
    for CLI tests that index a library; ``scale`` stretches their shots."""
    write_clip(lib / "street" / "red_bus.mp4", [(RED, 2.0 * scale), (BLUE, 2.0 * scale)])
    write_clip(lib / "beach" / "sandy_beach.mp4", [(BLUE, 2.5 * scale), (GREEN, 2.0 * scale)])
    write_clip(lib / "forest" / "quiet_forest.mp4", [(GREEN, 3.0 * scale)])
    return lib


def three_shot_clip(path: Path, **kw) -> Path:
    return write_clip(path, [(RED, 1.2), (BLUE, 1.0, 0.3), (GREEN, 1.4)], **kw)


def audio_only(path: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", "-f", "mp4", str(path)], check=True)
    return path


BARS_W, BARS_H = 128, 64


def bars_clip(path: Path, fps: float, frames: int) -> Path:
    """Frame k shows k in binary: 8 vertical bars, white for a set bit (lossless H.264)."""
    proc = subprocess.Popen([ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s",
                             f"{BARS_W}x{BARS_H}", "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset",
                             "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(path)],
                            stdin=subprocess.PIPE)
    for k in range(frames):
        f = np.zeros((BARS_H, BARS_W), np.uint8)
        for b in range(8):
            if k >> b & 1:
                f[:, b * 16 : (b + 1) * 16] = 255
        proc.stdin.write(f.tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    return path


def frame_number(luma: np.ndarray) -> int:
    """The number a bars frame shows (also mixed over black: bars are judged against the darkest)."""
    means = [luma[8:-8, b * 16 + 4 : (b + 1) * 16 - 4].mean() for b in range(8)]
    lo, hi = min(means), max(means)
    return sum(1 << b for b, m in enumerate(means) if hi - lo > 12 and m > (lo + hi) / 2)


def shown(source_in: float, j: int, out_fps: int, src_fps: float) -> int:
    """The source frame on screen at source_in + j / out_fps."""
    return math.floor((source_in + j / out_fps) * src_fps + 1e-3 * src_fps)
