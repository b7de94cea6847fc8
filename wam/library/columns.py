"""The column table: every stored shot as numpy columns (a ``ShotTable``), each row's
library and the keyword postings, built from the store's rows and cached as ``.npy`` files
in ``WAM_HOME/cache``, so that planning over 100k shots memory-maps arrays instead of
parsing rows.

store rows → ``build_columns`` → ``IndexColumns`` ⇄ ``save_columns`` / ``load_columns``.
No SQL here: the store runs the queries and hands over their rows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wam.core.types import CAMERA_MOTIONS, SHOT_SCALES, FramingPairs, ShotTable
from wam.library.features import HIST_SIZE
from wam.library.framing import THUMB_LEN
from wam.library.schema import FRAMING_ANALYSIS
from wam.text.keywords import Postings, WordIndex
from wam.text.visual_match import clip_pooled

#: Layout version of the column cache (bump when its files change; v6: the visual column
#: holds clip-pooled vectors, ``visual_match.clip_pooled``).
CACHE_FORMAT = "v6"

#: ShotTable arrays stored in the cache, one .npy file each.
TABLE_ARRAYS = ("pks", "clip_ids", "starts", "ends", "embeddings", "histograms", "brightness", "motion",
                "camera", "camera_motion", "scale", "quality", "face_centres", "thumbs", "framing_known",
                "still", "aspect", "salient", "image", "visual", "worded")


@dataclass(frozen=True)
class IndexColumns:
    """The whole index as columns, for one generation of the store (it changes on every write)."""

    generation: str
    table: ShotTable  # every shot, ordered by store row id
    library_ids: np.ndarray  # int64: the library of each row
    postings: Postings  # keyword postings over the rows of ``table``

    def select(self, library_ids: list[int] | None) -> ShotTable:
        """The shots of the given libraries (None: all), in store order."""
        if library_ids is None:
            return self.table
        mask = np.isin(self.library_ids, np.asarray(library_ids, np.int64))
        return self.table.subset(np.nonzero(mask)[0])

    def word_index(self, words: list[str], table: ShotTable) -> WordIndex:
        """Keyword postings of ``words`` as a WordIndex over the rows of ``table`` (a ``select`` result)."""
        full = self.table
        human: dict[str, np.ndarray] = {}
        machine: dict[str, np.ndarray] = {}
        same = len(table) == len(full)
        for w in words:
            for is_human, out in ((True, human), (False, machine)):
                rows = self.postings.rows(w, is_human)
                if len(rows) == 0:
                    continue
                if not same:  # a library subset: full rows → pks → subset rows
                    pk = full.pks[rows]
                    pos = np.searchsorted(table.pks, pk)
                    ok = (pos < len(table.pks)) & (table.pks[np.minimum(pos, len(table.pks) - 1)] == pk)
                    rows = pos[ok]
                if len(rows):
                    out[w] = np.asarray(rows, np.int64)
        return WordIndex(human=human, machine=machine, size=len(table))


def build_columns(rows: list, postings: list, *, dim: int, generation: str, pairs: list = (),
                  images: list = ()) -> IndexColumns:
    """The columns from the store's rows.

    ``rows``: (pk, shot_id, path, clip_id, library_id, start, end, embedding blob, histogram
    blob, features JSON, thumbnail blob, clip analysis version, clip width, clip height, visual
    vector blob, human description, name words JSON) per shot, ordered by pk;
    ``postings``: (word, pk, human) sorted by word; ``pairs``: (pk from, pk to, similarity)
    of the jump-cut pairs within clips; ``images``: (pk, vector blob) of the shots that have an
    image vector from the index's vision model, by pk (the others get a zero row).
    """
    n = len(rows)
    emb = np.zeros((n, dim), np.float32)
    hist = np.zeros((n, HIST_SIZE), np.float32)
    brightness = np.zeros(n, np.float32)
    motion = np.zeros(n, np.float32)
    camera = np.zeros((n, 3), np.float32)
    cam_code = np.zeros(n, np.int8)
    scale = np.zeros(n, np.int8)
    quality = np.zeros(n, np.float32)
    faces = np.full((n, 2), np.nan, np.float32)
    thumbs = np.zeros((n, THUMB_LEN), np.int8)
    known = np.zeros(n, bool)
    still = np.zeros(n, bool)
    aspect = np.zeros(n, np.float32)
    salient = np.full((n, 2), np.nan, np.float32)
    visual = np.zeros((n, dim), np.float32)
    worded = np.zeros(n, bool)
    for i, r in enumerate(rows):
        if r[14] is not None and dim and len(r[14]) == 4 * dim:
            visual[i] = np.frombuffer(r[14], np.float32)
        worded[i] = bool((r[15] or "").strip()) or json.loads(r[16] or "[]") != []
        if r[10] is not None and len(r[10]) == THUMB_LEN:
            thumbs[i] = np.frombuffer(r[10], np.int8)
        known[i] = (r[11] or 0) >= FRAMING_ANALYSIS
        if r[12] and r[13]:
            aspect[i] = r[12] / r[13]
        if r[7] is not None and dim:
            emb[i] = np.frombuffer(r[7], np.float32)
        hist[i] = np.frombuffer(r[8], np.float32)
        f = json.loads(r[9])
        brightness[i] = f["brightness"]
        motion[i] = f["motion"]
        camera[i] = (f["camera_dx"], f["camera_dy"], f["camera_zoom"])
        cam_code[i] = CAMERA_MOTIONS.index(f["camera_motion"])
        scale[i] = SHOT_SCALES.index(f["scale"])
        quality[i] = f["quality"]
        if f.get("face_x") is not None:
            faces[i] = (f["face_x"], f["face_y"])
        still[i] = bool(f.get("still"))
        if f.get("salient_x") is not None:
            salient[i] = (f["salient_x"], f["salient_y"])
    table = ShotTable(
        shot_ids=[r[1] for r in rows],
        sources=[r[2] for r in rows],
        clip_ids=np.array([r[3] for r in rows], np.int64),
        starts=np.array([r[5] for r in rows], np.float64),
        ends=np.array([r[6] for r in rows], np.float64),
        embeddings=emb,
        histograms=hist,
        brightness=brightness,
        motion=motion,
        camera=camera,
        camera_motion=cam_code,
        scale=scale,
        quality=quality,
        face_centres=faces,
        pks=np.array([r[0] for r in rows], np.int64),
        thumbs=thumbs,
        framing_known=known,
        still=still,
        aspect=aspect,
        salient=salient,
        framing=FramingPairs.from_pairs([(int(a), int(b), float(v)) for a, b, v in pairs]),
        image=_image_column(images, [r[0] for r in rows]),
        visual=clip_pooled(visual, np.array([r[3] for r in rows], np.int64)),
        worded=worded,
    )
    return IndexColumns(generation, table, np.array([r[4] for r in rows], np.int64),
                        Postings.from_rows(postings, table.pks))


def _image_column(images: list, pks: list[int]) -> np.ndarray:
    """(len(pks), D) float32 image vectors in the order of ``pks`` (D = 0 without any)."""
    dim = len(images[0][1]) // 4 if images else 0
    out = np.zeros((len(pks), dim), np.float32)
    if dim:
        row_of = {pk: i for i, pk in enumerate(pks)}
        for pk, blob in images:
            if pk in row_of and len(blob) == 4 * dim:
                out[row_of[pk]] = np.frombuffer(blob, np.float32)
    return out


def _cache_name(generation: str) -> str:
    return f"table-{CACHE_FORMAT}-{generation}"


def save_columns(folder: Path, columns: IndexColumns) -> None:
    """Write the cache atomically (temp folder renamed into place) and drop older generations.

    The cache is an optimisation: any OSError (read-only home, full disk) is ignored.
    """
    name = _cache_name(columns.generation)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
        table = columns.table
        for field_name in TABLE_ARRAYS:
            np.save(tmp / f"{field_name}.npy", np.ascontiguousarray(getattr(table, field_name)),
                    allow_pickle=False)
        np.save(tmp / "library_ids.npy", columns.library_ids, allow_pickle=False)
        np.save(tmp / "framing_keys.npy", table.framing.keys, allow_pickle=False)
        np.save(tmp / "framing_values.npy", table.framing.values, allow_pickle=False)
        for part in Postings.ARRAYS:
            np.save(tmp / f"words_{part}.npy", getattr(columns.postings, part), allow_pickle=False)
        (tmp / "strings.json").write_text(
            json.dumps({"shot_ids": table.shot_ids, "sources": table.sources,
                        "vocab": list(columns.postings.vocab)})
        )
        target = folder / name
        if target.exists() and load_columns(folder, columns.generation) is None:
            shutil.rmtree(target, ignore_errors=True)  # an unusable leftover (crash, older format)
        try:
            os.replace(tmp, target)
        except OSError:  # another process wrote the same generation first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.iterdir():
            if old.name != name and old.name.startswith(("table-", ".table-")):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def load_columns(folder: Path, generation: str) -> IndexColumns | None:
    """The cached columns of ``generation`` (memory-mapped), or None if absent or unusable."""
    path = folder / _cache_name(generation)
    if not (path / "strings.json").exists():
        return None
    try:
        # plain arrays over the mapped files: numpy's memmap class costs microseconds per indexing,
        # and the planner indexes columns millions of times in a long story
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                  for name in TABLE_ARRAYS}
        libs = np.load(path / "library_ids.npy", allow_pickle=False)
        framing = FramingPairs(np.load(path / "framing_keys.npy", allow_pickle=False),
                               np.load(path / "framing_values.npy", allow_pickle=False))
        parts = {p: np.load(path / f"words_{p}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                 for p in Postings.ARRAYS}
        strings = json.loads((path / "strings.json").read_text())
        table = ShotTable(shot_ids=strings["shot_ids"], sources=strings["sources"], framing=framing, **arrays)
        postings = Postings(vocab={w: i for i, w in enumerate(strings["vocab"])}, **parts)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return IndexColumns(generation, table, libs, postings)
