"""The render cache, ``$WAM_HOME/render-cache``: encoded video segments by key (see
``wam.render.segments``) and the last plan rendered to each output path.

Place in the flow: the renderer asks it for segments before encoding and stores the new
ones; the CLI asks it for the previous plan of an output (stable re-planning). ``wam cache``
shows and clears it.

Each segment ``segments/<key>.mp4`` has a sidecar ``<key>.json`` (frames, bytes, SHA-256)
written only after the segment is complete, so a partial file (a killed render) is never
used, and a damaged one (size or checksum differ) is deleted and rebuilt. The cache is kept
under a size cap by least-recently-used eviction (a use touches the sidecar). A render
hard-links the segments it joins into its own work folder first, so another render evicting
them meanwhile cannot break it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from wam.core.errors import WamError
from wam.core.signals import is_running

#: Bumped when the sidecar's meaning changes; other sidecars are ignored (and evicted).
SIDECAR_FORMAT = 1


@dataclass(frozen=True)
class CacheStats:
    """What ``wam cache`` shows."""

    path: str
    segments: int
    bytes: int
    plans: int
    max_bytes: int | None
    kept: int = 0  # after ``clear``: files that could not be deleted …
    problem: str | None = None  # … and why


def render_cache_bytes() -> int:
    """The render cache's size cap in bytes: ``$WAM_CACHE_MB`` or ``DEFAULT_RENDER_CACHE_MB``."""
    from wam.core.config import DEFAULT_RENDER_CACHE_MB
    from wam.core.errors import UsageError

    value = os.environ.get("WAM_CACHE_MB", "").strip()
    if not value:
        return DEFAULT_RENDER_CACHE_MB * 2**20
    try:
        mb = float(value)
    except ValueError:
        mb = -1.0
    if not 0 <= mb * 2**20 < math.inf:  # NaN, negative, inf or too large for a byte count
        raise UsageError(f"WAM_CACHE_MB must be a size in MB (a finite number >= 0), not {value!r}")
    return int(mb * 2**20)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class RenderCache:
    """Segments and previous plans under ``root``; ``max_bytes`` None: no cap."""

    def __init__(self, root: str | Path, max_bytes: int | None = None):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.segments = self.root / "segments"
        self.plans = self.root / "plans"
        self.work_root = self.root / "work"

    @classmethod
    def default(cls) -> RenderCache:
        """The user's cache in ``$WAM_HOME/render-cache``, capped at ``render_cache_bytes()``."""
        from wam.core.config import RENDER_CACHE_DIRNAME, wam_home

        return cls(wam_home() / RENDER_CACHE_DIRNAME, render_cache_bytes())

    def ensure(self) -> RenderCache:
        """Create the folders; WamError (one line) if that is impossible."""
        try:
            for d in (self.segments, self.plans, self.work_root):
                d.mkdir(parents=True, exist_ok=True)
            if not os.access(self.segments, os.W_OK | os.X_OK):
                raise PermissionError(13, "not writable")
        except OSError as exc:
            raise WamError(f"cannot use the render cache {self.root} ({exc.strerror or exc}); "
                           "set WAM_HOME to a writable folder") from None
        return self

    # --- segments -------------------------------------------------------------------------
    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.segments / f"{key}.mp4", self.segments / f"{key}.json"

    def segment(self, key: str, frames: int) -> Path | None:
        """The complete, undamaged segment ``key`` of ``frames`` frames (and mark it used), or
        None; a damaged or partial one is deleted so that it is rebuilt."""
        video, side = self._paths(key)
        try:
            meta = json.loads(side.read_text())
            ok = (meta.get("format") == SIDECAR_FORMAT and meta.get("frames") == frames
                  and video.stat().st_size == meta.get("bytes") and file_sha256(video) == meta.get("sha256"))
        except (OSError, ValueError, AttributeError):
            ok = False
        if not ok:
            for p in (side, video):
                try:
                    p.unlink()
                except OSError:
                    pass
            return None
        try:
            os.utime(side)
        except OSError:
            pass
        return video

    def part_path(self, key: str) -> Path:
        """Where this process encodes segment ``key`` before ``add_segment`` moves it in."""
        return self.segments / f".{key}.{os.getpid()}.part.mp4"

    def add_segment(self, key: str, part: Path, frames: int) -> Path:
        """Move the finished encode ``part`` in as segment ``key`` and write its sidecar last."""
        video, side = self._paths(key)
        meta = {"format": SIDECAR_FORMAT, "frames": frames, "bytes": part.stat().st_size,
                "sha256": file_sha256(part)}
        os.replace(part, video)
        tmp = side.with_name(f".{side.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, side)
        return video

    def _entries(self) -> list[tuple[float, int, str]]:
        """(last use, bytes, key) of every complete segment."""
        out = []
        for side in self.segments.glob("*.json"):
            video = side.with_suffix(".mp4")
            try:
                used = side.stat().st_mtime
                size = video.stat().st_size + side.stat().st_size
            except OSError:
                continue
            out.append((used, size, side.stem))
        return out

    def remove_stale(self) -> None:
        """Delete what killed renders left: part files and work folders of processes that are gone,
        and segments without a sidecar (never completed)."""
        for folder in (self.segments, self.work_root):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                pid = _pid_of(p.name)
                if pid is not None and pid != os.getpid() and not is_running(pid):
                    _remove(p)
        for video in self.segments.glob("*.mp4"):
            if not video.name.startswith(".") and not video.with_suffix(".json").exists():
                _remove(video)

    def evict(self) -> int:
        """Remove least recently used segments until the cache is under its cap; bytes freed."""
        if self.max_bytes is None:
            return 0
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        freed = 0
        for _, size, key in entries:
            if total <= self.max_bytes:
                break
            video, side = self._paths(key)
            _remove(side)
            _remove(video)
            total -= size
            freed += size
        return freed

    def work_path(self) -> Path:
        """The private folder of this process's render (``make_work_dir``; the renderer removes it)."""
        return self.work_root / f"render.{os.getpid()}"

    def make_work_dir(self) -> Path:
        """Make ``work_path()`` anew, empty."""
        d = self.work_path()
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d

    # --- previous plans -------------------------------------------------------------------
    def _plan_path(self, output: str | Path) -> Path:
        name = hashlib.sha256(str(Path(output).resolve()).encode()).hexdigest()[:32]
        return self.plans / f"{name}.json"

    def previous_plan(self, output: str | Path):
        """The last plan rendered (or planned) to ``output``, or None (none kept, or unreadable)."""
        from wam.core.timeline import timeline_from_dict

        try:
            doc = json.loads(self._plan_path(output).read_text())
            return timeline_from_dict(doc["plan"])
        except (OSError, ValueError, KeyError, TypeError, WamError):
            return None

    def save_plan(self, output: str | Path, timeline) -> None:
        """Keep ``timeline`` as the previous plan of ``output`` (best effort: a cache is optional)."""
        from wam.core.errors import OutputError
        from wam.core.fileio import write_atomic

        try:
            self.plans.mkdir(parents=True, exist_ok=True)
            write_atomic(self._plan_path(output),
                         json.dumps({"output": str(Path(output).resolve()), "plan": timeline.to_dict()}))
        except (OSError, OutputError):
            pass

    # --- wam cache -------------------------------------------------------------------------
    def stats(self) -> CacheStats:
        entries = self._entries() if self.segments.is_dir() else []
        plans = len(list(self.plans.glob("*.json"))) if self.plans.is_dir() else 0
        return CacheStats(str(self.root), len(entries), sum(s for _, s, _ in entries), plans, self.max_bytes)

    def clear(self, plans: bool = True) -> CacheStats:
        """Remove every segment (and the kept plans when ``plans``); what was actually removed,
        with ``kept`` files that could not be and the ``problem``. WamError when the cache held
        something and nothing at all could be removed (e.g. a read-only folder)."""
        before = self.stats()
        kept, problem = 0, None
        for folder in (self.segments, *((self.plans,) if plans else ())):
            if folder.is_dir():
                for p in folder.iterdir():
                    pid = _pid_of(p.name)
                    if pid is None or not is_running(pid) or pid == os.getpid():
                        if (failure := _remove(p)) is not None:
                            kept += 1
                            problem = problem or (failure.strerror or str(failure))
        after = self.stats()
        removed = CacheStats(before.path, max(0, before.segments - after.segments),
                             max(0, before.bytes - after.bytes),
                             max(0, before.plans - after.plans) if plans else 0, self.max_bytes, kept,
                             problem)
        if kept and not (removed.segments or removed.plans):
            raise WamError(f"cannot clear the render cache {self.root}: nothing could be deleted ({problem}; "
                           f"{kept} file(s) kept)")
        return removed


def _pid_of(name: str) -> int | None:
    """The process id in a part file or work folder name (``.KEY.PID.part.mp4``, ``render.PID``)."""
    parts = name.split(".")
    if name.startswith("render.") and len(parts) == 2 and parts[1].isdigit():
        return int(parts[1])
    if ".part" in name:
        for a, b in zip(parts, parts[1:]):
            if b == "part" and a.isdigit():
                return int(a)
    return None


def _remove(p: Path) -> OSError | None:
    """Delete the file or folder ``p``; the OSError that stopped it (None: done, or gone already)."""
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc
    return None
