"""The index store: one SQLite database in ``$WAM_HOME`` holding libraries, clips, shots,
their features, descriptions, keyframes and embeddings (float32 blobs; no pickle).

WAL journal, one transaction per clip (an interrupted run loses at most the clip in
progress), an exclusive lock file for writers so two ``wam index`` runs cannot interleave.
Readers (search, plan) never take the lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wam.config import INDEX_FILENAME, wam_home
from wam.errors import IndexBusyError, StoreError
from wam.library.describe import ShotDescription
from wam.library.features import HIST_SIZE
from wam.types import CAMERA_MOTIONS, SHOT_SCALES, ClipAnalysis, ShotTable

SCHEMA_VERSION = 1
#: Layout version of the column cache in WAM_HOME/cache (bump when its files change).
CACHE_FORMAT = "v2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS libraries (
    id INTEGER PRIMARY KEY,
    root TEXT UNIQUE NOT NULL,
    indexed_at REAL
);
CREATE TABLE IF NOT EXISTS clips (
    id INTEGER PRIMARY KEY,
    library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    path TEXT UNIQUE NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    sidecar_sig TEXT NOT NULL,
    duration REAL, fps REAL, width INTEGER, height INTEGER, frames INTEGER,
    indexed_at REAL
);
CREATE INDEX IF NOT EXISTS clips_hash ON clips(content_hash);
CREATE INDEX IF NOT EXISTS clips_library ON clips(library_id);
CREATE TABLE IF NOT EXISTS shots (
    id INTEGER PRIMARY KEY,
    clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    shot_id TEXT UNIQUE NOT NULL,
    idx INTEGER NOT NULL,
    start_frame INTEGER NOT NULL, end_frame INTEGER NOT NULL,
    start REAL NOT NULL, "end" REAL NOT NULL,
    features TEXT NOT NULL,
    histogram BLOB NOT NULL,
    desc_human TEXT NOT NULL,
    desc_names TEXT NOT NULL,
    labels TEXT NOT NULL,
    description TEXT NOT NULL,
    embedding BLOB
);
CREATE INDEX IF NOT EXISTS shots_clip ON shots(clip_id);
CREATE TABLE IF NOT EXISTS keyframes (
    shot_pk INTEGER PRIMARY KEY REFERENCES shots(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS words (
    word TEXT NOT NULL,
    shot_pk INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    human INTEGER NOT NULL,
    PRIMARY KEY (word, shot_pk, human)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS words_shot ON words(shot_pk);
CREATE TABLE IF NOT EXISTS failures (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sidecar_sig TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class ClipRow:
    id: int
    library_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    sidecar_sig: str


@dataclass(frozen=True)
class ShotText:
    """A stored shot's description parts (for re-embedding and re-describing)."""

    pk: int
    clip_id: int
    shot_id: str
    description: ShotDescription


