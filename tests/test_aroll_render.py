"""Talking head + B-roll end to end (issue 23): a talk generated here (espeak-ng reading a
script over a magenta card with a moving white square) under footage of the sample library.
The video lasts as long as the talk, plays its sound, opens and closes on the speaker and
shows library footage for 20–80 % of its frames, where the plan says; the speaker in a corner
(pip); the export puts the talk on V1 and the footage on V2 (EDL: one track, as cut); a
rotated, variable-rate talk; a batch job; and bad input (a silent talk, a wrong script, a talk
shorter than its script, a file that is no video) as warnings or one-line errors."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from conftest import SAMPLES
from media import ffmpeg_exe
from otio_check import read_back
from test_cli_errors import one_line, run

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")]

SCRIPT = """Hi everyone, and welcome back to my channel. This week was a busy one.

On Monday I watched a rocket launch into space. Later my cat slept on the sofa all afternoon. Then I drank \
a cup of espresso coffee.

I am still not sure what to make of it all. The city traffic was busy with cars and bicycles. Thanks for \
watching, and see you next time.
"""
WRONG = """The committee met on Tuesday to discuss the budget. Nobody agreed on anything at all.

The chairman left early because of a headache. His deputy took notes for an hour. The minutes were sent \
out by email.

Several members asked for another meeting. It will take place next month in the town hall. Everyone hopes \
it will be shorter.
"""
MAGENTA = np.array([192, 48, 144])
W, H, FPS = 320, 180, 25


def make_talk(path, text, *, seconds=None, silent=False, picture="", rate="25", extra=()):
    """A talk: espeak-ng reading ``text`` (or silence) over a magenta card with a white square moving."""
    wav = path.with_suffix(".wav")
    if silent:
        audio = ["-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={seconds}"]
    else:
        subprocess.run(["espeak-ng", "-v", "en-us+f3", "-s", "150", "-w", str(wav), text], check=True)
        audio = ["-i", str(wav)]
    cut = ["-t", str(seconds)] if seconds else ["-shortest"]
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c=0xC03090:s=320x240:r={rate}", *audio, "-vf",
                    "drawbox=x='mod(t*60,260)':y=90:w=60:h=60:color=white:t=fill" + picture, *cut, *extra,
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(path)], check=True)
    return path


def seconds_of(path) -> float:
    import re

    text = subprocess.run([ffmpeg_exe(), "-i", str(path)], capture_output=True, text=True).stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def frames_of(path, w=W, h=H) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.int16)


def sound_of(path, rate=8000) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<f4").astype(np.float64)


def magenta_share(frames, region=(slice(0, 120), slice(0, W))) -> np.ndarray:
    """Per frame, the share of pixels in ``region`` (above the subtitles) that are the talk's magenta."""
    part = frames[(slice(None), *region)]
    return (np.abs(part - MAGENTA).max(axis=3) < 40).mean(axis=(1, 2))


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("aroll")
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", SAMPLES, "-q", env=env)
    assert r.returncode == 0, r.stderr
    script = root / "script.txt"
    script.write_text(SCRIPT)
    talk = make_talk(root / "talk.mp4", SCRIPT.replace("\n", " "))
    plan = root / "plan.json"
    r = run("plan", script, "--a-roll", talk, "--fps", FPS, "--resolution", f"{W}x{H}", "-o", plan, env=env)
    assert r.returncode == 0, r.stderr
    return {"root": root, "env": env, "script": script, "talk": talk, "plan": plan,
            "doc": json.loads(plan.read_text()), "warnings": r.stderr}


