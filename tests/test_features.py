import numpy as np
import pytest

from media import texture
from wam.library.features import (
    HIST_SIZE,
    FrameSample,
    camera_motion_label,
    camera_step,
    frame_stats,
    quality_score,
    shot_features,
    shot_scale,
)


def test_frame_stats_black_and_white():
    black = frame_stats(np.zeros((90, 160, 3), np.uint8))
    white = frame_stats(np.full((90, 160, 3), 255, np.uint8))
    assert black.brightness == 0 and white.brightness == 1
    assert black.clipped == 1 and white.clipped == 1
    assert black.histogram.shape == (HIST_SIZE,) and abs(black.histogram.sum() - 1) < 1e-5
    assert black.sharpness < 0.01


def test_colourfulness_and_sharpness_order():
    grey = np.full((90, 160, 3), 128, np.uint8)
    colour = grey.copy()
    colour[:, :80] = (0, 0, 255)
    colour[:, 80:] = (255, 0, 0)
    assert frame_stats(colour).colourfulness > frame_stats(grey).colourfulness + 0.3
    import cv2

    tex = texture(90, 160, 1, (200, 200, 200))
    blurred = cv2.GaussianBlur(tex, (0, 0), 4)
    assert frame_stats(tex).sharpness > frame_stats(blurred).sharpness


def _gray(img):
    import cv2

    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def test_camera_step_measures_pan_direction():
    tex = texture(120, 400, 3, (255, 255, 255))
    a, b = tex[:, 100:260], tex[:, 104:264]  # view moves right → content moves left → camera pans right
    step = camera_step(_gray(a), _gray(b), 0.1)
    assert step is not None
    assert step.dx == pytest.approx(-4 / 160 / 0.1, rel=0.15)
    assert abs(step.dy) < 0.05 and abs(step.zoom) < 0.05
    assert camera_motion_label(step.dx, step.dy, step.zoom) == "pan_right"


def test_camera_step_measures_zoom():
    import cv2

    tex = texture(200, 200, 4, (255, 255, 255))
    a = tex[40:160, 40:160]
    b = cv2.resize(tex[44:156, 44:156], (120, 120), interpolation=cv2.INTER_AREA)  # content grows: zoom in
    step = camera_step(_gray(a), _gray(b), 0.1)
    assert step is not None and step.zoom > 0.3
    assert camera_motion_label(step.dx, step.dy, step.zoom) == "zoom_in"


def test_camera_step_untrackable_is_none():
    flat = np.full((90, 160), 100, np.uint8)
    assert camera_step(flat, flat, 0.1) is None


@pytest.mark.parametrize(
    "dx,dy,zoom,label",
    [(0, 0, 0, "static"), (0.2, 0, 0, "pan_left"), (-0.2, 0, 0, "pan_right"), (0, 0.2, 0, "tilt_up"),
     (0, -0.2, 0, "tilt_down"), (0, 0, 0.2, "zoom_in"), (0, 0, -0.2, "zoom_out"),
     (0.01, 0.01, 0.0, "static")],
)
def test_camera_motion_label(dx, dy, zoom, label):
    assert camera_motion_label(dx, dy, zoom) == label


def test_shot_scale_and_quality():
    assert [shot_scale(x) for x in (0.0, 0.1, 0.4)] == ["wide", "medium", "close-up"]
    good = quality_score(0.9, 0.5, 0.0, 0.0)
    assert good == pytest.approx(1.0)
    assert quality_score(0.05, 0.5, 0, 0) < good
    assert quality_score(0.9, 0.02, 0.9, 0) < good
    assert quality_score(0.9, 0.5, 0, 1.0) < good


def test_shot_features_aggregate():
    tex = texture(90, 160, 5, (100, 150, 200))
    st = frame_stats(tex)
    samples = [FrameSample(frame=i, stats=st, step=None, step_from=i,
                           faces=((0.5, 0.4, 0.3),) if i == 1 else None, jpeg=None)
               for i in range(3)]
    f = shot_features(samples)
    assert f.face_count == 1 and f.scale == "close-up" and f.face_x == 0.5
    assert f.camera_motion == "static" and f.motion == 0
    assert abs(float(f.histogram.sum()) - 1) < 1e-5
    with pytest.raises(ValueError):
        shot_features([])
