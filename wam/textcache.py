"""Cache of sentence embeddings by (model, text hash) in ``$WAM_HOME/sentences.sqlite``,
so that planning a story again after editing one sentence only embeds that sentence."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from wam.sql import select_in


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def cached_encode(encoder, texts: list[str], home: Path | None) -> tuple[np.ndarray, int]:
    """Embeddings of ``texts`` (unit float32 rows) and how many had to be computed."""
    if home is None:
        return encoder.encode(texts), len(texts)
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "sentences.sqlite", timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")
        keys = [text_key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = sorted(set(keys))
        rows = select_in(conn, "SELECT key, vec FROM vectors WHERE model=? AND key IN ({keys})", unique, [encoder.name])
        found.update({k: np.frombuffer(v, np.float32) for k, v in rows})
        missing = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in found or len(found[k]) != encoder.dim]
        if missing:
            vecs = encoder.encode([t for _, t in missing])
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO vectors(model, key, vec) VALUES (?, ?, ?)",
                [(encoder.name, k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, vecs)],
            )
            conn.execute("COMMIT")
            found.update({k: v for (k, _), v in zip(missing, vecs)})
        return np.stack([found[k] for k in keys]).astype(np.float32), len(missing)
    finally:
        conn.close()
