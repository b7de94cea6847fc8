"""The index database's schema, and opening a connection to it: pragmas (WAL, foreign
keys), the schema version check and table creation. Used only by ``library/store.py``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wam.core.errors import StoreError
from wam.core.sql import transaction

SCHEMA_VERSION = 4
#: Version of the per-clip analysis; clips analysed by an older one are analysed again
#: (3: still pictures and salient points, in each shot's features; 4: colours, sky, face
#: share, visual words and ConSE concepts, issue 18; 5: the tagger's pixels scaled as its
#: models were trained, so every label and concept changes; 6: whole human figures and
#: point lights and textures in the keyframes, the visual words pedestrians, stars and texture;
#: 7: regular patterns in the keyframes, the visual word pattern, and the words embedded with
#: their descriptions).
ANALYSIS_VERSION = 7
#: The analysis version from which clips carry jump-cut framing (thumbnails and pairs).
FRAMING_ANALYSIS = 2

SCHEMA = """
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
    indexed_at REAL,
    analysis INTEGER NOT NULL DEFAULT 1,
    tagger TEXT NOT NULL DEFAULT 'lite0'
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
    embedding BLOB,
    thumb BLOB,
    visual_words TEXT NOT NULL DEFAULT '[]',
    concepts TEXT NOT NULL DEFAULT '[]',
    visual BLOB
);
CREATE INDEX IF NOT EXISTS shots_clip ON shots(clip_id);
CREATE TABLE IF NOT EXISTS words (
    word TEXT NOT NULL,
    shot_pk INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    human INTEGER NOT NULL,
    PRIMARY KEY (word, shot_pk, human)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS words_shot ON words(shot_pk);
CREATE TABLE IF NOT EXISTS shot_pairs (
    clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (clip_id, a, b)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shot_vision (
    shot_pk INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, shot_pk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS shot_vision_shot ON shot_vision(shot_pk);
CREATE TABLE IF NOT EXISTS failures (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sidecar_sig TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection to the index at ``path``, created or brought to the current schema.

    StoreError when the folder cannot be made or written, the file is damaged or a newer wam wrote it."""
    home = path.parent
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the index folder {home} "
                         f"({exc.strerror}); set WAM_HOME to a writable folder") from None
    try:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL" if mode != "wal" else "PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = _check_version(conn, home)
        if version < SCHEMA_VERSION:
            with transaction(conn):
                if version == 1:
                    _upgrade_from_1(conn)
                if 1 <= version <= 2:
                    _upgrade_from_2(conn)
                if 1 <= version <= 3:
                    _upgrade_from_3(conn)
                _create(conn)
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
    except sqlite3.DatabaseError as exc:
        raise StoreError(database_problem(exc, path)) from None
    return conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to the index at ``path`` in a folder this process cannot write
    (``plan``, ``search`` and ``libraries`` still work there; nothing is created or changed).

    SQLite needs the WAL index file ``-shm`` beside a WAL database; where it is absent and
    cannot be made, the file is opened as immutable (nobody can write it here either)."""
    uri = path.resolve().as_uri()
    try:
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
            version = _check_version(conn, path.parent)
        except sqlite3.OperationalError as exc:
            if not getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")):
                raise
            conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
            version = _check_version(conn, path.parent)
    except sqlite3.DatabaseError as exc:
        raise StoreError(database_problem(exc, path)) from None
    if version < SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"the index in {path.parent} is read-only and unfinished or from an older wam; "
                         "run `wam index DIR` where the folder is writable")
    return conn


def _check_version(conn: sqlite3.Connection, home: Path) -> int:
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"the index in {home} was written by a newer wam "
                         f"(schema {version}); upgrade wam or set WAM_HOME")
    return version


def database_problem(exc: sqlite3.DatabaseError, path: Path) -> str:
    """What an SQLite error on the index at ``path`` means for the user, as one line.

    Only a damaged file is called damaged: a read-only or unreadable index is a good index
    that must not be thrown away."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return f"the index {path} is damaged ({exc}); move it away and run `wam index DIR` again"
    if code.startswith("SQLITE_READONLY"):
        return (f"the index in {path.parent} is read-only ({exc}); `wam index` must write it: make the "
                "folder writable, or set WAM_HOME to another folder "
                "(plan, search and libraries can read it as it is)")
    if code.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return f"cannot open the index {path} ({exc}); check the permissions of {path.parent}"
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"the index {path} is locked by another process ({exc}); try again when it has finished"
    if code.startswith("SQLITE_FULL"):
        return f"the disk holding the index {path} is full; free some space and run the command again"
    return f"cannot use the index {path} ({exc})"


def connect_empty() -> sqlite3.Connection:
    """An empty in-memory index (reading a home that has none, without creating files)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _create(conn)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0: none yet)."""
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def _upgrade_from_1(conn: sqlite3.Connection) -> None:
    """Schema 1 → 2: shots gain a framing thumbnail, clips an analysis version (their shots
    are analysed again by the next ``wam index``); jump-cut pairs get their table."""
    conn.execute("ALTER TABLE shots ADD COLUMN thumb BLOB")
    conn.execute("ALTER TABLE clips ADD COLUMN analysis INTEGER NOT NULL DEFAULT 1")
    conn.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') "
                 # no cached columns survive
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def _upgrade_from_2(conn: sqlite3.Connection) -> None:
    """Schema 2 → 3: image vectors of a vision model (``wam index --vision``) per shot and model
    get their table; nothing stored before changes (the index names no vision model yet)."""
    conn.execute("CREATE TABLE IF NOT EXISTS shot_vision (shot_pk INTEGER NOT NULL REFERENCES shots(id) "
                 "ON DELETE CASCADE, model TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, "
                 "shot_pk)) WITHOUT ROWID")
    conn.execute("CREATE INDEX IF NOT EXISTS shot_vision_shot ON shot_vision(shot_pk)")


def _upgrade_from_3(conn: sqlite3.Connection) -> None:
    """Schema 3 → 4 (issue 18, what wam sees): shots gain their visual words (JSON [[word,
    confidence]…]), ConSE class weights (JSON [[class, weight]…]) and visual vector (float32,
    the text model's space); clips the tagger that analysed them. Old clips have none of these
    (their analysis version is older): the next ``wam index`` analyses them again."""
    conn.execute("ALTER TABLE shots ADD COLUMN visual_words TEXT NOT NULL DEFAULT '[]'")
    conn.execute("ALTER TABLE shots ADD COLUMN concepts TEXT NOT NULL DEFAULT '[]'")
    conn.execute("ALTER TABLE shots ADD COLUMN visual BLOB")
    conn.execute("ALTER TABLE clips ADD COLUMN tagger TEXT NOT NULL DEFAULT 'lite0'")
    conn.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') "
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def _create(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
