"""What is found in one keyframe: faces, people's bodies, point lights (stars), a texture
filling the frame and a regular pattern, all of them at once by ``keyframe_finds``.
Run by the analysis pass (``library/analyse.py``) on each shot's keyframes only, on the small
analysis frame (320 pixels wide); aggregated per shot by ``features.shot_features`` and read
by the visual-word rules (``library/visual_words.py``). Pure functions of a gray uint8 array;
cv2 is imported inside them (the cascades ship with opencv-python, in ``cv2.data``).

* ``faces_in``: frontal faces (Haar), for person / portrait / close-up and the shot scale.
* ``bodies_in``: whole standing or walking figures (Haar full body, 14 × 28 pixels and up), so
  that people too small or too far for a face — a square seen from a window — are seen.
* ``point_lights_in``: small bright points standing out from their surroundings (a white
  top-hat), counted; with a mostly black picture they are a starry sky.
* ``texture_in``: how much the picture is one texture filling the frame — edges as dense and
  light as even in every part of it (a wall of bricks, a lawn seen close, gravel), with no
  subject standing out.
* ``pattern_in``: how strongly the picture's edges repeat at a distance (the autocorrelation
  of the edge strength, away from its central peak): bricks or tiles in a wall, a grid, and
  also the lines of a page of text.
"""

from __future__ import annotations

import numpy as np

from wam.library.visual_words import ramp

_CASCADES: dict[str, object] = {}

#: Width the picture is scaled to for ``pattern_in`` (bricks 8 pixels wide still repeat).
PATTERN_WIDTH = 160
#: A face cut by the frame's edge is searched in the frame extended by this share of its height
#: above and below (half as much of its width on either side).
CUT_FACE_PAD = 1 / 3
#: Smallest body, in pixels of the analysis frame (the full-body cascade's window).
BODY_MIN = (14, 28)
#: A point light: a bright spot this much brighter (0–255) than its neighbourhood, covering at
#: most this share of the frame.
POINT_CONTRAST = 40
POINT_MAX_AREA = 0.002
#: Point lights are counted in a picture at least this share of which is darker than this.
DARK_SHARE = 0.5
DARK_LEVEL = 60
#: A texture: over a 4 × 4 grid of tiles, the share of edge pixels (Sobel magnitude above
#: ``EDGE_LEVEL``) varies by at most ≈ 12 % of its mean and the brightness by ≈ 5 %, and at
#: least ≈ 20 % of the pixels are edges (the ramps of ``texture_in``).
EDGE_LEVEL = 40
TILES = 4


def _cascade(name: str):
    import cv2

    if name not in _CASCADES:
        _CASCADES[name] = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    return _CASCADES[name]


def _normalised(found, w: int, h: int) -> tuple[tuple[float, float, float], ...]:
    boxes = np.asarray(found).reshape(-1, 4)
    return tuple(((x + fw / 2) / w, (y + fh / 2) / h, fh / h) for (x, y, fw, fh) in boxes)


