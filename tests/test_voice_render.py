"""Narrated renders end to end (issue 9), measured on the real output: speech inside every
sentence's span, subtitles on the speech, the music ducked under it, loudness about −16 LUFS
without clipping, a second render that synthesises nothing, ``--plan`` reproducing the
narration; the user's own recording and ``--timing``; bad input as one line."""

import json
import re
import subprocess
import wave

import numpy as np
import pytest
from click.testing import CliRunner

from media import ffmpeg_exe, tiny_library
from test_cli_errors import one_line, run
from wam.cli import cli

STORY = ("A red bus drives down the street. It stops at the corner.\n\n"
         "Waves roll onto a sandy beach. The forest is quiet.\n")
FPS = 25
TONE = 7000  # Hz: a music bed far above most of the voice's energy, so its level can be read under speech


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("voiced")
    lib = root / "lib"
    tiny_library(lib, scale=1.25)
    story = root / "story.txt"
    story.write_text(STORY)
    music = root / "music.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"sine=frequency={TONE}:duration=20",
                    "-af", "volume=2", "-c:a", "aac", "-b:a", "128k", str(music)], check=True)
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", lib, "-q", env=env)
    assert r.returncode == 0, r.stderr
    return {"root": root, "story": story, "music": music, "env": env, "home": root / "home"}


def _audio(path, rate=16000) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<i2").astype(np.float64)


def _band_db(x, a, b, lo, hi, rate=16000) -> float:
    """Level (dB) of the part of x[a s : b s] between lo and hi Hz."""
    seg = x[int(a * rate) : int(b * rate)]
    w = np.hanning(len(seg))
    spec = np.abs(np.fft.rfft(seg * w)) ** 2 / (len(seg) * np.sum(w ** 2))  # mean power, whatever the length
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    return 10 * np.log10(spec[(f >= lo) & (f <= hi)].sum() + 1e-9)


def _cache_state(home) -> dict:
    folder = home / "voice" / "sentences"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}


