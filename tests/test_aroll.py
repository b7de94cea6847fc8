"""Talking head + B-roll planning on arrays (issue 23): the speaker as a shot of the segment DP
and the editing rules over it — open and close on the speaker, the speaker back at least every
N seconds (and for long enough), library footage only where it matches well, cuts on word
boundaries, no footage shorter than the pace's shortest cut — checked on small tables."""

import json

import numpy as np
import pytest

from tables import fake_library
from wam.assemble.aroll import (
    ARollRules,
    assemble_a_roll,
    edge_zones,
    footage_runs,
    pieces_of,
    return_zone,
    widened,
)
from wam.assemble.speaker import CUTAWAY, SPEAKER_ID, Cutaway, OffSpeaker, SpeakerTerm, speaker_table
from wam.assemble.styles import pace
from wam.assemble.terms import CostWeights, PlanContext, Semantic, Transition
from wam.core.story import Sentence
from wam.core.timeline import timeline_from_dict, timeline_problems
from wam.text.candidates import candidates_from_scores

FPS = 25
TALK = "/talks/me.mp4"
NORMAL = pace("normal")


def story(durations, paragraphs=None):
    paragraphs = paragraphs or [0] * len(durations)
    return [Sentence(i, f"sentence {i}", p, d, i == 0 or paragraphs[i - 1] != p,
                     i == len(durations) - 1 or paragraphs[i + 1] != p)
            for i, (d, p) in enumerate(zip(durations, paragraphs))]


def word_starts(durations, every=0.37):
    """A word every ``every`` seconds from each sentence's start."""
    out, t = [], 0.0
    for d in durations:
        out += list(np.arange(t, t + d - 0.05, every))
        t += d
    return out


