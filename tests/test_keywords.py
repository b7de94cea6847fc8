import numpy as np

from wam.keywords import Postings, WordIndex, content_words, fold_word, query_words


def test_content_words_fold_and_drop_stop_words():
    assert content_words("The cats are running over cities") == ["cat", "runn", "city"]
    assert content_words("It is 42 a b") == []
    assert fold_word("boxes") == "box" and fold_word("glass") == "glass" and fold_word("berries") == "berry"
    assert query_words(["A cat.", "Two cats and a dog"]) == ["cat", "dog"]


def test_postings_csr_keep_only_rows_of_the_table():
    pks = np.array([10, 11, 13])
    p = Postings.from_rows([("bus", 10, 1), ("bus", 12, 1), ("bus", 13, 0), ("cat", 11, 1)], pks)
    assert p.rows("bus", True).tolist() == [0]  # pk 12 is not in the table
    assert p.rows("bus", False).tolist() == [2]
    assert p.rows("cat", True).tolist() == [1] and p.rows("cat", False).tolist() == []
    assert p.rows("dog", True).tolist() == []


def test_word_index_subset_renumbers_rows():
    wi = WordIndex.from_words([frozenset({"bus"}), frozenset(), frozenset({"bus", "cat"})],
                              [frozenset(), frozenset({"cat"}), frozenset()])
    assert wi.bonus("bus").tolist() == [0.25, 0, 0.25]
    sub = wi.subset(np.array([1, 2]))
    assert sub.size == 2 and sub.human["bus"].tolist() == [1] and sub.machine["cat"].tolist() == [0]
    assert sub.bonus("a cat").tolist() == [np.float32(0.12), 0.25]
