"""Stable re-planning: after an edit, unchanged sentences keep their cuts and only the edit
(and, where a rule forces it, its neighbours) is cut again — pure tests on shot tables, and
one on the sample library through the planner."""

import zlib

import numpy as np
import pytest

from tables import fake_library
from test_assemble import repeated_seconds
from wam.assemble.plan import assemble
from wam.assemble.replan import assemble_again, reuse_for
from wam.assemble.stable import KEEP_REWORDED, KEEP_UNCHANGED
from wam.assemble.styles import PACES
from wam.assemble.terms import CostWeights, JumpCut, Transition
from wam.core.story import read_story
from wam.core.timeline import timeline_problems
from wam.text.candidates import candidates_from_scores

PACE = PACES["normal"]


def story(n: int, *, edit: dict[int, str] | None = None, drop: int | None = None,
          insert: tuple[int, str] | None = None):
    """n sentences in paragraphs of five; edits name sentences by their original number (an
    inserted sentence goes before that one, in its paragraph)."""
    lines = [f"Sentence {i} tells about thing number {i} and a few more words." for i in range(n)]
    for i, text in (edit or {}).items():
        lines[i] = text
    paras = [[lines[i] for i in range(p, min(n, p + 5)) if i != drop] for p in range(0, n, 5)]
    if insert is not None:
        at, text = insert
        paras[at // 5].insert(at % 5, text)
    return read_story("\n\n".join(" ".join(p) for p in paras if p))


def scores(sentences, n_shots: int) -> np.ndarray:
    """A match score row per sentence that depends on its text only (an unchanged sentence scores the
    same)."""
    return np.stack([np.random.default_rng(zlib.crc32(s.text.encode())).uniform(0, 1, n_shots)
                     for s in sentences]
                    ).astype(np.float32)


def plan(sentences, table, previous=None):
    lengths = np.asarray(table.ends) - np.asarray(table.starts)
    cands = candidates_from_scores(scores(sentences, len(table)), lengths,
                                   [min(s.duration, PACE.max_cut) for s in sentences], 24)
    if previous is None:
        return assemble(sentences, table, cands, pace=PACE), None
    reuse = reuse_for(sentences, previous, table, fps=30, exists=lambda p: True)
    return assemble_again(sentences, table, {j: cands[j] for j in reuse.planned()}, reuse, pace=PACE), reuse


def cuts_of(span):
    return [(c.shot_id, c.source_in, c.source_out, c.frames, c.continues, c.hold) for c in span.cuts]


def same(a, b) -> bool:
    return cuts_of(a) == cuts_of(b)


@pytest.fixture(scope="module")
def big():
    return fake_library(n_clips=40, shots_per_clip=3, seed=3)


def test_an_unchanged_story_keeps_every_cut(big):
    first, _ = plan(story(20), big)
    again, reuse = plan(story(20), big, first)
    assert reuse.windows == [] and len(reuse.kept) == 20
    assert [cuts_of(s) for s in again.sentences] == [cuts_of(s) for s in first.sentences]
    assert again.frames == first.frames and timeline_problems(again) == []


def test_rewording_one_sentence_recuts_only_that_sentence(big):
    first, _ = plan(story(20), big)
    edited = story(20, edit={9: "A rocket lifts off into a cloudless morning sky."})
    again, reuse = plan(edited, big, first)
    assert reuse.windows == [(8, 11)]  # the edit and its two neighbours
    assert sorted(reuse.kept) == [j for j in range(20) if j not in (8, 9, 10)]
    assert all(same(first.sentences[j], again.sentences[j]) for j in reuse.kept)
    kept = [j for j in range(20) if j != 9 and same(first.sentences[j], again.sentences[j])]
    # a neighbour may change where its shot ran on into the edited sentence (here sentence 8)
    assert len(kept) >= 18, f"unchanged sentences re-cut: {sorted(set(range(20)) - set(kept) - {9})}"
    assert not same(first.sentences[9], again.sentences[9])  # its meaning changed: other footage
    assert timeline_problems(again) == [] and again.frames == sum(s.frames for s in again.sentences)
    assert repeated_seconds(again, big) == 0.0  # the new cut does not take footage the kept ones show


def test_insert_and_delete_move_the_kept_cuts_along(big):
    first, _ = plan(story(20), big)
    inserted, reuse = plan(story(20, insert=(6, "Meanwhile the harbour fills with small boats.")), big, first)
    end = 9 if first.sentences[6].cuts[0].continues else 8  # a kept cut running on needs its shot before it
    assert len(inserted.sentences) == 21 and reuse.windows == [(5, end)]
    shift = inserted.sentences[end - 1].start_frame - first.sentences[end - 2].start_frame
    assert shift == inserted.sentences[6].frames
    for j in range(end, 21):  # after the insertion: same cuts, later by the new sentence's length
        assert same(first.sentences[j - 1], inserted.sentences[j])
        assert [c.start_frame for c in inserted.sentences[j].cuts] == [c.start_frame + shift
                                                                       for c in first.sentences[j - 1].cuts]
    for j in range(0, 5):
        assert same(first.sentences[j], inserted.sentences[j])
    dropped, reuse = plan(story(20, drop=12), big, first)
    assert len(dropped.sentences) == 19 and reuse.windows == [(11, 13)]  # the new join, with stickiness
    assert all(same(first.sentences[j], dropped.sentences[j]) for j in range(11))
    assert all(same(first.sentences[j + 1], dropped.sentences[j]) for j in range(13, 19))
    assert timeline_problems(inserted) == [] and timeline_problems(dropped) == []


def test_matching_knows_rewordings_moves_and_big_rewrites(big):
    first, _ = plan(story(20), big)
    text = "Sentence 4 tells about thing number 4 and a few more words."
    reworded = story(20, edit={4: "Sentence 4 tells about the thing number 4 and some more words."})
    _, reuse = plan(reworded, big, first)
    assert reuse.sticky[4] == (tuple(c.shot_id for c in first.sentences[4].cuts), KEEP_REWORDED)
    assert reuse.sticky[3][1] == KEEP_UNCHANGED and reuse.sticky[5][1] == KEEP_UNCHANGED
    moved = story(20, drop=4, insert=(15, text))
    again, reuse = plan(moved, big, first)
    at = [x.text for x in moved].index(text)
    assert at == 14 and reuse.sticky[at] == (tuple(c.shot_id for c in first.sentences[4].cuts),
                                             KEEP_UNCHANGED)
    rewritten = story(20, edit={i: f"Completely new line number {i} about boats and trains."
                                for i in range(0, 20, 2)})
    again, reuse = plan(rewritten, big, first)
    assert reuse.windows == [(0, 20)] and reuse.kept == {}  # most of it changed: planned as a whole
    assert timeline_problems(again) == []


def test_a_changed_paragraph_start_or_length_is_not_kept(big):
    first, _ = plan(story(10), big)
    longer = story(10, edit={3: "Sentence 3 tells about thing number 3 and "
                                "a few more words, and then it goes on and on."})
    _, reuse = plan(longer, big, first)
    assert 3 not in reuse.kept and {2, 4} <= set(reuse.sticky)


def test_the_cut_after_a_window_is_costed_against_its_new_predecessor(big):
    first, _ = plan(story(20), big)
    again, reuse = plan(story(20, edit={9: "A rocket lifts off into a cloudless morning sky."}), big, first)
    before, after = again.sentences[10].cuts[-1], again.sentences[11].cuts[0]
    rows = [big.shot_ids.index(c.shot_id) for c in (before, after)]
    from wam.assemble.problem import build_problem

    problem = build_problem(story(2), big, candidates_from_scores(np.ones((2, len(big)), np.float32),
                            np.asarray(big.ends) - np.asarray(big.starts), [1, 1], 4), pace=PACE, fps=30,
                            weights=CostWeights())
    for term in (Transition(1.0), JumpCut(1.2)):
        want = term.weight * float(term.transition(problem.ctx, np.array(rows[:1]), np.array(rows[1:]),
                                                   across_paragraph=False)[0, 0])
        assert after.costs[term.name] == pytest.approx(want, abs=1e-4)


def test_kept_shots_are_not_shown_again_by_the_new_cut():
    # the edited sentence now matches best the shot sentence 2 shows (kept), and nearly as
    # well another one: it must not show again what sentence 2 shows
    lib = fake_library(n_clips=12, shots_per_clip=1, seed=5, shot_len=8.0)
    sents = story(6)
    first, _ = plan(sents, lib)
    shown = first.sentences[2].cuts[0].shot_id
    edited = story(6, edit={4: "Something else entirely, about the sea at dawn."})
    lengths = np.asarray(lib.ends) - np.asarray(lib.starts)
    sc = scores(edited, len(lib))
    sc[4] = 0.2
    sc[4, lib.shot_ids.index(shown)] = 0.95
    other = next(i for i in range(len(lib)) if lib.shot_ids[i] not in {c.shot_id for c in first.cuts()})
    sc[4, other] = 0.85
    cands = candidates_from_scores(sc, lengths, [min(s.duration, PACE.max_cut) for s in edited], 24)
    reuse = reuse_for(edited, first, lib, fps=30, exists=lambda p: True)
    again = assemble_again(edited, lib, {j: cands[j] for j in reuse.planned()}, reuse, pace=PACE)
    ranges = [(c.source_in, c.source_out) for sp in again.sentences for c in sp.cuts if c.shot_id == shown]
    ranges.sort()
    assert all(b0 <= a1 + 1e-6 for (_, b0), (a1, _) in zip(ranges, ranges[1:])), ranges
    assert same(first.sentences[2], again.sentences[2]) and not any(sp.reused for sp in again.sentences)


@pytest.mark.slow
def test_planner_keeps_unchanged_sentences_on_the_sample_library(wam_home):
    from click.testing import CliRunner

    from conftest import REPO, SAMPLES
    from wam.app.planner import plan_story
    from wam.cli import cli

    assert CliRunner().invoke(cli, ["index", str(SAMPLES), "-q"]).exit_code == 0
    text = (REPO / "examples" / "story.txt").read_text()
    first = plan_story(read_story(text), home=wam_home)
    sentences = read_story(text)
    target = sentences[5].text
    edited = read_story(text.replace(target, "A small boat drifts across a calm lake at sunset."))
    again = plan_story(edited, home=wam_home, previous=first)
    kept = sum(same(a, b) for j, (a, b) in enumerate(zip(first.sentences, again.sentences)) if j != 5)
    assert kept >= 0.9 * (len(sentences) - 1)
    assert timeline_problems(again) == []
    from dataclasses import replace

    other_pace = plan_story(edited, home=wam_home, previous=replace(first, pace="fast"))
    fresh = plan_story(edited, home=wam_home)
    # a plan made at another pace is not a previous plan of this one: planned afresh
    assert [cuts_of(s) for s in other_pace.sentences] == [cuts_of(s) for s in fresh.sentences]


def test_a_term_with_a_transition_cost_has_no_other_cost():
    """``replan._recosted_entry`` replaces a kept cut's transition values whole (see ``Term``)."""
    import inspect

    from wam.assemble import terms

    kinds = ("per_second", "per_sentence", "per_cut", "opening")
    found = 0
    for _, cls in inspect.getmembers(terms, inspect.isclass):
        if issubclass(cls, terms.Term) and cls.transition is not terms.Term.transition:
            found += 1
            assert all(getattr(cls, k) is getattr(terms.Term, k) for k in kinds), cls.__name__
    assert found >= 2  # Transition and JumpCut