class IndexLock:
    """Exclusive, non-blocking lock on ``WAM_HOME/index.lock`` held while writing."""

    def __init__(self, home: Path):
        self.path = home / "index.lock"
        self._fd: int | None = None

    def __enter__(self) -> "IndexLock":
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise IndexBusyError(
                f"another `wam index` is updating the index in {self.path.parent} (pid {holder}); "
                "wait for it to finish, or set WAM_HOME to use a separate index"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Store:
    """The SQLite index. Open with ``Store.open()``; use as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.home = path.parent
        self.conn = conn
        self._table: tuple | None = None  # (generation, table, library ids, postings) of this connection

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, home: Path | None = None, *, create: bool = True) -> "Store":
        """Open (or create) the index in ``home`` (default ``$WAM_HOME``)."""
        home = Path(home) if home else wam_home()
        path = home / INDEX_FILENAME
        if not create and not path.exists():
            return cls._empty(path)
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the index folder {home} ({exc.strerror}); set WAM_HOME to a writable folder") from None
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL" if mode != "wal" else "PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            version = cls._schema_version(conn)
            if version > SCHEMA_VERSION:
                conn.close()
                raise StoreError(
                    f"the index in {home} was written by a newer wam (schema {version}); upgrade wam or set WAM_HOME"
                )
            if version < SCHEMA_VERSION:
                with _transaction(conn):
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(
                        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the index {path} is damaged ({exc}); move it away and run `wam index DIR` again"
            ) from None
        return cls(path, conn)

    @classmethod
    def _empty(cls, path: Path) -> "Store":
        conn = sqlite3.connect(":memory:", isolation_level=None)
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        return cls(path, conn)

    @staticmethod
    def _schema_version(conn: sqlite3.Connection) -> int:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
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
        with _transaction(self.conn):
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
        with _transaction(self.conn):
            cur = self.conn.execute("INSERT INTO libraries(root, indexed_at) VALUES (?, ?)", (root, time.time()))
        return int(cur.lastrowid)

    def touch_library(self, library_id: int) -> None:
        with _transaction(self.conn):
            self.conn.execute("UPDATE libraries SET indexed_at=? WHERE id=?", (time.time(), library_id))

    def libraries(self) -> list[dict]:
        """Every indexed library with its clip and shot counts."""
        rows = self.conn.execute(
            """SELECT l.id, l.root, l.indexed_at,
                      (SELECT COUNT(*) FROM clips c WHERE c.library_id = l.id),
                      (SELECT COUNT(*) FROM shots s JOIN clips c ON s.clip_id = c.id WHERE c.library_id = l.id),
                      (SELECT COALESCE(SUM(c.duration), 0) FROM clips c WHERE c.library_id = l.id)
               FROM libraries l ORDER BY l.root"""
        ).fetchall()
        return [
            {"id": r[0], "root": r[1], "indexed_at": r[2], "clips": r[3], "shots": r[4], "seconds": round(r[5], 2)}
            for r in rows
        ]

    # ------------------------------------------------------------------- clips
    def clips_under(self, library_id: int) -> dict[str, ClipRow]:
        rows = self.conn.execute(
            "SELECT id, library_id, path, size, mtime_ns, content_hash, sidecar_sig FROM clips WHERE library_id=?",
            (library_id,),
        ).fetchall()
        return {r[2]: ClipRow(*r) for r in rows}

    def clip_at(self, path: str) -> ClipRow | None:
        r = self.conn.execute(
            "SELECT id, library_id, path, size, mtime_ns, content_hash, sidecar_sig FROM clips WHERE path=?", (path,)
        ).fetchone()
        return ClipRow(*r) if r else None

    def clips_with_hash(self, content_hash: str) -> list[ClipRow]:
        rows = self.conn.execute(
            "SELECT id, library_id, path, size, mtime_ns, content_hash, sidecar_sig FROM clips WHERE content_hash=?",
            (content_hash,),
        ).fetchall()
        return [ClipRow(*r) for r in rows]

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
    ) -> int:
        """Replace everything stored for ``path`` by a fresh analysis, in one transaction."""
        if len(descriptions) != len(analysis.shots) or len(embeddings) != len(analysis.shots):
            raise ValueError("one description and one embedding per shot")
        with _transaction(self.conn):
            self._check_model(model, embeddings.shape[1])
            self.conn.execute("DELETE FROM clips WHERE path=?", (path,))
            self.conn.execute("DELETE FROM failures WHERE path=?", (path,))
            cur = self.conn.execute(
                """INSERT INTO clips(library_id, path, size, mtime_ns, content_hash, sidecar_sig,
                                     duration, fps, width, height, frames, indexed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    library_id, path, size, mtime_ns, content_hash, sidecar_sig, analysis.duration,
                    analysis.fps, analysis.width, analysis.height, analysis.frames, time.time(),
                ),
            )
            clip_id = int(cur.lastrowid)
            for shot, desc, vec in zip(analysis.shots, descriptions, embeddings):
                cur = self.conn.execute(
                    """INSERT INTO shots(clip_id, shot_id, idx, start_frame, end_frame, start, "end", features,
                                         histogram, desc_human, desc_names, labels, description, embedding)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        clip_id, shot_key(content_hash, shot.index), shot.index, shot.start_frame, shot.end_frame,
                        shot.start, shot.end, json.dumps(shot.features.scalars(), sort_keys=True),
                        np.asarray(shot.features.histogram, np.float32).tobytes(), desc.human,
                        json.dumps(list(desc.names)), json.dumps([list(x) for x in desc.labels]), desc.text(),
                        np.asarray(vec, np.float32).tobytes(),
                    ),
                )
                if shot.keyframes:
                    self.conn.execute("INSERT INTO keyframes(shot_pk, jpeg) VALUES (?, ?)", (cur.lastrowid, shot.keyframes[0]))
                self._write_words(int(cur.lastrowid), desc)
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

    def move_clip(self, clip_id: int, *, library_id: int, path: str, size: int, mtime_ns: int) -> None:
        """Record that a clip's file moved (same content), keeping its analysis."""
        with _transaction(self.conn):
            self.conn.execute("DELETE FROM failures WHERE path=?", (path,))
            self.conn.execute(
                "UPDATE clips SET library_id=?, path=?, size=?, mtime_ns=? WHERE id=?",
                (library_id, path, size, mtime_ns, clip_id),
            )
            self._bump()

    def touch_clip(self, clip_id: int, *, size: int, mtime_ns: int) -> None:
        with _transaction(self.conn):
            self.conn.execute("UPDATE clips SET size=?, mtime_ns=? WHERE id=?", (size, mtime_ns, clip_id))

    def delete_clip(self, clip_id: int) -> None:
        with _transaction(self.conn):
            self.conn.execute("DELETE FROM clips WHERE id=?", (clip_id,))
            self._bump()

    def shot_texts(self, clip_id: int | None = None) -> list[ShotText]:
        """Description parts of every shot (of one clip, or of the whole index)."""
        sql = "SELECT id, clip_id, shot_id, desc_human, desc_names, labels FROM shots"
        args: tuple = ()
        if clip_id is not None:
            sql += " WHERE clip_id=?"
            args = (clip_id,)
        rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [
            ShotText(
                pk=r[0], clip_id=r[1], shot_id=r[2],
                description=ShotDescription(
                    human=r[3], names=tuple(json.loads(r[4])), labels=tuple((a, b) for a, b in json.loads(r[5]))
                ),
            )
            for r in rows
        ]

    def update_descriptions(
        self, clip_id: int, texts: list[ShotText], embeddings: np.ndarray, model: str, *, sidecar_sig: str | None = None
    ) -> None:
        """Store new descriptions/embeddings for existing shots of one clip, in one transaction."""
        with _transaction(self.conn):
            self._check_model(model, embeddings.shape[1])
            for t, vec in zip(texts, embeddings):
                d = t.description
                self.conn.execute(
                    "UPDATE shots SET desc_human=?, desc_names=?, labels=?, description=?, embedding=? WHERE id=?",
                    (d.human, json.dumps(list(d.names)), json.dumps([list(x) for x in d.labels]), d.text(),
                     np.asarray(vec, np.float32).tobytes(), t.pk),
                )
                self._write_words(t.pk, d)
            self._bump()
            if sidecar_sig is not None:
                self.conn.execute("UPDATE clips SET sidecar_sig=? WHERE id=?", (sidecar_sig, clip_id))

    def replace_model(self, model: str, texts: list[ShotText], embeddings: np.ndarray) -> None:
        """Switch the whole index to another text model: every embedding replaced in one transaction."""
        with _transaction(self.conn):
            for t, vec in zip(texts, embeddings):
                self.conn.execute("UPDATE shots SET embedding=? WHERE id=?", (np.asarray(vec, np.float32).tobytes(), t.pk))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('model', ?)", (model,))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dim', ?)", (str(embeddings.shape[1]),))
            self._bump()

    def _check_model(self, model: str, dim: int) -> None:
        current = self.meta("model")
        if current is None:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('model', ?)", (model,))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dim', ?)", (str(dim),))
        elif current != model:
            raise StoreError(f"index embeddings come from {current!r}, not {model!r}; re-embed before adding clips")

    # ---------------------------------------------------------------- failures
    def failure(self, path: str) -> tuple[int, int, str, str] | None:
        r = self.conn.execute("SELECT size, mtime_ns, sidecar_sig, reason FROM failures WHERE path=?", (path,)).fetchone()
        return (r[0], r[1], r[2], r[3]) if r else None

    def record_failure(self, path: str, size: int, mtime_ns: int, sidecar_sig: str, reason: str) -> None:
        with _transaction(self.conn):
            if self.conn.execute("DELETE FROM clips WHERE path=?", (path,)).rowcount:
                self._bump()
            self.conn.execute(
                "INSERT OR REPLACE INTO failures(path, size, mtime_ns, sidecar_sig, reason) VALUES (?, ?, ?, ?, ?)",
                (path, size, mtime_ns, sidecar_sig, reason),
            )

    def forget_failures_under(self, root: str, keep: set[str]) -> None:
        """Drop failure records of files under ``root`` that no longer exist."""
        prefix = root.rstrip(os.sep) + os.sep
        rows = self.conn.execute("SELECT path FROM failures").fetchall()
        gone = [r[0] for r in rows if r[0].startswith(prefix) and r[0] not in keep]
        if gone:
            with _transaction(self.conn):
                self.conn.executemany("DELETE FROM failures WHERE path=?", [(p,) for p in gone])

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
        full, libs = self._full_table()
        if library_ids is None:
            return full
        mask = np.isin(libs, np.asarray(library_ids, np.int64))
        return shot_table_subset(full, np.nonzero(mask)[0])

    def _full_table(self) -> tuple[ShotTable, np.ndarray]:
        self.conn.execute("BEGIN")  # one snapshot: the generation and the rows agree
        try:
            gen = self.meta("generation") or "0"
            dim = int(self.meta("dim") or 0)
            if self._table is not None and self._table[0] == gen:
                return self._table[1], self._table[2]
            cached = _load_table_cache(self.home / "cache" / f"table-{CACHE_FORMAT}-{gen}") if self.path.exists() else None
            if cached is None:
                rows = self.conn.execute(
                    """SELECT s.id, s.shot_id, c.path, c.id, c.library_id, s.start, s."end", s.embedding, s.histogram,
                              s.features
                       FROM shots s JOIN clips c ON s.clip_id = c.id ORDER BY s.id"""
                ).fetchall()
                postings = self.conn.execute("SELECT word, shot_pk, human FROM words ORDER BY word, shot_pk").fetchall()
        finally:
            self.conn.execute("COMMIT")
        if cached is None:
            table, libs = shot_table_from_rows(rows, dim=dim)
            words = Postings.from_rows(postings, table.pks)
            if self.path.exists():
                _save_table_cache(self.home / "cache", f"table-{CACHE_FORMAT}-{gen}", table, libs, words)
        else:
            table, libs, words = cached
        self._table = (gen, table, libs, words)
        return table, libs

    def word_index(self, words: list[str], table: ShotTable):
        """Keyword postings of ``words`` as a WordIndex over the rows of ``table`` (a shot_table result)."""
        from wam.candidates import WordIndex

        full, _ = self._full_table()
        postings: Postings = self._table[3]
        human, machine = {}, {}
        same = len(table) == len(full)
        for w in words:
            for is_human, out in ((True, human), (False, machine)):
                rows = postings.rows(w, is_human)
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

    def word_postings(self, words: list[str]) -> list[tuple[str, int, bool]]:
        """(word, shot pk, is-human) for every shot whose description holds one of ``words``."""
        out: list[tuple[str, int, bool]] = []
        for i in range(0, len(words), 500):
            chunk = words[i : i + 500]
            out.extend(
                (w, int(pk), bool(h))
                for w, pk, h in self.conn.execute(
                    f"SELECT word, shot_pk, human FROM words WHERE word IN ({','.join('?' * len(chunk))})", chunk
                )
            )
        return out

    def descriptions(self, shot_ids: list[str]) -> dict[str, str]:
        """Full description text of the given shots."""
        out: dict[str, str] = {}
        for i in range(0, len(shot_ids), 500):
            chunk = shot_ids[i : i + 500]
            out.update(
                self.conn.execute(
                    f"SELECT shot_id, description FROM shots WHERE shot_id IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
            )
        return out

    def keyframe(self, shot_id: str) -> bytes | None:
        r = self.conn.execute(
            "SELECT k.jpeg FROM keyframes k JOIN shots s ON k.shot_pk = s.id WHERE s.shot_id=?", (shot_id,)
        ).fetchone()
        return bytes(r[0]) if r else None

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def shot_key(content_hash: str, index: int) -> str:
    """Stable shot id: the clip's content hash and the shot's index (survives renames)."""
    return f"{content_hash[:12]}-{index:03d}"


_ARRAYS = ("pks", "clip_ids", "starts", "ends", "embeddings", "histograms", "brightness", "motion", "camera",
           "camera_motion", "scale", "quality", "face_centres")


def shot_table_from_rows(rows: list, dim: int) -> tuple[ShotTable, np.ndarray]:
    """Build the column table (and each row's library id) from store rows."""
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
    for i, r in enumerate(rows):
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
    )
    return table, np.array([r[4] for r in rows], np.int64)


