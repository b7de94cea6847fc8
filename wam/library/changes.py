"""What a scanned file needs before ``wam index`` analyses anything: nothing (unchanged), new
descriptions (its sidecars changed), a move (the same bytes under a new path), nothing but a
note (a copy of a clip indexed already: indexed once), or analysis.

A file is unchanged when its size and mtime are those stored and its inode has not changed
since it was last checked; otherwise its content hash (``scan.content_hash``) decides, so a
clip replaced by other footage of the same size and mtime is analysed again. A clip that
becomes a copy of another one, or whose twin in the index changed, never breaks the index.

scan (``FoundFile``) → ``plan_file`` → a ``Job`` for the indexer, or a store update.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wam.library.describe import ShotDescription, human_text, path_words, read_sidecars
from wam.library.scan import FoundFile, content_hash
from wam.library.schema import ANALYSIS_VERSION
from wam.library.store import ShotText, Store

Warn = Callable[[str], None]
#: How the reason of a file skipped as a copy of another begins.
DUPLICATE = "same content as"
#: Seconds of clock coarseness: a file whose inode changed this close before it was last checked is read
#: again.
CHANGE_SLACK = 2.0


@dataclass(frozen=True)
class Job:
    """A clip to analyse: where it was found, its content hash, when its scan began."""

    library_id: int
    root: str
    file: FoundFile
    content_hash: str
    checked_at: float  # when the scan that found it began (its content was read after)


def plan_file(store, describer, lib, root, f: FoundFile, row, jobs, summary, warn, checked_at: float) -> None:
    """Decide what a scanned file needs: nothing, new descriptions, a move, or analysis.

    Size and mtime alone do not prove a file unchanged (a copy made with ``cp -p`` or ``touch -r``
    keeps them): one whose inode changed after it was last checked has its content hash read."""
    sidecar = read_sidecars(Path(f.path))
    for w in sidecar.warnings:
        warn(f"{f.path}: {w}")
    digest = None
    same = bool(row) and row.size == f.size and row.mtime_ns == f.mtime_ns
    if same and f.ctime_ns >= ((row.checked_at or 0.0) - CHANGE_SLACK) * 1e9:  # rewritten since last checked?
        if (digest := _digest(store, f, sidecar, summary, warn)) is None:
            return
        same = digest == row.content_hash
        if same:  # the same bytes: not read again until the file changes again
            store.touch_clip(row.id, size=f.size, mtime_ns=f.mtime_ns, checked_at=checked_at)
    if same and (row.analysis < ANALYSIS_VERSION or row.tagger != describer.tagger_name):
        jobs.append(Job(lib, str(root), f, row.content_hash, checked_at))  # by an older wam or tagger: again
        return
    if same:
        skip_or_redescribe(store, describer, row, root, f, sidecar, summary)
        return
    failed = store.failure(f.path)
    failed_as_is = failed and failed[:3] == (f.size, f.mtime_ns, sidecar.signature)
    if failed_as_is and not failed[3].startswith(DUPLICATE):
        warn(f"skipped {f.path}: {failed[3]} (unchanged since the last run)")
        count_failure(summary, f.path, failed[3])
        return
    if digest is None and (digest := _digest(store, f, sidecar, summary, warn)) is None:
        return
    if row and row.content_hash == digest:  # touched, same bytes
        store.touch_clip(row.id, size=f.size, mtime_ns=f.mtime_ns, checked_at=checked_at)
        skip_or_redescribe(store, describer, row, root, f, sidecar, summary)
        return
    planned = next((j for j in jobs if j.content_hash == digest), None)
    twins = [] if planned else [c for c in store.clips_with_hash(digest) if c.path != f.path]
    gone = [c for c in twins if not os.path.exists(c.path)]
    held = [c for c in twins if c not in gone and _holds(c.path, digest)]
    for c in twins:
        if c not in gone and c not in held:  # its file changed since: analysed again in its own turn
            store.delete_clip(c.id)
    if row and (planned or held or gone):  # its old footage is gone: the file is now a copy (or a move)
        store.delete_clip(row.id)
    if planned or held:
        first = planned.file.path if planned else held[0].path
        fail(store, f, sidecar.signature, f"{DUPLICATE} {first}; indexed once", summary, warn)
        return
    if gone:
        store.move_clip(gone[0].id, library_id=lib, path=f.path, size=f.size, mtime_ns=f.mtime_ns,
                        checked_at=checked_at)
        redescribe(store, describer, gone[0].id, root, f.path, sidecar)
        summary.moved += 1
        return
    jobs.append(Job(lib, str(root), f, digest, checked_at))


def skip_or_redescribe(store, describer, row, root, f: FoundFile, sidecar, summary) -> None:
    """An unchanged clip: skipped, or described again when its sidecars changed."""
    if row.sidecar_sig == sidecar.signature:
        summary.skipped += 1
    else:
        redescribe(store, describer, row.id, root, f.path, sidecar)
        summary.redescribed += 1


def _digest(store: Store, f: FoundFile, sidecar, summary, warn: Warn) -> str | None:
    """The file's content hash, or None (its failure recorded) when it cannot be read."""
    try:
        return content_hash(f.path, f.size)
    except OSError as exc:
        fail(store, f, sidecar.signature, f"cannot read file ({exc.strerror or exc})", summary, warn)
        return None


def _holds(path: str, digest: str) -> bool:
    """Whether the file at ``path`` still has the content ``digest`` (an unreadable one is assumed to)."""
    try:
        return content_hash(path, os.path.getsize(path)) == digest
    except OSError:
        return True


def fail(store: Store, f: FoundFile, sidecar_sig: str, reason: str, summary, warn: Warn) -> None:
    store.record_failure(f.path, f.size, f.mtime_ns, sidecar_sig, reason)
    warn(f"skipped {f.path}: {reason}")
    count_failure(summary, f.path, reason)


def count_failure(summary, path: str, reason: str) -> None:
    summary.failed += 1
    summary.duplicates += reason.startswith(DUPLICATE)
    summary.failures.append({"path": path, "reason": reason})


def redescribe(store: Store, describer, clip_id: int, root, path: str, sidecar) -> None:
    """New human/name descriptions for a clip's stored shots (labels and visual words kept), re-embedded."""
    texts = store.shot_texts(clip_id)
    human = human_text(sidecar)
    names = tuple(path_words(Path(path), Path(root)))
    updated = [
        ShotText(t.pk, t.clip_id, t.shot_id,
                 ShotDescription(human=human, names=names, labels=t.description.labels,
                                 seen=t.description.seen))
        for t in texts
    ]
    vecs = describer.embed([t.description for t in updated])
    store.update_descriptions(clip_id, updated, vecs, describer.model, sidecar_sig=sidecar.signature)


