"""Image vectors in the index (``wam index --vision``): which vision model the index uses (the
``vision`` meta entry, a ``VisionInfo``) and, per shot, the unit vector of its keyframes from
that model (table ``shot_vision``, keyed by the model's identity, float32 blobs).

Part of ``library/store.py``'s ``Store`` (a mixin over its connection). The vectors of a clip
are written in the transaction that writes the clip, or, when the model changes, one
transaction per clip (an interrupted run keeps what it embedded); vectors of a model no longer
in use are dropped when a run completes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from wam.core.errors import StoreError
from wam.core.sql import transaction
from wam.text.embed.vision import VisionInfo


@dataclass(frozen=True)
class ClipShots:
    """A stored clip's shots that lack an image vector: store ids and frame ranges."""

    clip_id: int
    path: str
    pks: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]  # [start_frame, end_frame) per shot


class ImageVectors:
    """The image-vector part of the store (needs ``self.conn``, ``meta`` and ``_bump``)."""

    conn: sqlite3.Connection

    @property
    def vision(self) -> VisionInfo | None:
        """The vision model the index's image vectors come from (None: none)."""
        text = self.meta("vision")
        return VisionInfo.from_json(text) if text else None

    def set_vision(self, info: VisionInfo | None) -> None:
        """Use model ``info`` from now on (None: no vision model; every image vector is dropped).
        The column table changes only when the model's identity does."""
        before = self.vision
        with transaction(self.conn):
            if info is None:
                self.conn.execute("DELETE FROM meta WHERE key='vision'")
                self.conn.execute("DELETE FROM shot_vision")
            else:
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vision', ?)",
                                  (info.to_json(),))
            if (before and before.identity) != (info and info.identity):
                self._bump()

    def _insert_image_vectors(self, identity: str, pks: list[int], vectors: np.ndarray) -> None:
        """Store one vector per shot (inside the caller's transaction); ``identity`` must be the index's."""
        current = self.vision
        if current is None or current.identity != identity:
            raise StoreError(f"the index's vision model is {current and current.name!r}, not the one the "
                             "image vectors come from; run `wam index DIR --vision MODEL` again")
        if len(pks) != len(vectors):
            raise ValueError("one image vector per shot")
        self.conn.executemany("INSERT OR REPLACE INTO shot_vision(shot_pk, model, vector) VALUES (?, ?, ?)",
                              [(pk, identity, np.asarray(v, np.float32).tobytes())
                               for pk, v in zip(pks, vectors)])

    def save_image_vectors(self, identity: str, pks: list[int], vectors: np.ndarray) -> None:
        """Image vectors of existing shots (one clip's), in one transaction."""
        with transaction(self.conn):
            self._insert_image_vectors(identity, pks, vectors)
            self._bump()

    def shots_without_image(self, identity: str) -> list[ClipShots]:
        """Per clip (in path order), the stored shots with no vector from model ``identity``."""
        rows = self.conn.execute(
            """SELECT c.id, c.path, s.id, s.start_frame, s.end_frame
               FROM shots s JOIN clips c ON s.clip_id = c.id
               WHERE NOT EXISTS (SELECT 1 FROM shot_vision v WHERE v.model = ? AND v.shot_pk = s.id)
               ORDER BY c.path, s.idx""", (identity,)).fetchall()
        out: list[ClipShots] = []
        for clip_id, path, pk, a, b in rows:
            if not out or out[-1].clip_id != clip_id:
                out.append(ClipShots(clip_id, path, (), ()))
            last = out[-1]
            out[-1] = ClipShots(clip_id, path, last.pks + (pk,), last.ranges + ((a, b),))
        return out

    def drop_other_image_vectors(self, identity: str) -> int:
        """Forget the vectors of every model but ``identity``; how many were dropped."""
        with transaction(self.conn):
            return self.conn.execute("DELETE FROM shot_vision WHERE model != ?", (identity,)).rowcount

    def image_rows(self, identity: str) -> list[tuple[int, bytes]]:
        """(shot store id, vector blob) of model ``identity``, by store id."""
        return self.conn.execute("SELECT shot_pk, vector FROM shot_vision WHERE model = ? ORDER BY shot_pk",
                                 (identity,)).fetchall()

    def image_count(self) -> int:
        """Shots with a vector from the index's vision model."""
        info = self.vision
        if info is None:
            return 0
        return int(self.conn.execute("SELECT COUNT(*) FROM shot_vision WHERE model = ?",
                                     (info.identity,)).fetchone()[0])
