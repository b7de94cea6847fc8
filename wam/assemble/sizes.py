"""Shot-size grammar, one cost term of the assembler (Write-a-video's idioms): inside a
sentence, and from one sentence of a scene to the next, an editor tightens — wide → medium →
close-up — rather than loosening or jumping two sizes, and never cuts between two shots of
one size and one subject (that reads as a jump, not as an edit). Across a paragraph (a new
scene) the cost is relaxed like continuity's, and ``Establishing`` asks for a wide opening.

Sizes come from the index (``ShotTable.scale``), which measures them from faces: a shot
without a face is called wide, a size it may not have, so the same-subject rule only holds
between shots whose size was measured (both show a face). Two shots are of one subject
when they come from one clip or their descriptions say nearly the same
(``SUBJECT_COSINE``). Pure numpy over ShotTable columns.
"""

from __future__ import annotations

import numpy as np

from wam.assemble.terms import Term

#: Cost of cutting from the row's size to the column's (close-up, medium, wide).
GRAMMAR = np.array(
    [
        [0.2, 0.2, 0.5],  # close-up → close-up: repetitive; → medium: loosening; → wide: a big step back
        [0.0, 0.2, 0.2],  # medium → close-up: tightening, the progression
        [0.4, 0.0, 0.2],  # wide → medium: the progression; → close-up: a jump of two sizes
    ],
    np.float64,
)
#: Added for two shots of one measured size and one subject back to back.
SAME_SUBJECT = 0.8
#: Description vectors at least this similar show one subject.
SUBJECT_COSINE = 0.85


class ShotSize(Term):
    """A visible cut's shot-size grammar: ``GRAMMAR``, plus ``SAME_SUBJECT`` between two
    shots of one measured size and subject (relaxed across a paragraph boundary)."""

    name = "grammar"

    def transition(self, ctx, a, b, *, across_paragraph):
        return size_grammar(ctx.table, np.asarray(a), np.asarray(b)) * (
            ctx.weights.paragraph_relax if across_paragraph else 1.0)


def size_grammar(table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) unweighted shot-size grammar cost of cutting from a row of ``a`` to one of ``b``."""
    sa = np.asarray(table.scale[a], np.int64)
    sb = np.asarray(table.scale[b], np.int64)
    cost = GRAMMAR[sa[:, None], sb[None, :]].copy()
    known_a = ~np.isnan(np.asarray(table.face_centres[a], np.float64)[:, 0])
    known_b = ~np.isnan(np.asarray(table.face_centres[b], np.float64)[:, 0])
    measured = known_a[:, None] & known_b[None, :] & (sa[:, None] == sb[None, :])
    if measured.any():
        same_clip = np.asarray(table.clip_ids[a])[:, None] == np.asarray(table.clip_ids[b])[None, :]
        alike = np.asarray(table.embeddings[a], np.float32) @ np.asarray(table.embeddings[b], np.float32).T
        cost += SAME_SUBJECT * (measured & (same_clip | (alike >= SUBJECT_COSINE)))
    return cost
