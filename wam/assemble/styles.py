"""Pace presets: log-normal shot-length priors (average shot length, spread, bounds) and how
much a cut itself costs (a calm edit cuts reluctantly, a fast one freely)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Pace:
    name: str
    asl: float  # average shot length, seconds (mean of the log-normal prior)
    sigma: float  # spread of log shot length
    min_cut: float  # shorter cuts only when the library leaves no choice (seconds)
    max_cut: float  # longer cuts only when the library leaves no choice (seconds)
    per_cut: float = 0.0  # cost of every visible cut, on the duration term's scale

    @property
    def mu(self) -> float:
        """Location of the log-normal whose mean is ``asl``."""
        return math.log(self.asl) - self.sigma**2 / 2

    def misfit(self, seconds: float) -> float:
        """0 at the prior's mode, growing with the squared log-distance from it (≈1 at 2σ)."""
        mode = math.exp(self.mu - self.sigma**2)
        return ((math.log(max(seconds, 1e-3)) - math.log(mode)) / (2 * self.sigma)) ** 2


PACES = {
    "calm": Pace("calm", asl=5.5, sigma=0.45, min_cut=2.0, max_cut=12.0, per_cut=2.5),
    "normal": Pace("normal", asl=3.5, sigma=0.45, min_cut=1.2, max_cut=8.0, per_cut=0.5),
    "fast": Pace("fast", asl=2.0, sigma=0.45, min_cut=0.7, max_cut=4.5, per_cut=0.0),
}


def pace(name: str) -> Pace:
    try:
        return PACES[name]
    except KeyError:
        raise ValueError(f"unknown pace {name!r}; choose one of {', '.join(PACES)}") from None
