"""The plan's narration as typed data (issue 21): read and checked once with the plan, written
back byte for byte, the same object whether a plan was just made or read back from its JSON.

``tests/plans/*.json`` are plans as wam wrote them before the narration was typed (written by
``wam.core.timeline`` at c689242, with ``wam plan -o``'s trailing newline): no narration, a
synthesised voice, a recording (gain, confidence, seconds rounded from thirds) and the
speaker's talk (``a_roll``, a picture-in-picture talk whose sound is the narration).
"""

import json
from pathlib import Path

import pytest

from wam.core.errors import WamError
from wam.core.narration import KINDS, Narration, SpokenSentence, narration_from_dict
from wam.core.timeline import Cut, SentenceSpan, Timeline, read_plan, timeline_from_dict

PLANS = Path(__file__).parent / "plans"


@pytest.mark.parametrize("name", ["plain", "voice", "recording", "talk"])
def test_a_plan_read_and_written_again_is_byte_identical(name, tmp_path):
    path = PLANS / f"{name}.json"
    text = path.read_text(encoding="utf-8")
    plan = read_plan(path)
    assert plan.to_json() + "\n" == text
    again = tmp_path / "again.json"  # and once more, through a second reading
    again.write_text(plan.to_json() + "\n", encoding="utf-8")
    assert read_plan(again) == plan
    assert (plan.narration is None) == (name == "plain")


def test_the_narration_is_typed_when_the_plan_is_read():
    voice = read_plan(PLANS / "voice.json").narration
    assert isinstance(voice, Narration) and voice.kind == "voice" and voice.voice == "en_US-joe-medium"
    assert voice.settings == {"noise_w_scale": 0.0} and voice.confidence is None
    assert [type(s) for s in voice.sentences] == [SpokenSentence, SpokenSentence]
    assert voice.sentences[0].words[2] == ("world.", 0.7, 1.62)
    assert voice.sentences[1].engine == "espeak-ng:ja"
    recording = read_plan(PLANS / "recording.json").narration
    assert (recording.kind, recording.gain_db, recording.confidence) == ("recording", -3.25, 0.8125)
    assert recording.sentences[0].start == 0.3333 and recording.sentences[1].words == ()
    talk = read_plan(PLANS / "talk.json")
    assert talk.narration.file == talk.a_roll["file"] and talk.a_roll["mode"] == "pip"
    assert talk.speech_spans() == [(0.1, 1.9), (2.0, 3.9)]


def _plan(n: int = 2, fps: int = 25) -> Timeline:
    cuts = [Cut(f"s{i}", "/a.mp4", 0.0, 2.0, i * 50, 50, fps, 0.5) for i in range(n)]
    return Timeline(fps, 320, 180, [SentenceSpan(i, f"Sentence {i}.", i * 50, 50, fps, 0, [c])
                                    for i, c in enumerate(cuts)])


def test_a_fresh_narration_is_the_one_its_plan_reads_back():
    """What a plan just made carries is what the same plan read from its JSON carries (seconds
    rounded as written), so subtitles, the mix and cache keys never differ between the two."""
    from wam.voice.narrate import RecordingDraft
    from wam.voice.talk import TalkDraft

    plan = _plan()
    recording = RecordingDraft("recording", "/r.wav", [(1 / 3, 1.7123456), (2.2, 3.9)],
                               ["Two words.", "Bye."], -2.0, 0.75)
    talk = TalkDraft("timing", None, [(0.1, 1 / 7), (2.0, 3.9)], [[("So", 0.1, 1 / 7)], []], 0.0, None)
    for draft in (recording, talk):
        fresh = draft.attach(plan)
        assert plan.narration is None  # attaching made a new plan
        back = timeline_from_dict(json.loads(fresh.to_json()))
        assert back.narration == fresh.narration and back.to_json() == fresh.to_json()
        assert all(round(s.start, 4) == s.start for s in fresh.narration.sentences)


def _bad(change) -> dict:
    d = json.loads((PLANS / "voice.json").read_text(encoding="utf-8"))
    change(d["narration"])
    return d


@pytest.mark.parametrize(("change", "message"), [
    (lambda n: n.update(kind="tts"), f"narration.kind must be one of {', '.join(KINDS)}"),
    (lambda n: n.update(kind="recording", file=None), "narration.file is missing"),
    (lambda n: n.update(file=""), "narration.file must be a file path or null"),
    (lambda n: n["sentences"].pop(), "narration.sentences must list the plan's 2 sentences"),
    (lambda n: n["sentences"].__setitem__(1, 7), "narration.sentences[1] must be an object"),
    (lambda n: n["sentences"][0].update(end=True), "narration.sentences[0].end must be a number"),
    (lambda n: n["sentences"][0]["words"][1].pop(), "narration.sentences[0].words[1] must be [word, start,"),
    (lambda n: n["sentences"][1]["words"][0].__setitem__(2, "x"), "narration.sentences[1].words[0][2] must"),
    (lambda n: n.update(settings=[1]), "narration.settings must be an object"),
    (lambda n: n.update(gain_db="loud"), "narration.gain_db must be a number"),
    (lambda n: n.update(confidence=[]), "narration.confidence must be a number"),
])
def test_a_bad_narration_is_refused_when_the_plan_is_read(tmp_path, change, message):
    """One line naming the field, from ``read_plan`` itself (before, only the render said so)."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad(change)), encoding="utf-8")
    with pytest.raises(WamError) as info:
        read_plan(path)
    assert str(info.value).startswith(f"invalid wam plan: {message}") and "\n" not in str(info.value)


def test_a_bad_narration_is_one_line_from_the_command(tmp_path):
    from click.testing import CliRunner

    from wam.cli import cli

    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad(lambda n: n.update(kind="tts"))), encoding="utf-8")
    r = CliRunner().invoke(cli, ["export", str(path), "-o", str(tmp_path / "cut.otio")])
    assert r.exit_code == 1 and "narration.kind must be one of" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "cut.otio").exists()


def test_narration_from_dict_raises_the_callers_error():
    class Mine(ValueError):
        pass

    with pytest.raises(Mine, match="narration.sentences must list the plan's 3 sentences"):
        narration_from_dict({"kind": "timing", "file": None, "sentences": []}, 3, Mine)
    n = narration_from_dict({"kind": "timing", "file": None, "sentences": [{"start": 0, "end": 1}]}, 1)
    assert n == Narration("timing", None, (SpokenSentence(0, 1),)) and n.to_dict()["gain_db"] == 0.0


def test_spoken_sentence_at_rounds_as_a_plan_records():
    s = SpokenSentence.at(1 / 3, 2 / 3, [("a", 1 / 3, 0.5)], "x")
    assert s == SpokenSentence(0.3333, 0.6667, (("a", 0.3333, 0.5),), "x")
    assert s.to_dict(4) == {"index": 4, "start": 0.3333, "end": 0.6667, "engine": "x",
                            "words": [["a", 0.3333, 0.5]]}
