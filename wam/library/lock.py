"""The writers' lock of the index: ``WAM_HOME/index.lock``, held by ``wam index`` while it
writes, so two runs cannot interleave (readers never take it)."""

from __future__ import annotations

import os
from pathlib import Path

from wam.core.errors import IndexBusyError


class IndexLock:
    """Exclusive, non-blocking lock on ``WAM_HOME/index.lock`` held while writing."""

    def __init__(self, home: Path):
        self.path = home / "index.lock"
        self._fd: int | None = None

    def __enter__(self) -> IndexLock:
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
