"""The assembler on shot tables and score matrices (no media): the timeline contract, the
editing rules of issue 7 (relevance first, flexible cut lengths, continuations, no
repeated footage, holds only as a last resort) and the cost report."""

import numpy as np
import pytest

from tables import fake_library, make_table
from wam.assemble.plan import assemble, solve_diverse
from wam.assemble.problem import build_problem, cut_grid, sentence_frames
from wam.assemble.report import timeline_of
from wam.assemble.styles import PACES
from wam.assemble.terms import CostWeights
from wam.core.errors import WamError
from wam.core.story import read_story
from wam.core.timeline import Timeline, timeline_from_dict, timeline_problems
from wam.text.candidates import candidates_from_scores

STORY = "\n\n".join(
    " ".join(f"Sentence {p}-{i} tells about thing number {p * 10 + i} and more words here."
             for i in range(4))
    for p in range(3)
)


def scores_for(sentences, table, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (len(sentences), len(table))).astype(np.float32)


def shown_ranges(tl, table):
    """(shot row, source in, source out) of every cut, continuations merged into their cut."""
    out = []
    for c in tl.cuts():
        row = table.shot_ids.index(c.shot_id)
        if c.continues and out and out[-1][0] == row:
            out[-1] = (row, out[-1][1], c.source_out)
        else:
            out.append((row, c.source_in, c.source_out))
    return out


def repeated_seconds(tl, table) -> float:
    """Seconds of footage shown more than once (overlaps between uses of one shot)."""
    by_row = {}
    for row, a, b in shown_ranges(tl, table):
        by_row.setdefault(row, []).append((a, b))
    total = 0.0
    for spans in by_row.values():
        spans.sort()
        for (_, b0), (a1, b1) in zip(spans, spans[1:]):
            total += max(0.0, min(b0, b1) - a1)
    return total


def test_contract_tiling_grid_and_source_ranges():
    sentences = read_story(STORY)
    t = fake_library()
    tl = assemble(sentences, t, scores_for(sentences, t), pace=PACES["normal"], fps=30)
    assert timeline_problems(tl) == []
    for c in tl.cuts():
        row = t.shot_ids.index(c.shot_id)
        assert t.starts[row] - 1e-6 <= c.source_in <= c.source_out <= t.ends[row] + 1e-6
    assert repeated_seconds(tl, t) == 0
    assert tl.duration == pytest.approx(sum(s.duration for s in sentences), abs=2 / 30)
    # every cut inside a sentence falls on the 0.2 s grid from the sentence's start
    frames = sentence_frames(sentences, 30)
    for s, (a, b) in zip(tl.sentences, frames):
        grid = set((cut_grid(b - a, 30) + a).tolist())
        assert all(round(c.start * 30) in grid for c in s.cuts if not c.continues or c is not s.cuts[0])


def test_semantics_win_when_clear():
    sentences = read_story(STORY)
    t = fake_library()
    scores = np.full((len(sentences), len(t)), 0.1, np.float32)
    wanted = [3 * i for i in range(len(sentences))]  # one distinct clip per sentence
    for i, row in enumerate(wanted):
        scores[i, row : row + 3] = 0.95
    tl = assemble(sentences, t, scores, pace=PACES["calm"], fps=25)
    for s, row in zip(tl.sentences, wanted):
        assert all(t.shot_ids.index(c.shot_id) in (row, row + 1, row + 2) for c in s.cuts)


def short_shot_library(n_clips=6, shots=3, shot_len=1.0):
    """Clips of a few short shots each, plus one long unrelated shot at the end."""
    starts = np.concatenate([np.arange(shots) * shot_len for _ in range(n_clips)] + [[0.0]])
    ends = starts + shot_len
    ends[-1] = 30.0
    clips = np.concatenate([np.repeat(np.arange(n_clips), shots), [n_clips]])
    return make_table(len(starts), clip_ids=clips, starts=starts, ends=ends)


