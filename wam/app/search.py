"""Search the index for a text query (``wam search``): embed, score, rank.

Glue between the store, the encoders (the text model, and the vision model's text tower when
the index has image vectors) and the pure candidate scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from wam.core.config import DEFAULT_SEARCH_K
from wam.core.errors import NothingIndexedError, UsageError


@dataclass(frozen=True)
class Hit:
    shot_id: str
    source: str
    start: float
    end: float
    score: float
    description: str

    def to_dict(self) -> dict:
        return asdict(self)


def search_shots(query: str, *, k: int = DEFAULT_SEARCH_K, libraries: list[str] | None = None,
                 home: Path | None = None, warn: Callable[[str], None] = lambda message: None) -> list[Hit]:
    """The k shots that best match ``query`` (best first). Shots of clips deleted since they were
    indexed are left out, with one warning (``warn``) saying how many and how to update the index."""
    from wam.library.store import Store
    from wam.text.candidates import has_image_vectors, match_scores
    from wam.text.embed import load_encoder
    from wam.text.embed.vision import load_vision
    from wam.text.keywords import query_words

    if not query.strip():
        raise UsageError("empty query; say what the shot should show, e.g. wam search \"a cat on a sofa\"")
    with Store.open(home, create=False) as store:
        table = store.shot_table(store.library_ids(libraries))
        model = store.model
        words = store.word_index(query_words([query]), table)
        if len(table) == 0 or not model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        encoder = load_encoder(model)
        vision = store.vision if has_image_vectors(table) else None
        image_queries = load_vision(vision).text_encoder().encode([query]) if vision else None
        scores = match_scores(encoder.encode([query]), [query], table, words, image_queries)[0]
        order, gone = _existing_best(scores, table.sources, k)
        texts = store.descriptions([table.shot_ids[i] for i in order])
    if gone:
        warn(f"{len(gone)} clip(s) among the best matches no longer exist (e.g. {gone[0]}) and are left out; "
             "run `wam index` on their library to update the index")
    return [
        Hit(table.shot_ids[i], table.sources[i], round(float(table.starts[i]), 3),
            round(float(table.ends[i]), 3), round(float(scores[i]), 4), texts.get(table.shot_ids[i], ""))
        for i in order
    ]


def _existing_best(scores, sources, k: int) -> tuple[list[int], list[str]]:
    """The indices of the ``k`` best scores whose source file still exists, best first, and
    the missing sources passed over on the way."""
    import os

    from wam.text.candidates import top_k

    exists: dict[str, bool] = {}
    gone: list[str] = []
    want = k
    while True:
        order = top_k(scores[None, :], min(want, len(scores)))[0]
        kept = []
        for i in order:
            source = sources[i]
            if source not in exists:
                exists[source] = os.path.exists(source)
                if not exists[source]:
                    gone.append(source)
            if exists[source]:
                kept.append(int(i))
        if len(kept) >= k or len(order) >= len(scores):
            return kept[:k], gone
        want *= 4
