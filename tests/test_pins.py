"""Pins and bans, the studio's constraints on re-planning, and its direct edits of a plan — pure
tests on shot tables: a pinned sentence is held exactly while its text and length stay (also
when the pace changed, when it moved, when most of the story was rewritten), its pin follows
its shot when its length changed; banned footage leaves the table; a swap keeps the plan
valid; pins and bans round-trip through plan JSON and older plans read as before."""

import json
from dataclasses import replace

import numpy as np
import pytest

from tables import fake_library
from test_replan import PACE, cuts_of, plan, same, scores, story
from wam.app.planner import without_banned
from wam.assemble.replan import assemble_again, reuse_for
from wam.assemble.stable import KEEP_PINNED
from wam.assemble.styles import PACES
from wam.core.errors import NothingIndexedError
from wam.core.story import read_story
from wam.core.timeline import Bans, Cut, SentenceSpan, Timeline, timeline_from_dict, timeline_problems
from wam.studio.edits import pinned, source_range, swapped
from wam.text.candidates import candidates_from_scores


@pytest.fixture(scope="module")
def big():
    return fake_library(n_clips=40, shots_per_clip=3, seed=3)


def shown(span):
    """What a sentence's cuts show (a held cut after a re-planned one may stop being a continuation)."""
    return [(c.shot_id, c.source_in, c.source_out, c.frames, c.hold) for c in span.cuts]


def pin_sentence(t: Timeline, j: int) -> Timeline:
    return pinned(t, j, 0)


def replan(sentences, table, previous, pace=PACE, pinned_only=False):
    lengths = np.asarray(table.ends) - np.asarray(table.starts)
    cands = candidates_from_scores(scores(sentences, len(table)), lengths,
                                   [min(s.duration, pace.max_cut) for s in sentences], 24)
    reuse = reuse_for(sentences, previous, table, fps=30, exists=lambda p: True, pinned_only=pinned_only)
    return assemble_again(sentences, table, {j: cands[j] for j in reuse.planned()}, reuse, pace=pace), reuse


def test_a_pinned_sentence_is_never_part_of_a_window(big):
    first, _ = plan(story(20), big)
    held = pin_sentence(first, 8)
    edited = story(20, edit={9: "A rocket lifts off into a cloudless morning sky."})
    _, unpinned = plan(edited, big, first)
    assert (8, 11) in unpinned.windows  # without the pin its neighbour is planned again …
    again, reuse = plan(edited, big, held)
    assert 8 in reuse.kept and all(not a <= 8 < b for a, b in reuse.windows)  # … with it, never
    assert cuts_of(again.sentences[8]) == cuts_of(held.sentences[8]) and again.sentences[8].cuts[0].pinned
    assert timeline_problems(again) == []
    # a rewrite of most of the story is planned as a whole, around the pinned sentence
    held = pin_sentence(first, 9)
    rewritten = story(20, edit={i: f"Completely new line number {i} about boats and trains."
                                for i in range(0, 20, 2)})
    again, reuse = plan(rewritten, big, held)
    assert reuse.windows == [(0, 9), (10, 20)] and list(reuse.kept) == [9]
    assert shown(again.sentences[9]) == shown(held.sentences[9]) and timeline_problems(again) == []


def test_pins_hold_when_the_settings_changed_and_the_rest_is_planned_afresh(big):
    first, _ = plan(story(10), big)
    held = pin_sentence(pin_sentence(first, 2), 7)
    again, reuse = replan(story(10), big, held, pace=PACES["fast"], pinned_only=True)
    assert sorted(reuse.kept) == [2, 7] and reuse.sticky == {}  # nothing else sticks to the old plan
    assert same(again.sentences[2], held.sentences[2]) and same(again.sentences[7], held.sentences[7])
    assert again.pace == "fast" and timeline_problems(again) == []


