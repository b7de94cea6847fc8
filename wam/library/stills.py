"""Still pictures among the shots, and where the eye goes in a picture.

A *still* is a shot whose picture does not change: a photo file, or a clip of a photograph
or of a frozen scene (no camera motion, no cut, frames that differ only by compression
noise). The planner gives a still any length and the renderer moves over it (Ken Burns,
``assemble/moves.py``), towards its largest face or, without one, its most salient point.

Pure maths on small gray frames (numpy), used by the analysis pass (``library/analyse.py``);
nothing here opens a file.
"""

from __future__ import annotations

import numpy as np

#: Size (width, height) of the gray miniature each sampled frame keeps for still detection.
TINY_SIZE = (32, 18)
#: In a still, hardly any cell of the miniature (its 99th percentile) changes by more than
#: this gray level (0…255) from one sample to the next, nor by more than ``STILL_DRIFT``
#: from the first sample to the last: compression noise passes; leaves in a breeze, a
#: person walking through, a slow pan or a fade do not.
STILL_STEP = 3.0
STILL_DRIFT = 4.0
#: ... and the camera moves less than this (frame widths per second, median point speed).
STILL_MOTION = 0.004


def tiny(gray: np.ndarray) -> np.ndarray:
    """The float32 (18, 32) miniature of a gray frame that still detection compares."""
    import cv2

    return cv2.resize(np.asarray(gray, np.float32), TINY_SIZE, interpolation=cv2.INTER_AREA)


def is_still(tinies: list[np.ndarray], motion: float | None = None) -> bool:
    """Whether a shot whose sampled frames have these miniatures (in order) is a still:
    at least two samples, each within ``STILL_STEP`` of the next, the first within
    ``STILL_DRIFT`` of the last (in all but 1 % of the cells), and (when measured) camera
    motion under ``STILL_MOTION``."""
    if len(tinies) < 2 or any(t is None for t in tinies):
        return False
    stack = np.stack([np.asarray(t, np.float32).ravel() for t in tinies])
    steps = np.quantile(np.abs(np.diff(stack, axis=0)), 0.99, axis=1)
    drift = float(np.quantile(np.abs(stack[-1] - stack[0]), 0.99))
    return bool(steps.max() <= STILL_STEP and drift <= STILL_DRIFT
                and (motion is None or motion < STILL_MOTION))


def salient_point(gray: np.ndarray) -> tuple[float, float]:
    """(x, y) in 0…1: the centre of the most salient region of a gray picture, by the
    spectral residual of its log spectrum (Hou & Zhang, CVPR 2007) on a 64×64 miniature,
    smoothed, weighted towards its strongest tenth. A flat picture gives its centre."""
    import cv2

    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    if float(small.std()) < 1e-3:
        return 0.5, 0.5
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), 4.0)
    top = sal >= np.quantile(sal, 0.9)
    weights = np.where(top, sal, 0.0)
    total = float(weights.sum())
    if total <= 0:
        return 0.5, 0.5
    ys, xs = np.mgrid[0:64, 0:64]
    return (round(float((weights * (xs + 0.5)).sum() / total / 64), 4),
            round(float((weights * (ys + 0.5)).sum() / total / 64), 4))
