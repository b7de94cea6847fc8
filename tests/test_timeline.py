"""The timeline data model: frames as the source of truth, validation, the JSON contract."""

import json
from dataclasses import replace

import pytest

from wam.core.errors import WamError
from wam.core.fileio import write_atomic
from wam.core.timeline import Cut, SentenceSpan, Timeline, read_plan, timeline_from_dict, timeline_problems


def two_sentences(fps=30) -> Timeline:
    """Sentence 0: frames [0, 45) in two cuts (20 + 25); sentence 1: frames [45, 90) in one cut."""
    c0 = Cut("a-000", "/a.mp4", 1.0, 1.0 + 20 / fps, 0, 20, fps, 0.8)
    c1 = Cut("b-000", "/b.mp4", 0.0, 25 / fps, 20, 25, fps, 0.7)
    c2 = Cut("c-001", "/c.mp4", 3.0, 3.0 + 45 / fps, 45, 45, fps, 0.6, focus=[0.5, 0.4])
    return Timeline(fps, 640, 360, [SentenceSpan(0, "One.", 0, 45, fps, 0, [c0, c1]),
                                    SentenceSpan(1, "Two.", 45, 45, fps, 1, [c2])])


def test_seconds_are_derived_from_frames():
    t = two_sentences()
    assert t.frames == 90 and t.duration == 3.0
    c = t.cuts()[1]
    assert (c.start_frame, c.end_frame, c.start, c.end) == (20, 45, 20 / 30, 1.5)
    assert t.sentences[1].start == 1.5 and t.sentences[1].duration == 1.5
    assert timeline_problems(t) == []
    with pytest.raises(TypeError):
        Cut("x", "/x.mp4", 0.0, 1.0, 0.5, 30, 30, 0.1)  # a position in seconds where frames belong


def test_json_carries_frames_and_seconds_and_round_trips():
    t = two_sentences()
    d = json.loads(t.to_json())
    assert d["schema"] == "wam.timeline/1" and (d["frames"], d["duration"]) == (90, 3.0)
    cut = d["sentences"][0]["cuts"][1]
    assert (cut["start_frame"], cut["frames"], cut["start"], cut["end"]) == (20, 25, 0.666667, 1.5)
    assert cut["continues"] is False and cut["hold"] == 0.0
    assert timeline_from_dict(d) == t
    assert timeline_from_dict(d).to_dict() == d


def test_json_is_the_standard_librarys_indented_text():
    """to_json writes with orjson (speed): the text of json.dumps(indent=2), non-ASCII kept."""
    t = two_sentences()
    first = replace(t.sentences[0], text="Über den Fluß — 川を渡る. \"Quoted\"\n")
    t = replace(t, sentences=[first, t.sentences[1]], warnings=["a tab\there, a control \x01 char"])
    text = t.to_json()
    assert text == json.dumps(t.to_dict(), indent=2, ensure_ascii=False)
    assert json.loads(text) == t.to_dict()
    odd = replace(t, sentences=[first, replace(t.sentences[1], text="a lone surrogate \ud800")])
    assert odd.to_json() == json.dumps(odd.to_dict(), indent=2, ensure_ascii=False)  # orjson refuses it


def test_a_plan_without_frame_fields_is_upgraded():
    d = two_sentences(25).to_dict()
    for s in d["sentences"]:
        del s["start_frame"], s["frames"]
        for c in s["cuts"]:
            for key in ("start_frame", "frames", "continues", "hold"):
                del c[key]
    del d["frames"]
    t = timeline_from_dict(d)
    assert [(c.start_frame, c.frames) for c in t.cuts()] == [(0, 20), (20, 25), (45, 45)]
    assert t == two_sentences(25)


def test_frames_and_seconds_must_agree():
    d = two_sentences().to_dict()
    d["sentences"][0]["cuts"][1]["start"] = 0.7
    with pytest.raises(WamError,
                       match=r"invalid wam plan: sentences\[0\]\.cuts\[1\]\.start is 0.7 s, not frame 20"):
        timeline_from_dict(d)
    d = two_sentences().to_dict()
    d["duration"] = 3.5
    with pytest.raises(WamError, match="invalid wam plan: its length"):
        timeline_from_dict(d)


def test_schema_versions():
    d = two_sentences().to_dict()
    with pytest.raises(WamError, match="newer wam"):
        timeline_from_dict({**d, "schema": "wam.timeline/2"})
    for schema in ("other", "wam.timeline/x", "wam.timeline/0", None):
        with pytest.raises(WamError, match="not a wam plan"):
            timeline_from_dict({**d, "schema": schema})
    with pytest.raises(WamError, match="not a wam plan"):
        timeline_from_dict([d])
    with pytest.raises(WamError, match=r"invalid wam plan: sentences\[0\]\.cuts is missing"):
        timeline_from_dict({**d, "sentences": [{"index": 0}]})


def test_validation_in_frames():
    t = two_sentences()
    s0, s1 = t.sentences
    gap = Timeline(30, 640, 360, [s0, SentenceSpan(1, "Two.", 46, 44, 30, 1, [
        Cut("c-001", "/c.mp4", 3.0, 5.0, 46, 44, 30, 0.6)])])
    assert timeline_problems(gap)[0] == "sentence 1 starts at frame 46, not at 45"
    overlap = Timeline(30, 640, 360, [SentenceSpan(0, "One.", 0, 45, 30, 0, [s0.cuts[0], Cut(
        "b-000", "/b.mp4", 0.0, 1.0, 19, 26, 30, 0.7)]), s1])
    assert "gap or overlap between cuts in sentence 0" in timeline_problems(overlap)
    short_source = Timeline(30, 640, 360, [s0, SentenceSpan(1, "Two.", 45, 45, 30, 1, [
        Cut("c-001", "/c.mp4", 3.0, 4.0, 45, 45, 30, 0.6)])])
    assert timeline_problems(short_source) == ["cut c-001 in sentence 1 is longer than its source range"]
    other_grid = Timeline(25, 640, 360, t.sentences)
    assert "sentence 0 is not on the timeline's 25 fps grid" in timeline_problems(other_grid)


