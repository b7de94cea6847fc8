"""The speaker's talk as the clock of the cut (issue 23, ``wam.voice.talk`` and ``verify``): a
talk read by espeak-ng is aligned to its script and tiles it exactly; a script that is not what
is said, a silent or soundless talk, a talk shorter than its script and timings past its end
are each a warning and a plan that stays on the speaker, never an error."""

import shutil
import subprocess
import wave
from datetime import timedelta

import numpy as np
import pytest

from wam.core.story import read_story
from wam.voice.talk import Talk, talk_narration
from wam.voice.verify import cepstra, check_script, dtw_cost, stretched

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

SCRIPT = ("Hello and welcome back. Today I watched a rocket launch into space.\n\n"
          "My cat slept on the sofa all afternoon. Thanks for watching.\n")
WRONG = ("The old library holds thousands of rare books. Rain falls softly on the roof all night long.\n\n"
         "Fishermen return to the harbour at dawn. The museum opens next week.\n")


def spoken(path, text: str, *, voice="en-us+f3", speed=150, pad: float = 0.0):
    """``text`` read by espeak-ng into the WAV ``path`` (``pad`` seconds of silence after it); its length."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    with wave.open(str(path), "rb") as w:
        rate, x = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")
    x = np.concatenate([x, np.zeros(int(pad * rate), "<i2")])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())
    return len(x) / rate


def talk(path, seconds, audio=True) -> Talk:
    return Talk(str(path), seconds, 320, 240, 25.0, audio)


def narrated(sentences, t, **kw):
    warnings, notes = [], []
    timed, draft, matched = talk_narration(sentences, t, warn=warnings.append, note=notes.append, **kw)
    return timed, draft, matched, warnings, notes


def test_the_script_said_in_the_talk_tiles_it(tmp_path):
    length = spoken(tmp_path / "talk.wav", SCRIPT, pad=0.7)
    sentences = read_story(SCRIPT)
    timed, draft, matched, warnings, notes = narrated(sentences, talk(tmp_path / "talk.wav", length))
    assert matched and warnings == [], warnings
    assert sum(s.duration for s in timed) == pytest.approx(length, abs=1e-3)  # the plan is the talk's length
    assert all(b > a for a, b in draft.spans) and draft.spans[-1][1] <= length
    assert [w for w, _, _ in draft.words[1]] == sentences[1].text.split()
    points = draft.cut_points()
    assert points == sorted(points) and len(points) >= sum(len(s.text.split()) for s in sentences)
    assert any("sounds like the script by" in n for n in notes), notes


def test_without_a_voice_to_compare_with_the_script_is_taken_as_said(tmp_path, monkeypatch):
    from wam.core.errors import VoiceEngineMissing
    from wam.voice import talk as talk_module

    def no_voice(home):
        def speak(texts):
            raise VoiceEngineMissing("the Piper voice engine (piper-tts) is not installed")
        return speak

    monkeypatch.setattr(talk_module, "_reference_voice", no_voice)
    length = spoken(tmp_path / "talk.wav", SCRIPT, pad=0.7)
    _, _, matched, warnings, notes = narrated(read_story(SCRIPT), talk(tmp_path / "talk.wav", length))
    assert matched and warnings == [] and any("not compared" in n and "piper" in n for n in notes), notes


def test_a_wrong_or_too_long_script_keeps_the_plan_on_the_speaker(tmp_path):
    length = spoken(tmp_path / "talk.wav", SCRIPT)
    for script, why in ((WRONG, "does not sound like the script"),
                        (SCRIPT * 3, "is it the recording of this story")):
        timed, _, matched, warnings, _ = narrated(read_story(script), talk(tmp_path / "talk.wav", length))
        assert not matched and len(warnings) == 1 and why in warnings[0]
        assert "stays on the speaker" in warnings[0]
        assert sum(s.duration for s in timed) == pytest.approx(length, abs=1e-3)


def test_a_silent_or_soundless_talk_keeps_the_plan_on_the_speaker(tmp_path):
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000 * 5, "<i2").tobytes())
    sentences = read_story(SCRIPT)
    for t, why in ((talk(silent, 5.0), "is silent"),
                   (talk(tmp_path / "no-such.mp4", 5.0, audio=False), "no sound")):
        timed, draft, matched, warnings, _ = narrated(sentences, t)
        assert not matched and len(warnings) == 1 and why in warnings[0], warnings
        assert sum(s.duration for s in timed) == pytest.approx(5.0, abs=1e-3)
        assert all(b > a for a, b in draft.spans)  # the subtitles still spread over the talk
    assert narrated(sentences, talk(tmp_path / "x.mp4", 5.0, audio=False))[1].file is None  # no sound to play


def test_timings_place_the_sentences_and_may_not_pass_the_talks_end(tmp_path):
    import srt

    sentences = read_story(SCRIPT)
    stamps = [(0.2, 1.5), (1.8, 4.0), (4.4, 6.5), (6.8, 8.0)]
    timing = tmp_path / "t.srt"
    timing.write_text(srt.compose([srt.Subtitle(i + 1, timedelta(seconds=a), timedelta(seconds=b), s.text)
                                   for i, ((a, b), s) in enumerate(zip(stamps, sentences))]))
    timed, draft, matched, warnings, _ = narrated(sentences, talk(tmp_path / "mute.mp4", 9.0, audio=False),
                                                  timing=str(timing))
    assert matched and warnings == [] and draft.spans == stamps and draft.kind == "timing"
    assert [round(sum(s.duration for s in timed[:i]), 3) for i in range(1, 4)] == [1.8, 4.4, 6.8]
    _, _, matched, warnings, _ = narrated(sentences, talk(tmp_path / "mute.mp4", 6.0, audio=False),
                                          timing=str(timing))
    assert not matched and "after the end of the talk" in warnings[0]


def test_dynamic_time_warping_measures_what_is_said():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 13))
    assert dtw_cost(a, a) == 0.0
    slow = np.repeat(a, 2, axis=0)  # the same said twice as slowly: still a perfect fit
    assert dtw_cost(a, slow) == pytest.approx(0.0, abs=1e-12)
    assert dtw_cost(a, rng.normal(size=(40, 13))) > 0.5
    assert stretched(a, 80).shape == (80, 13) and np.allclose(stretched(a, 80)[[0, -1]], a[[0, -1]])
    tone = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)
    c = cepstra(tone, 16000)
    assert c.shape == (49, 13) and np.allclose(c.mean(axis=0), 0, atol=1e-9)


def test_the_script_check_tells_the_script_from_another(tmp_path):
    from wam.voice.align import align, decode
    from wam.voice.engines import EspeakEngine

    engine = EspeakEngine("en")

    def speak(texts):
        return [(s.samples, s.rate) for s in map(engine.speak, texts)]

    spoken(tmp_path / "talk.wav", SCRIPT)  # another espeak-ng voice and speed than the reference's
    x, _ = decode(str(tmp_path / "talk.wav"))
    for script, matches in ((SCRIPT, True), (WRONG, False)):
        texts = [s.text for s in read_story(script)]
        spans = align(x, texts, reading_seconds=12.0).spans
        check = check_script(x, 16000, spans, texts, speak)
        assert check.matches is matches, check


def test_sentences_get_a_frame_each_or_the_talk_is_too_short(tmp_path):
    from wam.assemble.problem import sentence_frames
    from wam.core.errors import WamError
    from wam.voice.talk import apart

    assert apart([0.0, 0.0, 0.01, 5.0, 5.0], 5.0, 0.04) == pytest.approx([0.0, 0.04, 0.08, 4.92, 4.96])
    assert apart([0.0, 1.0, 2.0], 3.0, 0.04) == [0.0, 1.0, 2.0]  # already apart: unchanged
    assert apart([0.0] * 4, 0.15, 0.04) is None
    length = spoken(tmp_path / "hi.wav", "Hi.")  # well under a second, for a script of twelve sentences
    script = read_story(" ".join(f"Sentence number {i} is here." for i in range(12)))
    timed, _, matched, warnings, _ = narrated(script, talk(tmp_path / "hi.wav", length), fps=25)
    assert not matched and "stays on the speaker" in warnings[0]
    frames = sentence_frames(timed, 25)
    assert all(b - a >= 1 for a, b in frames) and frames[-1][1] == round(length * 25)  # as long as the talk
    with pytest.raises(WamError, match="too short for the script: 40 sentences"):
        narrated(read_story(" ".join(f"Sentence number {i} is here." for i in range(40))),
                 talk(tmp_path / "hi.wav", length), fps=25)
