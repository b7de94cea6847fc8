import numpy as np

from wam.text.keywords import Postings, WordIndex, content_words, fold_word, query_words


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


def _bonus_one_text(index: WordIndex, text: str) -> np.ndarray:
    """The keyword bonus as it was computed one text at a time (the reference for ``bonuses``)."""
    from wam.text.keywords import HUMAN_KEYWORD_WEIGHT, MACHINE_KEYWORD_WEIGHT

    out = np.zeros(index.size, np.float32)
    words = sorted(set(content_words(text)))
    if not words:
        return out
    human_hits = np.zeros(index.size, np.float32)
    machine_hits = np.zeros(index.size, np.float32)
    for w in words:
        if w in index.human:
            human_hits[index.human[w]] += 1
        if w in index.machine:
            machine_hits[index.machine[w]] += 1
    n = float(len(words))
    out += HUMAN_KEYWORD_WEIGHT * np.minimum(human_hits / n, 1.0)
    out += MACHINE_KEYWORD_WEIGHT * np.minimum(np.maximum(machine_hits - human_hits, 0) / n, 1.0)
    return out


def test_bonuses_of_many_texts_are_each_texts_bonus_exactly():
    rng = np.random.default_rng(3)
    vocab = ["dog", "cat", "river", "bridge", "city", "night", "rain", "boat", "tree", "sun"]
    human = [frozenset(rng.choice(vocab, rng.integers(0, 4), replace=False)) for _ in range(40)]
    machine = [frozenset(rng.choice(vocab, rng.integers(0, 5), replace=False)) for _ in range(40)]
    index = WordIndex.from_words(human, machine)
    words = vocab + ["the", "a", "walks", "zebra"]
    texts = [" ".join(rng.choice(words, rng.integers(0, 7))) for _ in range(60)]
    texts += ["", "the of and", "dogs and cats by the rivers"]
    text, row, value = index.bonuses(texts)
    dense = np.zeros((len(texts), index.size), np.float32)
    dense[text, row] = value
    for i, t in enumerate(texts):
        assert np.array_equal(dense[i], _bonus_one_text(index, t)), t
        assert np.array_equal(index.bonus(t), dense[i])
    assert len(set(zip(text.tolist(), row.tolist()))) == len(text)  # one triple per (text, shot)
    assert (value > 0).all()
