"""Exact minimum-cost path through a layered graph (Viterbi / DP), vectorised with numpy.

A *group* is one decision (one cut) with K options and a unary cost per option; edges
carry a (K_src, K_dst) transition cost matrix. Groups must be listed in topological
order. Cost is O(edges × K²); nothing here knows about video.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Graph:
    unary: list[np.ndarray] = field(default_factory=list)
    incoming: list[list[tuple[int, np.ndarray]]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def add_group(self, unary: np.ndarray, incoming: list[tuple[int, np.ndarray]] = ()) -> int:
        for src, m in incoming:
            if src >= len(self.unary):
                raise ValueError("groups must be added in topological order")
            if m.shape != (len(self.unary[src]), len(unary)):
                raise ValueError(f"edge {src}->{len(self.unary)} has shape {m.shape}")
        self.unary.append(np.asarray(unary, np.float64))
        self.incoming.append(list(incoming))
        return len(self.unary) - 1


@dataclass(frozen=True)
class Path:
    groups: list[int]  # the groups passed, in order
    choices: list[int]  # the option chosen in each
    cost: float


def solve(graph: Graph) -> Path:
    """The minimum-cost path that starts in a group without incoming edges and ends in ``graph.ends``."""
    n = len(graph.unary)
    best: list[np.ndarray] = [np.empty(0)] * n
    back: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n
    for g in range(n):
        u = graph.unary[g]
        if not graph.incoming[g]:
            best[g] = u.copy()
            continue
        cand_cost = []
        cand_src = []
        cand_idx = []
        for src, m in graph.incoming[g]:
            total = best[src][:, None] + m  # (K_src, K_g)
            idx = np.argmin(total, axis=0)
            cand_cost.append(total[idx, np.arange(total.shape[1])])
            cand_idx.append(idx)
            cand_src.append(src)
        costs = np.stack(cand_cost)  # (E, K_g)
        which = np.argmin(costs, axis=0)
        best[g] = u + costs[which, np.arange(costs.shape[1])]
        srcs = np.asarray(cand_src)[which]
        idxs = np.stack(cand_idx)[which, np.arange(costs.shape[1])]
        back[g] = (srcs, idxs)
    if not graph.ends:
        raise ValueError("graph has no end groups")
    end_costs = [(float(best[g].min()), g) for g in graph.ends if len(best[g])]
    cost, g = min(end_costs)
    k = int(np.argmin(best[g]))
    groups, choices = [g], [k]
    while back[g] is not None:
        srcs, idxs = back[g]
        g, k = int(srcs[k]), int(idxs[k])
        groups.append(g)
        choices.append(k)
    return Path(groups[::-1], choices[::-1], cost)


def path_cost(graph: Graph, groups: list[int], choices: list[int]) -> float:
    """Total cost of a given path (for tests and breakdowns)."""
    total = float(graph.unary[groups[0]][choices[0]])
    for (g0, k0), (g1, k1) in zip(zip(groups, choices), zip(groups[1:], choices[1:])):
        m = dict(graph.incoming[g1])[g0]
        total += float(m[k0, k1]) + float(graph.unary[g1][k1])
    return total
