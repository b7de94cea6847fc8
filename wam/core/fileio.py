"""Writing output files safely: a temp file in the target folder, renamed into place, so an
interrupted run never leaves a half-written file under the requested name.

What the name points at is respected. A symlink is followed: its final target is replaced
(atomically, beside it) and the link stays a link. A special file — a character device such as
``/dev/null``, a FIFO, a terminal, or an open descriptor named ``/dev/stdout`` / ``/dev/fd/N`` —
is written through and stays what it is (a full device is "the disk is full"). A regular file
that is rewritten keeps its permission bits (and, where allowed, its owner).

A write that fails (missing or read-only folder, full disk) raises ``OutputError`` with one
line that says why; the target is left as it was. ``staged`` + ``install`` split a write in
two, so that several files (a video and its subtitles) can be put in place together under
``output_lock`` (``install_together``).

A temp file beside a target is named after it and the process writing it (``.NAME.PID.part``,
``part_path``; ``.NAME.PID.XXXXXXXX.part`` for ``staged``), its name chosen before it is
created, so that an interrupt can never leave a file nobody knows of, and what a process killed
outright left is found and removed (``remove_dead_parts``: by the next write of that target, or
by the batch run whose render worker it was).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from wam.core.errors import ClosedPipeError, OutputError
from wam.core.signals import is_running, signals_deferred

#: Names of an open descriptor of this process: written through (appended), never replaced.
_DESCRIPTOR = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|thread-self|\d+)/fd/\d+")
_CHUNK = 1 << 20


def is_stream(path: str | os.PathLike) -> bool:
    """Whether ``path`` is written through instead of replaced: an existing character device,
    FIFO or socket (following symlinks), or a name of an open descriptor (``/dev/stdout``)."""
    given = os.path.abspath(os.fspath(path))
    if _DESCRIPTOR.fullmatch(given):
        return True
    try:
        mode = os.stat(given).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def replace_target(path: str | os.PathLike) -> Path:
    """The file a write of ``path`` replaces: ``path``, or for a symlink the file it finally
    points to (which need not exist yet). The temp file goes beside it, so the rename is atomic."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, or bytes as they are) to ``path``: through a temp file renamed
    over the (link-followed) target, or written through for a special file (``is_stream``)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if is_stream(path):
        _write_through(path, [data])
        return
    tmp = None
    try:
        with signals_deferred():  # the temp file, and its name here, come together
            tmp = staged(path, data)
        install(tmp, path)
    finally:
        discard(tmp)


def staged(path: str | os.PathLike, data: bytes) -> Path:
    """A complete, synced temp file holding ``data``, ready for ``install(tmp, path)``: beside
    ``path``'s target (or, for a special file, in the temp folder), named
    ``.NAME.PID.XXXXXXXX.part``; temp files of that name that processes now gone left beside the
    target are removed first. The caller removes it if it is never installed (``discard``)."""
    if is_stream(path):
        folder, name = Path(tempfile.gettempdir()), "stream"
    else:
        target = replace_target(path)
        folder, name = (target.parent if str(target.parent) else Path(".")), target.name
        remove_dead_parts(target)
    while True:
        tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part"  # named before it exists
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            continue  # another file has that name: draw another
        except OSError as exc:
            raise output_error(path, exc) from None
        except BaseException:  # an interrupt as it was made
            discard(tmp)
            raise
        break
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError):
            raise output_error(path, exc) from None
        raise
    return tmp


def part_path(path: str | os.PathLike, pid: int | None = None) -> Path:
    """The temp file beside ``path``'s target (``replace_target``) that process ``pid`` (this one
    by default) writes before renaming it into place: ``.NAME.PID.part``."""
    target = replace_target(path)
    return target.parent / f".{target.name}.{os.getpid() if pid is None else pid}.part"


def remove_dead_parts(path: str | os.PathLike) -> list[Path]:
    """Delete the temp files beside ``path``'s target (``part_path``'s and ``staged``'s) whose
    process is gone: killed outright, or a batch's render worker stopped before it could clean
    up. Those of running processes, and other targets', are kept. The files removed."""
    import glob

    if is_stream(path):
        return []
    target = replace_target(path)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.(?:[0-9a-z_]+\.)?part")
    removed = []
    for p in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        m = pattern.fullmatch(p.name)
        if m and int(m.group(1)) != os.getpid() and not is_running(int(m.group(1))) and p.is_file():
            discard(p)
            removed.append(p)
    return removed