@dataclass(frozen=True)
class Postings:
    """Keyword postings in CSR form over the full table's rows (human and machine words apart)."""

    vocab: dict[str, int]
    human_ptr: np.ndarray
    human_rows: np.ndarray
    machine_ptr: np.ndarray
    machine_rows: np.ndarray

    def rows(self, word: str, human: bool) -> np.ndarray:
        i = self.vocab.get(word)
        if i is None:
            return np.zeros(0, np.int64)
        ptr, rows = (self.human_ptr, self.human_rows) if human else (self.machine_ptr, self.machine_rows)
        return np.asarray(rows[ptr[i] : ptr[i + 1]])

    @classmethod
    def from_rows(cls, postings: list, pks: np.ndarray) -> "Postings":
        """From (word, shot pk, human) rows sorted by word."""
        vocab: dict[str, int] = {}
        lists: tuple[list[list[int]], list[list[int]]] = ([], [])
        for word, pk, human in postings:
            i = vocab.get(word)
            if i is None:
                i = vocab[word] = len(vocab)
                lists[0].append([])
                lists[1].append([])
            row = int(np.searchsorted(pks, pk))
            if row < len(pks) and pks[row] == pk:
                lists[0 if human else 1][i].append(row)

        def csr(groups):
            ptr = np.zeros(len(groups) + 1, np.int64)
            ptr[1:] = np.cumsum([len(g) for g in groups]) if groups else []
            flat = np.fromiter((r for g in groups for r in g), np.int64, int(ptr[-1]))
            return ptr, flat

        hp, hr = csr(lists[0])
        mp, mr = csr(lists[1])
        return cls(vocab, hp, hr, mp, mr)


