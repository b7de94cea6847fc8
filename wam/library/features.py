"""Visual features of frames and shots: pure maths on numpy arrays (BGR uint8 frames).

Used by the analysis pass (``library/analyse.py``) on small decoded frames; nothing here
opens a file. cv2 is imported inside the functions that need it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wam.core.types import ShotFeatures
from wam.library.colours import COLOUR_NAMES, FrameColours, frame_colours
from wam.library.stills import is_still, tiny

#: HSV histogram bins (hue, saturation, value): 8 * 4 * 4 = 128 values per shot.
HIST_BINS = (8, 4, 4)
HIST_SIZE = int(np.prod(HIST_BINS))

# Thresholds, in frame widths per second (translation) and log-scale per second (zoom).
PAN_THRESHOLD = 0.04
ZOOM_THRESHOLD = 0.03
#: Largest face height / frame height at or above which a shot is a close-up / medium.
CLOSE_UP_FACE = 0.22
MEDIUM_FACE = 0.07


@dataclass(frozen=True)
class FrameStats:
    """Per-frame statistics of one sampled frame."""

    histogram: np.ndarray  # float32 (HIST_SIZE,), sums to 1
    brightness: float  # mean luma, 0..1
    colourfulness: float  # Hasler–Süsstrunk, scaled to ~0..1
    sharpness: float  # 0..1 from the variance of the Laplacian
    clipped: float  # fraction of pixels crushed to black or blown to white
    tiny: np.ndarray | None = None  # float32 (18, 32) gray miniature (``stills.tiny``) for still detection
    colours: FrameColours | None = None  # named colour shares and open sky (library/colours.py)


@dataclass(frozen=True)
class CameraStep:
    """Global image motion between two frames, per second."""

    dx: float  # frame widths / s, + = content moves right (camera pans left)
    dy: float  # frame widths / s, + = content moves down (camera tilts up)
    zoom: float  # log scale / s, + = content grows (zoom in)
    magnitude: float  # median point speed, frame widths / s


@dataclass(frozen=True)
class FrameSample:
    """What the analysis pass keeps of one sampled frame (a few hundred bytes plus a JPEG)."""

    frame: int
    stats: FrameStats
    step: CameraStep | None  # motion from a frame shortly before this one (None: unknown)
    step_from: int  # frame number the motion step starts at
    faces: tuple[tuple[float, float, float], ...] | None  # (cx, cy, h) normalised; None: not run
    jpeg: bytes | None
    bodies: tuple[tuple[float, float, float], ...] | None = None  # whole figures, as faces; None: not run
    point_lights: int | None = None  # small bright points (``detectors.point_lights_in``); None: not run
    texture: float | None = None  # 0..1 one texture fills the frame (``detectors.texture_in``); None: not run
    pattern: float | None = None  # 0..1 edges repeat side by side (``detectors.pattern_in``); None: not run


def frame_stats(bgr: np.ndarray) -> FrameStats:
    """Histogram, brightness, colourfulness, sharpness, clipping and named colours of one BGR frame."""
    import cv2

    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), [0, 180, 0, 256, 0, 256])
    hist = hist.reshape(-1).astype(np.float32)
    total = float(hist.sum())
    hist = hist / total if total > 0 else np.full(HIST_SIZE, 1.0 / HIST_SIZE, np.float32)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    brightness = float(gray.mean()) / 255.0
    clipped = float(np.count_nonzero((gray <= 8) | (gray >= 247))) / gray.size
    b, g, r = (bgr[..., i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    colourfulness = math.hypot(float(rg.std()), float(yb.std())) + 0.3 * math.hypot(
        float(rg.mean()), float(yb.mean())
    )
    return FrameStats(
        histogram=hist,
        brightness=brightness,
        colourfulness=min(1.0, colourfulness / 110.0),
        sharpness=sharpness_of(gray),
        clipped=clipped,
        tiny=tiny(gray),
        colours=frame_colours(bgr),
    )


def sharpness_of(gray: np.ndarray) -> float:
    """0..1 sharpness: variance of the Laplacian at a fixed 256-pixel width."""
    import cv2

    h, w = gray.shape[:2]
    if w != 256:
        gray = cv2.resize(gray, (256, max(1, round(h * 256 / w))), interpolation=cv2.INTER_AREA)
    var = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    return 1.0 - math.exp(-var / 300.0)


def camera_step(prev_gray: np.ndarray, gray: np.ndarray, seconds: float) -> CameraStep | None:
    """Global motion between two gray frames ``seconds`` apart (None if untrackable).

    Tracks corners with pyramidal Lucas–Kanade and fits a similarity transform with
    RANSAC; translation is measured at the image centre so zoom does not leak into pan.
    """
    import cv2

    if seconds <= 0:
        return None
    h, w = gray.shape[:2]
    pts = cv2.goodFeaturesToTrack(prev_gray, maxCorners=100, qualityLevel=0.01, minDistance=6)
    if pts is None or len(pts) < 8:
        return None
    nxt, status, _err = cv2.calcOpticalFlowPyrLK(prev_gray, gray, pts, None, winSize=(15, 15), maxLevel=2)
    if nxt is None:
        return None
    ok = status.reshape(-1) == 1
    p0 = pts.reshape(-1, 2)[ok]
    p1 = nxt.reshape(-1, 2)[ok]
    if len(p0) < 8:
        return None
    m, inliers = cv2.estimateAffinePartial2D(p0, p1, method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if m is None:
        return None
    scale = math.hypot(float(m[0, 0]), float(m[1, 0]))
    if not (0.5 < scale < 2.0):
        return None
    centre = np.array([w / 2.0, h / 2.0, 1.0])
    moved = m @ centre
    dx = (moved[0] - centre[0]) / w / seconds
    dy = (moved[1] - centre[1]) / w / seconds
    speeds = np.linalg.norm(p1 - p0, axis=1) / w / seconds
    return CameraStep(
        dx=float(dx),
        dy=float(dy),
        zoom=float(math.log(scale) / seconds),
        magnitude=float(np.median(speeds)),
    )


def camera_motion_label(dx: float, dy: float, zoom: float) -> str:
    """Dominant camera motion from mean image motion per second."""
    translation = math.hypot(dx, dy)
    if abs(zoom) >= ZOOM_THRESHOLD and abs(zoom) * 0.5 >= translation * 0.5:
        return "zoom_in" if zoom > 0 else "zoom_out"
    if translation < PAN_THRESHOLD:
        return "static"
    if abs(dx) >= abs(dy):
        return "pan_left" if dx > 0 else "pan_right"
    return "tilt_up" if dy > 0 else "tilt_down"


def shot_scale(face_size: float) -> str:
    """close-up / medium / wide from the largest face's relative height (0: no face → wide)."""
    if face_size >= CLOSE_UP_FACE:
        return "close-up"
    if face_size >= MEDIUM_FACE:
        return "medium"
    return "wide"


