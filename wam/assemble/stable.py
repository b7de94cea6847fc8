"""Stable re-planning (the edit loop): a story that was planned before is planned again so
that an edit changes the cut only where it must.

The new story's sentences are matched to the previous plan's by text (difflib over the
sentence sequence: insertions, deletions, moves and rewordings). A sentence whose text,
length in frames and paragraph start are unchanged, and whose shots are all still indexed,
is *kept*: its cuts are copied as they were (same shots, same source frames), only moved
along the timeline. Every run of changed sentences is re-planned as a *window* together
with its unchanged neighbours, which carry a stickiness cost (``terms.Stick``) towards
their previous shots so that they change only when a transition would otherwise break a
rule; the window's DP sees the fixed shots on either side (the cut into and out of it) and
what the rest of the plan already shows (footage it must not repeat). When most of the
story changed, the whole story is one window, with stickiness for every matched sentence.

A sentence with a *pinned* cut (``Cut.pinned``, set in ``wam studio``) is *held*: while its
text and its length in frames are unchanged (also after it moved elsewhere in the story)
it is kept as it was, never re-planned as part of a window, even when the settings that
decide cuts changed (``pinned_only``: then every other sentence is planned afresh). A
pinned sentence whose length changed (another voice, music or frame rate) is planned again
with a strong pull towards its pinned shots (``KEEP_PINNED``), and the pin moves to the
cut that shows one (``Reuse.repin``).

Pure: previous Timeline + sentences + ShotTable in, which sentences to keep and which
windows to solve out (``reuse_of``); ``replan.assemble_again`` does the solving.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import accumulate

from wam.core.story import Sentence
from wam.core.timeline import SentenceSpan, Timeline

#: How strongly a sentence keeps the shots it showed before (× ``CostWeights.stick`` per second).
KEEP_UNCHANGED = 1.0  # same text (a neighbour of an edit, or a moved sentence)
KEEP_REWORDED = 0.25  # a reworded sentence: its new meaning may well want other footage
KEEP_PINNED = 8.0  # a pinned sentence that cannot be kept exactly (its length changed): its pinned shots
#: Two sentences at least this similar (difflib ratio) are one sentence reworded.
REWORDED_RATIO = 0.6
#: When more than this share of the story must be re-planned, it is re-planned as a whole.
WHOLE_STORY_SHARE = 0.5


@dataclass
class Reuse:
    """What a re-plan keeps from the previous plan and what it solves again."""

    kept: dict[int, SentenceSpan]  # new sentence index → the previous span whose cuts are kept
    sticky: dict[int, tuple[tuple[str, ...], float]]  # new index → (previous shot ids, strength)
    windows: list[tuple[int, int]]  # [a, b) runs of sentences to plan (with their neighbours)
    frames: list[tuple[int, int]]  # every sentence's [start, end) frames on the new timeline
    # new index → pinned shots to pin again where shown
    repin: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pinned_only: bool = False  # made against a plan of other settings: only its pinned sentences kept

    def planned(self) -> list[int]:
        return [j for a, b in self.windows for j in range(a, b)]


def compatible(previous: Timeline, *, fps: int, pace: str, model: str, music: dict | None = None) -> bool:
    """Whether a previous plan was made with the settings that decide cuts (else: plan afresh):
    the same frame rate, pace, text model and music (whose beats the cuts fall on)."""
    same_music = (previous.music or {}).get("beats") == (music or {}).get("beats")
    return (previous.fps == fps and previous.pace == pace and (not previous.model or previous.model == model)
            and same_music)


def reuse_of(sentences: list[Sentence], fps: int, previous: Timeline,
             row_of: dict[str, int], shot_bounds, exists=os.path.isfile, *,
             pinned_only: bool = False) -> Reuse:
    """Which of ``sentences`` keep their previous cuts and which windows must be planned, and
    where every sentence now lies (a sentence of unchanged text keeps its length in frames,
    so that an edit does not move later cut points by a rounding frame). ``row_of`` maps indexed shot ids to
    table rows, ``shot_bounds(row)`` gives a shot's (start, end) seconds in its file and
    ``exists(path)`` whether a source file is still there. ``pinned_only``: the previous plan
    was made with other settings, so only its pinned sentences are kept (and nothing is sticky
    but the pins)."""
    old = previous.sentences
    n = len(sentences)
    pinned_old = {i for i, sp in enumerate(old) if any(c.pinned for c in sp.cuts)}
    match: dict[int, int] = {}  # new index → old index, same text
    similar: dict[int, tuple[int, float]] = {}  # new index → (old index, strength)
    ops = SequenceMatcher(None, [s.text for s in old], [s.text for s in sentences],
                          autojunk=False).get_opcodes()
    gone: dict[str, int] = {}
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            match.update({j1 + d: i1 + d for d in range(j2 - j1)})
        elif tag == "replace":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if SequenceMatcher(None, old[i].text, sentences[j].text).ratio() >= REWORDED_RATIO:
                    similar[j] = (i, KEEP_REWORDED)
        if tag in ("delete", "replace"):
            for i in range(i1, i2):
                gone.setdefault(old[i].text, i)
    for tag, _, _, j1, j2 in ops:  # a sentence moved elsewhere: deleted there, inserted here
        if tag in ("insert", "replace"):
            for j in range(j1, j2):
                if sentences[j].text in gone:
                    i = gone.pop(sentences[j].text)
                    if i in pinned_old:  # a pinned sentence moves with its cuts
                        match[j] = i
                        similar.pop(j, None)
                    else:
                        similar[j] = (i, KEEP_UNCHANGED)

    same_grid = previous.fps == fps
    lengths = [max(1, round(s.duration * fps)) for s in sentences]
    for j, i in match.items():
        if same_grid and abs(old[i].frames - lengths[j]) <= 1:
            lengths[j] = old[i].frames
    ends = list(accumulate(lengths))
    frames = [(e - n_, e) for e, n_ in zip(ends, lengths)]

    def keepable(j: int) -> bool:
        i = match.get(j)
        if i is None or not same_grid:
            return False
        sp = old[i]
        a, b = frames[j]
        starts_paragraph = i == 0 or old[i - 1].paragraph != sp.paragraph
        if sp.frames != b - a or not sp.cuts:
            return False
        if starts_paragraph != sentences[j].paragraph_start and i not in pinned_old:
            return False
        for c in sp.cuts:
            row = row_of.get(c.shot_id)
            if row is None or not exists(c.source):
                return False
            st, en = shot_bounds(row)
            if c.source_in < st - 1e-3 or c.source_out > en + 1e-3:
                return False
        return True

    keep = [keepable(j) for j in range(n)]
    held = {j for j in range(n) if keep[j] and match[j] in pinned_old}
    for j in range(n):  # a kept cut that continues the previous shot needs that shot before it
        if j not in held and keep[j] and old[match[j]].cuts[0].continues \
                and not (j > 0 and keep[j - 1] and match[j - 1] == match[j] - 1):
            keep[j] = False
    if pinned_only:
        keep = [j in held for j in range(n)]
    changed = [j for j in range(n) if not keep[j]]
    window = set()
    for j in changed:
        window.update(x for x in (j - 1, j, j + 1) if 0 <= x < n)
    # two kept sentences that were not neighbours before (a deletion between): a new cut
    for j in range(1, n):
        if keep[j - 1] and keep[j] and match[j - 1] != match[j] - 1:
            window.update((j - 1, j))
    grown = True
    while grown:  # never start or end a window inside a shot that runs on across the boundary
        grown = False
        for j in sorted(window):
            left, right = j - 1, j + 1
            if left >= 0 and left not in window and left not in held and match.get(j) is not None \
                    and old[match[j]].cuts and old[match[j]].cuts[0].continues:
                window.add(left)
                grown = True
            if right < n and right not in window and right not in held and keep[right] \
                    and old[match[right]].cuts[0].continues:
                window.add(right)
                grown = True
    if pinned_only or len(window) > WHOLE_STORY_SHARE * n:
        window = set(range(n))
    window -= held  # a held sentence's cut in or out is costed by the window beside it
    sticky: dict[int, tuple[tuple[str, ...], float]] = {}
    repin: dict[int, tuple[str, ...]] = {}
    for j in sorted(window):
        i = match.get(j)
        # same text, but it cannot be kept exactly: keep its pinned shots
        if i is not None and i in pinned_old:
            ids = tuple(dict.fromkeys(c.shot_id for c in old[i].cuts if c.pinned and c.shot_id in row_of))
            if ids:
                sticky[j] = (ids, KEEP_PINNED)
                repin[j] = ids
        elif pinned_only:
            continue
        elif i is not None:
            sticky[j] = (tuple(c.shot_id for c in old[i].cuts), KEEP_UNCHANGED)
        elif j in similar:
            i, strength = similar[j]
            sticky[j] = (tuple(c.shot_id for c in old[i].cuts), strength)
    kept = {j: old[match[j]] for j in range(n) if j not in window}
    return Reuse(kept, sticky, _runs(sorted(window)), frames, repin, pinned_only)


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for j in indices:
        if out and out[-1][1] == j:
            out[-1][1] = j + 1
        else:
            out.append([j, j + 1])
    return [(a, b) for a, b in out]
