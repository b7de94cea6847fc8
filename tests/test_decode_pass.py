"""The decode pass's scene detection (``media/decode.py``): wam's cheaper content score is
PySceneDetect's own to the last bit, so the cuts are those ``scenedetect detect-content`` finds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.media import BLUE, GREEN, RED, write_clip
from wam.media.decode import _content_detector_class, content_score, decode_pass
from wam.media.ffmpeg_stream import open_stream, probe
from wam.media.scenedetect_lib import scenedetect_module

SAMPLE = "library_samples/street/city_traffic.mp4"


def frames_of(path: str, limit: int = 120, threads: int | None = None) -> tuple[float, list[np.ndarray]]:
    video = open_stream(path, probe(path), threads=threads)
    try:
        frames = []
        while len(frames) < limit and (frame := video.read()) is not False:
            frames.append(frame)
        return float(video.frame_rate), frames
    finally:
        video.close()


def test_the_content_score_is_scenedetects_to_the_last_bit():
    import cv2

    sd = scenedetect_module()
    _, frames = frames_of(SAMPLE)
    rng = np.random.default_rng(7)
    frames += [rng.integers(0, 256, frames[0].shape, dtype=np.uint8) for _ in range(3)]
    frames += [np.zeros_like(frames[0]), np.full_like(frames[0], 255)]
    for weights in (sd.ContentDetector.DEFAULT_COMPONENT_WEIGHTS, sd.ContentDetector.LUMA_ONLY_WEIGHTS,
                    sd.ContentDetector.Components(0.5, 2.0, 1.0, 0.0)):
        theirs = sd.ContentDetector(weights=weights)
        scores = [theirs._calculate_frame_score(None, f) for f in frames]
        hsv = [cv2.cvtColor(f, cv2.COLOR_BGR2HSV) for f in frames]
        ours = [0.0] + [content_score(b, a, weights) for a, b in zip(hsv, hsv[1:])]
        assert ours == scores
        assert len(set(scores)) > 10  # the frames differ: the test compares real scores


def test_the_sampling_detector_scores_and_cuts_as_scenedetects_adaptive_detector(tmp_path):
    sd = scenedetect_module()
    clip = write_clip(tmp_path / "cuts.mp4", [(RED, 1.2, 0.3), (GREEN, 1.0), (BLUE, 1.2, -0.2), (RED, 1.0)])
    fps, frames = frames_of(str(clip), limit=1000)
    seen = []
    ours = _content_detector_class()(lambda n, f: seen.append(n), adaptive_threshold=3.0, min_scene_len=12)
    theirs = sd.AdaptiveDetector(adaptive_threshold=3.0, min_scene_len=12)
    cuts_ours, cuts_theirs = [], []
    for n, frame in enumerate(frames):
        tc = sd.FrameTimecode(n, fps)
        cuts_ours += [c.frame_num for c in ours.process_frame(tc, frame)]
        cuts_theirs += [c.frame_num for c in theirs.process_frame(tc, frame)]
        assert ours._frame_score == theirs._frame_score
    assert seen == list(range(len(frames)))
    assert cuts_ours == cuts_theirs and len(cuts_ours) == 3


@pytest.mark.parametrize("path", [SAMPLE, "library_samples/city/night_city_towers.mp4"])
def test_the_decode_pass_finds_scenedetects_cuts(path):
    sd = scenedetect_module()
    fps, frames = frames_of(path, limit=10_000)
    theirs = sd.AdaptiveDetector(adaptive_threshold=3.0, min_scene_len=max(1, round(0.5 * fps)))
    expected = []
    for n, frame in enumerate(frames):
        expected += [c.frame_num for c in theirs.process_frame(sd.FrameTimecode(n, fps), frame)]
    expected += [c.frame_num for c in theirs.post_process(sd.FrameTimecode(len(frames), fps))]
    result = decode_pass(path, lambda fps: (lambda n, f: None))
    assert result.frames == len(frames)
    assert result.cuts == expected and expected


def test_one_decoder_and_scaler_thread_gives_the_same_frames():
    video = open_stream(SAMPLE, probe(SAMPLE), threads=1)
    video.close()
    assert video._proc.args[video._proc.args.index("-filter_threads") + 1] == "1"
    _, one = frames_of(SAMPLE, limit=10_000, threads=1)
    _, own = frames_of(SAMPLE, limit=10_000)
    assert len(one) == len(own) > 50
    assert all(np.array_equal(a, b) for a, b in zip(one, own))
