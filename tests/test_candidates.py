import numpy as np

from wam.candidates import HUMAN_KEYWORD_WEIGHT, MACHINE_KEYWORD_WEIGHT, WordIndex, match_scores, top_k
from wam.library.describe import content_words
from wam.types import ShotTable


def table(human: list[str], machine: list[str], emb: np.ndarray) -> ShotTable:
    n = len(human)
    z = np.zeros(n, np.float32)
    return ShotTable(
        shot_ids=[f"s{i}" for i in range(n)], sources=[f"/c{i}.mp4" for i in range(n)],
        clip_ids=np.arange(n), starts=z.astype(np.float64), ends=z.astype(np.float64) + 2, embeddings=emb,
        histograms=np.zeros((n, 128), np.float32), brightness=z, motion=z, camera=np.zeros((n, 3), np.float32),
        camera_motion=np.zeros(n, np.int8), scale=np.zeros(n, np.int8), quality=z + 1,
        face_centres=np.full((n, 2), np.nan, np.float32), descriptions=human,
        human_words=[frozenset(content_words(h)) for h in human],
        machine_words=[frozenset(content_words(m)) for m in machine],
    )


def test_keyword_bonus_prefers_human_words():
    t = table(["a red bus", "", "a cat"], ["", "bus", ""], np.zeros((3, 4), np.float32))
    b = WordIndex.from_table(t).bonus("The bus")
    assert b[0] == np.float32(HUMAN_KEYWORD_WEIGHT)
    assert b[1] == np.float32(MACHINE_KEYWORD_WEIGHT)
    assert b[2] == 0
    assert WordIndex.from_table(t).bonus("").sum() == 0


def test_match_scores_add_cosine_and_keywords():
    emb = np.eye(3, dtype=np.float32)
    t = table(["dog", "cat", "bird"], ["", "", ""], emb)
    s = match_scores(np.array([[1, 0, 0]], np.float32), ["a cat"], t)
    assert s.shape == (1, 3)
    assert s[0, 0] == 1.0 and s[0, 1] == np.float32(HUMAN_KEYWORD_WEIGHT)


def test_top_k_orders_and_breaks_ties_by_index():
    s = np.array([[0.1, 0.5, 0.5, 0.9, 0.2], [1, 1, 1, 1, 1]])
    assert top_k(s, 3).tolist() == [[3, 1, 2], [0, 1, 2]]
    assert top_k(s, 99).shape == (2, 5)
    assert top_k(s[:, :0], 3).shape == (2, 0)