@pytest.mark.parametrize("pace", ["calm", "normal", "fast"])
def test_relevant_footage_fills_the_sentence_even_against_the_pace(pace):
    # sentence i matches clip i (three 1 s shots); the unrelated 30 s shot would suit the pace far better
    sentences = read_story("A first long sentence with several words in it. A second long sentence also "
                           "here.")
    t = short_shot_library()
    scores = np.full((len(sentences), len(t)), 0.15, np.float32)
    for i in range(len(sentences)):
        scores[i, 3 * i : 3 * i + 3] = 0.8
    tl = assemble(sentences, t, scores, pace=PACES[pace])
    assert timeline_problems(tl) == []
    for i, s in enumerate(tl.sentences):
        relevant = sum(c.end - c.start for c in s.cuts if t.shot_ids.index(c.shot_id) // 3 == i)
        assert relevant / (s.end - s.start) >= 0.9, (pace, i, s.cuts)
    # consecutive cuts from one source file are fine when they are different shots
    sources = [c.source for c in tl.sentences[0].cuts]
    assert len(sources) >= 2 and len(set(sources)) == 1
    assert len({c.shot_id for c in tl.sentences[0].cuts}) == len(tl.sentences[0].cuts)


@pytest.mark.parametrize("pace", ["calm", "normal", "fast"])
def test_a_library_of_two_second_shots_always_plans(pace):
    sentences = read_story(STORY
                           + "\n\nA very long closing sentence that goes on and on with many words so that "
                             "it "
                           "needs far more footage than any single shot of two seconds could ever give it "
                           "alone.")
    t = fake_library(n_clips=10, shots_per_clip=3, shot_len=2.0)
    tl = assemble(sentences, t, scores_for(sentences, t), pace=PACES[pace])
    assert timeline_problems(tl) == []
    assert all(c.hold == 0 for c in tl.cuts())


def test_hold_is_the_last_resort_and_warned():
    sentences = read_story("One sentence that lasts a good few seconds on the screen.")
    t = make_table(1, starts=[0.0], ends=[1.0])
    tl = assemble(sentences, t, np.full((1, 1), 0.9, np.float32), pace=PACES["normal"])
    assert timeline_problems(tl) == []
    (cut,) = tl.cuts()
    assert cut.hold == pytest.approx(tl.duration - 1.0, abs=1 / 30)
    assert any("held" in w for w in tl.warnings)
    d = tl.to_dict()
    assert timeline_from_dict(d).to_dict() == d


def test_continuation_runs_a_shot_across_sentences_of_one_paragraph():
    sentences = read_story("The ship sails at dawn. The ship sails on.\n\nA new scene begins here now.")
    t = make_table(4, starts=[0, 0, 0, 0], ends=[20.0, 20.0, 1.5, 20.0], clip_ids=[0, 1, 2, 3])
    scores = np.full((3, 4), 0.1, np.float32)
    scores[0, 0] = scores[1, 0] = 0.9  # shot 0 matches both sentences of the first paragraph
    scores[2, 0] = 0.9  # … and the next paragraph too, but a paragraph is a new scene
    scores[2, 3] = 0.85
    tl = assemble(sentences, t, scores, pace=PACES["calm"])
    first, second, third = tl.sentences
    assert [c.shot_id for c in first.cuts] == ["s0"] and second.cuts[0].shot_id == "s0"
    assert second.cuts[0].continues and second.cuts[0].source_in == pytest.approx(first.cuts[0].source_out)
    assert second.cuts[0].costs["transition"] == 0 and second.cuts[0].costs["jump_cut"] == 0
    assert not third.cuts[0].continues
    assert repeated_seconds(tl, t) == 0


def test_pace_orders_average_shot_length_and_is_deterministic():
    # sentences of 8 s: each opens on its own best shot (unrelated random scores leave no shot
    # near the best of two sentences to run on), so the pace shows in the cuts inside them
    line = "and more words here, and then it goes on for a while longer."
    sentences = read_story("\n\n".join(" ".join(f"Sentence {p}-{i} tells about thing number {p * 10 + i} "
                                                f"{line}" for i in range(4))
                                        for p in range(3)))
    assert min(s.duration for s in sentences) > 7
    t = fake_library(n_clips=30, shot_len=8.0)
    sc = scores_for(sentences, t)
    asl = {}
    for name, p in PACES.items():
        tl = assemble(sentences, t, sc, pace=p)
        asl[name] = tl.duration / sum(1 for c in tl.cuts() if not c.continues)
        assert assemble(sentences, t, sc, pace=p).to_dict() == tl.to_dict()
    assert asl["calm"] > asl["normal"] > asl["fast"]
    a = assemble(sentences, t, sc, pace=PACES["normal"], seed=1).to_dict()
    b = assemble(sentences, t, sc, pace=PACES["normal"], seed=1).to_dict()
    c = assemble(sentences, t, sc, pace=PACES["normal"], seed=2).to_dict()
    assert a == b and a != c


def test_no_repeated_footage_while_the_library_allows_it():
    sentences = read_story(STORY)
    t = fake_library(n_clips=10, shots_per_clip=3, shot_len=3.0)  # 90 s of footage for a 57 s story
    scores = np.full((len(sentences), len(t)), 0.5, np.float32)
    tl = assemble(sentences, t, scores, pace=PACES["normal"])
    assert repeated_seconds(tl, t) == pytest.approx(0, abs=1e-6)
    assert not any(s.reused for s in tl.sentences)


def test_small_library_reuses_with_warning_and_weak_flags():
    sentences = read_story(STORY)
    t = fake_library(n_clips=3, shots_per_clip=2)
    tl = assemble(sentences, t, np.full((len(sentences), len(t)), 0.1, np.float32), pace=PACES["fast"])
    assert timeline_problems(tl) == []
    assert any("too small" in w for w in tl.warnings)
    assert any(s.reused for s in tl.sentences)
    assert all(s.weak_match for s in tl.sentences)


def test_forced_reuse_is_spread_out():
    sentences = read_story(STORY)
    t = fake_library(n_clips=4, shots_per_clip=2, shot_len=6.0)
    tl = assemble(sentences, t, np.full((len(sentences), len(t)), 0.5, np.float32), pace=PACES["calm"])
    uses = {}
    for si, s in enumerate(tl.sentences):
        shown = [c.shot_id for c in s.cuts if not c.continues]
        assert len(shown) == len(set(shown))  # never the same shot twice in one sentence
        for shot in shown:
            uses.setdefault(shot, []).append(si)
    gaps = [b - a for v in uses.values() for a, b in zip(v, v[1:])]
    assert gaps and min(gaps) >= 2, uses  # 8 shots for 12 sentences: repeats, but never next door
    assert any(s.reused for s in tl.sentences) and any("too small" in w for w in tl.warnings)


def test_use_is_spread_across_sources():
    sentences = read_story(STORY)
    t = fake_library(n_clips=12, shots_per_clip=6)
    scores = np.full((len(sentences), len(t)), 0.4, np.float32)
    # every shot of clip 0 is slightly better everywhere (the others may open a sentence too)
    scores[:, :6] = 0.45
    tl = assemble(sentences, t, scores, pace=PACES["normal"])
    sentences_with_clip0 = sum(any(c.source == t.sources[0] for c in s.cuts) for s in tl.sentences)
    assert sentences_with_clip0 <= 4  # 36 s of clip 0 could fill the whole story; spread keeps it to a share


def test_unrelated_footage_only_where_nothing_matches():
    # two sentences want the same single 2 s shot: it is held and shown again (and the plan
    # says so), never cut away from to unrelated footage (under FLOOR_RATIO of the best) …
    sentences = read_story("The red balloon rises over the town square. The red balloon rises over the town "
                           "square again.")
    t = make_table(4, starts=[0, 0, 0, 0], ends=[2.0, 30.0, 30.0, 30.0])
    scores = np.array([[0.9, 0.1, 0.1, 0.1], [0.9, 0.1, 0.1, 0.1]], np.float32)
    tl = assemble(sentences, t, scores, pace=PACES["normal"])
    assert {c.shot_id for c in tl.cuts()} == {"s0"} and not any(c.last_resort for c in tl.cuts())
    assert any("already used" in w for w in tl.warnings) and any("last frame is held" in w
                                                                 for w in tl.warnings)
    # … unless the sentences are weak (nothing matches well): then the rest is a flagged last resort
    tl = assemble(sentences, t, scores * 0.3, pace=PACES["normal"])
    flagged = [c for c in tl.cuts() if c.last_resort]
    assert flagged and all(c.score < 0.135 for c in flagged) and all(s.weak_match for s in tl.sentences)
    assert not any(c.last_resort for c in tl.cuts() if c.shot_id == "s0")


def test_cost_report_adds_up_to_the_objective():
    sentences = read_story(STORY)
    for seed, t in enumerate([fake_library(), fake_library(n_clips=3, shots_per_clip=2),
                              short_shot_library()]):
        scores = scores_for(sentences, t, seed=seed)
        cands = candidates_from_scores(scores, t.ends - t.starts, [s.duration for s in sentences], 40)
        problem = build_problem(sentences, t, cands, pace=PACES["normal"], fps=30, weights=CostWeights())
        result = solve_diverse(problem, cands)
        tl = timeline_of(sentences, problem, cands, result, pace=PACES["normal"], fps=30, width=64,
                         height=36, model="")
        reported = sum(v for c in tl.cuts() for v in c.costs.values())
        entries = sum(len(c.costs) for c in tl.cuts())
        assert reported == pytest.approx(result.solution.cost, abs=1e-4 * entries + 1e-6)
        assert set(tl.cuts()[0].costs) >= {"semantic", "duration", "transition", "diversity", "jump_cut",
                                           "relevance"}


def test_timeline_json_roundtrip_and_validation():
    sentences = read_story(STORY)
    t = fake_library()
    tl = assemble(sentences, t, scores_for(sentences, t), pace=PACES["normal"])
    d = tl.to_dict()
    assert d["schema"] == "wam.timeline/1"
    again = timeline_from_dict(d)
    assert isinstance(again, Timeline) and again.to_dict() == d
    d["sentences"][1]["start"] += 0.5
    with pytest.raises(WamError, match="invalid wam plan"):
        timeline_from_dict(d)
    with pytest.raises(WamError, match="not a wam plan"):
        timeline_from_dict({"schema": "other"})


@pytest.mark.slow
def test_long_story_plans():
    """A 1000-sentence story: candidates scored in chunks (never a full sentences × shots
    matrix), the footage LP solved chunk by chunk, a valid plan at the end."""
    from wam.text.candidates import candidate_sets

    text = "\n\n".join(" ".join(f"Line {p}-{i} shows a scene." for i in range(10)) for p in range(100))
    sentences = read_story(text)
    assert len(sentences) == 1000
    t = fake_library(n_clips=400, shots_per_clip=5, dim=16)
    q = np.random.default_rng(3).normal(size=(len(sentences), 16)).astype(np.float32)
    cands = candidate_sets(q, [s.text for s in sentences], t, None, k=20,
                           min_lengths=[s.duration for s in sentences], chunk=128)
    assert max(len(c.rows) for c in cands) <= 30
    tl = assemble(sentences, t, cands, pace=PACES["normal"], k=20)
    assert timeline_problems(tl) == []
    assert len(tl.sentences) == 1000


def test_frames_helpers():
    sentences = read_story("One two. Three four five six seven eight.")
    f = sentence_frames(sentences, 30)
    assert f[0][0] == 0 and f[0][1] == f[1][0]
    assert cut_grid(20, 30).tolist() == [0, 6, 12, 18, 20]
    with pytest.raises(WamError):
        assemble(sentences, make_table(0), np.zeros((2, 0), np.float32), pace=PACES["normal"])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["calm", "normal", "fast"]))
