"""Find the media files of a library folder (videos and still pictures): recursive,
symlink-loop safe, sorted, never inside wam's own folder (``$WAM_HOME``: its render
cache holds video segments).

Also the cheap identity of a file (size, mtime, inode change time, sampled content hash)
used to skip unchanged clips and to recognise moved ones.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wam.core.config import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

#: What ``media_files`` finds: videos, and pictures (each indexed as one still shot).
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FoundFile:
    path: str  # absolute path as found (symlinks not resolved)
    size: int
    mtime_ns: int
    ctime_ns: int = 0  # when its inode last changed: any rewrite moves it, whatever mtime says


def media_files(root: Path, *, skip: Iterable[str | Path] = (),
                skipped: Callable[[str], None] = lambda folder: None) -> list[FoundFile]:
    """Every file under ``root`` with a video or picture extension, in a stable sorted order.

    Follows symlinked folders but never enters the same folder twice (no loops);
    skips hidden folders (``.git``, ``.thumbnails`` …), unreadable ones, and the folders
    ``skip`` (wam's own folder), telling ``skipped`` about those.
    """
    root = Path(root)
    found: list[FoundFile] = []
    seen_dirs: set[tuple[int, int]] = set()
    for folder in skip:
        try:
            st = os.stat(folder)
        except OSError:
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
    barred = set(seen_dirs)

    def walk(folder: str) -> None:
        try:
            st = os.stat(folder)
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in barred:
            skipped(folder)
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    walk(entry.path)
                elif (entry.is_file(follow_symlinks=True)
                      and Path(entry.name).suffix.lower() in MEDIA_EXTENSIONS):
                    st = entry.stat(follow_symlinks=True)
                    found.append(FoundFile(os.path.abspath(entry.path), st.st_size, st.st_mtime_ns,
                                           st.st_ctime_ns))
            except OSError:
                continue

    walk(os.path.abspath(root))
    found.sort(key=lambda f: f.path)
    return found


def content_hash(path: str, size: int) -> str:
    """A fast identity of a file's bytes: BLAKE2b of its size and its first, middle and last MiB."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(size).encode())
    with open(path, "rb") as f:
        if size <= 3 * _HASH_CHUNK:
            h.update(f.read())
        else:
            for offset in (0, size // 2 - _HASH_CHUNK // 2, size - _HASH_CHUNK):
                f.seek(offset)
                h.update(f.read(_HASH_CHUNK))
    return h.hexdigest()
