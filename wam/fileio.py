"""Writing output files atomically: a temp file in the target folder, renamed into place,
so an interrupted run never leaves a half-written file under the requested name.

A write that fails (missing or read-only folder, full disk) raises ``OutputError`` with
one line that says why; the target is left as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from wam.errors import OutputError


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, or bytes as they are) to a temp file beside ``path`` and rename it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(write_failure(path, exc)) from None
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8")) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(write_failure(path, exc)) from None
        raise


def write_failure(path: str | Path, exc: OSError) -> str:
    """Why writing ``path`` failed, as one line (for an OutputError)."""
    folder = Path(path).parent if str(Path(path).parent) else Path(".")
    if exc.errno == errno.ENOENT and not folder.is_dir():
        return f"cannot write {path}: the folder {folder} does not exist (create it first)"
    if exc.errno == errno.ENOTDIR:
        return f"cannot write {path}: {folder} is not a folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {path}: no permission to write in {folder}"
    if exc.errno == errno.EROFS:
        return f"cannot write {path}: {folder} is on a read-only file system"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write {path}: the disk is full"
    if exc.errno == errno.EISDIR:
        return f"cannot write {path}: it is a folder"
    return f"cannot write {path} ({exc.strerror or type(exc).__name__})"