def test_the_render_is_the_talk_with_footage_where_the_plan_says(studio, tmp_path):
    env, talk, doc = studio["env"], studio["talk"], studio["doc"]
    assert "stays on the speaker" not in studio["warnings"], studio["warnings"]
    out = tmp_path / "vlog.mp4"
    r = run("render", studio["script"], "--a-roll", talk, "-o", out, "--fps", FPS, "--resolution", f"{W}x{H}",
            "--preset", "ultrafast", env=env)
    assert r.returncode == 0, r.stderr
    length = seconds_of(talk)
    assert abs(seconds_of(out) - length) <= 0.1
    assert abs(doc["duration"] - length) <= 0.1 and doc["a_roll"]["file"] == str(talk)
    # the talk's sound, untouched: the same waveform (within a few milliseconds)
    a, b = sound_of(talk), sound_of(out)
    n = min(len(a), len(b))
    corr = max(np.corrcoef(a[: n - 40], b[k : n - 40 + k])[0, 1] for k in range(0, 40, 2))
    assert corr > 0.9, corr
    frames = frames_of(out)
    assert abs(len(frames) - round(length * FPS)) <= 2
    speaker = magenta_share(frames) > 0.5
    # opens and closes on the speaker (past the fades from and to black)
    assert speaker[round(0.6 * FPS) : 2 * FPS].all() and speaker[-2 * FPS : -round(0.6 * FPS)].all()
    share = 1 - speaker.mean()
    assert 0.2 <= share <= 0.8, share
    # the frames show what the plan says, away from cuts, cross-fades and fades
    planned = np.zeros(len(frames), bool)
    edges = np.zeros(len(frames), bool)
    for s in doc["sentences"]:
        for c in s["cuts"]:
            a_, b_ = c["start_frame"], c["start_frame"] + c["frames"]
            planned[a_:b_] = bool(c.get("a_roll"))
            edges[max(0, a_ - 12) : a_ + 3] = True
    edges[: FPS] = edges[-FPS:] = True
    agree = (planned == speaker)[~edges]
    assert agree.mean() > 0.98, agree.mean()
    footage = sum(c["frames"] for s in doc["sentences"] for c in s["cuts"] if not c.get("a_roll"))
    assert abs(footage / doc["frames"] - share) < 0.1
    print(f"\ndone-when figures: length error {seconds_of(out) - length:+.3f} s, sound correlation "
          f"{corr:.4f}, B-roll {share:.1%} of frames (planned {footage / doc['frames']:.1%}), agreement "
          f"{agree.mean():.3f}")


