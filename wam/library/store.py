"""The index store: one SQLite database in ``$WAM_HOME`` holding libraries, clips, shots,
their features, descriptions, keyword postings and embeddings (float32 blobs; no pickle).

WAL journal, one transaction per clip (an interrupted run loses at most the clip in
progress), an exclusive lock file for writers so two ``wam index`` runs cannot interleave.
Readers (search, plan) never take the lock; they get the shots as columns
(``library/columns.py``, cached on disk per store generation).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wam.core.config import INDEX_FILENAME, wam_home
from wam.core.errors import LibraryNotIndexedError, StoreError
from wam.core.sql import select_in, transaction
from wam.core.types import ClipAnalysis, ShotTable
from wam.library.columns import IndexColumns, build_columns, load_columns, save_columns
from wam.library.describe import ShotDescription
from wam.library.failures import FailureRecords
from wam.library.imagestore import ImageVectors
from wam.library.lock import IndexLock
from wam.library.schema import ANALYSIS_VERSION, connect, connect_empty, connect_readonly
from wam.library.shot_rows import ShotRows, ShotText, description_columns
from wam.text.keywords import WordIndex

#: The columns of ``ClipRow``, in order.
_CLIP_COLUMNS = ("id, library_id, path, size, mtime_ns, content_hash, sidecar_sig, analysis, indexed_at, "
                 "tagger")


@dataclass(frozen=True)
class ClipRow:
    id: int
    library_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    sidecar_sig: str
    analysis: int = ANALYSIS_VERSION  # version of the analysis that produced its shots
    # when its file was last found to hold content_hash (a change after it is noticed)
    checked_at: float | None = None
    tagger: str = "lite0"  # the image tagger that looked at its keyframes


class Store(FailureRecords, ShotRows, ImageVectors):
    """The SQLite index. Open with ``Store.open()``; use as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.home = path.parent
        self.conn = conn
        self._columns: IndexColumns | None = None  # the latest generation this connection read

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, home: Path | None = None, *, create: bool = True) -> Store:
        """Open (or create) the index in ``home`` (default ``$WAM_HOME``).

        Without ``create`` (the readers: plan, search, libraries), a missing index opens as an
        empty in-memory one (no files made), and one in a folder this process cannot write opens
        read-only. With ``create`` (``wam index``), a read-only folder is a StoreError that says so."""
        home = Path(home) if home else wam_home()
        if home.exists() and not home.is_dir():
            raise StoreError(f"the index folder {home} is a file, not a folder; set WAM_HOME to a folder "
                             "(or unset it to use the default)")
        path = home / INDEX_FILENAME
        if not create and not path.exists():
            return cls(path, connect_empty())
        if home.exists() and not writable(home, path):
            if not create:
                return cls(path, connect_readonly(path))
            raise StoreError(f"the index folder {home} is read-only; `wam index` must write there: make it "
                             "writable, or set WAM_HOME to another folder (plan, "
                             "search and libraries can read it as it is)")
        return cls(path, connect(path))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lock(self) -> IndexLock:
        return IndexLock(self.home)

    # -------------------------------------------------------------------- meta
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with transaction(self.conn):
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def model(self) -> str | None:
        """The text model the stored embeddings come from (None: nothing embedded yet)."""
        return self.meta("model")

    # --------------------------------------------------------------- libraries
    def library_id(self, root: str, *, create: bool = False) -> int | None:
        row = self.conn.execute("SELECT id FROM libraries WHERE root=?", (root,)).fetchone()
        if row:
            return int(row[0])
        if not create:
            return None
        with transaction(self.conn):
            cur = self.conn.execute("INSERT INTO libraries(root, indexed_at) VALUES (?, ?)",
                                    (root, time.time()))
        return int(cur.lastrowid)

    def library_ids(self, folders: list[str] | None) -> list[int] | None:
        """Ids of the ``--library`` folders (None: all); a folder never indexed is an error."""
        if not folders:
            return None
        ids = []
        for folder in folders:
            lid = self.library_id(str(Path(folder).expanduser().resolve()))
            if lid is None:
                raise LibraryNotIndexedError(f"{folder} is not an indexed library; "
                                             f"run `wam index {folder}` first")
            ids.append(lid)
        return ids

    def touch_library(self, library_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute("UPDATE libraries SET indexed_at=? WHERE id=?", (time.time(), library_id))

    def forget_library(self, library_id: int) -> None:
        """Remove a library record (and, by cascade, anything still stored under it)."""
        with transaction(self.conn):
            had_clips = self.conn.execute("SELECT 1 FROM clips WHERE library_id=? LIMIT 1",
                                          (library_id,)).fetchone()
            self.conn.execute("DELETE FROM libraries WHERE id=?", (library_id,))
            if had_clips:
                self._bump()

    def libraries(self, library_id: int | None = None) -> list[dict]:
        """Every indexed library (or just ``library_id``) with its clip and shot counts."""
        rows = self.conn.execute(
            """SELECT l.id, l.root, l.indexed_at,
                      (SELECT COUNT(*) FROM clips c WHERE c.library_id = l.id),
                      (SELECT COUNT(*) FROM shots s JOIN clips c ON s.clip_id = c.id
                       WHERE c.library_id = l.id),
                      (SELECT COALESCE(SUM(c.duration), 0) FROM clips c WHERE c.library_id = l.id)
               FROM libraries l WHERE ? IS NULL OR l.id = ? ORDER BY l.root""",
            (library_id, library_id),
        ).fetchall()
        return [
            {"id": r[0], "root": r[1], "indexed_at": r[2], "clips": r[3], "shots": r[4],
             "seconds": round(r[5], 2)}
            for r in rows
        ]

    # ------------------------------------------------------------------- clips
    def _clips(self, where: str, args: tuple) -> list[ClipRow]:
        return [ClipRow(*r)
                for r in self.conn.execute(f"SELECT {_CLIP_COLUMNS} FROM clips WHERE {where}", args)]

    def clips_under(self, library_id: int) -> dict[str, ClipRow]:
        return {c.path: c for c in self._clips("library_id=?", (library_id,))}

    def clips_with_hash(self, content_hash: str) -> list[ClipRow]:
        return self._clips("content_hash=?", (content_hash,))

    def clip_paths_of_size(self, size: int) -> list[str]:
        """Paths of the indexed clips of ``size`` bytes (candidates for being the same file as another)."""
        return [r[0] for r in self.conn.execute("SELECT path FROM clips WHERE size=?", (size,))]

    def save_clip(
        self,
        *,
        library_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        sidecar_sig: str,
        analysis: ClipAnalysis,
        descriptions: list[ShotDescription],
        embeddings: np.ndarray,
        model: str,
        concepts: list | None = None,
        visual: np.ndarray | None = None,
        tagger: str = "lite0",
        checked_at: float | None = None,
        images: tuple[str, np.ndarray] | None = None,
    ) -> int:
        """Replace everything stored for ``path`` by a fresh analysis, in one transaction.
        ``concepts``: each shot's ConSE class weights, ``visual``: its visual vectors (in the
        text model's space), both from ``library/concepts.py``; ``tagger`` names the tagger; the
        file was read at ``checked_at``; ``images``: (vision model identity, image vectors)."""
        n = len(analysis.shots)
        concepts = [()] * n if concepts is None else concepts
        if (len(descriptions) != n or len(embeddings) != n or len(concepts) != n
                or (visual is not None and len(visual) != n)):
            raise ValueError("one description, embedding, concept list and visual vector per shot")
        with transaction(self.conn):
            self._check_model(model, embeddings.shape[1])
            self.conn.execute("DELETE FROM clips WHERE path=?", (path,))
            self.conn.execute("DELETE FROM failures WHERE path=?", (path,))
            cur = self.conn.execute(
                """INSERT INTO clips(library_id, path, size, mtime_ns, content_hash, sidecar_sig,
                                     duration, fps, width, height, frames, indexed_at, analysis, tagger)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    library_id, path, size, mtime_ns, content_hash, sidecar_sig, analysis.duration,
                    analysis.fps, analysis.width, analysis.height, analysis.frames, checked_at or time.time(),
                    ANALYSIS_VERSION, tagger,
                ),
            )
            clip_id, pks = int(cur.lastrowid), []
            for k, (shot, desc, vec) in enumerate(zip(analysis.shots, descriptions, embeddings)):
                cur = self.conn.execute(
                    """INSERT INTO shots(clip_id, shot_id, idx, start_frame, end_frame, start, "end",
                                         features, histogram, desc_human, desc_names, labels, description,
                                         visual_words, embedding, thumb, concepts, visual)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        clip_id, shot_key(content_hash, shot.index), shot.index, shot.start_frame,
                        shot.end_frame, shot.start, shot.end,
                        json.dumps(shot.features.scalars(), sort_keys=True),
                        np.asarray(shot.features.histogram, np.float32).tobytes(), *description_columns(desc),
                        np.asarray(vec, np.float32).tobytes(), shot.thumb or None,
                        json.dumps([[int(c), float(w)] for c, w in concepts[k]]),
                        None if visual is None else np.asarray(visual[k], np.float32).tobytes(),
                    ),
                )
                pks.append(int(cur.lastrowid))
                self._write_words(pks[-1], desc)
            if images is not None:
                self._insert_image_vectors(images[0], pks, images[1])
            self.conn.executemany("INSERT INTO shot_pairs(clip_id, a, b, similarity) VALUES (?, ?, ?, ?)",
                                  [(clip_id, a, b, float(v)) for a, b, v in analysis.jump_pairs])
            self._bump()
        return clip_id

    def _write_words(self, pk: int, desc: ShotDescription) -> None:
        """The keyword postings of one shot (its human and its machine words)."""
        self.conn.execute("DELETE FROM words WHERE shot_pk=?", (pk,))
        human = desc.human_words()
        rows = [(w, pk, 1) for w in sorted(human)] + [(w, pk, 0) for w in sorted(desc.machine_words())]
        self.conn.executemany("INSERT OR IGNORE INTO words(word, shot_pk, human) VALUES (?, ?, ?)", rows)

    def _bump(self) -> None:
        """Mark the shot table changed (invalidates the column cache); call inside a transaction."""
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def move_clip(self, clip_id: int, *, library_id: int, path: str, size: int, mtime_ns: int,
                  checked_at: float | None = None) -> None:
        """Record that a clip's file moved (same content), keeping its analysis."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM failures WHERE path=?", (path,))
            self.conn.execute("UPDATE clips SET library_id=?, path=?, "
                              "size=?, mtime_ns=?, indexed_at=? WHERE id=?",
                              (library_id, path, size, mtime_ns, checked_at or time.time(), clip_id))
            self._bump()

    def touch_clip(self, clip_id: int, *, size: int, mtime_ns: int, checked_at: float | None = None) -> None:
        """Record that a clip's file, touched or rewritten, still holds the same bytes (as of
        ``checked_at``)."""
        with transaction(self.conn):
            self.conn.execute("UPDATE clips SET size=?, mtime_ns=?, indexed_at=? WHERE id=?",
                              (size, mtime_ns, checked_at or time.time(), clip_id))

    def delete_clip(self, clip_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM clips WHERE id=?", (clip_id,))
            self._bump()

    def replace_model(self, model: str, texts: list[ShotText], embeddings: np.ndarray,
                      visual: np.ndarray | None = None) -> None:
        """Switch the whole index to another text model: every embedding (and visual vector, in the
        new model's space) replaced in one transaction."""
        with transaction(self.conn):
            for k, (t, vec) in enumerate(zip(texts, embeddings)):
                vis = None if visual is None else np.asarray(visual[k], np.float32).tobytes()
                self.conn.execute("UPDATE shots SET embedding=?, visual=? WHERE id=?",
                                  (np.asarray(vec, np.float32).tobytes(), vis, t.pk))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('model', ?)", (model,))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dim', ?)",
                              (str(embeddings.shape[1]),))
            self._bump()

    def _check_model(self, model: str, dim: int) -> None:
        current = self.meta("model")
        if current is None:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('model', ?)", (model,))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dim', ?)", (str(dim),))
        elif current != model:
            raise StoreError(f"index embeddings come from {current!r}, "
                             f"not {model!r}; re-embed before adding clips")

    # ------------------------------------------------------------------- reads
    def counts(self) -> dict:
        clips = self.conn.execute("SELECT COUNT(*) FROM clips").fetchone()[0]
        shots = self.conn.execute("SELECT COUNT(*) FROM shots").fetchone()[0]
        return {"clips": int(clips), "shots": int(shots)}

    def shot_table(self, library_ids: list[int] | None = None) -> ShotTable:
        """Every shot (of the given libraries) as columns for matching and planning.

        Served from a column cache in ``WAM_HOME/cache`` (numpy .npy files, memory-mapped,
        rebuilt whenever the index changed), so planning over 100k shots does not parse rows.
        """
        return self._current_columns().select(library_ids)

    def word_index(self, words: list[str], table: ShotTable) -> WordIndex:
        """Keyword postings of ``words`` as a WordIndex over the rows of ``table`` (a shot_table result)."""
        return self._current_columns().word_index(words, table)

    def _current_columns(self) -> IndexColumns:
        self.conn.execute("BEGIN")  # one snapshot: the generation and the rows agree
        try:
            gen = self.meta("generation") or "0"
            if self._columns is not None and self._columns.generation == gen:
                return self._columns
            cache = self.home / "cache"
            columns = load_columns(cache, gen) if self.path.exists() else None
            if columns is None:
                rows = self.conn.execute(
                    """SELECT s.id, s.shot_id, c.path, c.id, c.library_id, s.start, s."end", s.embedding,
                              s.histogram, s.features, s.thumb, c.analysis, c.width, c.height, s.visual,
                              s.desc_human, s.desc_names
                       FROM shots s JOIN clips c ON s.clip_id = c.id ORDER BY s.id"""
                ).fetchall()
                pairs = self.conn.execute(
                    """SELECT sa.id, sb.id, p.similarity FROM shot_pairs p
                       JOIN shots sa ON sa.clip_id = p.clip_id AND sa.idx = p.a
                       JOIN shots sb ON sb.clip_id = p.clip_id AND sb.idx = p.b"""
                ).fetchall()
                postings = self.conn.execute(
                    "SELECT word, shot_pk, human FROM words ORDER BY word, shot_pk").fetchall()
                dim = int(self.meta("dim") or 0)
                images = self.image_rows(self.vision.identity) if self.vision else []
        finally:
            self.conn.execute("COMMIT")
        if columns is None:
            columns = build_columns(rows, postings, dim=dim, generation=gen, pairs=pairs, images=images)
            if self.path.exists():
                save_columns(cache, columns)
        self._columns = columns
        return columns

    def descriptions(self, shot_ids: list[str]) -> dict[str, str]:
        """Full description text of the given shots."""
        return dict(select_in(self.conn, "SELECT shot_id, description FROM shots WHERE shot_id IN ({keys})",
                              shot_ids))

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def writable(home: Path, path: Path) -> bool:
    """Whether this process may write the index ``path`` in folder ``home`` (and its WAL files)."""
    return os.access(home, os.W_OK | os.X_OK) and (not path.exists() or os.access(path, os.W_OK))


def shot_key(content_hash: str, index: int) -> str:
    """Stable shot id: the clip's content hash and the shot's index (survives renames)."""
    return f"{content_hash[:12]}-{index:03d}"
