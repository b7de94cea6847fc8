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
#: What a still "lasts" for the planner: longer than any sentence (a still has no length; its move does).
STILL_SECONDS = 3600.0


@dataclass(frozen=True)
class ShotFeatures:
    """Visual features of one shot, aggregated over a few sampled frames.

    Brightness, colourfulness, sharpness, motion and shake are normalised to roughly
    [0, 1]; camera_dx/dy are the image translation in frame widths per second
    (positive: content moves right/down), camera_zoom the log scale change per second.
    face_size is the largest face's height as a fraction of the frame height;
    face_x/face_y its centre in [0, 1] (None without a face), face_share the share of the
    keyframes that show a face. ``still``: the picture does not change (a photo, or a clip of
    one: ``library/stills.py``); salient_x/salient_y: the centre of its most salient region in
    [0, 1] (None: not measured). colours: share of each named colour (``library/colours.py``);
    sky: share of the top third that is open sky, sky_value its brightness, warm_sky the share
    that is a warm (sunset) sky, top_light how much brighter the top third is than the bottom
    third. body_share: the share of the keyframes that show a whole human figure, body_count the
    most figures in one; point_lights: the median count of small bright points in a dark keyframe
    (``library/detectors.py``; figures are searched beyond the middle keyframe only when it
    shows one); texture: how much the keyframes are one texture filling the frame, 0..1; pattern:
    how strongly their edges repeat side by side (bricks, tiles), 0..1. Shots
    analysed before these were measured have the defaults.
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
    still: bool = False
    salient_x: float | None = None
    salient_y: float | None = None
    face_share: float = 0.0
    colours: dict = field(default_factory=dict)
    sky: float = 0.0
    sky_value: float = 0.0
    warm_sky: float = 0.0
    top_light: float = 0.0
    body_share: float = 0.0
    body_count: int = 0
    point_lights: float = 0.0
    texture: float = 0.0
    pattern: float = 0.0

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
    thumb: bytes = field(repr=False, default=b"")  # int8 16×9 framing thumbnail (library/framing.py)


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
    # (shot i, shot j, similarity): cutting i → j is a jump cut
    jump_pairs: tuple[tuple[int, int, float], ...] = ()


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
    thumbs: np.ndarray | None = None  # int8 (N, 144) framing thumbnails, all zero when unknown
    framing_known: np.ndarray | None = None  # bool (N,): the shot's clip was measured for jump cuts
    framing: FramingPairs | None = None  # jump-cut similarity of shot pairs within a clip, by store id
    # bool (N,): a still picture (any length, shown with a move); None: none is
    still: np.ndarray | None = None
    aspect: np.ndarray | None = None  # float32 (N,): the source picture's width / height (0: unknown)
    salient: np.ndarray | None = None  # float32 (N, 2): centre of its most salient region, NaN when unknown
    # float32 (N, D) unit image vectors of the vision model; zero row: none; D = 0: no model
    image: np.ndarray | None = None
    # float32 (N, D): what the picture shows in the text space (ConSE), 0 rows unknown
    visual: np.ndarray | None = None
    # bool (N,): a person's words (sidecar, file/folder names) describe the shot
    worded: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.shot_ids)

    def lengths(self, rows=slice(None)) -> np.ndarray:
        """Seconds each shot (of ``rows``) can fill: its length, and ``STILL_SECONDS`` for a still."""
        have = np.asarray(self.ends[rows], np.float64) - np.asarray(self.starts[rows], np.float64)
        if self.still is None:
            return have
        return np.where(np.asarray(self.still[rows], bool), STILL_SECONDS, have)

    def subset(self, rows: np.ndarray) -> ShotTable:
        """The table restricted to ``rows`` (in that order)."""
        changes: dict = {f.name: np.asarray(getattr(self, f.name))[rows] for f in fields(self)
                         if isinstance(getattr(self, f.name), np.ndarray)}
        changes["shot_ids"] = [self.shot_ids[i] for i in rows]
        changes["sources"] = [self.sources[i] for i in rows]
        return replace(self, **changes)


@dataclass(frozen=True)
class FramingPairs:
    """Sparse jump-cut similarity between shots of one clip, keyed by store row ids (so a
    table subset keeps it): ``keys`` = pk_from << 32 | pk_to, sorted, with ``values``."""

    keys: np.ndarray  # int64, ascending
    values: np.ndarray  # float32

    @classmethod
    def from_pairs(cls, pairs: list[tuple[int, int, float]]) -> FramingPairs:
        if not pairs:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))
        keys = np.array([(a << 32) | b for a, b, _ in pairs], np.int64)
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], np.array([v for _, _, v in pairs], np.float32)[order])

    def lookup(self, pks_from: np.ndarray, pks_to: np.ndarray) -> np.ndarray:
        """(len(pks_from), len(pks_to)) similarity; 0 for pairs not listed."""
        want = (np.asarray(pks_from, np.int64)[:, None] << 32) | np.asarray(pks_to, np.int64)[None, :]
        if len(self.keys) == 0:
            return np.zeros(want.shape)
        pos = np.minimum(np.searchsorted(self.keys, want), len(self.keys) - 1)
        return np.where(self.keys[pos] == want, self.values[pos], 0.0).astype(np.float64)