def tone_level(x: np.ndarray, freq: float, rate=8000, window=0.2) -> np.ndarray:
    """Per ``window`` seconds of ``x``, the amplitude of a pure tone at ``freq`` Hz in it."""
    n = round(window * rate)
    frames = x[: len(x) // n * n].reshape(-1, n)
    return np.abs(frames @ np.exp(-2j * np.pi * freq * np.arange(n) / rate)) * 2 / n


def test_the_clips_sound_and_music_under_the_talk(studio, tmp_path):
    """--keep-audio: the clips' sound (a 3 kHz tone here) plays under the talk only where they
    show; --music (2.2 kHz) plays under all of it; the talk's speech stays in the mix."""
    from wam.core.timeline import timeline_from_dict
    from wam.render.audio import write_audio_track

    beep = tmp_path / "beep.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=25:d=40",
                    "-f", "lavfi", "-i", "sine=frequency=3000:duration=40", "-shortest", "-c:v", "libx264",
                    "-preset", "ultrafast", "-c:a", "aac", str(beep)], check=True)
    music = tmp_path / "music.wav"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=2200:duration=7",
                    str(music)], check=True)
    doc = json.loads(json.dumps(studio["doc"]))
    for s in doc["sentences"]:
        for c in s["cuts"]:
            if not c.get("a_roll"):
                c["source"] = str(beep)  # every clip sounds
    timeline = timeline_from_dict(doc)
    talk = sound_of(studio["talk"])
    planned = np.zeros(len(talk), bool)  # footage shows, at 8000 Hz
    for c in timeline.cuts():
        planned[round(c.start * 8000) : round(c.end * 8000)] = not c.a_roll
    n = 1600  # 0.2 s windows, wholly footage or wholly speaker (0.2 s away from a cut)
    whole = planned[: len(planned) // n * n].reshape(-1, n)
    footage = whole.all(axis=1) & np.r_[False, whole.all(axis=1)[:-1]]
    speaker = ~whole.any(axis=1) & np.r_[True, ~whole.any(axis=1)[:-1]]
    for keep, bed in ((True, None), (False, str(music))):
        out = tmp_path / f"{keep}.audio.m4a"
        write_audio_track(timeline, out, keep_audio=keep, music=bed)
        mix = sound_of(out)
        assert abs(len(mix) / 8000 - timeline.duration) < 0.1
        beeps = tone_level(mix, 3000)[: len(footage)]
        if keep:  # the clips' sound where they show (ducked under the speech), none over the speaker
            assert np.median(beeps[footage]) > 10 * max(np.median(beeps[speaker]), 1e-4), (
                beeps[footage], beeps[speaker])
        else:
            assert np.median(beeps) < 1e-3
            sung = tone_level(mix, 2200)[: len(footage) - 10]  # (before the music fades out)
            assert (sung > 1e-3).mean() > 0.95, sung
        # the talk is still what is said: its waveform in the mix, the tones taken out
        spectrum = np.fft.rfft(mix[: len(talk)])
        freqs = np.fft.rfftfreq(len(mix[: len(talk)]), 1 / 8000)
        spectrum[(np.abs(freqs - 3000) < 30) | (np.abs(freqs - 2200) < 30)] = 0
        clean = np.fft.irfft(spectrum, len(mix[: len(talk)]))
        k = min(len(clean), len(talk))
        corr = max(np.corrcoef(talk[: k - 40], clean[j : k - 40 + j])[0, 1] for j in range(0, 40, 2))
        assert corr > 0.8, (keep, corr)


def test_the_speaker_in_a_corner(studio, tmp_path):
    out = tmp_path / "pip.mp4"
    r = run("render", "--plan", studio["plan"], "--a-roll-mode", "pip", "-o", out, "--preset", "ultrafast",
            "--no-subtitles", env=studio["env"])
    assert r.returncode == 0, r.stderr
    frames = frames_of(out)
    doc = studio["doc"]
    box = magenta_share(frames, (slice(8, 70), slice(W - 100, W - 8)))  # the top right corner
    rest = magenta_share(frames, (slice(80, H), slice(0, 200)))
    for s in doc["sentences"]:
        for c in s["cuts"]:
            mid = c["start_frame"] + c["frames"] // 2
            if c.get("a_roll"):
                assert rest[mid] > 0.5
            else:  # footage fills the picture, the speaker shows in the corner
                assert box[mid] > 0.5 and rest[mid] < 0.2, (mid, box[mid], rest[mid])


def test_export_puts_the_talk_on_v1_and_the_footage_on_v2(studio, tmp_path):
    from opentimelineio import schema

    from wam.core.timeline import read_plan

    plan, env = studio["plan"], studio["env"]
    timeline = read_plan(plan)
    footage = [c for c in timeline.cuts() if not c.a_roll]
    for ext in ("otio", "xml", "fcpxml"):
        out = tmp_path / f"cut.{ext}"
        r = run("export", plan, "-o", out, env=env)
        assert r.returncode == 0, r.stderr
        tl = read_back(out, FPS)
        video = [t for t in tl.tracks if t.kind == schema.TrackKind.Video]
        assert len(video) == 2, ext
        v1 = [c for c in video[0] if isinstance(c, schema.Clip)]
        assert len(v1) == 1 and v1[0].media_reference.target_url.endswith("talk.mp4")
        assert abs(v1[0].source_range.start_time.to_seconds()) < 1e-6
        assert abs(v1[0].source_range.duration.to_seconds() - timeline.duration) < 0.05
        v2 = [(video[1].range_of_child(c), c) for c in video[1] if isinstance(c, schema.Clip)]
        shown = [(round(rng.start_time.to_seconds(), 2), c.name) for rng, c in v2]
        merged = [c for i, c in enumerate(footage) if not (c.continues and i and not footage[i - 1].a_roll
                                                          and footage[i - 1].end_frame == c.start_frame)]
        assert len(v2) == len(merged), (ext, shown)
        for (rng, clip), cut in zip(v2, merged):
            assert abs(rng.start_time.to_seconds() - cut.start) < 0.05, (ext, shown)
            assert clip.name.split(" ")[0] == cut.source.rsplit("/", 1)[1]
        audio = [t for t in tl.tracks if t.kind == schema.TrackKind.Audio]
        if ext == "otio":
            assert [t.name for t in audio] == ["Talk"]
            assert audio[0][0].media_reference.target_url.endswith("talk.mp4")
            assert len(v1[0].markers) == len(timeline.sentences)
    out = tmp_path / "cut.edl"
    r = run("export", plan, "-o", out, env=env)
    assert r.returncode == 0 and "holds one video track" in r.stderr
    tl = read_back(out, FPS)
    clips = [c for t in tl.tracks if t.kind == schema.TrackKind.Video
             for c in t if isinstance(c, schema.Clip)]
    runs = []
    for c in timeline.cuts():
        if runs and c.continues and runs[-1][0] == c.source:
            runs[-1][1] += c.duration
        else:
            runs.append([c.source, c.duration])
    # the footage over the talk, as cut
    assert [c.name for c in clips] == [s.rsplit("/", 1)[1] for s, _ in runs]
    got = [round(c.source_range.duration.to_seconds(), 3) for c in clips]
    # (an EDL reader puts a cross-fade's cut at its start: half a cross-fade earlier than wam's)
    assert all(abs(g - d) <= 0.21 for g, (_, d) in zip(got, runs)), (got, [round(d, 3) for _, d in runs])
    assert abs(sum(got) - timeline.duration) < 0.05
    board = tmp_path / "board.html"
    r = run("storyboard", plan, "-o", board, "--alternatives", "0", env=env)
    assert r.returncode == 0 and "A-roll · speaker" in board.read_text() and "B-roll" in board.read_text()


def test_a_rotated_variable_rate_talk_in_another_container(studio, tmp_path):
    plain = make_talk(tmp_path / "plain.mp4", "On Monday I watched a rocket launch into space. It was loud. "
                      "Then my cat slept on the sofa.",
                      picture=",drawbox=x=0:y=0:w=160:h=240:color=green:t=fill,setpts='PTS+0.02*random(0)/TB'",
                      rate="30000/1001", extra=["-fps_mode", "vfr"])
    talk = tmp_path / "rotated.mkv"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-display_rotation", "90", "-i", str(plain), "-c",
                    "copy", str(talk)], check=True)
    script = tmp_path / "s.txt"
    script.write_text("On Monday I watched a rocket launch into space. It was loud. "
                      "Then my cat slept on the sofa.\n")
    out = tmp_path / "r.mp4"
    r = run("render", script, "--a-roll", talk, "-o", out, "--resolution", "180x320", "--fps", FPS,
            "--preset", "ultrafast", "--no-subtitles", env=studio["env"])
    assert r.returncode == 0, r.stderr
    assert abs(seconds_of(out) - seconds_of(talk)) <= 0.1
    # the speaker, upright: rotated, the green half is at the top or bottom
    first = frames_of(out, 180, 320)[FPS]
    green = (np.abs(first - np.array([0, 128, 0])).max(axis=2) < 60)
    top, bottom = green[:150].mean(), green[170:].mean()
    assert max(top, bottom) > 0.8 and min(top, bottom) < 0.1, (top, bottom)


