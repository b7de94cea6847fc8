"""The decode pass: one sequential read of a clip that finds scene cuts (PySceneDetect's
adaptive content detector) and hands every downscaled frame to a callback for feature sampling.

This is the only place that decodes video for indexing, so each clip is read once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wam.core.errors import MediaError, one_line

FrameCallback = Callable[[int, np.ndarray], None]
CallbackFactory = Callable[[float], FrameCallback]


@dataclass(frozen=True)
class DecodeResult:
    fps: float
    frames: int  # frames actually decoded
    width: int  # of the decoded (rotation-corrected) picture
    height: int
    cuts: list[int]  # first frame of each new shot
    declared_frames: int  # frame count the container claims (0: unknown)


def _content_detector_class():
    from wam.media.scenedetect_lib import scenedetect_module

    AdaptiveDetector = scenedetect_module().AdaptiveDetector

    class SamplingDetector(AdaptiveDetector):
        """PySceneDetect's adaptive content detector that also shows each frame to a callback.

        Adaptive (cut score relative to its neighbours) rather than a fixed threshold, so cuts
        between dark, grey or low-saturation shots are found too; the per-frame cost is the
        same as ``scenedetect detect-content``."""

        def __init__(self, on_frame: FrameCallback, **kwargs):
            super().__init__(**kwargs)
            self._on_frame = on_frame
            self._last_hsv = None

        def process_frame(self, timecode, frame_img):
            self._on_frame(timecode.frame_num, frame_img)
            return super().process_frame(timecode, frame_img)

        def _calculate_frame_score(self, timecode, frame_img) -> float:
            """The parent's score, the same number with half the work: one absolute difference
            of the HSV frames and its per-channel sums (exact integers), where the parent splits
            the channels and subtracts each in int32 (``content_score``). Edges and statistics
            (unused by wam) are left to the parent."""
            if self._weights.delta_edges > 0.0 or self.stats_manager is not None:
                return super()._calculate_frame_score(timecode, frame_img)
            import cv2

            hsv = cv2.cvtColor(frame_img, cv2.COLOR_BGR2HSV)
            last, self._last_hsv = self._last_hsv, hsv
            if last is None:
                return 0.0
            return content_score(hsv, last, self._weights)

    return SamplingDetector


def content_score(hsv: np.ndarray, last_hsv: np.ndarray, weights) -> float:
    """PySceneDetect's content score of an HSV frame against the one before (``weights``: its
    ``ContentDetector.Components``, no edges): the weighted mean absolute difference per pixel of
    hue, saturation and value, computed as its ``ContentDetector`` does to the last bit."""
    import cv2

    sums = cv2.sumElems(cv2.absdiff(hsv, last_hsv))  # per channel, exact below 2**53
    pixels = float(hsv.shape[0] * hsv.shape[1])
    components = (sums[0] / pixels, sums[1] / pixels, sums[2] / pixels, 0.0)
    return sum(c * w for c, w in zip(components, weights, strict=True)) / sum(abs(w) for w in weights)


def probe_failure(path: str) -> str | None:
    """Why ``path`` cannot be a video, judged cheaply before decoding (None: try it)."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return f"cannot read file ({exc.strerror or exc})"
    if size == 0:
        return "empty file (0 bytes)"
    return None


def decode_pass(path: str, make_callback: CallbackFactory, *, threshold: float = 3.0,
                min_scene_seconds: float = 0.5, threads: int | None = None) -> DecodeResult:
    """Decode ``path`` once: cut list from the adaptive content detector, every frame to a callback.

    ``make_callback(fps)`` builds the callback once the frame rate is known. ffmpeg decodes
    and downscales the frames (≤ 320 px wide) before they reach the detector and callback.
    ``threads``: the decoder's threads (default: ffmpeg's choice).
    Raises MediaError with a user-facing reason for anything that is not decodable video.
    """
    reason = probe_failure(path)
    if reason:
        raise MediaError(reason)
    from wam.media.ffmpeg_stream import open_stream, probe
    from wam.media.scenedetect_lib import scenedetect_module

    SceneManager = scenedetect_module().SceneManager

    info = probe(path)
    video = open_stream(path, info, threads=threads)
    try:
        fps = float(video.frame_rate)
        detector_cls = _content_detector_class()
        detector = detector_cls(make_callback(fps), adaptive_threshold=threshold,
                                min_scene_len=max(1, round(min_scene_seconds * fps)))
        manager = SceneManager()
        manager.auto_downscale = False
        manager.downscale = 1
        manager.add_detector(detector)
        try:
            frames = manager.detect_scenes(video=video)
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"decoding failed ({one_line(exc, 120)})") from None
    finally:
        video.close()
    if frames <= 0:
        err = video.error_text.splitlines()
        raise MediaError("no decodable video frames (corrupt or truncated)"
                         + (f": {one_line(err[-1], 120)}" if err else ""))
    cuts = [tc.frame_num for tc in manager.get_cut_list()]
    return DecodeResult(fps=fps, frames=int(frames), width=info.width, height=info.height, cuts=cuts,
                        declared_frames=info.frames)


def decode_picture(path: str, width: int | None = None):
    """A picture file (or a video's first frame) as a BGR array at most ``width`` wide
    (default: the analysis width), decoded by ffmpeg as the renderer decodes it, and its
    probe; MediaError with a user-facing reason when it is not a decodable picture."""
    import subprocess

    from wam.media.ffmpeg_stream import ANALYSIS_WIDTH, analysis_size, ffmpeg_exe, probe

    reason = probe_failure(path)
    if reason:
        raise MediaError(reason)
    info = probe(path)
    w, h = analysis_size(info.width, info.height, width or ANALYSIS_WIDTH)
    try:
        out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
                              "-frames:v", "1", "-vf", f"scale={w}:{h}:flags=area", "-pix_fmt", "bgr24", "-f",
                              "rawvideo", "-"],
                             capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"decoding failed ({type(exc).__name__})") from None
    if len(out.stdout) < w * h * 3:
        err = out.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError("not a decodable picture" + (f" ({one_line(err[-1], 120)})" if err else ""))
    return np.frombuffer(out.stdout[: w * h * 3], np.uint8).reshape(h, w, 3), info