@pytest.mark.slow
def test_narrated_render_cuts_to_the_voice(indexed, tmp_path):
    env, home = indexed["env"], indexed["home"]
    out, srt_file = tmp_path / "out.mp4", tmp_path / "out.srt"
    args = ["--resolution", "160x96", "--fps", str(FPS)]
    r = run("render", indexed["story"], "-o", out, "--music", indexed["music"], "--preset", "ultrafast",
            "--srt", srt_file, "--subtitles", "words", *args, "--voice", env=env)
    assert r.returncode == 0, r.stderr
    assert "voice en_US-joe-medium: 4 sentence(s) synthesised, 0 from the cache" in r.stderr
    cached = _cache_state(home)
    assert len(cached) == 8  # 4 sentences, .wav + .json
    # the same story again: nothing synthesised, the cache untouched
    plan = tmp_path / "plan.json"
    r = run("plan", indexed["story"], "-o", plan, *args, "--voice", env=env)
    assert r.returncode == 0 and "0 sentence(s) synthesised, 4 from the cache" in r.stderr
    assert _cache_state(home) == cached
    d = json.loads(plan.read_text())
    n = d["narration"]
    assert d["schema"] == "wam.timeline/1" and n["kind"] == "voice" and n["voice"] == "en_US-joe-medium"
    # each sentence's speech starts exactly at its sentence's start, and is laid there in the track
    starts = [s["start"] for s in d["sentences"]]
    assert [s["start"] for s in n["sentences"]] == pytest.approx(starts, abs=1e-4)
    with wave.open(n["file"]) as w:
        rate, track = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    from wam.voice.engines import voice_spec
    from wam.voice.narrate import synthesise

    speeches, counts = synthesise([s["text"] for s in d["sentences"]], voice_spec(None), home)
    assert counts["synthesised"] == 0
    for sp, s in zip(speeches, n["sentences"]):
        a = round(s["start"] * rate)
        placed = track[a : a + len(sp.samples)]
        assert np.corrcoef(placed, sp.samples)[0, 1] > 0.999  # the segment sits at its offset
        assert abs(s["end"] - s["start"] - sp.duration) < 1e-3
    # the output: speech energy inside every sentence's span, far above the pauses (music filtered out)
    x = _audio(out)
    spans = [(s["start"], s["end"]) for s in n["sentences"]]
    speech = [_band_db(x, a + 0.05, b - 0.05, 100, 4000) for a, b in spans]
    para_pause = (spans[1][1] + 0.1, spans[2][0] - 0.05)
    quiet = _band_db(x, *para_pause, 100, 4000)
    assert min(speech) > quiet + 20, (speech, quiet)
    # subtitles (SubRip, the same timings as burned in) match the speech to the frame
    import srt

    subs = list(srt.parse(srt_file.read_text()))
    assert len(subs) == 4
    for sub, (a, b) in zip(subs, spans):
        assert abs(sub.start.total_seconds() - a) <= 1 / FPS and abs(sub.end.total_seconds() - b) <= 1 / FPS
    # music: at least 8 dB quieter under speech than in the paragraph pause, once it has come back up
    from wam.render.voicemix import DUCK_ATTACK, DUCK_RELEASE

    tone = lambda a, b: _band_db(x, a, b, TONE - 10, TONE + 10)  # noqa: E731
    recovered = tone(spans[1][1] + DUCK_RELEASE + 0.02, spans[2][0] - DUCK_ATTACK - 0.02)
    under = [tone(a + 0.1, b - 0.1) for a, b in spans[:3]]  # the last one is inside the music's fade-out
    assert recovered - max(under) >= 8, (recovered, under)
    # loudness for web video, no clipping
    m = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(out), "-vn", "-af",
                        "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
    lufs = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", m)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", m)[-1])
    assert -17.5 <= lufs <= -14.5 and peak <= -0.5, (lufs, peak)
    assert np.abs(_audio(out, 44100)).max() < 32767
    # --plan reproduces the narration, and makes its track again when the cache lost it
    again = tmp_path / "again.mp4"
    r = run("render", "--plan", plan, "-o", again, "--preset", "ultrafast", "--no-subtitles", env=env)
    assert r.returncode == 0, r.stderr
    y = _audio(again)
    quietest = min(_band_db(y, a + 0.05, b - 0.05, 100, 4000) for a, b in spans)
    assert quietest > _band_db(y, *para_pause, 100, 4000) + 20
    import os

    os.unlink(n["file"])
    r = run("render", "--plan", plan, "-o", again, "--preset", "ultrafast", "--no-subtitles", env=env)
    assert r.returncode == 0 and "narration track was gone" in r.stderr and os.path.isfile(n["file"])
    assert _cache_state(home) == cached  # made from the cached sentences


def _reading(home, texts, tmp_path, gaps):
    """A 'recording' of separately synthesised sentences joined with known pauses, and their starts."""
    from wam.voice.engines import voice_spec
    from wam.voice.narrate import synthesise

    speeches, _ = synthesise(texts, voice_spec(None), home)
    parts, truth, t = [np.zeros(int(0.5 * 22050))], [], 0.5
    for s, gap in zip(speeches, gaps):
        truth.append(t)
        parts += [s.samples * 0.5, np.zeros(int(gap * 22050))]
        t += (len(s.samples) + int(gap * 22050)) / 22050
    path = tmp_path / "reading.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes((np.concatenate(parts) * 32767).astype("<i2").tobytes())
    return path, truth


