"""The next best shots for each sentence of a plan: what else the library offers (shown by
``wam storyboard``). Layer 6 (a use case): glue between the store, the text encoders (with their sentence
cache) and candidate scoring, used the way the planner uses them; it never changes a plan.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from wam.core.config import DEFAULT_ALTERNATIVES, DEFAULT_K, wam_home
from wam.core.errors import NothingIndexedError


@dataclass(frozen=True)
class Alternative:
    """A shot the sentence could have used: where it is, how well it matches, what it shows."""

    shot_id: str
    source: str
    start: float  # seconds in the source
    end: float
    score: float
    description: str

    def to_dict(self) -> dict:
        return asdict(self)


def next_best(timeline, *, count: int = DEFAULT_ALTERNATIVES, k: int = DEFAULT_K,
              libraries: list[str] | None = None, home: Path | None = None, store=None,
              encoder=None) -> dict[int, list[Alternative]]:
    """Sentence index → up to ``count`` of its top-``k`` candidate shots that the plan does not
    use anywhere and does not ban (best first; files that no longer exist are skipped). A
    caller that keeps the index open and the text model loaded (``wam studio``) passes its
    ``store`` and ``encoder`` (neither is closed here)."""
    from contextlib import nullcontext

    from wam.library.store import Store
    from wam.text.candidates import candidate_sets, has_image_vectors
    from wam.text.embed import load_encoder
    from wam.text.embed.vision import load_vision
    from wam.text.keywords import query_words
    from wam.text.textcache import cached_encode

    if count <= 0 or not timeline.sentences:
        return {}
    home = Path(store.home) if store is not None else Path(home) if home else wam_home()
    texts = [s.text for s in timeline.sentences]
    with (nullcontext(store) if store is not None else Store.open(home, create=False)) as store:
        table = store.shot_table(store.library_ids(libraries))
        model = store.model
        if len(table) == 0 or not model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        words = store.word_index(query_words(texts), table)
        encoder = encoder if encoder is not None else load_encoder(model)
        vecs, _ = cached_encode(encoder, texts, home if home.exists() else None)
        vision = store.vision if has_image_vectors(table) else None
        image_queries = (cached_encode(load_vision(vision).text_encoder(), texts,
                                       home if home.exists() else None)[0]
                         if vision else None)
        sets = candidate_sets(vecs, texts, table, words, k=max(k, count), min_lengths=[0.0] * len(texts),
                              image_queries=image_queries)
        used = {c.shot_id for c in timeline.cuts()}
        bans = timeline.bans
        picked: dict[int, list[int]] = {}
        for s, cands in zip(timeline.sentences, sets):
            rows = [int(r) for r in cands.rows if table.shot_ids[int(r)] not in used
                    and not bans.excludes(table.shot_ids[int(r)], table.sources[int(r)])]
            picked[s.index] = [r for r in rows if os.path.isfile(table.sources[r])][:count]
        texts_by_id = store.descriptions(sorted({table.shot_ids[r] for rows in picked.values()
                                                 for r in rows}))
    out: dict[int, list[Alternative]] = {}
    for s, cands in zip(timeline.sentences, sets):
        out[s.index] = [
            Alternative(table.shot_ids[r], table.sources[r], round(float(table.starts[r]), 3),
                        round(float(table.ends[r]), 3), round(cands.score_of(r), 4),
                        texts_by_id.get(table.shot_ids[r], ""))
            for r in picked[s.index]
        ]
    return out
