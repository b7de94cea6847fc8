"""The planner's set of cost terms: every term with its default weight, in report order.

Apart from ``terms.py`` because the terms with modules of their own (``lead``, ``claims``,
``sizes``) build on ``terms``; gathering them here keeps the imports one-way."""

from __future__ import annotations

from wam.assemble.claims import Claim
from wam.assemble.lead import Opening
from wam.assemble.sizes import ShotSize
from wam.assemble.terms import (
    CostWeights,
    Diversity,
    Duration,
    Establishing,
    Hold,
    JumpCut,
    Quality,
    Relevance,
    Semantic,
    Stick,
    Term,
    Transition,
)


def default_terms(weights: CostWeights = CostWeights()) -> list[Term]:
    """Every term with its default weight, in report order."""
    return [
        Semantic(weights.semantic), Relevance(weights.relevance), Opening(weights.opening),
        Claim(weights.claim), Quality(weights.quality), Duration(weights.duration), Hold(weights.hold),
        Establishing(weights.establishing), Transition(weights.transition), ShotSize(weights.grammar),
        JumpCut(weights.jump_cut), Diversity(weights.diversity), Stick(weights.stick),
    ]