def test_hold_and_continues():
    held = Cut("c-001", "/c.mp4", 3.0, 4.0, 45, 45, 30, 0.6, hold=0.5)
    t = Timeline(30, 640, 360, [two_sentences().sentences[0], SentenceSpan(1, "Two.", 45, 45, 30, 1, [held])])
    assert timeline_problems(t) == []  # 1 s of source + 0.5 s held = the 1.5 s cut
    too_little = Cut("c-001", "/c.mp4", 3.0, 3.9, 45, 45, 30, 0.6, hold=0.5)
    t2 = Timeline(30, 640, 360, [t.sentences[0], SentenceSpan(1, "Two.", 45, 45, 30, 1, [too_little])])
    assert timeline_problems(t2) == ["cut c-001 in sentence 1 is longer than its source range and its hold"]
    assert timeline_from_dict(t.to_dict()).cuts()[-1].hold == 0.5

    first = Cut("a-000", "/a.mp4", 1.0, 2.0, 0, 30, 30, 0.8)
    goes_on = Cut("a-000", "/a.mp4", 2.0, 2.5, 30, 15, 30, 0.8, continues=True)
    ok = Timeline(30, 640, 360, [SentenceSpan(0, "One.", 0, 30, 30, 0, [first]),
                                 SentenceSpan(1, "Two.", 30, 15, 30, 0, [goes_on])])
    assert timeline_problems(ok) == []
    assert timeline_from_dict(ok.to_dict()).cuts()[1].continues is True
    jumps = Cut("a-000", "/a.mp4", 2.5, 3.0, 30, 15, 30, 0.8, continues=True)
    bad = Timeline(30, 640, 360, [ok.sentences[0], SentenceSpan(1, "Two.", 30, 15, 30, 0, [jumps])])
    assert "not where the previous cut ended" in timeline_problems(bad)[0]
    other = Cut("b-000", "/b.mp4", 2.0, 2.5, 30, 15, 30, 0.8, continues=True)
    bad = Timeline(30, 640, 360, [ok.sentences[0], SentenceSpan(1, "Two.", 30, 15, 30, 0, [other])])
    assert "continues a different shot" in timeline_problems(bad)[0]


def test_read_plan(tmp_path):
    path = tmp_path / "plan.json"
    write_atomic(path, two_sentences().to_json())
    assert read_plan(path) == two_sentences()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(WamError, match="cannot read the plan"):
        read_plan(tmp_path / "broken.json")
    with pytest.raises(WamError, match="cannot read the plan"):
        read_plan(tmp_path / "missing.json")


def test_cut_from_seconds_snaps_to_frames():
    c = Cut.from_seconds("a", "/a.mp4", 0.0, 1.0, 0.49, 1.51, 30, 0.5)
    assert (c.start_frame, c.frames, c.fps) == (15, 30, 30)


def test_render_options_for_plan():
    from wam.render.renderer import RenderOptions

    t = Timeline(30, 641, 361, [])
    assert (RenderOptions.for_plan(t).width, RenderOptions.for_plan(t).height) == (640, 360)
    o = RenderOptions.for_plan(t, size=(1280, 720), preview=True, crf=10, fit="contain")
    assert (o.width, o.height, o.preset, o.crf, o.fit) == (640, 360, "ultrafast", 30, "contain")


def test_the_data_model_is_frozen():
    """Timeline, SentenceSpan, Cut, Bans and the narration refuse changes in place (issue 21)."""
    import dataclasses

    from wam.core.narration import Narration, SpokenSentence
    from wam.core.timeline import Bans

    t = two_sentences()
    spoken = SpokenSentence(0.0, 1.0, (("One.", 0.0, 1.0),))
    n = Narration("timing", None, (spoken, SpokenSentence(1.5, 3.0)))
    for obj, name, value in ((t, "fps", 25), (t, "warnings", ["x"]), (t, "narration", n),
                             (t.sentences[0], "cuts", []), (t.sentences[0], "text", "Changed."),
                             (t.cuts()[0], "source_in", 2.0), (t.cuts()[0], "pinned", True),
                             (Bans(), "shots", ("s",)), (n, "file", "/x.wav"), (spoken, "start", 0.5)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, value)
    assert isinstance(n.sentences, tuple) and isinstance(spoken.words[0], tuple)


def test_with_methods_copy_on_edit():
    from wam.core.narration import Narration, SpokenSentence

    t = two_sentences()
    before = t.to_json()
    n = Narration("timing", None, (SpokenSentence(0.0, 1.0), SpokenSentence(1.5, 3.0)))
    narrated = t.with_narration(n)
    assert narrated is not t and narrated.narration is n and t.narration is None
    assert narrated.sentences == t.sentences and narrated.speech_spans() == [(0.0, 1.0), (1.5, 3.0)]
    assert t.speech_spans() == [(0.0, 1.5), (1.5, 3.0)]
    warned = narrated.with_warnings(["first"] + narrated.warnings)
    assert warned.warnings == ["first"] and narrated.warnings == [] and t.warnings == []
    warned.warnings.append("appended to the copy's list")  # a new list: the older plans do not see it
    assert narrated.warnings == [] and t.warnings == []
    assert narrated.with_narration(None) == t and t.to_json() == before
    assert json.loads(narrated.to_json())["narration"]["sentences"][1] == {
        "index": 1, "start": 1.5, "end": 3.0, "engine": "", "words": []}