def test_a_moved_pinned_sentence_keeps_its_cuts(big):
    first, _ = plan(story(20), big)
    held = pin_sentence(first, 2)
    text = held.sentences[2].text
    moved = story(20, drop=2, insert=(12, text))  # from the middle of one paragraph to the middle of another
    again, reuse = plan(moved, big, held)
    at = [s.text for s in moved].index(text)
    assert at == 11 and at in reuse.kept and not reuse.repin
    assert shown(again.sentences[at]) == shown(held.sentences[2]) and again.sentences[at].cuts[0].pinned
    assert timeline_problems(again) == []


def test_a_pinned_sentence_of_another_length_keeps_its_shot_and_its_pin(big):
    first, _ = plan(story(10), big)
    held = pin_sentence(first, 3)
    shot = held.sentences[3].cuts[0].shot_id
    slower = read_story("\n\n".join(" ".join(s.text for s in story(10)[p:p + 5]) for p in (0, 5)), wps=2.2)
    again, reuse = plan(slower, big, held)
    assert 3 not in reuse.kept and reuse.sticky[3] == ((shot,), KEEP_PINNED) and reuse.repin == {3: (shot,)}
    assert [c.shot_id for c in again.sentences[3].cuts if c.pinned] == [shot]
    assert timeline_problems(again) == []


def test_a_pinned_shot_far_below_the_best_survives_a_replan_of_its_sentence():
    """The floor and the opening rule (assemble/lead.py) keep footage far below a sentence's
    best out of its plan, but a shot the user swapped in and pinned is theirs: when the
    sentence is planned again (its length changed) the pinned shot stays."""
    from tables import make_table
    from wam.assemble.lead import FLOOR_RATIO
    from wam.assemble.plan import assemble
    from wam.assemble.terms import LAST_RESORT_RATIO

    t = make_table(6, clip_ids=list(range(6)), ends=[12.0] * 6)
    sc = np.tile(np.array([0.9, 0.5, 0.85, 0.8, 0.75, 0.7], np.float32), (3, 1))
    # under the floor, not a last resort
    assert LAST_RESORT_RATIO * sc[0, 0] < sc[0, 1] < FLOOR_RATIO * sc[0, 0]
    text = "One line of this little story. Another line of the same story. A last line of it all."

    def cands(sentences):
        return candidates_from_scores(sc, t.ends - t.starts, [min(x.duration,
                                                                  PACE.max_cut) for x in sentences], 24)

    sentences = read_story(text)
    first = assemble(sentences, t, cands(sentences), pace=PACE)
    assert "s1" not in {c.shot_id for c in first.cuts()}  # under the floor: never planned
    held = pinned(swapped(first, 1, 0, t, 1, 0.5), 1, 0)
    slower = read_story(text, wps=2.0)
    reuse = reuse_for(slower, held, t, fps=30, exists=lambda p: True)
    assert reuse.repin == {1: ("s1",)}
    again = assemble_again(slower, t, {j: cands(slower)[j] for j in reuse.planned()}, reuse, pace=PACE)
    assert [c.shot_id for c in again.sentences[1].cuts if c.pinned] == ["s1"]
    assert timeline_problems(again) == []


def test_a_held_cut_that_continued_a_replanned_shot_becomes_a_cut(big):
    # sentence 7 says what 6 says: the same footage is the best of both, so a shot runs on
    # into 7 (a shot opens a sentence only where it is near that sentence's best)
    repeat = {7: "Sentence 6 tells about thing number 6 and a few more words."}
    first, _ = plan(story(20, edit=repeat), big)
    j = next(i for i, s in enumerate(first.sentences) if i > 1 and s.cuts[0].continues)
    held = pin_sentence(first, j)
    edited = story(20, edit={**repeat, j - 1: "A rocket lifts off into a cloudless morning sky."})
    again, reuse = plan(edited, big, held)
    assert j in reuse.kept
    assert [c.shot_id for c in again.sentences[j].cuts] == [c.shot_id for c in held.sentences[j].cuts]
    prev = again.sentences[j - 1].cuts[-1]
    held_cut = held.sentences[j].cuts[0]
    assert again.sentences[j].cuts[0].continues == (prev.shot_id == held_cut.shot_id
                                                   and abs(prev.source_out - held_cut.source_in) < 0.02)
    assert timeline_problems(again) == []


