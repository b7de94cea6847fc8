"""Transition costs between the candidate shots of a story, for the segment DP's problem
(``problem.build_problem``): the cost of a visible cut from each shot of one pool to each of
another, inside a sentence and into the next one.

A long story on a small library asks for the same pairs of shots over and over (a 1 MB
story on the bundled samples: 12,860 sentences, 30 shots). When the story's candidates are
few, every pair of them is costed once, in one call of the terms, and each sentence's
matrices are cut out of that table; otherwise each pair of pools is costed as it comes. The
terms cost each pair of shots on its own, so the table holds the same numbers (up to the
last bits of a matrix product, whose rounding depends on the matrix's shape).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: The story's candidate shots are costed all at once when they are at most this many …
SHARED_MAX_ROWS = 1500
#: … and their pairs at most this many times the pairs the sentences ask for one by one.
SHARED_MAX_RATIO = 4


class TransitionCosts:
    """``(a, b, across_paragraph)`` → (len(a), len(b)) transition costs, as ``compute`` gives
    them, from one table over every row of ``pools`` when that is cheaper (see the module)."""

    def __init__(self, compute: Callable[..., np.ndarray], pools: list[np.ndarray]):
        self._compute = compute
        self._rows: np.ndarray | None = None
        self._at = np.zeros(0, np.int64)  # table row → its place in ``_rows`` (−1: not there)
        self._tables: dict[bool, np.ndarray] = {}
        if pools:
            rows = np.unique(np.concatenate(pools))
            asked = sum(len(p) * len(p) for p in pools)
            asked += sum(len(a) * len(b) for a, b in zip(pools, pools[1:]))
            if len(rows) and len(rows) <= SHARED_MAX_ROWS and len(rows) ** 2 <= SHARED_MAX_RATIO * asked:
                self._rows = rows
                self._at = np.full(int(rows[-1]) + 1, -1, np.int64)
                self._at[rows] = np.arange(len(rows))

    def __call__(self, a: np.ndarray, b: np.ndarray, *, across_paragraph: bool) -> np.ndarray:
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        ia, ib = self._places(a), self._places(b)
        if ia is None or ib is None:
            return self._compute(a, b, across_paragraph=across_paragraph)
        table = self._tables.get(across_paragraph)
        if table is None:
            table = self._tables[across_paragraph] = self._compute(self._rows, self._rows,
                                                                   across_paragraph=across_paragraph)
        return table[np.ix_(ia, ib)]

    def _places(self, rows: np.ndarray) -> np.ndarray | None:
        """Where ``rows`` are in the shared table (None: not all of them are)."""
        if self._rows is None or (len(rows) and (rows.min() < 0 or rows.max() >= len(self._at))):
            return None
        at = self._at[rows]
        return None if (at < 0).any() else at
