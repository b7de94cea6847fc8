import numpy as np

from tables import table, word_index
from wam.text.candidates import match_scores, top_k
from wam.text.keywords import HUMAN_KEYWORD_WEIGHT, MACHINE_KEYWORD_WEIGHT


def test_keyword_bonus_prefers_human_words():
    words = word_index(["a red bus", "", "a cat"], ["", "bus", ""])
    b = words.bonus("The bus")
    assert b[0] == np.float32(HUMAN_KEYWORD_WEIGHT)
    assert b[1] == np.float32(MACHINE_KEYWORD_WEIGHT)
    assert b[2] == 0
    assert words.bonus("").sum() == 0


def test_match_scores_add_cosine_and_keywords():
    t = table(np.eye(3, dtype=np.float32))
    words = word_index(["dog", "cat", "bird"], ["", "", ""])
    s = match_scores(np.array([[1, 0, 0]], np.float32), ["a cat"], t, words)
    assert s.shape == (1, 3)
    assert s[0, 0] == 1.0 and s[0, 1] == np.float32(HUMAN_KEYWORD_WEIGHT) and s[0, 2] == 0
    # no keyword index
    assert match_scores(np.array([[1, 0, 0]], np.float32), ["a cat"], t).tolist() == [[1, 0, 0]]


def test_top_k_orders_and_breaks_ties_by_index():
    s = np.array([[0.1, 0.5, 0.5, 0.9, 0.2], [1, 1, 1, 1, 1]])
    assert top_k(s, 3).tolist() == [[3, 1, 2], [0, 1, 2]]
    assert top_k(s, 99).shape == (2, 5)
    assert top_k(s[:, :0], 3).shape == (2, 0)
