"""Candidate shots for a text: cosine similarity of embeddings, what the picture shows
(the tagger's classes and visual words in the text space, ``visual_blend``), keyword
evidence, and what a vision model sees in the pictures when the index has one
(``vision_evidence``).

Pure: works on a ShotTable, query vectors and a ``keywords.WordIndex``; used by
``wam search`` and by the planner. Write-a-video cascades keyword matching with
embeddings; here a word of the query found in a shot's human description adds more than
one found only in its file name or machine labels (``keywords.WordIndex.bonus``). The
visual term (``visual_blend``) compares the sentence with the shot's visual vector (ConSE
over the tagger's classes plus visual words, ``library/concepts.py``): it carries shots that
no person described, and only nudges those that a person did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wam.core.types import ShotTable
from wam.text.keywords import WordIndex
from wam.text.visual_match import visual_similarity

#: The most a shot's picture adds to its match score (text cosines run ≈ 0.1 – 0.7).
VISION_WEIGHT = 0.25
#: Standard scores (over the shots scored) at and above which a picture earns all of VISION_WEIGHT.
VISION_FULL_Z = 2.5
#: The smallest spread assumed for one text's text–image cosines over the shots (below it is noise).
VISION_MIN_STD = 0.01


def vision_evidence(image_queries: np.ndarray, image: np.ndarray) -> np.ndarray:
    """(texts, shots) what the pictures add to the match scores, in [0, VISION_WEIGHT].

    A CLIP-family model's text–image cosines live in a narrow band whose place differs per
    model and per text (CLIP's ≈ 0.15 – 0.35), so they are not comparable to text–text cosines
    as they are. Calibration: each text's cosines are standardised over the shots being scored
    (z = (cos − mean) / max(std, VISION_MIN_STD), rows without a vector left out), and a shot
    earns VISION_WEIGHT · clip(z / VISION_FULL_Z, 0, 1): nothing at or below the library's
    mean, the whole weight VISION_FULL_Z standard deviations above it. Shots without an image
    vector (zero rows) earn nothing."""
    out = np.zeros((len(image_queries), len(image)), np.float32)
    known = np.linalg.norm(image, axis=1) > 0.5 if image.size else np.zeros(len(image), bool)
    if not known.any() or len(image_queries) == 0:
        return out
    cos = image_queries.astype(np.float32) @ image[known].T
    z = (cos - cos.mean(axis=1, keepdims=True)) / np.maximum(cos.std(axis=1, keepdims=True), VISION_MIN_STD)
    out[:, known] = VISION_WEIGHT * np.clip(z / VISION_FULL_Z, 0.0, 1.0)
    return out


def has_image_vectors(table: ShotTable) -> bool:
    """Whether any shot of ``table`` has an image vector (so the vision model's text tower is needed)."""
    return table.image is not None and table.image.shape[1] > 0 and bool(np.any(np.asarray(table.image) != 0))


#: The visual term. A sentence's visual similarity with a shot (its cosine with the shot's
#: visual vector, less its cosine with the library's centre: ``visual_match.visual_similarity``)
#: is not on the scale of its cosine with a person's description, so it is mapped first:
#: ``VISUAL_SHIFT + VISUAL_SCALE * similarity``. Calibrated on bench/footage_blind.py's shipped
#: and dev stories (90 sentences × 15 clips, no sidecars): the wrong pairs (mean −0.013, sd
#: 0.063) map to −0.1 and the right ones (mean 0.18) to ≈ 0.29, against 0.11 and 0.66 for a
#: person's description of a wrong and a right clip. A seen clip needs a margin over its
#: rivals for the planner to follow it rather than its costs of pace and continuity: at scale
#: 1.11 (the spreads of wrong pairs matched) 48 sentences were mostly right where the right
#: clip ranked first for 61; at 2.0, 61 where it ranked first for 64 (1.5 and 2.5 did worse),
#: and a near miss falls under half the best candidate (the planner's last resort). A
#: person's words stay the stronger evidence.
VISUAL_SCALE = 2.0
VISUAL_SHIFT = -0.074
#: Share of the score the visual term takes for a shot a person described (sidecar or file
#: names); a shot nobody described is scored by the visual term alone. 0: a described shot
#: keeps its text score exactly, so its ranking cannot change (0.1 kept the sidecar figure of
#: bench/footage_blind.py at 1.00 but moved the planner's choices on the sample story).
VISUAL_WEIGHT_WORDED = 0.0


def visual_blend(text_sims: np.ndarray, visual_sims: np.ndarray, worded: np.ndarray,
                 known: np.ndarray) -> np.ndarray:
    """Text and visual similarity (both (queries, shots)) as one score per pair: for each shot
    (``worded``: a person's words describe it; ``known``: it has a visual vector) the weighted
    mean of its text similarity and its calibrated visual similarity."""
    weight = np.where(worded, VISUAL_WEIGHT_WORDED, 1.0) * known
    calibrated = VISUAL_SHIFT + VISUAL_SCALE * np.asarray(visual_sims, np.float32)
    return ((1.0 - weight) * text_sims + weight * calibrated).astype(np.float32)


def match_scores(query_vecs: np.ndarray, texts: list[str], table: ShotTable, words: WordIndex | None = None,
                 image_queries: np.ndarray | None = None) -> np.ndarray:
    """(len(texts), len(table)) match scores: cosine similarity blended with the visual term
    (when the table has visual vectors) + keyword bonus (none without ``words``) + picture
    evidence (with ``image_queries``, the texts in the vision model's space)."""
    if len(table) == 0:
        return np.zeros((len(texts), 0), np.float32)
    q = query_vecs.astype(np.float32)
    sims = q @ table.embeddings.T
    if table.visual is not None and table.visual.shape[1] == q.shape[1]:
        known = np.abs(table.visual).sum(axis=1) > 0
        if known.any():
            worded = table.worded if table.worded is not None else np.ones(len(table), bool)
            sims = visual_blend(sims, visual_similarity(q, table.visual), worded, known)
    if words is not None:
        text, row, bonus = words.bonuses(texts)
        sims[text, row] += bonus
    if image_queries is not None and table.image is not None and table.image.shape[1]:
        sims += vision_evidence(image_queries, np.asarray(table.image))
    return sims


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row-wise indices of the k best scores, best first; ties broken by lower index."""
    n = scores.shape[-1]
    k = min(k, n)
    if k <= 0:
        return np.zeros(scores.shape[:-1] + (0,), np.int64)
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    else:
        part = np.broadcast_to(np.arange(n), scores.shape).copy()
    part_scores = np.take_along_axis(scores, part, axis=-1)
    order = np.lexsort((part, -part_scores), axis=-1)
    return np.take_along_axis(part, order, axis=-1)


def clip_evidence(rows: np.ndarray, scores: np.ndarray, clip_ids: np.ndarray) -> dict[int, float]:
    """Shots pooled by clip: clip id → the best score among ``rows`` (table rows) of that clip.
    A clip's shots share one description, so the clip as a whole is what a text is about."""
    out: dict[int, float] = {}
    for clip, v in zip(np.asarray(clip_ids)[np.asarray(rows, np.int64)].tolist(),
                       np.asarray(scores).tolist()):
        if v > out.get(clip, -np.inf):
            out[clip] = v
    return out


@dataclass(frozen=True)
class Candidates:
    """The shots worth considering for one sentence: table rows, best first, with their scores."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32, same order
    best: float  # best match score over the whole table
    mean: float = 0.0  # mean match score over the whole table: what unrelated footage scores

    def score_of(self, row: int) -> float:
        hit = np.nonzero(self.rows == row)[0]
        return float(self.scores[hit[0]]) if len(hit) else 0.0


def candidates_from_scores(scores: np.ndarray, lengths: np.ndarray, min_lengths: list[float],
                           k: int) -> list[Candidates]:
    """Per sentence: the top-k rows, plus the top k/2 rows long enough to cover ``min_lengths[i]``."""
    out = []
    top = top_k(scores, k)
    top_scores = np.take_along_axis(scores, top, axis=-1)
    for i, row_scores in enumerate(scores):
        rows = list(top[i])
        long_enough = lengths + 1e-6 >= min_lengths[i]
        if long_enough[top[i]].any():
            if scores.dtype == np.float32:  # the top k as they are: best first, then by row
                out.append(Candidates(rows=top[i].astype(np.int64), scores=top_scores[i],
                                      best=float(top_scores[i, 0])))
                continue
        else:
            masked = np.where(long_enough, row_scores, -np.inf)
            extra = [r for r in top_k(masked[None, :], max(1, k // 2))[0] if np.isfinite(masked[r])]
            rows.extend(r for r in extra if r not in rows)
        rows_arr = np.asarray(rows, np.int64)
        sc = row_scores[rows_arr].astype(np.float32)
        order = np.lexsort((rows_arr, -sc))
        out.append(Candidates(rows=rows_arr[order], scores=sc[order],
                              best=float(row_scores.max()) if len(row_scores) else 0.0,
                              mean=float(row_scores.mean()) if len(row_scores) else 0.0))
    return out


def candidate_sets(
    query_vecs: np.ndarray,
    texts: list[str],
    table: ShotTable,
    words: WordIndex | None,
    *,
    k: int,
    min_lengths: list[float],
    chunk: int = 256,
    image_queries: np.ndarray | None = None,
) -> list[Candidates]:
    """Candidates for every sentence, scoring ``chunk`` sentences at a time (bounded memory);
    ``image_queries``: the sentences in the vision model's space, when the index has one."""
    lengths = table.lengths()
    out: list[Candidates] = []
    for a in range(0, len(texts), chunk):
        image_chunk = image_queries[a : a + chunk] if image_queries is not None else None
        scores = match_scores(query_vecs[a : a + chunk], texts[a : a + chunk], table, words, image_chunk)
        out.extend(candidates_from_scores(scores, lengths, min_lengths[a : a + chunk], k))
    return out
