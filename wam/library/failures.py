"""Files that could not be indexed: the ``failures`` table of the index store, so that an
unchanged bad file is reported again without being decoded again. A part of ``Store``
(``library/store.py``), kept apart to keep each file small."""

from __future__ import annotations

import os
import sqlite3

from wam.core.sql import transaction


class FailureRecords:
    """The failure records of a ``Store`` (which provides ``conn`` and ``_bump``)."""

    conn: sqlite3.Connection

    def _bump(self) -> None:  # pragma: no cover - provided by Store
        raise NotImplementedError

    def failure(self, path: str) -> tuple[int, int, str, str] | None:
        r = self.conn.execute("SELECT size, mtime_ns, sidecar_sig, reason FROM failures WHERE path=?",
                              (path,)).fetchone()
        return (r[0], r[1], r[2], r[3]) if r else None

    def record_failure(self, path: str, size: int, mtime_ns: int, sidecar_sig: str, reason: str) -> None:
        with transaction(self.conn):
            if self.conn.execute("DELETE FROM clips WHERE path=?", (path,)).rowcount:
                self._bump()
            self.conn.execute(
                "INSERT OR REPLACE INTO failures(path, size, "
                "mtime_ns, sidecar_sig, reason) VALUES (?, ?, ?, ?, ?)",
                (path, size, mtime_ns, sidecar_sig, reason),
            )

    def forget_failures_under(self, root: str, keep: set[str]) -> None:
        """Drop failure records of files under ``root`` that no longer exist."""
        prefix = root.rstrip(os.sep) + os.sep
        rows = self.conn.execute("SELECT path FROM failures").fetchall()
        gone = [r[0] for r in rows if r[0].startswith(prefix) and r[0] not in keep]
        if gone:
            with transaction(self.conn):
                self.conn.executemany("DELETE FROM failures WHERE path=?", [(p,) for p in gone])
