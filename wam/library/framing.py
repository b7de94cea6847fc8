"""How alike two pictures are framed — the measure behind jump cuts (cutting between two
near-identical framings of the same scene looks like a glitch, not an edit).

Pure maths on small gray frames (numpy/cv2), used by the analysis pass: ORB features are
matched between the last frame of one shot and the first of another and a similarity
transform is fitted (as Write-a-video does with a homography); a near-identity transform
with many inliers means near-identical framing. A 16×9 thumbnail per shot lets the planner
compare shots of different clips cheaply (two takes from one tripod position).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Thumbnail size (width, height) and its flattened length.
THUMB_SIZE = (16, 9)
THUMB_LEN = THUMB_SIZE[0] * THUMB_SIZE[1]
#: A shift of this many frame widths, or a scale change of this log-factor, halves (…) the similarity.
SHIFT_SCALE = 0.05
ZOOM_SCALE = 0.12
#: Fewer matched inliers than this cannot vouch for identical framing.
MIN_INLIERS = 12


@dataclass(frozen=True)
class Signature:
    """ORB keypoints (n, 2) and descriptors (n, 32) of one gray frame of width ``width``."""

    points: np.ndarray
    descriptors: np.ndarray | None
    width: int


def thumbnail(gray: np.ndarray) -> np.ndarray:
    """int8 (THUMB_LEN,) zero-mean, unit-norm (×127) 16×9 picture of a gray frame."""
    import cv2

    small = cv2.resize(cv2.GaussianBlur(gray, (0, 0), 1.5), THUMB_SIZE, interpolation=cv2.INTER_AREA)
    v = small.astype(np.float32).reshape(-1)
    v -= v.mean()
    norm = float(np.linalg.norm(v))
    if norm < 1e-3:
        return np.zeros(THUMB_LEN, np.int8)
    return np.clip(np.round(v / norm * 127), -127, 127).astype(np.int8)


def thumbnail_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation (−1 … 1) between thumbnails: rows of ``a`` (n, L) against rows of ``b`` (m, L)."""
    a = np.asarray(a, np.float32).reshape(-1, THUMB_LEN)
    b = np.asarray(b, np.float32).reshape(-1, THUMB_LEN)
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return (a @ b.T) / np.maximum(na[:, None] * nb[None, :], 1e-6)


_ORB = None


def signature(gray: np.ndarray) -> Signature:
    """ORB features of a gray frame (a few hundred; none on a blank picture)."""
    global _ORB
    import cv2

    if _ORB is None:
        _ORB = cv2.ORB_create(nfeatures=400, fastThreshold=10)
    kps, desc = _ORB.detectAndCompute(gray, None)
    pts = np.array([k.pt for k in kps], np.float32).reshape(-1, 2)
    return Signature(pts, desc, int(gray.shape[1]))


def framing_similarity(a: Signature, b: Signature) -> float:
    """0 … 1: how near-identical the framing of ``a`` and ``b`` is (1: same camera position
    and zoom; 0: a different picture, or the same scene re-framed enough to be a real cut)."""
    import cv2

    if (a.descriptors is None or b.descriptors is None
            or len(a.points) < MIN_INLIERS or len(b.points) < MIN_INLIERS):
        return 0.0
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
    matches = [m for m in matcher.match(a.descriptors, b.descriptors) if m.distance < 64]
    if len(matches) < MIN_INLIERS:
        return 0.0
    pa = a.points[[m.queryIdx for m in matches]]
    pb = b.points[[m.trainIdx for m in matches]]
    m, inliers = cv2.estimateAffinePartial2D(pa, pb, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if m is None or inliers is None:
        return 0.0
    count = int(inliers.sum())
    if count < MIN_INLIERS:
        return 0.0
    scale = math.hypot(float(m[0, 0]), float(m[1, 0]))
    if scale <= 0:
        return 0.0
    w = float(a.width)
    centre = np.array([w / 2, w * 9 / 32, 1.0])  # any central point: the shift of the picture's middle
    shift = float(np.hypot(*(m @ centre - centre[:2]))) / w
    closeness = math.exp(-((math.log(scale) / ZOOM_SCALE) ** 2) - (shift / SHIFT_SCALE) ** 2)
    support = min(1.0, count / (2 * MIN_INLIERS)) * min(1.0,
                                                        count / max(1, min(len(a.points), len(b.points))) * 4)
    return float(closeness * support)


def clip_jump_pairs(first: list[Signature], last: list[Signature], thumbs: np.ndarray,
                    *, max_pairs: int = 400) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for ordered pairs of shots of one clip whose cut i → j would be a
    jump cut (the end of shot i and the start of shot j framed near-identically).

    Only pairs whose thumbnails already correlate are measured (at most ``max_pairs``, the
    most alike first); pairs below 0.05 are left out (treated as 0).
    """
    n = len(first)
    if n < 2:
        return []
    corr = thumbnail_similarity(thumbs, thumbs)
    cand = [(float(corr[i, j]), i, j) for i in range(n) for j in range(n) if i != j and corr[i, j] > 0.3]
    cand.sort(key=lambda x: (-x[0], x[1], x[2]))
    out = []
    for _, i, j in cand[:max_pairs]:
        sim = framing_similarity(last[i], first[j])
        if sim >= 0.05:
            out.append((i, j, round(sim, 4)))
    return sorted(out)