def faces_in(gray: np.ndarray) -> tuple[tuple[float, float, float], ...]:
    """Frontal faces in a gray frame as (centre x, centre y, height), normalised to the frame
    (clamped to it). When none is found, a face at least a third of the frame's shorter side is
    searched again in the frame extended by its own edge pixels (``CUT_FACE_PAD``): a close-up
    whose forehead or chin the frame cuts off (a selfie, upright or not; a portrait's close-up),
    which the cascade misses when its window cannot cover the whole face. A frame too small for
    that face to be larger than the smallest one searched first is not searched again."""
    import cv2

    h, w = gray.shape[:2]
    min_side = max(12, h // 12)
    cascade = _cascade("haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(gray, scaleFactor=1.2, minNeighbors=5, minSize=(min_side, min_side))
    big_side = min(h, w) // 3
    if len(found) == 0 and big_side > min_side:
        py, px = round(h * CUT_FACE_PAD), round(w * CUT_FACE_PAD / 2)
        padded = cv2.copyMakeBorder(gray, py, py, px, px, cv2.BORDER_REPLICATE)
        big = cascade.detectMultiScale(padded, scaleFactor=1.2, minNeighbors=5, minSize=(big_side, big_side))
        found = [(x - px, y - py, fw, fh) for (x, y, fw, fh) in np.asarray(big).reshape(-1, 4)]
    return tuple((min(1.0, max(0.0, cx)), min(1.0, max(0.0, cy)), min(1.0, fh))
                 for cx, cy, fh in _normalised(found, w, h))


def bodies_in(gray: np.ndarray) -> tuple[tuple[float, float, float], ...]:
    """Whole human figures in a gray frame as (centre x, centre y, height), normalised to the
    frame. Two neighbouring detections are required, and the pyramid steps by 1.2: on the
    sample clips (12 frames each) this finds the walkers of the campus square in 11 of its
    frames, a figure in 2 frames of the parked bicycles and nothing in any other clip or in
    scikit-image's photographs — one detection says little, most keyframes of a shot do
    (``visual_words.scene_words``)."""
    h, w = gray.shape[:2]
    if h < 2 * BODY_MIN[1] or w < 2 * BODY_MIN[0]:
        return ()
    found = _cascade("haarcascade_fullbody.xml").detectMultiScale(
        gray, scaleFactor=1.2, minNeighbors=2, minSize=BODY_MIN)
    return _normalised(found, w, h)


def point_lights_in(gray: np.ndarray) -> int:
    """How many small bright points stand out from their surroundings (white top-hat over a
    5-pixel disc, at least ``POINT_CONTRAST`` brighter, each at most ``POINT_MAX_AREA`` of the
    frame), counted only in a mostly dark picture (at least ``DARK_SHARE`` of it below
    ``DARK_LEVEL``; 0 otherwise): textures have hundreds too, and only on a black picture are
    they a starry sky (``visual_words.scene_words``)."""
    import cv2

    if gray.size == 0 or float((gray < DARK_LEVEL).mean()) < DARK_SHARE:
        return 0
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    top = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, disc)
    n, _, stats, _ = cv2.connectedComponentsWithStats((top > POINT_CONTRAST).astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int((areas <= POINT_MAX_AREA * gray.size).sum())


def texture_in(gray: np.ndarray) -> float:
    """0..1: the picture is one texture filling the frame. Measured over ``TILES`` × ``TILES``
    tiles: the edge density (share of pixels whose Sobel gradient exceeds ``EDGE_LEVEL``) is high
    and even across tiles, and so is the brightness. On the sample clips and scikit-image's
    photographs: 1 for the brick wall, the grass, gravel and a chessboard; 0 for every picture
    with a subject (a cat's eye, a face, a cup, a rocket, a street, coins on a cloth)."""
    import cv2

    h, w = gray.shape[:2]
    th, tw = h // TILES, w // TILES
    if th < 4 or tw < 4:
        return 0.0
    g = gray[: th * TILES, : tw * TILES].astype(np.float32)
    magnitude = cv2.magnitude(*_gradients(g))

    def tiles(a: np.ndarray) -> np.ndarray:
        return a.reshape(TILES, th, TILES, tw).mean(axis=(1, 3))

    density = tiles((magnitude > EDGE_LEVEL).astype(np.float32))
    light = tiles(g)
    spread = float(density.std() / max(float(density.mean()), 1e-6))
    light_spread = float(light.std() / max(float(light.mean()), 1e-6))
    even = ramp(spread, 0.25, 0.12) * ramp(light_spread, 0.12, 0.05)
    return round(even * ramp(float(density.mean()), 0.1, 0.2), 4)


def _gradients(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    return cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)


def _repeat(edges: np.ndarray, window: np.ndarray) -> float:
    """How strongly an edge map repeats at a distance (``pattern_in``): its autocorrelation
    (``window``-ed, 1 at no shift) read at each shift outside the region of positive
    correlation around no shift and at twice that shift, the highest of the lower of the two."""
    import cv2

    h, w = edges.shape
    power = np.abs(np.fft.rfft2((edges - float(edges.mean())) * window)) ** 2
    corr = np.fft.fftshift(np.fft.irfft2(power, s=(h, w)))
    cy, cx = h // 2, w // 2
    peak = float(corr[cy, cx])
    if peak <= 0:
        return 0.0
    corr /= peak
    _, labels = cv2.connectedComponents((corr > 0).astype(np.uint8))
    dy, dx = np.mgrid[1 - h // 4 : h // 4, 1 - w // 4 : w // 4]  # twice the shift stays inside
    away = labels[cy + dy, cx + dx] != labels[cy, cx]
    if not away.any():
        return 0.0
    twice = np.minimum(corr[cy + dy, cx + dx], corr[cy + 2 * dy, cx + 2 * dx])
    return max(0.0, float(twice[away].max()))


def pattern_in(gray: np.ndarray) -> float:
    """0..1: how strongly the picture's edges repeat side by side (``_repeat``). The region of
    positive correlation around no shift takes in the ridge a long straight edge makes along
    itself, and the doubled shift leaves out one pair of parallel edges (an object's two sides),
    so only a shape repeated at least three times counts. The edge strength is read as a whole
    (staggered bricks), and its vertical and horizontal edges apart, both of which must repeat
    (a grid of tiles, whose joints link every repeat to the central ridge in the whole). The
    brick wall of the sample clips measures 0.16 – 0.44 as the camera comes close, drawn tiles,
    bricks and stripes 0.5 – 0.9, a chessboard 0.66, a page of text 0.2 – 0.3 (it is a regular
    pattern too); every other sample clip and scikit-image photograph at most 0.07 (the
    galaxies and coins in rows). Measured on the frame scaled to ``PATTERN_WIDTH`` (the same
    figures as on the whole analysis frame, at a third of the cost); frames below 16 pixels a
    side give 0."""
    import cv2

    h, w = gray.shape[:2]
    if w > PATTERN_WIDTH:
        h, w = max(1, round(h * PATTERN_WIDTH / w)), PATTERN_WIDTH
        gray = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA)
    if h < 16 or w < 16:
        return 0.0
    gx, gy = _gradients(gray.astype(np.float32))
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)  # one for the three maps
    grid = min(_repeat(np.abs(gx), window), _repeat(np.abs(gy), window))
    return round(max(_repeat(cv2.magnitude(gx, gy), window), grid), 4)


def keyframe_finds(gray: np.ndarray, *, bodies: bool = True) -> dict:
    """What the detectors find in one gray keyframe, as ``FrameSample`` fields. ``bodies=False``:
    figures are not searched (``None``): a shot's other keyframes are searched only when its
    middle one shows a figure, which most shots do not (the search costs about as much as the
    faces')."""
    return {"faces": faces_in(gray), "bodies": bodies_in(gray) if bodies else None,
            "point_lights": point_lights_in(gray), "texture": texture_in(gray), "pattern": pattern_in(gray)}
