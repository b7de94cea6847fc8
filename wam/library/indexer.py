"""``wam index``: bring the index up to date with one or more library folders.

scan (never ``$WAM_HOME``) → ``changes.plan_file`` (unchanged? skip; moved? keep analysis;
a copy? indexed once) → analyse in worker processes →
tag keyframes + visual words + describe + embed + visual vectors (+ image vectors with a
vision model) in this process (``library/describer.py``) →
store, one transaction per clip → image vectors for stored shots that lack them
(``library/images.py``). Bad files are recorded and reported, never fatal.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_TAGGER, default_workers
from wam.core.errors import UsageError, WamError
from wam.core.types import ClipAnalysis
from wam.library.analyse import analyse_in_worker
from wam.library.changes import DUPLICATE, Job, fail, plan_file
from wam.library.describe import ShotDescription, human_text, path_words, read_sidecars
from wam.library.describer import Describer
from wam.library.images import embed_stored_shots, vision_for_run
from wam.library.scan import media_files
from wam.library.store import Store
from wam.library.visual_words import visual_words
from wam.text.embed import model_id

Warn = Callable[[str], None]


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
    pictured: int = 0  # stored shots given image vectors (a new vision model, or an interrupted run)
    model: str = ""
    vision: str = ""  # the vision model, if any
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d

    def line(self) -> str:
        extra = []
        for name in ("redescribed", "moved", "removed", "reembedded", "pictured"):
            if getattr(self, name):
                extra.append(f"{getattr(self, name)} {'image-embedded' if name == 'pictured' else name}")
        tail = (", " + ", ".join(extra)) if extra else ""
        return (
            f"indexed {self.clips} clips, {self.shots} shots "
            f"({self.indexed} new or changed, {self.skipped} skipped, {self.failed} failed{tail}) "
            f"in {self.seconds:.1f} s"
        )


def index_libraries(
    roots: list[str | Path],
    *,
    model: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    warn: Warn = lambda msg: None,
    home: Path | None = None,
    ray: str | None = None,
    vision: str | None = None,
    no_vision: bool = False,
    tagger: str | None = None,
) -> IndexSummary:
    """Index (or refresh) each folder in ``roots`` into the index in ``home``/``$WAM_HOME``;
    with ``ray`` (an address, or ``"auto"``) the clips are analysed as tasks on a Ray cluster.
    ``vision``: a CLIP-family model (hub id or folder) whose image vectors every shot gets
    (default: the index's, if any); ``no_vision``: drop the index's vision model. ``tagger``
    (``library/tagger.TAGGERS``; default: the index's, else lite0): clips tagged by another
    are analysed again."""
    started = time.perf_counter()
    folders = []
    for r in roots:
        p = Path(r).expanduser()
        if not p.exists():
            raise UsageError(f"no such folder: {r}")
        if not p.is_dir():  # a device such as /dev/null, which the CLI's folder check lets through
            raise UsageError(f"not a folder: {r} (give the folder that holds your clips)")
        folders.append(p.resolve())
    workers = max(1, workers or default_workers())
    summary = IndexSummary(libraries=[str(f) for f in folders])
    with Store.open(home) as store, store.lock():
        requested = model_id(model) if model else (store.model or model_id(None))
        seeing = None if no_vision else vision_for_run(vision, store.vision)
        describer = Describer(requested, tagger or store.meta("tagger") or DEFAULT_TAGGER, store.home, seeing)
        store.set_meta("tagger", describer.tagger_name)
        summary.model, summary.vision = requested, seeing.name if seeing else ""
        store.set_vision(seeing)
        if store.model and store.model != requested:
            summary.reembedded = _reembed_all(store, describer)
        jobs: list[Job] = []
        seen_paths: set[str] = set()
        library_ids = []
        own = store.path.parent  # $WAM_HOME: its render cache is video, never footage
        for root in folders:
            if root.is_relative_to(own.resolve()):
                raise WamError(f"refusing to index {root}: it is inside wam's own folder {own} ($WAM_HOME)")
        for root in folders:
            lib = store.library_id(str(root), create=True)
            library_ids.append(lib)
            checked_at = time.time()
            files = media_files(root, skip=[own], skipped=lambda folder: warn(
                f"skipped {folder}: it is wam's own folder ($WAM_HOME), never indexed"))
            existing = store.clips_under(lib)
            for f in files:
                seen_paths.add(f.path)
                plan_file(store, describer, lib, root, f, existing.get(f.path), jobs, summary, warn,
                          checked_at)
            for path, row in store.clips_under(lib).items():  # re-read: moves changed paths
                if path not in seen_paths and not os.path.exists(path):
                    store.delete_clip(row.id)
                    summary.removed += 1
            store.forget_failures_under(str(root), {f.path for f in files})
        _run_jobs(store, describer, jobs, workers, progress, summary, warn, ray)
        if seeing is not None:
            summary.pictured = embed_stored_shots(store, lambda: describer.vision_model, workers=workers,
                                                  progress=progress, warn=warn)
            store.drop_other_image_vectors(seeing.identity)
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


def _reembed_all(store: Store, describer: Describer) -> int:
    """Every shot's text embedding and visual vector in the new text model's space."""
    texts = store.shot_texts()
    descriptions = [t.description for t in texts]
    vecs = describer.embed(descriptions) if texts else np.zeros((0, describer.encoder.dim), np.float32)
    visual = describer.visual(store.shot_concepts([t.pk for t in texts]), descriptions)
    store.replace_model(describer.model, texts, vecs, visual)
    return len(texts)


def _run_jobs(store, describer, jobs: list[Job], workers: int, progress: bool, summary, warn,
              ray=None) -> None:
    if not jobs:
        return
    from tqdm import tqdm

    pooled = not ray and workers > 1 and len(jobs) > 1
    if not pooled:  # pooled, they load once the workers have their first clips, which start sooner
        describer.preload(threads=1 if ray else None)
    bar = tqdm(total=len(jobs), unit="clip", desc="indexing", disable=not progress, leave=False,
               dynamic_ncols=True)
    try:
        if ray:
            from wam.library.ray_analysis import analyse_on_ray

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
        describer.stop_preload()  # interrupted (or every clip failed): exit without loading more models
        bar.close()


def _run_pool(store, describer, jobs, workers, bar, summary, warn) -> None:
    from wam.library.pool import run_pool

    left = len(jobs)

    def finish(job: Job, result) -> None:
        nonlocal left
        left -= 1
        if left == 0:  # every clip is decoded: the last one's models may use the idle workers' cores
            describer.use_every_core()
        _finish(store, describer, job, result, summary, warn)
        bar.update(1)

    run_pool(jobs, lambda job: (analyse_in_worker, (job.file.path, 1)), finish, workers,
             order=lambda job: job.file.path, crashed="the decoder crashed on this file",
             started=lambda: describer.preload(threads=1))


def _finish(store: Store, describer: Describer, job: Job, result: ClipAnalysis | str, summary, warn) -> None:
    """Describe, embed and store one analysed clip (or record why it failed)."""
    f = job.file
    sidecar = read_sidecars(Path(f.path))
    if isinstance(result, str):
        fail(store, f, sidecar.signature, result, summary, warn)
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
    try:
        store.save_clip(library_id=job.library_id, path=f.path, size=f.size, mtime_ns=f.mtime_ns,
                        content_hash=job.content_hash, sidecar_sig=sidecar.signature, analysis=result,
                        descriptions=descriptions, embeddings=vecs, model=describer.model,
                        checked_at=job.checked_at,
                        images=describer.images([s.keyframes for s in result.shots]), concepts=concepts,
                        visual=describer.visual(concepts, descriptions), tagger=describer.tagger_name)
    except sqlite3.IntegrityError:  # another clip with these bytes was stored meanwhile: this one is its copy
        fail(store, f, sidecar.signature, f"{DUPLICATE} another indexed clip; indexed once", summary, warn)
        return
    summary.indexed += 1
