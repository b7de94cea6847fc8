"""``wam plan``: story file + index → timeline. Glue between the story reader, the store,
the text encoder (with its sentence cache), candidate scoring and the assembler."""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from wam.config import DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_K, DEFAULT_PACE, DEFAULT_WIDTH, wam_home
from wam.errors import ModelMismatchError, NothingIndexedError

#: Stories of at least this many sentences show a progress bar while their cuts are planned.
PROGRESS_SENTENCES = 200

if TYPE_CHECKING:  # heavy modules are imported where they are used
    from wam.embed import Encoder
    from wam.library.store import Store
    from wam.keywords import WordIndex
    from wam.story import Sentence
    from wam.timeline import Timeline
    from wam.types import ShotTable


def plan_story(
    sentences: list[Sentence],
    *,
    libraries: list[str] | None = None,
    pace: str = DEFAULT_PACE,
    fps: int = DEFAULT_FPS,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    k: int = DEFAULT_K,
    seed: int | None = None,
    model: str | None = None,
    home: Path | None = None,
    progress: bool = False,
    model_process: bool = False,
    explain: bool = False,
    previous: Timeline | None = None,
    voice: str | None = None,
    narration: str | None = None,
    timing: str | None = None,
    note=None,
    store: Store | None = None,
    encoder: Encoder | None = None,
) -> Timeline:
    """The timeline for already-read ``sentences`` from the shots of the chosen libraries
    (progress on stderr for long stories when ``progress``; the text model in a child process
    that ends after embedding when ``model_process``). A batch passes the ``store`` it keeps
    open and the ``encoder`` it shares between stories (neither is closed here).

    With ``previous`` (the plan this story had before an edit, made with the same fps, pace
    and model) the cut changes only where the edit makes it: unchanged sentences keep their
    cuts (``assemble/stable.py``). Narrated (``voice``: a Piper voice, "default" for the
    shipped one; ``narration``: the user's recording; ``timing``: a SubRip file of sentence
    spans), sentences last as long as they are spoken and the plan records the narration;
    ``note`` hears what was synthesised."""
    from wam.assemble.plan import assemble
    from wam.assemble.stable import compatible
    from wam.assemble.styles import pace as pace_preset
    from wam.candidates import candidate_sets
    from wam.embed import ModelProcess, load_encoder, model_id
    from wam.keywords import query_words
    from wam.library.store import Store
    from wam.textcache import cached_encode

    home = Path(store.home) if store is not None else Path(home) if home else wam_home()
    draft = None
    voice_warnings: list[str] = []
    with (nullcontext(store) if store is not None else Store.open(home, create=False)) as store:
        table = store.shot_table(store.library_ids(libraries))
        index_model = store.model
        if len(table) == 0 or not index_model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        if model and model_id(model) != index_model:
            raise ModelMismatchError(
                f"the index was embedded with {index_model!r}, not {model_id(model)!r}; "
                f"run `wam index DIR --model {model}` to re-embed it, or drop --model"
            )
        if voice is not None or narration or timing:
            from wam.voice.narrate import narrate

            sentences, draft = narrate(sentences, voice=voice, recording=narration, timing=timing, home=home,
                                       warn=voice_warnings.append, note=note or (lambda m: None), progress=progress)
        reuse = None
        if previous is not None and not explain and compatible(previous, fps=fps, pace=pace, model=index_model):
            from wam.assemble.replan import reuse_for

            reuse = reuse_for(sentences, previous, table, fps=fps)
        todo = list(range(len(sentences))) if reuse is None else reuse.planned()
        texts = [sentences[j].text for j in todo]
        words = store.word_index(query_words(texts), table)
    cache_warnings: list[str] = []
    if texts:
        # a separate process for the model (wam render: the render never needs torch's ≈ 450 MB)
        own_process = encoder is None and model_process
        if encoder is None:
            encoder = (ModelProcess(index_model, table.embeddings.shape[1]) if model_process
                       else _FirstUse(model_id(index_model), table.embeddings.shape[1], load_encoder))
        # the sentence cache is optional: a read-only index folder is read without it
        cache = home if home.is_dir() and os.access(home, os.W_OK | os.X_OK) else None
        try:
            vecs, _ = cached_encode(encoder, texts, cache, progress=progress, warn=cache_warnings.append)
        finally:
            if own_process:
                encoder.close()
    preset = pace_preset(pace)
    min_lengths = [min(sentences[j].duration, preset.max_cut) for j in todo]
    candidates = candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths) if texts else []
    # only the candidates' files are checked (cheap); if any vanished since indexing, plan
    # again without every missing clip
    offered = {table.sources[int(r)] for c in candidates for r in c.rows}
    gone: list[str] = []
    if any(not os.path.isfile(src) for src in offered):
        table, words, gone = _without_missing_sources(table, words)
        if len(table) == 0:
            raise NothingIndexedError("every indexed clip has disappeared from disk; run `wam index DIR` again")
        candidates = candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths)
        if reuse is not None:  # the table's rows changed; kept sentences show only clips still on disk
            from wam.assemble.replan import reuse_for

            reuse = reuse_for(sentences, previous, table, fps=fps)
            assert reuse.planned() == todo
    if reuse is None:
        from tqdm import tqdm

        from wam.assemble.diversity import rounds_for

        n = len(sentences)
        with tqdm(total=rounds_for([s.duration for s in sentences]) * n, unit="sentence", desc="planning cuts",
                  leave=False, dynamic_ncols=True, disable=not progress or n < PROGRESS_SENTENCES) as bar:
            timeline = assemble(sentences, table, candidates, pace=preset, fps=fps, width=width, height=height, k=k,
                                seed=seed, model=index_model, explain=explain, tick=bar.update)
    else:
        from wam.assemble.replan import assemble_again

        timeline = assemble_again(sentences, table, dict(zip(todo, candidates)), reuse, pace=preset, fps=fps,
                                  width=width, height=height, model=index_model, seed=seed)
    timeline.warnings[:0] = cache_warnings
    if draft is not None:
        timeline = draft.attach(timeline)
        timeline.warnings[:0] = voice_warnings
    if gone:
        timeline.warnings.insert(
            0, f"{len(gone)} indexed clip(s) no longer exist (e.g. {gone[0]}); planned without them — "
               "run `wam index` to update the index")
    return timeline


def _without_missing_sources(table: ShotTable, words: WordIndex) -> tuple[ShotTable, WordIndex, list[str]]:
    """Drop shots whose file disappeared since indexing (so a render never hits a missing file)."""
    import numpy as np

    gone = [s for s in sorted(set(table.sources)) if not os.path.isfile(s)]
    if not gone:
        return table, words, []
    missing = set(gone)
    rows = np.nonzero([s not in missing for s in table.sources])[0]
    return table.subset(rows), words.subset(rows), gone


class _FirstUse:
    """The text encoder, loaded only when a sentence is not in the sentence cache (a story
    planned again never imports torch)."""

    def __init__(self, name: str, dim: int, load):
        self.name, self.dim, self._load = name, dim, load

    def encode(self, texts: list[str]):
        return self._load(self.name).encode(texts)
