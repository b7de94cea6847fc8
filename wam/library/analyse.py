"""Analyse one clip: decode it once, cut it into shots and compute each shot's features
and keyframes. Runs in worker processes, so it imports cv2/scenedetect but never torch.

clip path → media.decode (cuts + frames) → samples → shots.shot_ranges → features

``shot_keyframes`` decodes the same keyframes again for shots stored already (a new vision
model needs their pictures), without cut detection or features.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from pathlib import Path

import numpy as np

from wam.core.config import IMAGE_EXTENSIONS, MIN_SHOT_SECONDS, MIN_STILL_SIDE
from wam.core.errors import MediaError, one_line
from wam.core.types import AnalysedShot, ClipAnalysis
from wam.library.detectors import keyframe_finds
from wam.library.features import FrameSample, camera_step, frame_stats, shot_features
from wam.library.framing import THUMB_LEN
from wam.library.shots import shot_ranges
from wam.media.decode import decode_pass

#: Seconds between sampled frames.
SAMPLE_INTERVAL = 0.25
#: JPEG quality of stored keyframes.
KEYFRAME_QUALITY = 82


class FrameSampler:
    """Callback for the decode pass: keeps statistics of every n-th frame (n ≈ fps/4),
    each with the camera motion measured from a frame ~80 ms before it."""

    def __init__(self, fps: float, interval: float = SAMPLE_INTERVAL):
        self.fps = fps
        self.stride = max(1, round(fps * interval))
        self.gap = max(1, min(self.stride, round(fps * 0.08)))
        self.samples: list[FrameSample] = []
        self._prev: deque[tuple[int, np.ndarray]] = deque(maxlen=2)

    def __call__(self, n: int, frame: np.ndarray) -> None:
        import cv2

        is_sample = n % self.stride == 0
        is_anchor = (n + self.gap) % self.stride == 0
        if not (is_sample or is_anchor):
            return
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if is_sample:
            step, step_from = None, n
            for m, prev_gray in self._prev:
                if m == n - self.gap:
                    step = camera_step(prev_gray, gray, self.gap / self.fps)
                    step_from = m
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_QUALITY])
            self.samples.append(
                FrameSample(
                    frame=n,
                    stats=frame_stats(frame),
                    step=step,
                    step_from=step_from,
                    faces=None,
                    jpeg=jpeg.tobytes() if ok else None,
                )
            )
        if is_anchor:
            self._prev.append((n, gray))


def analyse_clip(path: str, *, threshold: float = 3.0, min_shot: float = MIN_SHOT_SECONDS,
                 decode_threads: int | None = None) -> ClipAnalysis:
    """Shots with features and keyframes for the clip at ``path``; MediaError if unusable.
    ``decode_threads``: the decoder's threads (1 when several workers decode side by side).
    A picture file (``IMAGE_EXTENSIONS``) is one still shot (``analyse_picture``)."""
    import cv2

    if Path(path).suffix.lower() in IMAGE_EXTENSIONS:
        return analyse_picture(path)

    samplers: list[FrameSampler] = []

    def make_sampler(fps: float) -> FrameSampler:
        samplers.append(FrameSampler(fps))
        return samplers[-1]

    result = decode_pass(path, make_sampler, threshold=threshold, min_scene_seconds=min_shot,
                         threads=decode_threads)
    sampler = samplers[0]
    duration = result.frames / result.fps
    if duration < min_shot:
        raise MediaError(f"too short ({duration:.2f} s; shots need at least {min_shot:g} s)")
    warnings = []
    expected = result.declared_frames
    if expected and result.frames < 0.9 * expected - 2:
        warnings.append(
            f"decoded {duration:.1f} s of a declared "
            f"{expected / result.fps:.1f} s (truncated?); indexed what decodes"
        )
    shots = []
    for a, b in shot_ranges(result.cuts, result.frames, result.fps, min_shot):
        samples = [s for s in sampler.samples if a <= s.frame < b]
        if not samples:  # cannot happen with sampling at 1/4 s and 1/2 s shots, but stay safe
            samples = [min(sampler.samples, key=lambda s: abs(s.frame - (a + b) // 2))]
        # motion measured across the cut belongs to no shot
        samples = [s if s.step_from >= a else _without_step(s) for s in samples]
        by_frame = {s.frame: s for s in samples}
        keys = [by_frame[f] for f in keyframe_frames(list(by_frame), a, b)]
        found: dict[int, FrameSample] = {}
        bodies = True
        for s in keys:  # the middle keyframe first
            if s.jpeg is not None:
                img = cv2.imdecode(np.frombuffer(s.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
                found[s.frame] = _replace(s, **keyframe_finds(img, bodies=bodies))
                bodies = bool(found[s.frame].bodies)
        samples = [found.get(s.frame, s) for s in samples]
        shots.append(
            AnalysedShot(
                index=len(shots),
                start_frame=a,
                end_frame=b,
                start=round(a / result.fps, 6),
                end=round(b / result.fps, 6),
                features=shot_features(samples),
                keyframes=tuple(s.jpeg for s in keys if s.jpeg is not None),
            )
        )
    if not shots:
        raise MediaError(f"no shot of at least {min_shot:g} s")
    shots, pairs = _framing(shots, sampler.samples)
    return ClipAnalysis(
        path=path,
        duration=round(duration, 6),
        fps=result.fps,
        width=result.width,
        height=result.height,
        frames=result.frames,
        shots=tuple(shots),
        warnings=tuple(warnings),
        jump_pairs=tuple(pairs),
    )


def analyse_in_worker(path: str, decode_threads: int | None = None) -> ClipAnalysis | str:
    """Worker entry point (a local worker process or a Ray task): the analysis, or the reason the
    file is unusable (``decode_threads``: 1 when other workers decode beside this one: frame
    threads would only compete for the cores)."""
    try:
        return analyse_clip(path, decode_threads=decode_threads)
    except MediaError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not stop the run
        return f"unexpected {type(exc).__name__}: {one_line(exc)}"


def _framing(shots: list[AnalysedShot], samples: list[FrameSample]):
    """Each shot's framing thumbnail (from its middle keyframe), and which cuts between the
    clip's own shots would be jump cuts (end of one shot against the start of another)."""
    import cv2

    from wam.library.framing import clip_jump_pairs, signature, thumbnail

    def gray(jpeg: bytes | None):
        return None if jpeg is None else cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)

    out, thumbs, first, last = [], [], [], []
    for shot in shots:
        inside = [s for s in samples if shot.start_frame <= s.frame < shot.end_frame and s.jpeg is not None]
        middle = gray(shot.keyframes[0]) if shot.keyframes else (gray(inside[len(inside) // 2].jpeg) if inside
                                                                 else None)
        thumb = thumbnail(middle) if middle is not None else np.zeros(THUMB_LEN, np.int8)
        thumbs.append(thumb)
        out.append(_replace(shot, thumb=thumb.tobytes(), features=_with_salient(shot.features, middle)))
        a = gray(inside[0].jpeg) if inside else middle
        b = gray(inside[-1].jpeg) if inside else middle
        first.append(signature(a) if a is not None else None)
        last.append(signature(b) if b is not None else None)
    if any(x is None for x in first + last):
        return out, []
    return out, clip_jump_pairs(first, last, np.stack(thumbs))


def _with_salient(features, gray):
    """``features`` with the salient point of the shot's middle keyframe (``gray``; None: unknown)."""
    from wam.library.stills import salient_point

    if gray is None:
        return features
    x, y = salient_point(gray)
    return replace(features, salient_x=x, salient_y=y)


def analyse_picture(path: str) -> ClipAnalysis:
    """A picture file as a clip of one still shot, one frame long at the rate ffmpeg gives it
    (the planner shows a still for as long as it likes: ``ShotTable.lengths``)."""
    import cv2

    from wam.library.framing import thumbnail
    from wam.media.decode import decode_picture

    bgr, info = decode_picture(path)
    if min(info.width, info.height) < MIN_STILL_SIDE:
        raise MediaError(f"too small for a still ({info.width}x{info.height}; "
                         f"at least {MIN_STILL_SIDE} pixels a side)")
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_QUALITY])
    sample = FrameSample(frame=0, stats=frame_stats(bgr), step=None, step_from=0,
                         jpeg=jpeg.tobytes() if ok else None, **keyframe_finds(gray))
    features = replace(shot_features([sample]), still=True)
    fps = info.fps if info.fps > 0 else 25.0
    shot = AnalysedShot(index=0, start_frame=0, end_frame=1, start=0.0, end=round(1 / fps, 6),
                        features=_with_salient(features, gray),
                        keyframes=(sample.jpeg,) if sample.jpeg else (), thumb=thumbnail(gray).tobytes())
    return ClipAnalysis(path=path, duration=round(1 / fps, 6), fps=fps, width=info.width, height=info.height,
                        frames=1, shots=(shot,))