def test_relevance_dominates_pace_continuity_and_diversity(seed, pace):
    """Whenever a sentence's own clip holds enough footage for it, no second of the
    sentence goes to unrelated footage, however awkward the relevant shots' lengths,
    colours, motions or quality, and however inviting the unrelated shots."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    text = " ".join(f"Sentence number {i} has " + " ".join(["word"] * int(rng.integers(3, 14))) + "."
                    for i in range(n))
    sentences = read_story(text)
    starts, ends, clips = [], [], []
    for i, s in enumerate(sentences):
        need, t0 = s.duration + 0.3, 0.0
        while t0 < need:
            ln = float(rng.uniform(0.6, 4.0))
            starts.append(t0)
            ends.append(t0 + ln)
            clips.append(i)
            t0 += ln
    for j in range(8):  # unrelated long shots, some of them perfect in every other respect
        starts.append(0.0)
        ends.append(30.0)
        clips.append(100 + j)
    t = make_table(len(starts), starts=starts, ends=ends, clip_ids=clips)
    t.histograms = rng.dirichlet(np.ones(128), len(t)).astype(np.float32)
    t.brightness = rng.uniform(0.05, 0.95, len(t)).astype(np.float32)
    t.camera_motion = rng.integers(0, 7, len(t)).astype(np.int8)
    t.scale = rng.integers(0, 3, len(t)).astype(np.int8)
    t.quality = rng.uniform(0.3, 1.0, len(t)).astype(np.float32)
    t.quality[np.asarray(clips) >= 100] = 1.0
    scores = np.full((n, len(t)), 0.15, np.float32)
    for i in range(n):
        scores[i, np.asarray(clips) == i] = rng.uniform(0.5, 0.9)
    tl = assemble(sentences, t, scores, pace=PACES[pace])
    assert timeline_problems(tl) == []
    for i, s in enumerate(tl.sentences):
        own = sum(c.frames for c in s.cuts if t.clip_ids[t.shot_ids.index(c.shot_id)] == i)
        assert own == s.frames, (pace, i, [(c.shot_id, c.frames) for c in s.cuts])


def test_a_segment_held_past_its_source_end_keeps_a_source_frame_for_every_piece():
    from wam.assemble.report import piece_sources

    fps = 10
    # a 2 s shot held over 2.7 s + 2.1 s of two sentences: the old split gave the second piece [2.0, 2.0)
    got = piece_sources(0.0, 2.0, [(0, 27), (27, 48)], fps)
    assert [b > a for a, b in got] == [True, True]
    assert got[0][0] == 0.0 and got[-1][1] == 2.0
    assert got[1][0] == got[0][1]  # the continuation starts where the first piece ended
    # a source long enough plays on unchanged
    assert piece_sources(1.0, 9.0, [(0, 20), (20, 35)], fps) == [(1.0, 3.0), (3.0, 4.5)]
    # three pieces, the last two wholly past the end
    got = piece_sources(0.0, 1.0, [(0, 15), (15, 25), (25, 40)], fps)
    assert all(b > a for a, b in got) and all(x[1] == y[0] for x, y in zip(got, got[1:]))