@pytest.mark.slow
def test_own_recording_and_exact_timings(indexed, tmp_path):
    env, story = indexed["env"], indexed["story"]
    texts = ["A red bus drives down the street.", "It stops at the corner.", "Waves roll onto a sandy beach.",
             "The forest is quiet."]
    reading, truth = _reading(tmp_path / "h", texts, tmp_path, [0.4, 0.9, 0.5, 0.8])
    r = run("plan", story, "--json", "--fps", str(FPS), "--narration", reading, env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"narration aligned: 4 sentence\(s\), confidence 0\.\d\d", r.stderr)
    d = json.loads(r.stdout)
    n = d["narration"]
    assert n["kind"] == "recording" and n["file"] == str(reading) and n["confidence"] > 0.7
    assert all(abs(s["start"] - t) <= 0.25 for s, t in zip(n["sentences"], truth))
    assert all(abs(s["start"] - t) <= 1 / FPS for s, t in zip(d["sentences"][1:],
                                                              [s["start"] for s in n["sentences"][1:]]))
    words = [w[0] for w in n["sentences"][0]["words"]]
    assert words == texts[0].split()
    # exact timings from SubRip, with the recording
    timing = tmp_path / "timing.srt"
    stamps = [(0.5, 2.2), (2.6, 4.0), (5.0, 6.8), (7.2, 8.6)]
    from datetime import timedelta

    import srt

    timing.write_text(srt.compose([srt.Subtitle(i + 1, timedelta(seconds=a), timedelta(seconds=b), t)
                                   for i, ((a, b), t) in enumerate(zip(stamps, texts))]))
    r = run("plan", story, "--json", "--fps", str(FPS), "--narration", reading, "--timing", timing, env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert [s["start"] for s in d["sentences"]] == [0.0, 2.6, 5.0, 7.2]
    assert [(s["start"], s["end"]) for s in d["narration"]["sentences"]] == stamps
    assert d["narration"]["kind"] == "timing" and d["narration"]["confidence"] is None


@pytest.mark.slow
def test_bad_narration_input_is_one_line_and_writes_nothing(indexed, tmp_path, monkeypatch):
    from wam.voice import engines

    monkeypatch.setenv("WAM_HOME", str(indexed["home"]))
    story = indexed["story"]
    out = tmp_path / "out.mp4"
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.mp3"
    notes.write_text("not sound at all")
    silent = tmp_path / "silent.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3",
                    str(silent)], check=True)
    bad_voice = tmp_path / "voice.onnx"
    bad_voice.write_bytes(b"\x00garbage")
    (tmp_path / "voice.onnx.json").write_text(json.dumps({"audio": {"sample_rate": 22050},
                                                          "phoneme_id_map": {}, "num_symbols": 1,
                                                          "num_speakers": 1}))
    timing = tmp_path / "t.srt"
    timing.write_text("1\n00:00:00,000 --> 00:00:01,000\nOne.\n")
    cjk = tmp_path / "cjk.txt"
    cjk.write_text("东京很大。\n")
    cases = [
        (["--narration", tmp_path / "missing.wav"], 2, "does not exist"),
        (["--narration", empty], 1, "the file is empty (0 bytes)"),
        (["--narration", notes], 1, "not a sound or video file"),
        (["--narration", silent], 1, "is silent: no speech found"),
        (["--voice", bad_voice], 2, "is not a Piper voice (the model cannot be loaded"),
        (["--voice", tmp_path / "none.onnx"], 2, "no such file"),
        (["--voice", notes], 2, "for the shipped voice write --voice=default"),
        (["--narration", silent, "--voice=default"], 2, "not both"),
        (["--timing", timing], 2, "has 1 subtitle(s) but the story has 4 sentence(s)"),
    ]
    for extra, code, message in cases:
        r = CliRunner().invoke(cli, ["render", str(story), "-o", str(out), *map(str, extra)])
        assert r.exit_code == code and message in one_line(r.stderr), (extra, r.stderr)
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on this machine
    engines.espeak_program.cache_clear()
    try:
        r = CliRunner().invoke(cli, ["render", str(cjk), "-o", str(out), "--voice"])
        assert r.exit_code == 1 and "install espeak-ng" in one_line(r.stderr)
    finally:
        monkeypatch.undo()
        engines.espeak_program.cache_clear()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".mp4") == []