def install(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Put the finished temp file ``tmp`` in place as ``path``: renamed over the target (keeping
    an existing file's permissions), or, for a special file, copied through it. ``tmp`` is gone
    afterwards either way; OutputError (the target as it was) if that fails."""
    try:
        if is_stream(path):
            with open(tmp, "rb") as f:
                _write_through(path, iter(lambda: f.read(_CHUNK), b""))
            return
        target = replace_target(path)
        _give_mode(Path(tmp), target)
        os.replace(tmp, target)
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        discard(tmp)


def install_together(*pairs: tuple[str | os.PathLike | None, str | os.PathLike | None]) -> None:
    """Put several finished temp files in place as one unit (a video and its subtitles): each
    ``(tmp, path)`` pair whose ``tmp`` is not None, under ``output_lock`` of their targets. The
    special files go first: written through, they may fail (a full device) or wait for their
    reader, and a failure there leaves no new file beside. Then the files are renamed over their
    targets with a signal held in between, so that an interrupt never leaves a new one beside an old."""
    pairs = tuple((tmp, path) for tmp, path in pairs if tmp is not None)
    with output_lock(*(path for _, path in pairs)):
        for tmp, path in pairs:
            if is_stream(path):
                install(tmp, path)
        with signals_deferred():
            for tmp, path in pairs:
                if not is_stream(path):
                    install(tmp, path)


def discard(tmp: str | os.PathLike | None) -> None:
    """Remove a temp file if it is there."""
    if tmp is None:
        return
    try:
        os.unlink(tmp)
    except OSError:
        pass


@contextlib.contextmanager
def output_lock(*paths: str | os.PathLike | None) -> Iterator[None]:
    """Hold an exclusive lock on the folders of ``paths``' targets (special files skipped) while
    they are put in place, so that two runs writing the same outputs (a video and its
    subtitles) never end up with one run's video and the other's subtitles. Best effort: a
    folder that cannot be locked (a file system without locks) is not locked."""
    import fcntl

    folders = sorted({os.path.realpath(replace_target(p).parent) for p in paths
                      if p is not None and not is_stream(p)})
    fds = []
    try:
        for folder in folders:
            try:
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:
                continue
            fds.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                pass
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the lock


def _give_mode(tmp: Path, target: Path) -> None:
    """The permissions (and, when allowed, the owner) of the file ``tmp`` replaces; a new file
    gets the normal ones (0666 less the umask)."""
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:  # not allowed: the file becomes this user's, as any new file would
            pass
    os.chmod(tmp, stat.S_IMODE(st.st_mode) & 0o777)


def _write_through(path: str | os.PathLike, chunks) -> None:
    """Write ``chunks`` into the special file ``path`` (it stays what it is)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def output_error(path: str | os.PathLike, exc: OSError) -> OutputError:
    """The error to raise for a write of ``path`` that failed with ``exc``: a ClosedPipeError when
    its reader went away, else an OutputError (``write_failure`` says why)."""
    if exc.errno == errno.EPIPE:
        return ClosedPipeError(write_failure(path, exc), os.fspath(path))
    return OutputError(write_failure(path, exc))


def write_failure(path: str | Path, exc: OSError) -> str:
    """Why writing ``path`` failed, as one line (for an OutputError)."""
    folder = Path(path).parent if str(Path(path).parent) else Path(".")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write {path}: the disk is full"
    if exc.errno == errno.EPIPE:
        return f"cannot write {path}: its reader closed it before the end"
    if exc.errno == errno.ENOENT and not folder.is_dir():
        return f"cannot write {path}: the folder {folder} does not exist (create it first)"
    if exc.errno == errno.ENOTDIR:
        return f"cannot write {path}: {folder} is not a folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {path}: no permission to write in {folder}"
    if exc.errno == errno.EROFS:
        return f"cannot write {path}: {folder} is on a read-only file system"
    if exc.errno == errno.EISDIR:
        return f"cannot write {path}: it is a folder"
    return f"cannot write {path} ({exc.strerror or type(exc).__name__})"
