"""SQLite helpers shared by the index store and the sentence-embedding cache: explicit
transactions on autocommit connections, and ``IN (…)`` queries over many keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

#: Keys per ``IN (…)`` query (SQLite limits the number of bound parameters).
IN_CHUNK = 500


def select_in(conn: sqlite3.Connection, sql: str, keys: Sequence, params: Sequence = ()) -> Iterator[tuple]:
    """Rows of ``sql`` for every key, ``IN_CHUNK`` keys per query.

    ``sql`` holds one ``{keys}`` placeholder where the ``?, ?, …`` list goes; ``params``
    are bound before the keys, e.g.
    ``select_in(conn, "SELECT k, v FROM t WHERE model=? AND k IN ({keys})", keys, [model])``.
    """
    for i in range(0, len(keys), IN_CHUNK):
        chunk = list(keys[i : i + IN_CHUNK])
        yield from conn.execute(sql.format(keys=",".join("?" * len(chunk))), [*params, *chunk])


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
