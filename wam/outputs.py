"""Which output paths wam refuses to write: the check every command runs on each output
(``plan -o``, ``render -o`` / ``--srt``, and the coming ``export`` / ``storyboard``) before
it does any work.

wam never overwrites what a run reads (the story, a saved plan, the music, the plan's
source clips), never writes into an indexed library folder (it could replace a clip or a
sidecar, and a new file there would be indexed as footage) and never writes into the index
folder. Paths are compared resolved (symlinks, ``..``) and, for files that exist, by
identity (device and inode), so a hard link or a symlink to a clip is caught too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from wam.errors import StoreError, UnsafeOutputError, UsageError


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None] = (),
                 libraries: Iterable[str | os.PathLike] | None = None, home: Path | None = None) -> Path:
    """The absolute, resolved ``path``, or a UsageError (the CLI exits 2) saying why wam will not write it.

    ``inputs``: files the run reads (None and ``-`` for stdin are skipped). ``libraries``:
    folders nothing may be written into; None means every library indexed in ``home``
    (default ``$WAM_HOME``), whose clips are also compared by identity, plus the index folder.
    Refused with ``UnsafeOutputError``: an input, anything inside a library or the index
    folder, an indexed clip under another name. Refused with a plain ``UsageError``: a
    folder, a missing or read-only folder, a read-only file.
    """
    given = os.fspath(path)
    target = Path(given).expanduser()
    real = Path(os.path.realpath(target))
    identity = _identity(real)
    for item in inputs:
        if item is None or os.fspath(item) == "-":
            continue
        if real == Path(os.path.realpath(Path(os.fspath(item)).expanduser())) or (
                identity and identity == _identity(Path(os.fspath(item)))):
            raise UnsafeOutputError(f"refusing to write {given}: it is {os.fspath(item)}, an input of this run; "
                                    "choose another output name")
    if libraries is None:
        roots, clips, index_home = _indexed(home, identity)
    else:
        roots, clips, index_home = [Path(p).expanduser().resolve() for p in libraries], [], None
    places = {real, Path(os.path.abspath(target))}  # the library scan does not resolve symlinks
    for root in roots:
        if any(p.is_relative_to(root) for p in places):
            raise UnsafeOutputError(
                f"refusing to write {given}: it is inside the indexed library {root}, and wam never writes into a "
                "library (it could replace a clip or a sidecar, and would be indexed as footage); "
                "choose a path outside it")
    if clips:
        raise UnsafeOutputError(f"refusing to write {given}: it is the indexed clip {clips[0]} under another name "
                                "(a link to the same file); choose another output name")
    if index_home is not None and any(p.is_relative_to(index_home) for p in places):
        raise UnsafeOutputError(f"refusing to write {given}: it is inside the wam index folder {index_home}; "
                                "choose a path outside it")
    _check_writable(given, target)
    return real


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(device, inode, size) of an existing file (following symlinks), else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size)


def _indexed(home: Path | None, identity) -> tuple[list[Path], list[str], Path | None]:
    """The indexed library roots, the indexed clips that are the same file as the output
    (only clips of its size are looked at), and the index folder."""
    from wam.config import wam_home
    from wam.library.store import Store

    home = Path(home) if home else wam_home()
    try:
        with Store.open(home, create=False) as store:
            roots = [Path(lib["root"]) for lib in store.libraries()]
            same = store.clip_paths_of_size(identity[2]) if identity else []
    except StoreError:  # an unreadable index: the run's own inputs are still protected
        return [], [], home
    roots += [Path(os.path.realpath(r)) for r in roots]
    return roots, [c for c in same if _identity(Path(c)) == identity], home.resolve()


def _check_writable(given: str, target: Path) -> None:
    """Refuse early what the write would fail on (a folder, a missing or read-only folder)."""
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"cannot write {given}: it is a folder; give a file name")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist (create it first)"
        raise UsageError(f"cannot write {given}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {given}: the folder {folder} is read-only")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"cannot write {given}: the file is read-only (remove it or choose another name)")