def keyframe_frames(frames: list[int], a: int, b: int) -> list[int]:
    """Of the sampled ``frames``, those nearest to the middle, first and last quarter of [a, b)
    (middle first, unique): a shot's keyframes."""
    chosen: list[int] = []
    for frac in (0.5, 0.25, 0.75):
        target = a + (b - a) * frac
        best = min(frames, key=lambda f: (abs(f - target), f))
        if best not in chosen:
            chosen.append(best)
    return chosen


def shot_keyframes(path: str, ranges: list[tuple[int, int]], *, decode_threads: int | None = None
                   ) -> list[tuple[bytes, ...]]:
    """The JPEG keyframes ``analyse_clip`` keeps for each shot [a, b) of the clip at ``path``: the
    same frames, decoded again with no cut detection or features. MediaError if unreadable."""
    import cv2

    from wam.media.ffmpeg_stream import open_stream, probe

    video = open_stream(path, probe(path), threads=decode_threads)
    jpegs: dict[int, bytes] = {}
    try:
        stride = FrameSampler(float(video.frame_rate)).stride
        last = max(b for _, b in ranges) + stride
        n = 0
        while n < last and (frame := video.read()) is not False:
            if n % stride == 0:
                ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_QUALITY])
                if ok:
                    jpegs[n] = jpeg.tobytes()
            n += 1
    finally:
        video.close()
    if not jpegs:
        raise MediaError("no decodable video frames (changed since it was indexed?)")
    out = []
    for a, b in ranges:
        inside = [f for f in jpegs if a <= f < b] or [min(jpegs, key=lambda f: abs(f - (a + b) // 2))]
        out.append(tuple(jpegs[f] for f in keyframe_frames(inside, a, b)))
    return out


def _without_step(s: FrameSample) -> FrameSample:
    return _replace(s, step=None, step_from=s.frame)


def _replace(s, **changes):
    return replace(s, **changes)

