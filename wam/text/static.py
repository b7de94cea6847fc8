"""Static sentence vectors: the fast, approximate way to embed a very long story's sentences
(``--sentence-vectors static``, and ``auto`` for stories of at least
``wam.core.config.static_vectors_from()`` sentences), ≈ 20× less work than the text model.

The Model2Vec idea, distilled from the installed text model itself (a ``wam.text.bert``
encoder) and computed lazily:

* a token's vector is the model's last-layer output at that token for the input
  ``[CLS] token [SEP]``; only the tokens a story uses are computed, and they are kept in the
  sentence cache (``sentences.sqlite``, as model ``<model>#tokens<VERSION>``, key the token id);
* a sentence's raw vector is the mean of its tokens' vectors ([CLS] and [SEP] left out),
  weighted by Model2Vec's Zipf weight ``log(1 + rank)``, the rank being the token's place in
  the vocabulary counted from its first whole word (WordPiece vocabularies list words by
  frequency; the specials and single characters before them count as the most frequent);
* an affine map (ridge least squares) takes the raw vectors to the full model's space, so that
  they compare with the index's shot vectors on the full model's scale. It is fitted on
  ``DISTILL_TEXTS`` pseudo-sentences made from the vocabulary (Zipf-sampled whole words, a
  fixed seed: no data set), embedded both ways. The built-in model's map ships in
  ``wam/text/data/`` (``python -m wam.text.static --write-map`` writes it again); another model's is
  made on first use and kept in the sentence cache (``<model>#static-map<VERSION>``).

A sentence's static vector is cached under ``static_name(model)`` (``<model>#static<VERSION>``),
never mixed with the full model's. Measured against the full model in the CHANGELOG
(bench/montage_quality.py and bench/footage_blind.py with ``--plan-args``). Layer 2; torch
comes in through the BERT encoder only. ``StaticProcess`` runs it in a child process
(``python -m wam.text.static NAME HOME``) as ``wam.text.embed.ModelProcess`` runs the model.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_MODEL, SENTENCE_VECTOR_MODES, static_vectors_from
from wam.core.errors import ModelError
from wam.text.embed import ModelProcess

#: Bump when token vectors, weights or the map change: every static vector is cached under it.
VERSION = 1
#: Pseudo-sentences the map to the full model's space is fitted on, and how they are made.
DISTILL_TEXTS = 10000
DISTILL_WORDS = 20000  # the vocabulary's first whole words they are drawn from
DISTILL_LENGTHS = (4, 20)  # words per pseudo-sentence, [low, high)
DISTILL_RIDGE = 1.0
#: Tokens given to the model per forward pass (as ``[CLS] token [SEP]``).
TOKEN_BATCH = 512
DATA = Path(__file__).resolve().parent / "data"


def static_name(model: str) -> str:
    """What ``model``'s static sentence vectors are cached under (never its own name)."""
    return f"{model}#static{VERSION}"


def uses_static(mode: str, sentences: int) -> bool:
    """Whether a story of ``sentences`` sentences is embedded with static vectors under
    ``--sentence-vectors mode``: always for ``static``, never for ``full``, and for ``auto``
    from ``static_vectors_from()`` sentences on. Depends on the story alone, never on the cache."""
    if mode not in SENTENCE_VECTOR_MODES:
        raise ValueError(f"unknown sentence vector mode {mode!r}")
    return mode == "static" or (mode == "auto" and sentences >= static_vectors_from())


def static_supported(model: str) -> bool:
    """Whether text ``model`` (an index's model id) has static vectors: a BERT with mean pooling
    that ``wam.text.bert`` computes (the built-in model does)."""
    from wam.text.bert import bert_layout
    from wam.text.embed import model_location

    try:
        location = model_location(model)
    except ModelError:
        return False
    return os.path.isdir(location) and bert_layout(location) is not None


def static_note(sentences: int) -> str:
    """The one line said when a story's sentences get static vectors."""
    return (f"{sentences} sentences: embedded with the text model's static token vectors (fast, "
            "approximate); --sentence-vectors full embeds them with the whole model")


def shipped_map_path(model: str) -> Path:
    return DATA / f"static{VERSION}-{model}.npy"


