"""Cache of sentence embeddings by (model, text hash) in ``$WAM_HOME/sentences.sqlite``,
so that planning a story again after editing one sentence only embeds that sentence.

Embeddings are computed and saved in chunks, so an interrupted run over a long story
resumes where it stopped. The cache is expendable: a corrupt file is rebuilt (with a
warning) and an unusable one (locked, read-only) is simply not used.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from wam.core.errors import one_line
from wam.core.sql import select_in, transaction

CACHE_FILENAME = "sentences.sqlite"
#: Sentences embedded (and saved) per step.
CHUNK = 512
#: Show a progress bar when at least this many sentences need embedding.
PROGRESS_MIN = 2000


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _is_corrupt(exc: sqlite3.Error) -> bool:
    """Damage in the file itself (not a lock, a read-only folder or a full disk)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def _short(exc: BaseException) -> str:
    return one_line(exc, 120)


class VectorCache:
    """The sqlite cache, or nothing (``conn`` None) when it cannot be used. Rows are float32
    vectors by (model, key); ``wam.text.static`` keeps its token vectors here too."""

    def __init__(self, path: Path, warn: Callable[[str], None]):
        self.path, self.warn, self.conn = path, warn, None
        try:
            self.conn = self._connect()
        except sqlite3.Error as exc:
            if _is_corrupt(exc):
                self.rebuild(exc)
            else:
                warn(f"sentence cache {path} unavailable ({_short(exc)}); embedding without it")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, "
                         "key TEXT, vec BLOB, PRIMARY KEY (model, key))")
        except BaseException:
            conn.close()
            raise
        return conn

    def rebuild(self, exc: sqlite3.Error) -> None:
        """Replace a damaged cache by an empty one (it only holds what can be computed again)."""
        self.close()
        self.warn(f"the sentence cache {self.path} was damaged ({_short(exc)}); rebuilt it empty")
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.conn = self._connect()
        except (OSError, sqlite3.Error) as again:
            self.warn(f"sentence cache {self.path} unavailable ({_short(again)}); embedding without it")
            self.conn = None

    def lookup(self, model: str, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for attempt in (0, 1):
            if self.conn is None:
                return {}
            try:
                found.update(select_in(self.conn,
                                       "SELECT key, vec FROM vectors WHERE model=? AND key IN ({keys})",
                                       keys, [model]))
                return found
            except sqlite3.Error as exc:
                found.clear()
                if _is_corrupt(exc) and attempt == 0:
                    self.rebuild(exc)
                else:
                    self.warn(f"sentence cache {self.path} unreadable ({_short(exc)}); embedding without it")
                    self.close()
        return {}

    def save(self, model: str, rows: list[tuple[str, np.ndarray]]) -> None:
        if self.conn is None:
            return
        try:
            with transaction(self.conn):
                self.conn.executemany(
                    "INSERT OR REPLACE INTO vectors(model, key, vec) VALUES (?, ?, ?)",
                    [(model, k, v.astype(np.float32).tobytes()) for k, v in rows],
                )
        except sqlite3.Error as exc:
            self.warn(f"cannot save to the sentence cache {self.path} ({_short(exc)}); continuing without it")
            self.close()

    @classmethod
    @contextmanager
    def opened(cls, path: Path, warn: Callable[[str], None]):
        """The cache at ``path`` for a ``with`` block (closed after it)."""
        cache = cls(path, warn)
        try:
            yield cache
        finally:
            cache.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self.conn = None


def cached_encode(encoder, texts: list[str], home: Path | None, *, progress: bool = False,
                  warn: Callable[[str], None] = lambda m: None) -> tuple[np.ndarray, int]:
    """Embeddings of ``texts`` (unit float32 rows) and how many had to be computed.

    Missing embeddings are computed ``CHUNK`` sentences at a time and each chunk is saved
    at once, so a rerun after an interruption only computes the rest."""
    keys = [text_key(t) for t in texts]
    todo = dict(zip(keys, texts))  # unique texts, first occurrence order
    found: dict[str, np.ndarray] = {}
    cache = None
    if home is not None:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            warn(f"cannot create {home} for the sentence cache ({exc.strerror or exc}); embedding without it")
        else:
            cache = VectorCache(home / CACHE_FILENAME, warn)
    try:
        if cache is not None:
            for k, blob in cache.lookup(encoder.name, list(todo)).items():
                vec = np.frombuffer(blob, np.float32)
                if len(vec) == encoder.dim:
                    found[k] = vec
        missing = [(k, t) for k, t in todo.items() if k not in found]
        from tqdm import tqdm

        bar = tqdm(total=len(missing), unit="sentence", desc="embedding sentences", leave=False,
                   dynamic_ncols=True, disable=not progress or len(missing) < PROGRESS_MIN)
        try:
            for i in range(0, len(missing), CHUNK):
                chunk = missing[i : i + CHUNK]
                vecs = encoder.encode([t for _, t in chunk])
                rows = [(k, v) for (k, _), v in zip(chunk, vecs)]
                if cache is not None:
                    cache.save(encoder.name, rows)
                found.update(rows)
                bar.update(len(chunk))
        finally:
            bar.close()
        if not keys:
            return np.zeros((0, encoder.dim), np.float32), 0
        return np.stack([found[k] for k in keys]).astype(np.float32), len(missing)
    finally:
        if cache is not None:
            cache.close()
