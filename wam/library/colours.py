"""Named colours and open sky of a frame: the measurements behind the colour, light and sky
words of ``library/visual_words.py``.

Pure maths on one small BGR frame (numpy/cv2), called by ``features.frame_stats`` for every
sampled frame of the analysis pass. Each pixel of a 64×36 copy gets one of ``COLOUR_NAMES``
(by hue, saturation and value); the sky is the share of the top third that is smooth and
sky-coloured (blue, or a bright overcast white), with its mean brightness; a smooth warm top
third is a sunset sky.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Colour classes, in a fixed order (their shares are stored per shot under these names).
COLOUR_NAMES = ("black", "grey", "white", "red", "orange", "brown", "yellow", "green", "teal", "blue",
                "purple", "pink")
#: (hue from, hue to) in degrees of the saturated colours; orange darker than BROWN_VALUE is brown.
HUES = {"red": ((0, 15), (345, 361)), "orange": ((15, 45),), "yellow": ((45, 70),), "green": ((70, 160),),
        "teal": ((160, 200),), "blue": ((200, 260),), "purple": ((260, 290),), "pink": ((290, 345),)}
#: Below this value a pixel is black; below this saturation it is grey (or white above WHITE_VALUE).
BLACK_VALUE, GREY_SATURATION, WHITE_VALUE, BROWN_VALUE = 0.2, 0.15, 0.8, 0.55
#: Size the frame is reduced to before classifying its pixels.
SMALL = (64, 36)
#: A sky pixel varies less than this from its neighbours (absolute Laplacian of 0..255 gray).
SKY_SMOOTHNESS = 8.0


@dataclass(frozen=True)
class FrameColours:
    """What one frame shows of colour and sky."""

    shares: np.ndarray  # float32 (len(COLOUR_NAMES),), sums to 1
    sky: float  # share of the top third that looks like open sky
    sky_value: float  # mean brightness (0..1) of those sky pixels (0 without sky)
    warm_sky: float  # share of the top third that is smooth and red, orange, yellow or pink (a sunset sky)
    top_light: float  # mean brightness of the top third minus that of the bottom third (−1..1)


def _hsv(small: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in degrees, saturation and value in 0..1 of a small BGR image."""
    import cv2

    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV_FULL).astype(np.float32)
    return hsv[..., 0] * (360.0 / 256.0), hsv[..., 1] / 255.0, hsv[..., 2] / 255.0


def colour_classes(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Index into COLOUR_NAMES of every pixel, from hue (degrees), saturation and value (0..1)."""
    out = np.full(h.shape, COLOUR_NAMES.index("grey"), np.int64)
    dark = v < BLACK_VALUE
    greyish = ~dark & (s < GREY_SATURATION)
    out[greyish & (v > WHITE_VALUE)] = COLOUR_NAMES.index("white")
    coloured = ~dark & ~greyish
    for name, ranges in HUES.items():
        hit = np.zeros(h.shape, bool)
        for a, b in ranges:
            hit |= (h >= a) & (h < b)
        out[coloured & hit] = COLOUR_NAMES.index(name)
    out[coloured & (out == COLOUR_NAMES.index("orange")) & (v < BROWN_VALUE)] = COLOUR_NAMES.index("brown")
    out[dark] = COLOUR_NAMES.index("black")
    return out


def frame_colours(bgr: np.ndarray) -> FrameColours:
    """Colour shares and open sky of one BGR frame."""
    import cv2

    small = cv2.resize(bgr, SMALL, interpolation=cv2.INTER_AREA)
    h, s, v = _hsv(small)
    classes = colour_classes(h, s, v)
    shares = np.bincount(classes.reshape(-1), minlength=len(COLOUR_NAMES)).astype(np.float32) / classes.size
    top = SMALL[1] // 3
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    smooth = np.abs(cv2.Laplacian(gray, cv2.CV_32F))[:top] < SKY_SMOOTHNESS
    ht, st, vt = h[:top], s[:top], v[:top]
    blue = (ht >= 180) & (ht < 260) & (st > 0.1) & (vt > BLACK_VALUE)
    overcast = (st < 0.12) & (vt > 0.7)
    warm = smooth & ((ht < 60) | (ht >= 300)) & (st > 0.25) & (vt > 0.3)
    sky = smooth & (blue | overcast)
    count = int(sky.sum())
    return FrameColours(shares=shares, sky=count / sky.size,
                        sky_value=float(vt[sky].mean()) if count else 0.0, warm_sky=float(warm.mean()),
                        top_light=float(vt.mean() - v[-top:].mean()))