def scores_for(n, table, strong: dict[int, float], seed=1):
    """Weak scores everywhere (under 0.2), and in sentence s a few shots scoring ``strong[s]``."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.0, 0.2, (n, len(table)))
    for s, v in strong.items():
        scores[s, rng.choice(len(table), 4, replace=False)] = v
    return scores


def plan(durations, strong, *, rules=ARollRules(), paragraphs=None, matched=True, points=None, table=None,
         seed=None, pace_=NORMAL):
    table = table if table is not None else fake_library(n_clips=8, shots_per_clip=2)
    sents = story(durations, paragraphs)
    cands = candidates_from_scores(scores_for(len(durations), table, strong), table.lengths(),
                                   [min(d, pace_.max_cut) for d in durations], 12)
    points = word_starts(durations) if points is None else points
    tl = assemble_a_roll(sents, table, cands, talk=TALK, talk_seconds=sum(durations), cut_points=points,
                         matched=matched, pace=pace_, rules=rules, fps=FPS, seed=seed)
    return tl, cands, points


def runs_of(tl):
    """(is footage, first frame, end frame) of every stretch of speaker or footage, in order."""
    out = []
    for c in tl.cuts():
        footage = not c.a_roll
        if out and out[-1][0] == footage and out[-1][2] == c.start_frame:
            out[-1][2] = c.end_frame
        else:
            out.append([footage, c.start_frame, c.end_frame])
    return out


DURATIONS = [3.0, 4.5, 5.0, 3.5, 6.0, 4.0, 5.5, 3.0, 2.5]
STRONG = {1: 0.7, 2: 0.65, 4: 0.8, 5: 0.75, 6: 0.6}


def test_the_speaker_is_one_more_row_that_matches_nothing():
    t = fake_library(n_clips=3, shots_per_clip=2)
    t.pks = np.arange(10, 16)
    s = speaker_table(t, TALK, 42.0, aspect=0.75)
    assert len(s) == len(t) + 1 and s.shot_ids[-1] == SPEAKER_ID and s.sources[-1] == TALK
    assert s.ends[-1] - s.starts[-1] == 42.0 and s.lengths()[-1] == 42.0
    assert not s.embeddings[-1].any() and s.quality[-1] == 1.0 and s.pks[-1] == 16
    assert s.clip_ids[-1] not in set(t.clip_ids.tolist()) and s.histograms[-1].sum() == pytest.approx(1.0)
    assert np.array_equal(s.embeddings[:-1], t.embeddings)  # the library's rows are untouched


def test_other_terms_cost_nothing_on_the_speaker_and_cutaways_cost_both_ways():
    t = speaker_table(fake_library(n_clips=3, shots_per_clip=2), TALK, 30.0)
    a = len(t) - 1
    rows = np.array([0, 1, a])
    ctx = PlanContext(table=t, pace=NORMAL, weights=CostWeights(), scores=[{0: 0.5, 1: 0.2, a: 0.5}],
                      best=[0.5], pool_best=[0.5], paragraph_start=[True])
    off = OffSpeaker(Semantic(3.0), a).per_second(ctx, 0, rows)
    assert off.tolist() == pytest.approx([0.5, 0.8, 0.0])  # unweighted
    tr = OffSpeaker(Transition(1.0), a).transition(ctx, rows, rows, across_paragraph=False)
    assert (tr[2] == 0).all() and (tr[:, 2] == 0).all() and tr[0, 1] > 0
    cut = Cutaway(a).transition(ctx, rows, rows, across_paragraph=False)
    # speaker to speaker: no cut
    assert cut.tolist() == [[0, 0, CUTAWAY], [0, 0, CUTAWAY], [CUTAWAY, CUTAWAY, 0]]
    term = SpeakerTerm(a, NORMAL, 3.0, FPS)
    assert term.per_second(ctx, 0, rows)[2] > 0 and term.per_second(ctx, 0, rows)[:2].tolist() == [0, 0]
    short = term.per_cut(ctx, 0, rows, np.array([0.4, NORMAL.min_cut, 5.0]))
    assert np.isinf(short[0, 0]) and short[0, 1:].tolist() == [0, 0] and short[2].tolist() == [0, 0, 0]


def test_zones_pieces_and_runs():
    points = np.array([10, 40, 55, 80, 120, 200, 230, 260])
    assert edge_zones(300, points, FPS, 2.0) == [(0, 55), (230, 300)]  # 2 s = 50 frames at each end
    assert edge_zones(90, points[:4], FPS, 2.0) == [(0, 90)]  # too short for both: the speaker throughout
    frames = [(0, 60), (60, 150), (150, 300)]
    pieces = pieces_of(frames, [(0, 55), (100, 145)], FPS)  # 55 snaps onto the sentence boundary at 60
    assert [(p.sentence, p.start, p.end, p.speaker) for p in pieces] == [
        (0, 0, 60, True), (1, 60, 100, False), (1, 100, 150, True), (2, 150, 300, False)]  # 145 snaps to 150
    runs = [(False, 0, 10), (True, 10, 20), (True, 20, 30), (False, 30, 40), (True, 40, 50)]
    assert footage_runs(runs) == [(10, 30), (40, 50)]
    zone = return_zone((100, 500), np.arange(0, 600, 9), [150, 310], FPS, 1.5, 1.2)
    assert zone[0] == 310 and zone[1] - zone[0] >= 1.5 * FPS  # on the sentence boundary near the middle
    lo, hi = widened((200, 210), np.arange(0, 600, 7), 600, FPS, 1.5)
    assert lo <= 200 and hi >= 210 and hi - lo >= 1.5 * FPS and lo % 7 == 0 and hi % 7 == 0


def test_the_rules_hold_on_a_story():
    rules = ARollRules(every=7.0)
    tl, cands, points = plan(DURATIONS, STRONG, rules=rules)
    assert timeline_problems(tl) == []
    total = tl.frames
    assert total == round(sum(DURATIONS) * FPS)
    runs = runs_of(tl)
    # opens and closes on the speaker, at least 2 s each
    assert not runs[0][0] and runs[0][2] >= 2.0 * FPS
    assert not runs[-1][0] and total - runs[-1][1] >= 2.0 * FPS
    footage = [r for r in runs if r[0]]
    assert footage, "no library footage at all"
    # the speaker is back at least every 7 s, and for at least 1.5 s
    assert max(b - a for _, a, b in footage) <= 7.0 * FPS
    assert all(b - a >= 1.5 * FPS for f, a, b in runs[1:-1] if not f)
    grid = {round(p * FPS) for p in points} | {s.start_frame for s in tl.sentences} | {total}
    for s, span in enumerate(tl.sentences):
        cuts = [c for c in span.cuts if not c.a_roll]
        if s not in STRONG:  # nothing matches: the speaker, no filler
            assert not cuts
        for c in cuts:
            assert c.score >= rules.match  # only footage that matches well
            assert c.start_frame in grid and c.end_frame in grid  # on word boundaries
    # no footage shorter than the pace's shortest cut (a shot and its continuations)
    lengths = []
    for c in tl.cuts():
        if c.a_roll:
            continue
        if c.continues and lengths:
            lengths[-1] += c.frames
        else:
            lengths.append(c.frames)
    assert min(lengths) >= round(NORMAL.min_cut * FPS) - 1
    # the speaker's cuts show the talk at output time and carry on across sentence boundaries
    for c in tl.cuts():
        if c.a_roll:
            assert c.source == TALK and c.shot_id == SPEAKER_ID and c.source_in == pytest.approx(c.start)
            assert c.source_out == pytest.approx(c.end) and c.score == 0.0 and c.hold == 0.0
    for prev, span in zip(tl.sentences, tl.sentences[1:]):
        first = span.cuts[0]
        assert first.continues == (first.a_roll and prev.cuts[-1].a_roll)
    assert not any(w.startswith("no good footage") for w in tl.warnings)


def test_strong_sentences_are_mostly_covered():
    tl, _, _ = plan(DURATIONS, STRONG, rules=ARollRules(every=12.0))
    covered = {s.index: sum(c.frames for c in s.cuts if not c.a_roll) / s.frames for s in tl.sentences}
    assert np.mean([covered[s] for s in STRONG]) >= 0.5, covered
    assert all(covered[s] == 0 for s in range(len(DURATIONS)) if s not in STRONG)


def test_a_tighter_every_brings_the_speaker_back_more_often():
    long = [3.0, 8.0, 8.0, 8.0, 3.0]
    strong = {1: 0.8, 2: 0.8, 3: 0.8}
    loose, _, _ = plan(long, strong, rules=ARollRules(every=30.0))
    tight, _, _ = plan(long, strong, rules=ARollRules(every=5.0))
    longest = [max(b - a for f, a, b in runs_of(t) if f) for t in (loose, tight)]
    assert longest[1] <= 5.0 * FPS < longest[0]
    assert sum(not f for f, _, _ in runs_of(tight)) > sum(not f for f, _, _ in runs_of(loose))


def test_cuts_fall_only_on_the_given_word_boundaries():
    durations = [3.0, 6.0, 6.0, 3.0]
    points = [0.0, 2.0, 3.0, 3.9, 5.3, 6.1, 7.7, 9.0, 10.2, 11.4, 12.0, 13.5]
    tl, _, _ = plan(durations, {1: 0.8, 2: 0.8}, points=points)
    allowed = {round(p * FPS) for p in points} | {s.start_frame for s in tl.sentences} | {tl.frames}
    cut_points = {c.start_frame for c in tl.cuts()} | {c.end_frame for c in tl.cuts()}
    assert cut_points <= allowed and any(not c.a_roll for c in tl.cuts())


def test_no_match_or_no_script_keeps_the_speaker_on_screen():
    for tl in (plan(DURATIONS, {}, rules=ARollRules())[0], plan(DURATIONS, STRONG, matched=False)[0]):
        assert all(c.a_roll for c in tl.cuts())
        assert [c.continues for c in tl.cuts()] == [False] + [True] * (len(tl.cuts()) - 1)
        assert timeline_problems(tl) == [] and tl.warnings == []
    short, _, _ = plan([1.2, 1.5], {0: 0.9, 1: 0.9})  # too short to open and close on the speaker
    assert all(c.a_roll for c in short.cuts())


def test_the_talk_itself_in_the_library_is_never_footage():
    table = fake_library(n_clips=8, shots_per_clip=2)
    table.sources = [TALK if c < 4 else src for c, src in zip(table.clip_ids, table.sources)]
    tl, _, _ = plan(DURATIONS, STRONG, table=table)
    assert all(c.a_roll for c in tl.cuts() if c.source == TALK)


def test_an_alternative_cut_keeps_the_rules():
    a, _, _ = plan(DURATIONS, STRONG, rules=ARollRules(every=7.0), seed=3)
    assert timeline_problems(a) == []
    runs = runs_of(a)
    assert not runs[0][0] and not runs[-1][0] and max(b - x for f, x, b in runs if f) <= 7 * FPS


def test_the_plan_document_says_which_cuts_are_the_speaker():
    tl, _, _ = plan(DURATIONS, STRONG)
    d = json.loads(tl.to_json())
    assert d["a_roll"]["file"] == TALK and d["a_roll"]["mode"] == "cut"
    marked = [c for s in d["sentences"] for c in s["cuts"] if c.get("a_roll")]
    assert marked and all(c["source"] == TALK for c in marked)
    assert all("a_roll" not in c for s in d["sentences"] for c in s["cuts"] if c["source"] != TALK)
    back = timeline_from_dict(d)
    assert [c.a_roll for c in back.cuts()] == [c.a_roll for c in tl.cuts()] and back.a_roll == tl.a_roll
