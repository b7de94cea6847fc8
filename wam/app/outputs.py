"""Which output paths wam refuses to write: the check every command runs on each output
(``plan -o``, ``render -o`` / ``--srt``, ``export -o``, ``storyboard -o``, every job of a
batch) before it does any work.

wam never overwrites what a run reads (the story, a saved plan, the music, the plan's
source clips and their sidecars), never writes into an indexed library folder (it could
replace a clip or a sidecar, and a new file there would be indexed as footage) and never
writes into the index folder. When the index cannot be read, the folders of a saved plan's
clips stand in for the libraries, and any existing video or picture, and any sidecar of one,
is refused (it may be a library's). Paths are compared resolved (symlinks, ``..``) and, for
files that exist, by identity (device and inode), so a hard link or a symlink to a clip is
caught too. A character device or FIFO (``/dev/null``, a pipe, ``/dev/stdout``) is
written through by ``wam.core.fileio`` and stays what it is; a disk is refused.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from wam.core.errors import StoreError, UnsafeOutputError, UsageError


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None] = (),
                 sources: Iterable[str | os.PathLike] = (),
                 libraries: Iterable[str | os.PathLike] | None = None, home: Path | None = None) -> Path:
    """The absolute, resolved ``path``, or a UsageError (the CLI exits 2) saying why wam will not write it.

    ``inputs``: files the run reads (None and ``-`` for stdin are skipped). ``sources``: the
    clips of a saved plan the run reads; they and their sidecars are inputs too, and when the
    index cannot be read their folders count as library folders. ``libraries``: folders
    nothing may be written into; None means every library indexed in ``home`` (default
    ``$WAM_HOME``), whose clips are also compared by identity, plus the index folder.
    Refused with ``UnsafeOutputError``: an input, anything inside a library or the index
    folder, an indexed clip under another name. Refused with a plain ``UsageError``: a
    folder, a missing or read-only folder, a read-only file, a disk (block device).
    A character device, a FIFO or ``/dev/stdout`` is written through (``wam.core.fileio``) and
    never compared with the inputs by identity when it is a device.
    """
    from wam.core.fileio import is_stream

    given = os.fspath(path)
    target = Path(given).expanduser()
    real = Path(os.path.realpath(target))
    stream = is_stream(target)
    identity = None if stream and _is_device(target) else _identity(real)
    sources = [os.fspath(s) for s in sources]
    sidecars = [os.fspath(p) for s in sources for p in sidecar_paths(s)]
    for item in [*inputs, *sources, *sidecars]:
        if item is None or os.fspath(item) == "-":
            continue
        if (not stream and real == Path(os.path.realpath(Path(os.fspath(item)).expanduser()))) or (
                identity and identity == _identity(Path(os.fspath(item)))):
            what = "a sidecar of the plan's clip" if os.fspath(item) in sidecars else "an input of this run"
            raise UnsafeOutputError(f"refusing to write {given}: it is {os.fspath(item)}, {what}; "
                                    "choose another output name")
    if stream:
        _check_stream(given, target)
        return real
    readable = True
    if libraries is None:
        roots, clips, index_home, readable = _indexed(home, identity)
    else:
        roots, clips, index_home = [Path(p).expanduser().resolve() for p in libraries], [], None
    places = {real, Path(os.path.abspath(target))}  # the library scan does not resolve symlinks
    for root in roots:
        if any(p.is_relative_to(root) for p in places):
            raise UnsafeOutputError(
                f"refusing to write {given}: it is inside the indexed library {root}, and wam never writes "
                "into a library (it could replace a clip or a sidecar, and would be indexed as footage); "
                "choose a path outside it")
    if not readable:  # no index to say where the libraries are: the plan's clips' folders are
        for source in sources:
            folder = Path(os.path.realpath(Path(source).expanduser())).parent
            if any(p.is_relative_to(folder) for p in places):
                raise UnsafeOutputError(
                    f"refusing to write {given}: it is inside {folder}, the folder of the plan's clip "
                    f"{source} (the index cannot be read to tell where the libraries are, so wam writes "
                    "nothing beside the clips); choose a path outside it")
        if why := _maybe_footage(real):  # and any other footage, or its description, may be a library's
            raise UnsafeOutputError(
                f"refusing to write {given}: it is {why}, and the index cannot be read to tell whether it "
                "belongs to a library; choose another output name (or repair the index: move it away and "
                "run `wam index DIR` again)")
    if clips:
        raise UnsafeOutputError(f"refusing to write {given}: it is the indexed clip {clips[0]} under another "
                                "name (a link to the same file); choose another output name")
    if index_home is not None and any(p.is_relative_to(index_home) for p in places):
        raise UnsafeOutputError(f"refusing to write {given}: it is inside the wam index folder {index_home}; "
                                "choose a path outside it")
    _check_writable(given, target)
    return real


def sidecar_paths(clip: str | os.PathLike) -> tuple[Path, ...]:
    """The sidecar files a clip may have beside it (``foo.txt``, ``foo.json``): protected with it."""
    from wam.library.describe import sidecar_paths as beside

    return beside(Path(clip))


def _maybe_footage(target: Path) -> str | None:
    """What ``target`` would replace that a library may hold: an existing video or picture, or a
    sidecar of one (``foo.txt`` / ``foo.json`` beside ``foo.mp4``, which describes it; new or not).
    None for anything else."""
    from wam.library.scan import MEDIA_EXTENSIONS

    if target.suffix.lower() in MEDIA_EXTENSIONS and target.is_file():
        return "an existing video or picture"
    if target.suffix.lower() not in {p.suffix for p in sidecar_paths(target)}:
        return None
    try:
        with os.scandir(target.parent) as entries:
            clips = sorted(e.name for e in entries if Path(e.name).stem == target.stem
                           and Path(e.name).suffix.lower() in MEDIA_EXTENSIONS)
    except OSError:
        return None
    return f"the sidecar of {target.parent / clips[0]} (its description)" if clips else None


def _is_device(path: Path) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def _check_stream(given: str, target: Path) -> None:
    """A special file is written through: it must be a character device or FIFO this user may
    write (a disk is never written, a socket cannot be)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:  # /dev/stdout of a closed descriptor: the write says why
        return
    if stat.S_ISBLK(mode):
        raise UsageError(f"refusing to write {given}: it is a disk (a block device); give a file name")
    if stat.S_ISSOCK(mode):
        raise UsageError(f"cannot write {given}: it is a socket; give a file name")
    if not os.access(target, os.W_OK):
        raise UsageError(f"cannot write {given}: no permission to write it")


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(device, inode, size) of an existing file (following symlinks), else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size)