def test_a_batch_job_takes_the_talk(studio, tmp_path):
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({"story": str(studio["script"]), "output": str(tmp_path / "p.json"),
                                    "a-roll": str(studio["talk"]), "a-roll-every": 6}) + "\n")
    r = run("plan", "--manifest", manifest, "-q", env=studio["env"])
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["a_roll"]["file"] == str(studio["talk"]) and any(c.get("a_roll") for s in doc["sentences"]
                                                                 for c in s["cuts"])
    manifest.write_text(json.dumps({"story": str(studio["script"]), "output": str(studio["talk"]),
                                    "a-roll": str(studio["talk"])}) + "\n")
    r = run("plan", "--manifest", manifest, env=studio["env"])
    assert r.returncode == 2 and "talk.mp4" in one_line(r.stderr)  # the talk is an input: never overwritten


def test_bad_talks_are_warnings_or_one_line_errors(studio, tmp_path):
    env, script = studio["env"], studio["script"]
    silent = make_talk(tmp_path / "silent.mp4", "", seconds=20, silent=True)
    short = make_talk(tmp_path / "short.mp4", SCRIPT.replace("\n", " ")[:120])
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(WRONG)
    for story, talk, why in ((script, silent, "is silent"),
                             (wrong, studio["talk"], "does not sound like the script"),
                             (script, short, "is it the recording of this story")):
        r = run("plan", story, "--a-roll", talk, "--json", env=env)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert why in r.stderr and "stays on the speaker" in r.stderr, r.stderr
        assert all(c.get("a_roll") for s in doc["sentences"] for c in s["cuts"])
        assert abs(doc["duration"] - seconds_of(talk)) <= 0.1
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    r = run("plan", script, "--a-roll", text, env=env)
    assert r.returncode == 1 and "cannot use the talk" in one_line(r.stderr)
    r = run("render", script, "--a-roll", studio["talk"], "-o", studio["talk"], env=env)
    assert r.returncode == 2 and "talk.mp4" in one_line(r.stderr)
    r = run("plan", script, "--a-roll", studio["talk"], "--voice", env=env)
    assert r.returncode == 2 and "--a-roll" in one_line(r.stderr)