def shot_table_subset(t: ShotTable, rows: np.ndarray) -> ShotTable:
    """The table restricted to ``rows`` (in that order)."""
    from dataclasses import replace

    changes = {name: np.asarray(getattr(t, name))[rows] for name in _ARRAYS if getattr(t, name) is not None}
    changes["shot_ids"] = [t.shot_ids[i] for i in rows]
    changes["sources"] = [t.sources[i] for i in rows]
    return replace(t, **changes)


def _save_table_cache(folder: Path, name: str, table: ShotTable, libs: np.ndarray, words: Postings) -> None:
    """Write the column cache atomically (temp folder renamed into place); drop older ones."""
    import shutil
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
        for field_name in _ARRAYS:
            np.save(tmp / f"{field_name}.npy", np.ascontiguousarray(getattr(table, field_name)), allow_pickle=False)
        np.save(tmp / "library_ids.npy", libs, allow_pickle=False)
        for part in ("human_ptr", "human_rows", "machine_ptr", "machine_rows"):
            np.save(tmp / f"words_{part}.npy", getattr(words, part), allow_pickle=False)
        (tmp / "strings.json").write_text(
            json.dumps({"shot_ids": table.shot_ids, "sources": table.sources, "vocab": list(words.vocab)})
        )
        target = folder / name
        if target.exists() and _load_table_cache(target) is None:
            shutil.rmtree(target, ignore_errors=True)  # an unusable leftover (crash, older format)
        try:
            os.replace(tmp, target)
        except OSError:  # another process wrote the same generation first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.iterdir():
            if old.name != name and old.name.startswith(("table-", ".table-")):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass  # the cache is an optimisation; a read-only home still works


def _load_table_cache(folder: Path) -> tuple[ShotTable, np.ndarray, Postings] | None:
    if not (folder / "strings.json").exists():
        return None
    try:
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        libs = np.load(folder / "library_ids.npy", allow_pickle=False)
        parts = {p: np.load(folder / f"words_{p}.npy", mmap_mode="r", allow_pickle=False)
                 for p in ("human_ptr", "human_rows", "machine_ptr", "machine_rows")}
        strings = json.loads((folder / "strings.json").read_text())
    except (OSError, ValueError, KeyError):
        return None
    words = Postings(vocab={w: i for i, w in enumerate(strings["vocab"])}, **parts)
    return ShotTable(shot_ids=strings["shot_ids"], sources=strings["sources"], **arrays), libs, words


class _transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False
