"""The stored descriptions of shots: reading them back (to re-describe or re-embed a clip,
and for ``wam describe``) and rewriting them, and their layout in the ``shots`` table. A
part of ``Store`` (``library/store.py``), kept apart to keep each file small."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import numpy as np

from wam.core.sql import select_in, transaction
from wam.library.describe import ShotDescription


@dataclass(frozen=True)
class ShotText:
    """A stored shot's description parts (for re-embedding and re-describing)."""

    pk: int
    clip_id: int
    shot_id: str
    description: ShotDescription


class ShotRows:
    """Shot description reads and writes of a ``Store`` (which provides ``conn``, ``_bump``,
    ``_check_model`` and ``_write_words``)."""

    conn: sqlite3.Connection

    def shot_texts(self, clip_id: int | None = None) -> list[ShotText]:
        """Description parts of every shot (of one clip, or of the whole index)."""
        sql = "SELECT id, clip_id, shot_id, desc_human, desc_names, labels, visual_words FROM shots"
        args: tuple = ()
        if clip_id is not None:
            sql += " WHERE clip_id=?"
            args = (clip_id,)
        rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [ShotText(pk=r[0], clip_id=r[1], shot_id=r[2], description=description_from_columns(*r[3:7]))
                for r in rows]

    def clip_shots(self, path: str) -> list[tuple]:
        """Every shot of the clip at ``path`` (none if it is not indexed), in order: (shot_id,
        start, end, labels JSON, visual words JSON, concepts JSON, visual blob, description, tagger)."""
        return self.conn.execute(
            """SELECT s.shot_id, s.start, s."end", s.labels, s.visual_words, s.concepts, s.visual,
                      s.description, c.tagger
               FROM shots s JOIN clips c ON s.clip_id = c.id WHERE c.path = ? ORDER BY s.idx""",
            (path,)).fetchall()

    def shot_concepts(self, pks: list[int]) -> list[list[tuple[int, float]]]:
        """The stored ConSE class weights of the shots ``pks`` (in that order)."""
        found = dict(select_in(self.conn, "SELECT id, concepts FROM shots WHERE id IN ({keys})", pks))
        return [[(int(c), float(w)) for c, w in json.loads(found.get(pk, "[]"))] for pk in pks]

    def update_descriptions(
        self, clip_id: int, texts: list[ShotText], embeddings: np.ndarray, model: str, *,
        sidecar_sig: str | None = None
    ) -> None:
        """Store new descriptions/embeddings for existing shots of one clip, in one transaction."""
        with transaction(self.conn):
            self._check_model(model, embeddings.shape[1])
            for t, vec in zip(texts, embeddings):
                d = t.description
                self.conn.execute(
                    "UPDATE shots SET desc_human=?, desc_names=?, labels=?, description=?, visual_words=?, "
                    "embedding=? WHERE id=?",
                    (*description_columns(d), np.asarray(vec, np.float32).tobytes(), t.pk),
                )
                self._write_words(t.pk, d)
            self._bump()
            if sidecar_sig is not None:
                self.conn.execute("UPDATE clips SET sidecar_sig=? WHERE id=?", (sidecar_sig, clip_id))


def description_columns(d: ShotDescription) -> tuple[str, str, str, str, str]:
    """A description as the shots table stores it: desc_human, desc_names, labels (JSON), description,
    visual_words (JSON)."""
    return (d.human, json.dumps(list(d.names)), json.dumps([list(x) for x in d.labels]), d.text(),
            json.dumps([list(x) for x in d.seen]))


def description_from_columns(human: str, names: str, labels: str, seen: str = "[]") -> ShotDescription:
    return ShotDescription(human=human, names=tuple(json.loads(names)),
                           labels=tuple((a, b) for a, b in json.loads(labels)),
                           seen=tuple((a, b) for a, b in json.loads(seen)))