def _indexed(home: Path | None, identity) -> tuple[list[Path], list[str], Path | None, bool]:
    """The indexed library roots, the indexed clips that are the same file as the output
    (only clips of its size are looked at), the index folder, and whether the index could be read."""
    from wam.core.config import wam_home
    from wam.library.store import Store

    home = Path(home) if home else wam_home()
    try:
        with Store.open(home, create=False) as store:
            roots = [Path(lib["root"]) for lib in store.libraries()]
            same = store.clip_paths_of_size(identity[2]) if identity else []
    except StoreError:  # an unreadable index: the inputs (and a plan's clips' folders) stay protected
        return [], [], home, False
    roots += [Path(os.path.realpath(r)) for r in roots]
    return roots, [c for c in same if _identity(Path(c)) == identity], home.resolve(), True


def _check_writable(given: str, target: Path) -> None:
    """Refuse early what the write would fail on (a folder, a missing or read-only folder; for a
    symlink, those of the file it points to, which is what is replaced)."""
    from wam.core.fileio import replace_target

    folder = replace_target(target).parent
    if target.is_dir():
        raise UsageError(f"cannot write {given}: it is a folder; give a file name")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist (create it first)"
        raise UsageError(f"cannot write {given}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {given}: the folder {folder} is read-only")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"cannot write {given}: the file is read-only (remove it or choose another name)")


def check_video_output(path: str | os.PathLike) -> None:
    """UsageError unless ``path`` names an MP4 file wam can render to (``VIDEO_OUTPUT_EXTENSIONS``):
    checked before any planning, so that a wrong name costs nothing and writes nothing."""
    from wam.core.config import VIDEO_OUTPUT_EXTENSIONS

    name = Path(os.fspath(path)).name
    if Path(name).suffix.lower() not in VIDEO_OUTPUT_EXTENSIONS:
        raise UsageError(f"cannot render to {os.fspath(path)}: the video is an MP4 file, so its name must "
                         f"end in {', '.join(VIDEO_OUTPUT_EXTENSIONS)} (e.g. {Path(name).stem or 'out'}.mp4)")
