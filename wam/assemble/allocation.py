"""Sharing footage out between sentences: a transportation problem (scipy's HiGHS LP) that
sees every sentence's need and every shot's length at once. ``diversity.py`` turns its
answer into per-sentence budgets for the segment DP when a plain solve repeats footage.
"""

from __future__ import annotations

import numpy as np

#: Sentences per transportation problem (longer stories are shared out chunk by chunk).
LP_CHUNK = 250


def allocate_footage(problem) -> list[dict[int, float]]:
    """Seconds of each contended shot each sentence may show, from a transportation problem:
    every sentence needs its length in footage, every shot offers its length, each second
    of shot r in sentence s costs what the DP charges per second there (relevance, quality,
    …), and a second nobody can supply costs ``reuse``. Every shot the solution uses gets a
    budget in every sentence that may show it: its share there plus what nobody takes."""
    n = len(problem.pools)
    out: list[dict[int, float]] = [{} for _ in range(n)]
    taken: dict[int, float] = {}  # seconds of each shot given to earlier chunks
    for a in range(0, n, LP_CHUNK):
        chunk = range(a, min(n, a + LP_CHUNK))
        rows_all = np.unique(np.concatenate([problem.pools[s] for s in chunk]))
        capacity = problem.capacity(rows_all) - np.array([taken.get(int(r), 0.0) for r in rows_all])
        given = _transport(problem, chunk, rows_all, np.maximum(capacity, 0.0), out)
        for r, v in zip(rows_all.tolist(), given.tolist()):
            taken[r] = taken.get(r, 0.0) + v
    return out


def _transport(problem, chunk: range, rows_all: np.ndarray, capacity: np.ndarray, out) -> np.ndarray:
    """Solve the transportation problem for the sentences in ``chunk``; fill ``out`` with the
    budgets and return the seconds given out of each of ``rows_all``."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    ctx = problem.ctx
    fps = problem.fps
    col_of = {int(r): i for i, r in enumerate(rows_all.tolist())}
    var_s, var_r, cost = [], [], []
    for j, s in enumerate(chunk):
        rows = problem.pools[s]
        var_s.extend([j] * len(rows))
        var_r.extend(col_of[int(r)] for r in rows.tolist())
        cost.extend((problem.rate(s) * fps).tolist())
    m, n = len(var_s), len(chunk)
    need = np.array([(problem.frames[s][1] - problem.frames[s][0]) / fps for s in chunk])
    # variables: x (m) seconds of (sentence, shot), then y (n) seconds a sentence cannot get fresh
    c = np.concatenate([np.asarray(cost), np.full(n, ctx.weights.reuse + ctx.weights.relevance)])
    a_eq = coo_matrix((np.ones(m + n), (np.concatenate([var_s, np.arange(n)]), np.arange(m + n))),
                      shape=(n, m + n))
    a_ub = coo_matrix((np.ones(m), (var_r, np.arange(m))), shape=(len(rows_all), m + n))
    res = linprog(c, A_ub=a_ub.tocsr(), b_ub=capacity, A_eq=a_eq.tocsr(), b_eq=need, bounds=(0, None),
                  method="highs")
    if res.status != 0:
        return np.zeros(len(rows_all))
    x = res.x[:m]
    given = np.bincount(var_r, weights=x, minlength=len(rows_all))
    spare = np.maximum(capacity - given, 0.0)
    for j, r_, v in zip(var_s, var_r, x):
        if given[r_] > 1e-6:
            out[chunk[j]][int(rows_all[r_])] = float(v + spare[r_])
    return given
