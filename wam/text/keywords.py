"""Keywords: the words of a text that say what a shot should show, and where they occur.

Shared by the index (which stores each shot's words as postings) and by matching (which
adds keyword evidence to the embedding similarity). Pure: strings and numpy arrays.

text → ``content_words`` (stop words dropped, light folding) → ``Postings`` (the stored
table's rows per word, cached beside the column table) → ``WordIndex`` (rows of the table
being searched) → ``WordIndex.bonus`` (a score per shot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Score added when every content word of the query appears in the shot's human description.
HUMAN_KEYWORD_WEIGHT = 0.25
#: … and when they appear only in its folder/file names or tagger labels.
MACHINE_KEYWORD_WEIGHT = 0.12

#: Words that say nothing about the picture.
STOP_WORDS = frozenset(
    """
    a an the and or but of in on at to for from by with without into onto over under up down
    is are was were be been being it its this that these those there here as than then so
    very just not no yes he she they we you i me my our your his her their them us
    has have had do does did will would can could should may might must shall
    one two some any all each every more most other such only own same too also
    while when where who whom which what why how again once after before above below
    """.split()
)

_WORD = re.compile(r"\w+", re.UNICODE)


def content_words(text: str) -> list[str]:
    """Lower-case content words with a light plural/verb-ending fold, for keyword matching."""
    out = []
    for w in _WORD.findall(text.lower()):
        if w in STOP_WORDS or w.isdigit() or len(w) < 2:
            continue
        out.append(fold_word(w))
    return out


@lru_cache(maxsize=1 << 16)
def fold_word(w: str) -> str:
    """Crude stem so that 'cats'/'cat' and 'cycling'/'cyclist' partly meet: plural s and -ing/-ed."""
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("es") and w[-3] in "sxz":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def query_words(texts: list[str]) -> list[str]:
    """Every distinct content word of the texts (what to look up in the keyword index)."""
    return sorted({w for t in texts for w in content_words(t)})


@dataclass
class WordIndex:
    """Inverted index: content word → rows of a shot table, separately for human and machine words."""

    human: dict[str, np.ndarray]
    machine: dict[str, np.ndarray]
    size: int  # rows of the table the index points into

    @classmethod
    def from_words(cls, human: list[frozenset[str]], machine: list[frozenset[str]]) -> WordIndex:
        """From each row's human and machine content words (both lists one entry per row)."""
        if len(human) != len(machine):
            raise ValueError("one set of human and one of machine words per row")

        def invert(rows: list[frozenset[str]]) -> dict[str, np.ndarray]:
            out: dict[str, list[int]] = {}
            for i, words in enumerate(rows):
                for w in words:
                    out.setdefault(w, []).append(i)
            return {w: np.asarray(v, np.int64) for w, v in out.items()}

        return cls(human=invert(human), machine=invert(machine), size=len(human))

    def subset(self, rows: np.ndarray) -> WordIndex:
        """The index over the table restricted to ``rows`` (ascending), as ``ShotTable.subset`` gives."""
        new_index = np.full(self.size, -1, np.int64)
        new_index[rows] = np.arange(len(rows))

        def remap(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            out = {}
            for w, r in d.items():
                mapped = new_index[r]
                mapped = mapped[mapped >= 0]
                if len(mapped):
                    out[w] = mapped
            return out

        return WordIndex(human=remap(self.human), machine=remap(self.machine), size=len(rows))

    def bonus(self, text: str) -> np.ndarray:
        """Keyword score of every shot for ``text`` (0 … HUMAN_KEYWORD_WEIGHT)."""
        out = np.zeros(self.size, np.float32)
        _, rows, values = self.bonuses([text])
        out[rows] = values
        return out

    def bonuses(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``bonus`` of many texts where it is not 0: (text index, shot row, score) triples,
        ordered by text then row. Every (text, shot) pair is counted at once (one pass over
        the words' postings), not one text at a time."""
        n_words = np.zeros(len(texts), np.float32)
        hits: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])  # text × size + row, per found word
        for i, text in enumerate(texts):
            words = set(content_words(text))
            n_words[i] = len(words)
            for postings, found in ((self.human, hits[0]), (self.machine, hits[1])):
                for w in words:
                    rows = postings.get(w)
                    if rows is not None:
                        found.append(i * self.size + rows)
        human, machine = (np.concatenate(h) if h else np.zeros(0, np.int64) for h in hits)
        pairs, where = np.unique(np.concatenate([human, machine]), return_inverse=True)
        human_hits = np.bincount(where[: len(human)], minlength=len(pairs)).astype(np.float32)
        machine_hits = np.bincount(where[len(human):], minlength=len(pairs)).astype(np.float32)
        text, row = np.divmod(pairs, max(self.size, 1))
        n = n_words[text]
        machine_only = np.maximum(machine_hits - human_hits, 0)
        # the same float32 arithmetic as one text at a time
        values = HUMAN_KEYWORD_WEIGHT * np.minimum(human_hits / n, 1.0)
        values += MACHINE_KEYWORD_WEIGHT * np.minimum(machine_only / n, 1.0)
        return text, row, values


@dataclass(frozen=True)
class Postings:
    """Keyword postings in CSR form over the rows of the full stored table (human and machine
    words apart): the rows of word ``vocab[w]`` are ``rows[ptr[i] : ptr[i + 1]]``."""

    vocab: dict[str, int]
    human_ptr: np.ndarray
    human_rows: np.ndarray
    machine_ptr: np.ndarray
    machine_rows: np.ndarray

    #: The array fields, in the order they are cached.
    ARRAYS = ("human_ptr", "human_rows", "machine_ptr", "machine_rows")

    def rows(self, word: str, human: bool) -> np.ndarray:
        i = self.vocab.get(word)
        if i is None:
            return np.zeros(0, np.int64)
        ptr, rows = (self.human_ptr, self.human_rows) if human else (self.machine_ptr, self.machine_rows)
        return np.asarray(rows[ptr[i] : ptr[i + 1]])

    @classmethod
    def from_rows(cls, postings: list, pks: np.ndarray) -> Postings:
        """From (word, shot pk, human) rows sorted by word; ``pks`` are the table's row ids, ascending."""
        vocab: dict[str, int] = {}
        lists: tuple[list[list[int]], list[list[int]]] = ([], [])
        for word, pk, human in postings:
            i = vocab.get(word)
            if i is None:
                i = vocab[word] = len(vocab)
                lists[0].append([])
                lists[1].append([])
            row = int(np.searchsorted(pks, pk))
            if row < len(pks) and pks[row] == pk:
                lists[0 if human else 1][i].append(row)

        def csr(groups):
            ptr = np.zeros(len(groups) + 1, np.int64)
            ptr[1:] = np.cumsum([len(g) for g in groups]) if groups else []
            flat = np.fromiter((r for g in groups for r in g), np.int64, int(ptr[-1]))
            return ptr, flat

        hp, hr = csr(lists[0])
        mp, mr = csr(lists[1])
        return cls(vocab, hp, hr, mp, mr)