class StaticEncoder:
    """Unit float32 sentence vectors from a ``wam.text.bert.BertMeanEncoder``'s token vectors
    (see the module's docstring); ``home``: the folder of the sentence cache that keeps the
    token vectors and a non-shipped map (None: nothing kept)."""

    def __init__(self, bert, home: Path | None = None, warn: Callable[[str], None] = lambda m: None):
        if not all(hasattr(bert, m) for m in ("hidden", "token_ids", "vocabulary")):
            raise ModelError(f"static sentence vectors need a BERT text model with mean pooling (as the "
                             f"built-in {DEFAULT_MODEL}), not {bert.name!r}; use --sentence-vectors full")
        self._bert, self._home, self._warn = bert, home, warn
        self.name, self.dim = static_name(bert.name), bert.dim
        vocab = bert.vocabulary()
        self._first = min((i for w, i in vocab.items() if len(w) > 1 and w.isalpha()), default=0)
        self._vocab = vocab
        self._tokens: dict[int, np.ndarray] = {}
        self._map: np.ndarray | None = None

    def weight(self, token: np.ndarray) -> np.ndarray:
        """Each token id's Zipf weight in a sentence's mean."""
        rank = np.maximum(np.asarray(token, np.float64) - self._first + 1, 1)
        return np.log1p(rank)

    def raw(self, texts: list[str]) -> np.ndarray:
        """(texts, dim) the weighted means of the texts' token vectors, before the map."""
        from scipy.sparse import csr_matrix

        ids = [x[1:-1] or x for x in self._bert.token_ids(texts)]
        used = sorted({t for x in ids for t in x})
        vectors = self.token_vectors(used)
        table = np.stack([vectors[t] for t in used]) if used else np.zeros((0, self.dim), np.float32)
        column = {t: j for j, t in enumerate(used)}
        flat = np.fromiter((t for x in ids for t in x), np.int64)
        weights = self.weight(flat)
        lengths = np.array([len(x) for x in ids])
        ends = np.cumsum(lengths)
        totals = np.add.reduceat(weights, ends - lengths) if len(flat) else np.zeros(0)
        weights /= np.repeat(totals, lengths)
        means = csr_matrix((weights, [column[t] for t in flat.tolist()], np.concatenate([[0], ends])),
                           shape=(len(ids), len(used)))
        return np.asarray(means @ table.astype(np.float64), np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        mapping = self.mapping()
        y = self.raw(texts).astype(np.float64) @ mapping[:-1] + mapping[-1]
        y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
        return y.astype(np.float32)

    def token_vectors(self, tokens: list[int]) -> dict[int, np.ndarray]:
        """Token id → its vector, for ``tokens``: from memory, the cache, or the model."""
        missing = [t for t in tokens if t not in self._tokens]
        if missing:
            model = f"{self._bert.name}#tokens{VERSION}"
            with self._cache() as cache:
                if cache is not None:
                    for key, blob in cache.lookup(model, [str(t) for t in missing]).items():
                        vec = np.frombuffer(blob, np.float32)
                        if len(vec) == self.dim:
                            self._tokens[int(key)] = vec
                todo = [t for t in missing if t not in self._tokens]
                for a in range(0, len(todo), TOKEN_BATCH):
                    chunk = todo[a : a + TOKEN_BATCH]
                    rows = list(zip(chunk, self._compute_tokens(chunk)))
                    self._tokens.update(rows)
                    if cache is not None:
                        cache.save(model, [(str(t), v) for t, v in rows])
        return {t: self._tokens[t] for t in tokens}

    def _compute_tokens(self, tokens: list[int]) -> np.ndarray:
        import torch

        cls, sep = self._special("[CLS]", 0), self._special("[SEP]", -1)
        with torch.inference_mode():
            x, _, _ = self._bert.hidden([[cls, t, sep] for t in tokens])
        return x.view(len(tokens), 3, self.dim)[:, 1].numpy().astype(np.float32)

    def _special(self, name: str, place: int) -> int:
        if name in self._vocab:
            return self._vocab[name]
        return self._bert.token_ids([""])[0][place]  # the tokenizer's own start / end tokens

    def mapping(self) -> np.ndarray:
        """(dim + 1, dim) float64: the map's matrix, its last row the offset."""
        if self._map is not None:
            return self._map
        shape = (self.dim + 1, self.dim)
        shipped = shipped_map_path(self._bert.name)
        if shipped.is_file():
            found = np.load(shipped, allow_pickle=False)
            if found.shape == shape:
                self._map = found.astype(np.float64)
                return self._map
        key = f"{self._bert.name}#static-map{VERSION}"
        with self._cache() as cache:
            blob = cache.lookup(key, ["map"]).get("map") if cache is not None else None
            if blob is not None and len(blob) == 4 * shape[0] * shape[1]:
                self._map = np.frombuffer(blob, np.float32).reshape(shape).astype(np.float64)
                return self._map
            self._map = self.fit_map().astype(np.float32).astype(np.float64)
            if cache is not None:
                cache.save(key, [("map", self._map.ravel())])
        return self._map

    def distill_texts(self, n: int = DISTILL_TEXTS, seed: int = 0) -> list[str]:
        """``n`` pseudo-sentences of Zipf-sampled whole words of the vocabulary (fixed ``seed``)."""
        words = sorted((i, w) for w, i in self._vocab.items()
                       if w.isascii() and w.isalpha() and i >= self._first)
        words = [w for _, w in words[:DISTILL_WORDS]]
        p = 1.0 / np.arange(1, len(words) + 1)
        p /= p.sum()
        rng = np.random.default_rng(seed)
        return [" ".join(rng.choice(words, size=int(rng.integers(*DISTILL_LENGTHS)), p=p)) for _ in range(n)]

    def fit_map(self, n: int = DISTILL_TEXTS) -> np.ndarray:
        """The affine map from raw static vectors to the full model's (ridge, fitted on ``n``
        pseudo-sentences embedded both ways)."""
        texts = self.distill_texts(n)
        x = np.hstack([self.raw(texts).astype(np.float64), np.ones((len(texts), 1))])
        y = self._bert.encode(texts).astype(np.float64)
        return np.linalg.solve(x.T @ x + DISTILL_RIDGE * np.eye(x.shape[1]), x.T @ y)

    def _cache(self):
        from contextlib import nullcontext

        from wam.text.textcache import CACHE_FILENAME, VectorCache

        if self._home is None:
            return nullcontext(None)
        return VectorCache.opened(Path(self._home) / CACHE_FILENAME, self._warn)


_LOADED: dict[tuple[str, str], StaticEncoder] = {}


def load_static(name: str | None, home: Path | None) -> StaticEncoder:
    """The static encoder of text model ``name`` (default the built-in one), once per process;
    ``home``: the sentence cache's folder (None: nothing kept)."""
    from wam.text.embed import load_encoder, model_id

    key = (model_id(name), str(home))
    if key not in _LOADED:
        _LOADED[key] = StaticEncoder(load_encoder(name), home)
    return _LOADED[key]


class StaticProcess(ModelProcess):
    """The static encoder in a child process (``python -m wam.text.static NAME HOME``), as
    ``ModelProcess`` runs the text model; its vectors are cached under ``static_name``."""

    module = "wam.text.static"

    def __init__(self, name: str | None, dim: int, home: Path | None):
        from wam.text.embed import model_id

        super().__init__(name, dim)
        self._args = [self.name, str(home) if home is not None else ""]
        self.name = static_name(model_id(name))


def write_shipped(model: str = DEFAULT_MODEL) -> Path:
    """Fit ``model``'s map and write the shipped float32 file."""
    from wam.text.embed import load_encoder

    mapping = StaticEncoder(load_encoder(model)).fit_map().astype(np.float32)
    path = shipped_map_path(model)
    os.makedirs(path.parent, exist_ok=True)
    np.save(path, mapping, allow_pickle=False)
    return path


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-map"]:
        print(write_shipped())
    else:
        from wam.text.embed import serve_encoder

        serve_encoder(lambda: load_static(sys.argv[1], Path(sys.argv[2]) if sys.argv[2] else None))
