"""Which files the studio may serve, and its thumbnails: only shots of the indexed libraries,
named by their shot id, never by a path from a request.

``ShotFiles`` is built once from the index (shot id → its file and its time range) with the
libraries' folders; a shot's file is served only while it is a regular file whose real path
(symlinks resolved) lies inside one of those folders, so neither ``..``, an encoded slash, an
absolute path nor a symlink out of a library can reach another file; the one file besides
them is the talk a plan over the speaker cuts over (``--a-roll``), as the shot ``a-roll``
(``add_talk``). Thumbnails are JPEGs
from ``wam.storyboard.thumbs`` at a time clamped into the shot, kept in memory.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

#: Thumbnail widths the page may ask for (a cut's, an alternative's).
WIDTHS = (320, 192)
#: Thumbnails kept in memory (≈ 10 KB each).
KEPT_THUMBNAILS = 2000


@dataclass(frozen=True)
class ShotFile:
    source: str
    start: float
    end: float


class ShotFiles:
    """Shot id → the file it is in, for the shots of ``table`` under the library folders ``roots``."""

    def __init__(self, table, roots: list[str]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]
        self.shots = {sid: ShotFile(src, float(a), float(b))
                      for sid, src, a, b in zip(table.shot_ids, table.sources, table.starts, table.ends)}
        self.talk: Path | None = None  # the real path of the talk (``add_talk``)
        self._thumbs: OrderedDict[tuple, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def add_talk(self, path: str, seconds: float) -> None:
        """Serve the speaker's talk at ``path`` (``seconds`` long) as the shot ``a-roll``."""
        from wam.assemble.speaker import SPEAKER_ID

        self.talk = Path(os.path.realpath(path))
        self.shots[SPEAKER_ID] = ShotFile(path, 0.0, float(seconds))

    def file_of(self, shot_id: str) -> Path | None:
        """The file of the shot ``shot_id``: its real path if that is a regular file inside an
        indexed library (or the talk); None otherwise (an unknown shot, a vanished file, a link out)."""
        shot = self.shots.get(shot_id)
        if shot is None:
            return None
        real = Path(os.path.realpath(shot.source))
        inside = real == self.talk or any(real.is_relative_to(root) for root in self.roots)
        if not inside or not real.is_file():
            return None
        return real

    def thumbnail(self, shot_id: str, seconds: float, width: int) -> bytes | None:
        """A JPEG of shot ``shot_id`` at ``seconds`` in its file (clamped into the shot),
        ``width`` pixels wide (one of ``WIDTHS``); None when there is no such picture."""
        from wam.storyboard.thumbs import thumbnail

        shot = self.shots.get(shot_id)
        if shot is None or width not in WIDTHS:
            return None
        at = round(min(max(seconds, shot.start), max(shot.start, shot.end - 0.05)), 2)
        key = (shot_id, at, width)
        with self._lock:
            if key in self._thumbs:
                self._thumbs.move_to_end(key)
                return self._thumbs[key]
        path = self.file_of(shot_id)
        jpeg = thumbnail(str(path), at, width) if path is not None else None
        with self._lock:
            self._thumbs[key] = jpeg
            while len(self._thumbs) > KEPT_THUMBNAILS:
                self._thumbs.popitem(last=False)
        return jpeg