def quality_score(sharpness: float, brightness: float, clipped: float, shake: float) -> float:
    """0..1 quality: penalises blur, bad exposure (too dark/bright, clipped) and shake."""
    blur = min(1.0, max(0.0, (0.45 - sharpness) / 0.45))
    exposure = max(0.0, abs(brightness - 0.5) * 2.0 - 0.6) / 0.4 + max(0.0, clipped - 0.2)
    penalty = 0.45 * blur + 0.35 * min(1.0, exposure) + 0.2 * min(1.0, shake)
    return float(min(1.0, max(0.0, 1.0 - penalty)))


def shot_features(samples: list[FrameSample]) -> ShotFeatures:
    """Aggregate the samples of one shot into its features (samples must be non-empty)."""
    if not samples:
        raise ValueError("a shot needs at least one sampled frame")
    hist = np.mean([s.stats.histogram for s in samples], axis=0).astype(np.float32)
    hist /= max(float(hist.sum()), 1e-9)
    brightness = float(np.mean([s.stats.brightness for s in samples]))
    colourfulness = float(np.mean([s.stats.colourfulness for s in samples]))
    sharpness = float(np.median([s.stats.sharpness for s in samples]))
    clipped = float(np.mean([s.stats.clipped for s in samples]))
    steps = [s.step for s in samples if s.step is not None]
    if steps:
        dx = float(np.median([st.dx for st in steps]))
        dy = float(np.median([st.dy for st in steps]))
        zoom = float(np.median([st.zoom for st in steps]))
        motion = float(np.mean([st.magnitude for st in steps]))
        jitter = np.array([[st.dx - dx, st.dy - dy] for st in steps])
        shake = float(np.sqrt((jitter**2).sum(axis=1).mean())) if len(steps) >= 3 else 0.0
    else:
        dx = dy = zoom = motion = shake = 0.0
    still = is_still([s.stats.tiny for s in samples], motion if steps else None)
    face_lists = [s.faces for s in samples if s.faces is not None]
    face_share = sum(1 for f in face_lists if f) / len(face_lists) if face_lists else 0.0
    face_count = max((len(f) for f in face_lists), default=0)
    largest = max((face for faces in face_lists for face in faces), key=lambda f: f[2], default=None)
    face_size = float(largest[2]) if largest else 0.0
    body_lists = [s.bodies for s in samples if s.bodies is not None]
    points = [s.point_lights for s in samples if s.point_lights is not None]
    textures = [s.texture for s in samples if s.texture is not None]
    patterns = [s.pattern for s in samples if s.pattern is not None]
    shake_norm = min(1.0, shake / 0.3)
    return ShotFeatures(
        brightness=round(brightness, 4),
        colourfulness=round(colourfulness, 4),
        sharpness=round(sharpness, 4),
        motion=round(min(1.0, motion / 0.5), 4),
        camera_dx=round(dx, 4),
        camera_dy=round(dy, 4),
        camera_zoom=round(zoom, 4),
        camera_motion=camera_motion_label(dx, dy, zoom),
        shake=round(shake_norm, 4),
        face_count=int(face_count),
        face_size=round(face_size, 4),
        face_x=round(float(largest[0]), 4) if largest else None,
        face_y=round(float(largest[1]), 4) if largest else None,
        scale=shot_scale(face_size),
        quality=round(quality_score(sharpness, brightness, clipped, shake_norm), 4),
        histogram=hist,
        still=still,
        face_share=round(face_share, 4),
        body_share=round(sum(1 for b in body_lists if b) / len(body_lists), 4) if body_lists else 0.0,
        body_count=max((len(b) for b in body_lists), default=0),
        point_lights=round(float(np.median(points)), 1) if points else 0.0,
        texture=round(float(np.mean(textures)), 4) if textures else 0.0,
        pattern=round(float(np.mean(patterns)), 4) if patterns else 0.0,
        **_colour_features([s.stats.colours for s in samples if s.stats.colours is not None]),
    )


def _colour_features(frames: list[FrameColours]) -> dict:
    """A shot's colour shares, sky, sky brightness, warm sky and top light: means over its sampled frames."""
    if not frames:
        return {}
    shares = np.mean([f.shares for f in frames], axis=0)
    with_sky = [f for f in frames if f.sky > 0]
    return {
        "colours": {name: round(float(x), 4) for name, x in zip(COLOUR_NAMES, shares)},
        "sky": round(float(np.mean([f.sky for f in frames])), 4),
        "sky_value": round(float(np.mean([f.sky_value for f in with_sky])), 4) if with_sky else 0.0,
        "warm_sky": round(float(np.mean([f.warm_sky for f in frames])), 4),
        "top_light": round(float(np.mean([f.top_light for f in frames])), 4),
    }

