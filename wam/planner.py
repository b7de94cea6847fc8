"""``wam plan``: story file + index → timeline. Glue between the story reader, the store,
the text encoder (with its sentence cache), candidate scoring and the assembler."""

from __future__ import annotations

import os
from pathlib import Path

from wam.errors import ModelMismatchError, NothingIndexedError


def plan_story(
    sentences,
    *,
    libraries: list[str] | None = None,
    pace: str = "normal",
    fps: int = 30,
    width: int = 1280,
    height: int = 720,
    k: int = 40,
    seed: int | None = None,
    model: str | None = None,
    home: Path | None = None,
    progress: bool = False,
    model_process: bool = False,
):
    """The timeline for already-read ``sentences`` from the shots of the chosen libraries
    (progress on stderr for long stories when ``progress``; the text model in a child process
    that ends after embedding when ``model_process``)."""
    from wam.assemble.plan import assemble
    from wam.assemble.styles import pace as pace_preset
    from wam.candidates import candidate_sets, query_words
    from wam.config import wam_home
    from wam.embed import ModelProcess, load_encoder, model_id
    from wam.library.store import Store
    from wam.search import library_ids
    from wam.textcache import cached_encode

    home = Path(home) if home else wam_home()
    texts = [s.text for s in sentences]
    with Store.open(home, create=False) as store:
        ids = library_ids(store, libraries)
        table = store.shot_table(ids)
        index_model = store.model
        words = store.word_index(query_words(texts), table)
    if len(table) == 0 or not index_model:
        raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
    if model and model_id(model) != index_model:
        raise ModelMismatchError(
            f"the index was embedded with {index_model!r}, not {model_id(model)!r}; "
            f"run `wam index DIR --model {model}` to re-embed it, or drop --model"
        )
    # a separate process for the model (wam render: the render never needs torch's ≈ 450 MB)
    encoder = ModelProcess(index_model, table.embeddings.shape[1]) if model_process else load_encoder(index_model)
    cache_warnings: list[str] = []
    try:
        vecs, _ = cached_encode(encoder, texts, home if home.exists() else None, progress=progress,
                                warn=cache_warnings.append)
    finally:
        if model_process:
            encoder.close()
    preset = pace_preset(pace)
    min_lengths = [min(s.duration, preset.max_cut) for s in sentences]
    candidates = candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths)
    # only the candidates' files are checked (cheap); if any vanished since indexing, plan
    # again without every missing clip
    offered = {table.sources[int(r)] for c in candidates for r in c.rows}
    gone: list[str] = []
    if any(not os.path.isfile(src) for src in offered):
        table, words, gone = _without_missing_sources(table, words)
        if len(table) == 0:
            raise NothingIndexedError("every indexed clip has disappeared from disk; run `wam index DIR` again")
        candidates = candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths)
    timeline = assemble(sentences, table, candidates, pace=preset, fps=fps, width=width, height=height, k=k,
                        seed=seed, model=index_model)
    timeline.warnings[:0] = cache_warnings
    if gone:
        timeline.warnings.insert(
            0, f"{len(gone)} indexed clip(s) no longer exist (e.g. {gone[0]}); planned without them — "
               "run `wam index` to update the index")
    return timeline


def _without_missing_sources(table, words):
    """Drop shots whose file disappeared since indexing (so a render never hits a missing file)."""
    import os

    import numpy as np

    from wam.library.store import shot_table_subset

    sources = sorted(set(table.sources))
    gone = [s for s in sources if not os.path.isfile(s)]
    if not gone:
        return table, words, []
    missing = set(gone)
    keep = np.array([s not in missing for s in table.sources])
    rows = np.nonzero(keep)[0]
    new_index = np.full(len(table), -1, np.int64)
    new_index[rows] = np.arange(len(rows))
    if words is not None:
        for d in (words.human, words.machine):
            for w in list(d):
                mapped = new_index[d[w]]
                d[w] = mapped[mapped >= 0]
        words.size = len(rows)
    return shot_table_subset(table, rows), words, gone