def test_banned_shots_and_clips_leave_the_table(big):
    clip_file = big.sources[5]
    bans = Bans(shots=(big.shot_ids[0],), clips=(clip_file,))
    table = without_banned(big, bans)
    assert big.shot_ids[0] not in table.shot_ids and clip_file not in table.sources
    assert len(table) == len(big) - 1 - sum(s == clip_file for s in big.sources)
    assert without_banned(big, Bans()) is big
    with pytest.raises(NothingIndexedError):
        without_banned(big, Bans(clips=tuple(sorted(set(big.sources)))))
    # a kept sentence showing a banned shot is planned again without it
    first, _ = plan(story(10), big)
    shot = first.sentences[4].cuts[0].shot_id
    again, reuse = replan(story(10), without_banned(big, Bans(shots=(shot,))), first)
    assert 4 not in reuse.kept and shot not in {c.shot_id for c in again.cuts()}


def test_pins_and_bans_round_trip_and_old_plans_read_as_before(big):
    first, _ = plan(story(6), big)
    old_doc = first.to_dict()
    assert "bans" not in old_doc and not any("pinned" in c for s in old_doc["sentences"] for c in s["cuts"])
    t = replace(pin_sentence(first, 1), bans=Bans(shots=("b", "a", "a"), clips=("/x/clip.mp4",)))
    doc = json.loads(t.to_json())
    assert doc["bans"] == {"shots": ["b", "a", "a"], "clips": ["/x/clip.mp4"]}  # written as given …
    back = timeline_from_dict(doc)
    # … read as a set
    assert back.bans == Bans(("a", "b"), ("/x/clip.mp4",)) and back.pinned_cuts() == [(1, 0)]
    assert timeline_from_dict(old_doc).bans == Bans() and timeline_from_dict(old_doc).pinned_cuts() == []
    from wam.core.errors import WamError

    for bad in ({"shots": "a"}, {"clips": [3]}, ["a"]):
        with pytest.raises(WamError, match="bans"):
            timeline_from_dict(dict(doc, bans=bad))


def test_a_swap_replaces_one_cut_and_keeps_the_plan_valid(big):
    first, _ = plan(story(10), big)
    j = 3
    used = {c.shot_id for c in first.cuts()}
    row = next(r for r in range(len(big)) if big.shot_ids[r] not in used)
    t = pinned(first, j, 0)
    new = swapped(t, j, 0, big, row, 0.42)
    cut = new.sentences[j].cuts[0]
    old = t.sentences[j].cuts[0]
    assert (cut.shot_id, cut.score, cut.pinned, cut.continues) == (big.shot_ids[row], 0.42, True, False)
    assert (cut.start_frame, cut.frames) == (old.start_frame, old.frames)
    a, b = source_range(big, row, old.duration)
    assert (cut.source_in, cut.source_out) == (round(a, 6), round(b, 6))
    assert big.starts[row] - 1e-6 <= cut.source_in and cut.source_out <= big.ends[row] + 1e-6
    assert timeline_problems(new) == []
    assert [shown(s) for i, s in enumerate(new.sentences) if i != j] == \
        [shown(s) for i, s in enumerate(first.sentences) if i != j]  # the other sentences show what they did


def test_a_short_shot_swapped_in_holds_its_last_frame():
    fps = 25
    src = "/lib/a.mp4"
    cuts = [Cut("s0", src, 0.0, 2.0, 0, 50, fps, 0.5),
            Cut("s0", src, 2.0, 3.0, 50, 25, fps, 0.5, continues=True)]
    t = Timeline(fps, 64, 64, [SentenceSpan(0, "One.", 0, 75, fps, 0, cuts)])
    table = fake_library(n_clips=2, shots_per_clip=2, shot_len=1.2)
    new = swapped(t, 0, 0, table, 1, 0.3)
    c = new.sentences[0].cuts[0]
    assert abs((c.source_out - c.source_in) - 1.2) < 1e-6 and abs(c.hold - 0.8) < 1e-6
    assert new.sentences[0].cuts[1].continues is False  # it no longer continues the swapped-out shot
    assert timeline_problems(new) == []
