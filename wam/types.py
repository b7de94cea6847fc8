"""Plain data passed between stages: analysed shots, stored shot tables.

Dataclasses and numpy arrays only; no behaviour that touches files or models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

#: Camera-motion labels, in a fixed order (their index is the stored code).
CAMERA_MOTIONS = ("static", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out")
#: Shot-scale labels, from tightest to widest (their index is the stored code).
SHOT_SCALES = ("close-up", "medium", "wide")


@dataclass(frozen=True)
class ShotFeatures:
    """Visual features of one shot, aggregated over a few sampled frames.

    Brightness, colourfulness, sharpness, motion and shake are normalised to roughly
    [0, 1]; camera_dx/dy are the image translation in frame widths per second
    (positive: content moves right/down), camera_zoom the log scale change per second.
    face_size is the largest face's height as a fraction of the frame height;
    face_x/face_y its centre in [0, 1] (None without a face).
    """

    brightness: float
    colourfulness: float
    sharpness: float
    motion: float
    camera_dx: float
    camera_dy: float
    camera_zoom: float
    camera_motion: str
    shake: float
    face_count: int
    face_size: float
    face_x: float | None
    face_y: float | None
    scale: str
    quality: float
    histogram: np.ndarray = field(repr=False, compare=False)

    def scalars(self) -> dict:
        """Every feature except the histogram, JSON-ready."""
        d = asdict(self)
        d.pop("histogram")
        return d


@dataclass(frozen=True)
class AnalysedShot:
    """One shot of a clip: a half-open frame range [start_frame, end_frame) and its features."""

    index: int
    start_frame: int
    end_frame: int
    start: float
    end: float
    features: ShotFeatures
    keyframes: tuple[bytes, ...] = field(repr=False, default=())  # JPEG images, middle one first


@dataclass(frozen=True)
class ClipAnalysis:
    """What decoding one clip produced (no descriptions or embeddings yet)."""

    path: str
    duration: float
    fps: float
    width: int
    height: int
    frames: int
    shots: tuple[AnalysedShot, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class ShotTable:
    """Every selected shot of the index as columns, for the pure matching/planning stages.

    Row i of every array describes the same shot. Built by the store (``library/columns.py``),
    consumed by candidates/assembler without touching any file; tests build small ones with
    ``tests/tables.py``. Keyword evidence lives apart, in a ``keywords.WordIndex``.
    """

    shot_ids: list[str]
    sources: list[str]
    clip_ids: np.ndarray  # int64 (N,)
    starts: np.ndarray  # float64 (N,) seconds in the source
    ends: np.ndarray  # float64 (N,)
    embeddings: np.ndarray  # float32 (N, D), unit rows
    histograms: np.ndarray  # float32 (N, H), rows sum to 1
    brightness: np.ndarray
    motion: np.ndarray
    camera: np.ndarray  # float32 (N, 3): dx, dy, zoom per second
    camera_motion: np.ndarray  # int8 codes into CAMERA_MOTIONS
    scale: np.ndarray  # int8 codes into SHOT_SCALES
    quality: np.ndarray
    face_centres: np.ndarray  # float32 (N, 2), NaN without a face
    pks: np.ndarray | None = None  # int64 store row ids, ascending (None outside the store)

    def __len__(self) -> int:
        return len(self.shot_ids)

    def subset(self, rows: np.ndarray) -> "ShotTable":
        """The table restricted to ``rows`` (in that order)."""
        changes: dict = {f.name: np.asarray(getattr(self, f.name))[rows] for f in fields(self)
                         if isinstance(getattr(self, f.name), np.ndarray)}
        changes["shot_ids"] = [self.shot_ids[i] for i in rows]
        changes["sources"] = [self.sources[i] for i in rows]
        return replace(self, **changes)
