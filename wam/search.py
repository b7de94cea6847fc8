"""Search the index for a text query (``wam search``): embed, score, rank.

Glue between the store, the encoder and the pure candidate scoring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from wam.errors import LibraryNotIndexedError, NothingIndexedError, WamError


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


def library_ids(store, libraries: list[str] | None) -> list[int] | None:
    """Store ids of the ``--library`` folders (None: all); a folder never indexed is an error."""
    if not libraries:
        return None
    ids = []
    for lib in libraries:
        root = str(Path(lib).expanduser().resolve())
        lid = store.library_id(root)
        if lid is None:
            raise LibraryNotIndexedError(f"{lib} is not an indexed library; run `wam index {lib}` first")
        ids.append(lid)
    return ids


def search_shots(query: str, *, k: int = 10, libraries: list[str] | None = None, home: Path | None = None) -> list[Hit]:
    """The k shots that best match ``query`` (best first)."""
    from wam.candidates import match_scores, query_words, top_k
    from wam.embed import load_encoder
    from wam.library.store import Store

    if not query.strip():
        raise WamError("empty query; say what the shot should show, e.g. wam search \"a cat on a sofa\"")
    with Store.open(home, create=False) as store:
        ids = library_ids(store, libraries)
        table = store.shot_table(ids)
        model = store.model
        words = store.word_index(query_words([query]), table)
        if len(table) == 0 or not model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        encoder = load_encoder(model)
        scores = match_scores(encoder.encode([query]), [query], table, words)[0]
        order = top_k(scores[None, :], k)[0]
        texts = store.descriptions([table.shot_ids[i] for i in order])
    return [
        Hit(table.shot_ids[i], table.sources[i], round(float(table.starts[i]), 3), round(float(table.ends[i]), 3),
            round(float(scores[i]), 4), texts.get(table.shot_ids[i], ""))
        for i in order
    ]
