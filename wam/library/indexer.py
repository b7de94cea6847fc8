"""``wam index``: bring the index up to date with one or more library folders.

scan → (unchanged? skip) → (moved? keep analysis) → analyse in worker processes →
tag keyframes + visual words + describe + embed + visual vectors in this process → store,
one transaction per clip. Bad files are recorded and reported, never fatal.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from wam.config import DEFAULT_TAGGER, default_workers
from wam.embed import model_id
from wam.errors import MediaError, WamError, one_line
from wam.library.describe import ShotDescription, human_text, path_words, read_sidecars
from wam.library.scan import FoundFile, content_hash, video_files
from wam.library.schema import ANALYSIS_VERSION
from wam.library.describer import Describer
from wam.library.store import ShotText, Store
from wam.library.visual_words import visual_words
from wam.types import ClipAnalysis

Warn = Callable[[str], None]
#: How the reason of a file skipped as a copy of another begins.
DUPLICATE = "same content as"


@dataclass
class IndexSummary:
    """What one ``wam index`` run did. ``clips``/``shots`` count what the indexed folders now hold."""

    libraries: list[str] = field(default_factory=list)
    clips: int = 0
    shots: int = 0
    indexed: int = 0  # analysed this run
    redescribed: int = 0  # sidecars or location changed: descriptions and embeddings redone
    moved: int = 0  # recognised by content after a rename/move
    skipped: int = 0  # unchanged since the last run
    removed: int = 0  # deleted from disk since the last run
    failed: int = 0
    duplicates: int = 0  # of the failed: copies of clips indexed already (indexed once)
    reembedded: int = 0  # shots re-embedded for a model change
    model: str = ""
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d

    def line(self) -> str:
        extra = []
        for name in ("redescribed", "moved", "removed", "reembedded"):
            if getattr(self, name):
                extra.append(f"{getattr(self, name)} {name}")
        tail = (", " + ", ".join(extra)) if extra else ""
        return (
            f"indexed {self.clips} clips, {self.shots} shots "
            f"({self.indexed} new or changed, {self.skipped} skipped, {self.failed} failed{tail}) "
            f"in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class _Job:
    library_id: int
    root: str
    file: FoundFile
    content_hash: str


def analyse_in_worker(path: str, decode_threads: int | None = None) -> ClipAnalysis | str:
    """Worker entry point: the analysis, or the reason the file is unusable (``decode_threads``:
    1 when other workers decode beside this one: frame threads would only compete for the cores)."""
    from wam.library.analyse import analyse_clip

    try:
        return analyse_clip(path, decode_threads=decode_threads)
    except MediaError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not stop the run
        return f"unexpected {type(exc).__name__}: {one_line(exc)}"


def index_libraries(
    roots: list[str | Path],
    *,
    model: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    warn: Warn = lambda msg: None,
    home: Path | None = None,
    ray: str | None = None,
    tagger: str | None = None,
) -> IndexSummary:
    """Index (or refresh) each folder in ``roots`` into the index in ``home``/``$WAM_HOME``;
    with ``ray`` (an address, or ``"auto"``) the clips are analysed as tasks on a Ray cluster.
    ``tagger`` (``library/tagger.TAGGERS``; default: the index's, else lite0): clips tagged by
    another are analysed again."""
    started = time.perf_counter()
    folders = []
    for r in roots:
        p = Path(r).expanduser()
        if not p.exists():
            raise WamError(f"no such folder: {r}")
        if not p.is_dir():
            raise WamError(f"not a folder: {r} (give the folder that holds your clips)")
        folders.append(p.resolve())
    workers = max(1, workers or default_workers())
    summary = IndexSummary(libraries=[str(f) for f in folders])
    with Store.open(home) as store, store.lock():
        requested = model_id(model) if model else (store.model or model_id(None))
        describer = Describer(requested, tagger or store.meta("tagger") or DEFAULT_TAGGER, store.home)
        store.set_meta("tagger", describer.tagger_name)
        summary.model = requested
        if store.model and store.model != requested:
            summary.reembedded = _reembed_all(store, describer)
        jobs: list[_Job] = []
        seen_paths: set[str] = set()
        library_ids = []
        for root in folders:
            lib = store.library_id(str(root), create=True)
            library_ids.append(lib)
            files = video_files(root)
            existing = store.clips_under(lib)
            for f in files:
                seen_paths.add(f.path)
                _plan_file(store, describer, lib, root, f, existing.get(f.path), jobs, summary, warn)
            for path, row in store.clips_under(lib).items():  # re-read: moves changed paths
                if path not in seen_paths and not os.path.exists(path):
                    store.delete_clip(row.id)
                    summary.removed += 1
            store.forget_failures_under(str(root), {f.path for f in files})
        _run_jobs(store, describer, jobs, workers, progress, summary, warn, ray)
        for lib in library_ids:
            for info in store.libraries(lib):  # none if a repeated folder was forgotten already
                if info["clips"] == 0:
                    store.forget_library(lib)
                else:
                    store.touch_library(lib)
                summary.clips += info["clips"]
                summary.shots += info["shots"]
    summary.seconds = time.perf_counter() - started
    return summary


def _plan_file(store, describer, lib, root, f: FoundFile, row, jobs, summary, warn) -> None:
    """Decide what a scanned file needs: nothing, new descriptions, a move, or analysis."""
    sidecar = read_sidecars(Path(f.path))
    for w in sidecar.warnings:
        warn(f"{f.path}: {w}")
    if (row and row.size == f.size and row.mtime_ns == f.mtime_ns
            and (row.analysis < ANALYSIS_VERSION or row.tagger != describer.tagger_name)):
        jobs.append(_Job(lib, str(root), f, row.content_hash))  # analysed by an older wam or tagger: again
        return
    if row and row.size == f.size and row.mtime_ns == f.mtime_ns:
        if row.sidecar_sig == sidecar.signature:
            summary.skipped += 1
        else:
            _redescribe(store, describer, row.id, root, f.path, sidecar)
            summary.redescribed += 1
        return
    failed = store.failure(f.path)
    if failed and failed[:3] == (f.size, f.mtime_ns, sidecar.signature):
        warn(f"skipped {f.path}: {failed[3]} (unchanged since the last run)")
        _count_failure(summary, f.path, failed[3])
        return
    try:
        digest = content_hash(f.path, f.size)
    except OSError as exc:
        _fail(store, f, sidecar.signature, f"cannot read file ({exc.strerror or exc})", summary, warn)
        return
    if row and row.content_hash == digest:  # touched, same bytes
        store.touch_clip(row.id, size=f.size, mtime_ns=f.mtime_ns)
        if row.sidecar_sig != sidecar.signature:
            _redescribe(store, describer, row.id, root, f.path, sidecar)
            summary.redescribed += 1
        else:
            summary.skipped += 1
        return
    planned = next((j for j in jobs if j.content_hash == digest), None)
    if planned:
        _fail(store, f, sidecar.signature, f"{DUPLICATE} {planned.file.path}; indexed once", summary, warn)
        return
    if not row:
        twins = [c for c in store.clips_with_hash(digest) if c.path != f.path]
        gone = [c for c in twins if not os.path.exists(c.path)]
        if gone:
            store.move_clip(gone[0].id, library_id=lib, path=f.path, size=f.size, mtime_ns=f.mtime_ns)
            _redescribe(store, describer, gone[0].id, root, f.path, sidecar)
            summary.moved += 1
            return
        if twins:
            _fail(store, f, sidecar.signature, f"{DUPLICATE} {twins[0].path}; indexed once", summary, warn)
            return
    jobs.append(_Job(lib, str(root), f, digest))


def _fail(store: Store, f: FoundFile, sidecar_sig: str, reason: str, summary: IndexSummary, warn: Warn) -> None:
    store.record_failure(f.path, f.size, f.mtime_ns, sidecar_sig, reason)
    warn(f"skipped {f.path}: {reason}")
    _count_failure(summary, f.path, reason)


def _count_failure(summary: IndexSummary, path: str, reason: str) -> None:
    summary.failed += 1
    summary.duplicates += reason.startswith(DUPLICATE)
    summary.failures.append({"path": path, "reason": reason})


def _redescribe(store: Store, describer: Describer, clip_id: int, root, path: str, sidecar) -> None:
    """New human/name descriptions for a clip's stored shots (labels and visual words kept), re-embedded."""
    texts = store.shot_texts(clip_id)
    human = human_text(sidecar)
    names = tuple(path_words(Path(path), Path(root)))
    updated = [
        ShotText(t.pk, t.clip_id, t.shot_id,
                 ShotDescription(human=human, names=names, labels=t.description.labels, seen=t.description.seen))
        for t in texts
    ]
    vecs = describer.embed([t.description for t in updated])
    store.update_descriptions(clip_id, updated, vecs, describer.model, sidecar_sig=sidecar.signature)


def _reembed_all(store: Store, describer: Describer) -> int:
    """Every shot's text embedding and visual vector in the new text model's space."""
    texts = store.shot_texts()
    descriptions = [t.description for t in texts]
    vecs = describer.embed(descriptions) if texts else np.zeros((0, describer.encoder.dim), np.float32)
    visual = describer.visual(store.shot_concepts([t.pk for t in texts]), descriptions)
    store.replace_model(describer.model, texts, vecs, visual)
    return len(texts)


def _run_jobs(store, describer, jobs: list[_Job], workers: int, progress: bool, summary, warn, ray=None) -> None:
    if not jobs:
        return
    from tqdm import tqdm

    describer.preload(threads=1 if ray or (workers > 1 and len(jobs) > 1) else None)
    bar = tqdm(total=len(jobs), unit="clip", desc="indexing", disable=not progress, leave=False, dynamic_ncols=True)
    try:
        if ray:
            from wam.library.remote import analyse_on_ray

            def finish(job, result) -> None:
                _finish(store, describer, job, result, summary, warn)
                bar.update(1)

            analyse_on_ray(None if ray == "auto" else ray, jobs, finish)
            return
        if workers == 1 or len(jobs) == 1:
            for job in jobs:
                _finish(store, describer, job, analyse_in_worker(job.file.path), summary, warn)
                bar.update(1)
            return
        _run_pool(store, describer, jobs, workers, bar, summary, warn)
    finally:
        bar.close()


def _new_pool(workers: int, ctx):
    from wam.signals import WorkerPool

    return WorkerPool(workers, ctx)


def _decoder_context():
    """The forkserver context, its server importing the analysis code (cv2, scenedetect) once
    for all workers instead of once per worker."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["wam.library.analyse"])
    return ctx


def _run_pool(store, describer, jobs, workers, bar, summary, warn) -> None:
    from concurrent.futures.process import BrokenProcessPool

    ctx = _decoder_context()
    pending = list(reversed(jobs))
    pool = _new_pool(min(workers, len(jobs)), ctx)
    running: dict[Future, _Job] = {}
    try:
        while pending or running:
            while pending and len(running) < 2 * workers:
                job = pending.pop()
                running[pool.submit(analyse_in_worker, job.file.path, 1)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: running[f].file.path):
                job = running.pop(fut, None)
                if job is None:  # the pool broke on an earlier clip of this round: this one is queued again
                    continue
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    result = "the decoder crashed on this file"
                    pool.shutdown(wait=False, cancel_futures=True)
                    for other in running.values():
                        pending.append(other)
                    running.clear()
                    pool = _new_pool(workers, ctx)
                _finish(store, describer, job, result, summary, warn)
                bar.update(1)
    except BaseException:  # Ctrl-C or an error: stop the decoders now, keep what is committed
        pool.stop_workers()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)


def _finish(store: Store, describer: Describer, job: _Job, result: ClipAnalysis | str, summary, warn) -> None:
    """Describe, embed and store one analysed clip (or record why it failed)."""
    f = job.file
    sidecar = read_sidecars(Path(f.path))
    if isinstance(result, str):
        _fail(store, f, sidecar.signature, result, summary, warn)
        return
    for w in result.warnings:
        warn(f"{f.path}: {w}")
    describer._wait()
    tagged = describer.tagger.tag_shots([s.keyframes for s in result.shots])
    human = human_text(sidecar)
    names = tuple(path_words(Path(f.path), Path(job.root)))
    descriptions = [ShotDescription(human=human, names=names, labels=t.labels, seen=visual_words(s.features))
                    for t, s in zip(tagged, result.shots)]
    vecs = describer.embed(descriptions)
    concepts = [t.concepts for t in tagged]
    store.save_clip(
        library_id=job.library_id,
        path=f.path,
        size=f.size,
        mtime_ns=f.mtime_ns,
        content_hash=job.content_hash,
        sidecar_sig=sidecar.signature,
        analysis=result,
        descriptions=descriptions,
        embeddings=vecs,
        model=describer.model,
        concepts=concepts,
        visual=describer.visual(concepts, descriptions),
        tagger=describer.tagger_name,
    )
    summary.indexed += 1
