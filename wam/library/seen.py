"""What wam sees in an indexed clip (``wam describe CLIP``): per shot, the tagger's classes
and labels with their confidence, the visual words, and the class names and words nearest
to the shot's visual vector in the text model's space — so a user can tell why a shot is
or is not found by a sentence.

Reads the store and the concept space (``library/concepts.py``); no video is opened.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_DESCRIBE_K
from wam.core.errors import ClipNotIndexedError, NothingIndexedError


@dataclass(frozen=True)
class ShotView:
    shot_id: str
    start: float
    end: float
    classes: list[tuple[str, float]]  # the heaviest ConSE class weights
    labels: list[tuple[str, float]]  # the confident labels (machine keywords, in the description text)
    words: list[tuple[str, float]]  # visual words with confidence
    nearest: list[tuple[str, float]]  # class names and visual words nearest to the visual vector (cosine)
    description: str  # the text the shot's text embedding was made from


@dataclass(frozen=True)
class ClipView:
    path: str
    tagger: str
    model: str
    shots: list[ShotView]

    def to_dict(self) -> dict:
        return asdict(self)


def describe_clip(clip: str | Path, *, k: int = DEFAULT_DESCRIBE_K, home: Path | None = None) -> ClipView:
    """What the index holds of ``clip`` (its path as given, resolved like ``wam index`` does)."""
    from wam.library.concepts import label_names, load_space
    from wam.library.store import Store
    from wam.text.embed import load_encoder

    path = str(Path(os.path.abspath(os.path.expanduser(str(clip)))).resolve())
    with Store.open(home, create=False) as store:
        rows = store.clip_shots(path)
        model = store.model
        store_home = store.home
    if not rows:
        if not model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        raise ClipNotIndexedError(f"{clip} is not indexed; run `wam index` on its folder first")
    space = load_space(model, lambda texts: load_encoder(model).encode(texts),
                       store_home if store_home.is_dir() else None)
    shots = []
    for shot_id, start, end, labels, words, concepts, visual, description, _ in rows:
        stored = visual is not None and len(visual) == 4 * space.dim
        vec = np.frombuffer(visual, np.float32) if stored else None
        known = vec is not None and bool(np.abs(vec).sum() > 0)
        shots.append(ShotView(
            shot_id=shot_id, start=round(start, 3), end=round(end, 3),
            classes=[(label_names(int(c))[0], round(float(w), 3)) for c, w in json.loads(concepts)[:k]],
            labels=[(a, float(b)) for a, b in json.loads(labels)],
            words=[(a, float(b)) for a, b in json.loads(words)],
            nearest=space.nearest(vec, k) if known else [],
            description=description,
        ))
    return ClipView(path=path, tagger=rows[0][8], model=model, shots=shots)
