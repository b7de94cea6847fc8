"""Cut on the beat (``--music``): sentence boundaries snapped to beats without narration,
cuts inside sentences on beats (the pace choosing how many), the regular grid where the
music has none, the plan's ``music`` object, a re-plan noticing new music, and — on real
media — a generated 120 BPM click track: its beats found, and ≥ 80 % of the cut points of a
plan within one frame of a click (generated library and the sample library)."""

import json
import wave

import numpy as np
import pytest
from click.testing import CliRunner

from tables import fake_library
from wam.assemble.beat_cuts import beat_grid, looped_beats, on_beat_share, on_beats
from wam.assemble.plan import assemble
from wam.assemble.problem import cut_grid
from wam.assemble.stable import compatible
from wam.assemble.styles import pace
from wam.core.errors import WamError
from wam.core.story import read_story
from wam.core.timeline import Timeline, timeline_from_dict

STORY = ("The city wakes up slowly under a grey sky. Buses and taxis fill the wide streets. "
         "People hurry across the square with coffee in their hands.\n\n"
         "Far away, the sea is calm and blue. A fishing boat leaves the harbour at dawn. "
         "Gulls follow it out past the lighthouse and the rocks.")


def grid_beats(period=0.5, offset=0.25, until=60.0):
    return offset + np.arange(int((until - offset) / period)) * period


def test_sentence_boundaries_move_to_the_nearest_beat():
    sentences = read_story(STORY)
    beats = grid_beats()
    snapped = on_beats(sentences, beats)
    ends = np.cumsum([s.duration for s in snapped])
    planned = np.cumsum([s.duration for s in sentences])
    assert np.abs(ends - planned).max() <= 0.5
    assert all(np.min(np.abs(beats - e)) < 1e-9 for e in ends)  # every boundary on a beat
    assert [s.text for s in snapped] == [s.text for s in sentences]
    assert all(a.duration >= 0.75 * b.duration for a, b in zip(snapped, sentences))
    assert on_beats(sentences, []) == sentences
    far = on_beats(sentences, [1000.0])  # no beat near: times kept
    assert [s.duration for s in far] == [s.duration for s in sentences]


def test_cuts_may_fall_on_beats_and_on_the_regular_grid_only_where_the_music_has_none():
    fps = 30
    beats = np.array([15, 30, 45, 60, 75, 90])  # 0.5 s apart, then the music stops
    grid = beat_grid(240, beats, fps, 6)
    assert {0, 240} <= set(grid.tolist()) and set(beats.tolist()) <= set(grid.tolist())
    inside = grid[(grid > 0) & (grid < 240)]
    assert not any(0 < g < 90 and g not in beats for g in inside)  # while the music plays: beats only
    assert any(g > 120 for g in inside)  # after it, the regular grid
    assert np.array_equal(beat_grid(60, [], fps, 6), cut_grid(60, fps))
    np.testing.assert_allclose(looped_beats([0.5, 1.5], 2.0, 5.0), [0.5, 1.5, 2.5, 3.5, 4.5])


def _cut_points(tl: Timeline) -> list[int]:
    return [c.start_frame for c in tl.cuts() if not c.continues and c.start_frame > 0]


@pytest.mark.parametrize("name", ["calm", "normal", "fast"])
def test_a_plan_with_music_cuts_on_its_beats(name):
    table = fake_library(n_clips=14, shots_per_clip=3, shot_len=4.0, seed=3)
    sentences = read_story(STORY)
    beats = grid_beats()
    rng = np.random.default_rng(5)
    scores = rng.uniform(0.2, 0.7, (len(sentences), len(table)))
    snapped = on_beats(sentences, beats)
    tl = assemble(snapped, table, scores, pace=pace(name), fps=30, beats=beats)
    points = _cut_points(tl)
    assert len(points) >= len(sentences) - 1
    assert on_beat_share(points, beats, 30) >= 0.8
    again = assemble(snapped, table, scores, pace=pace(name), fps=30, beats=beats)
    assert again.to_json() == tl.to_json()  # deterministic
    # with narration the sentences keep their times; the cuts inside them still go on beats
    voiced = assemble(sentences, table, scores, pace=pace(name), fps=30, beats=beats)
    starts = {s.start_frame for s in voiced.sentences}
    inner = [p for p in _cut_points(voiced) if p not in starts]
    assert on_beat_share(inner, beats, 30) == 1.0
    assert [s.start_frame for s in voiced.sentences] == [s.start_frame for s in
                                                        assemble(sentences, table, scores, pace=pace(name),
                                                                 fps=30).sentences]


def test_the_plan_records_its_music_and_a_replan_notices_new_music():
    t = Timeline(30, 320, 180, [])
    doc = json.loads(t.to_json())
    assert "music" not in doc
    music = {"file": "/m/song.mp3", "sha256": "ab", "size": 3, "tempo": 120.0, "duration": 10.0,
             "beats": [0.25, 0.75, 1.25]}
    doc["music"] = music
    doc["sentences"] = []
    with pytest.raises(WamError):  # (no sentences: invalid, but the music field itself parses first)
        timeline_from_dict(doc)
    from wam.core import planfields
    assert planfields.music(music)["beats"] == [0.25, 0.75, 1.25]
    with pytest.raises(planfields.Bad, match="ascending"):
        planfields.music(dict(music, beats=[1.0, 0.5]))
    with_music = Timeline(30, 320, 180, [], pace="normal", music=music)
    assert compatible(with_music, fps=30, pace="normal", model="", music=music)
    assert not compatible(with_music, fps=30, pace="normal", model="")
    assert not compatible(Timeline(30, 320, 180, [], pace="normal"), fps=30, pace="normal", model="",
                          music=music)


# ---------------------------------------------------------------- real media


def click_track(path, bpm=120.0, seconds=40.0, offset=0.25, rate=44100):
    """A 16-bit mono WAV of clicks (1 kHz, 30 ms, decaying) every beat from ``offset``."""
    n = int(seconds * rate)
    y = np.zeros(n, np.float32)
    k = int(0.03 * rate)
    click = np.sin(2 * np.pi * 1000 * np.arange(k) / rate) * np.exp(-np.arange(k) / (0.005 * rate))
    times = offset + np.arange(int((seconds - offset) * bpm / 60)) * 60 / bpm
    for t in times:
        i = int(round(t * rate))
        y[i:i + k] += click[: max(0, min(k, n - i))]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(y, -1, 1) * 0.8 * 32767).astype("<i2").tobytes())
    return times


@pytest.mark.slow
def test_the_beats_of_a_click_track_are_found():
    pytest.importorskip("librosa", reason="the beat tracker is the wam[music] extra")
    import tempfile
    from pathlib import Path

    from wam.media.beats import detect_beats

    with tempfile.TemporaryDirectory() as d:
        clicks = click_track(Path(d) / "clicks.wav")
        found = detect_beats(str(Path(d) / "clicks.wav"))
    assert found.tempo == pytest.approx(120, rel=0.03)
    err = np.array([np.min(np.abs(clicks - b)) for b in found.beats])
    assert len(found.beats) >= 0.9 * len(clicks) and err.max() < 0.02


def _plan(story, music, *extra):
    from wam.cli import cli

    r = CliRunner().invoke(cli, ["plan", str(story), "--json", "--music", str(music), "-q", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("library", ["generated", "samples"])
def test_with_a_120_bpm_click_track_the_cuts_fall_on_the_clicks(wam_home, tmp_path, library):
    pytest.importorskip("librosa", reason="the beat tracker is the wam[music] extra")
    from conftest import REPO, SAMPLES
    from media import tiny_library
    from wam.cli import cli

    lib = SAMPLES if library == "samples" else tiny_library(tmp_path / "lib", scale=2.0)
    r = CliRunner().invoke(cli, ["index", str(lib), "-q"])
    assert r.exit_code == 0, r.output
    clicks = click_track(tmp_path / "clicks.wav")
    story = REPO / "examples" / "story.txt"
    if library == "generated":
        story = tmp_path / "story.txt"
        story.write_text(STORY)
    for name in ("calm", "normal", "fast"):
        plan = _plan(story, tmp_path / "clicks.wav", "--pace", name)
        fps = plan["fps"]
        points = [c["start_frame"] for s in plan["sentences"] for c in s["cuts"]
                  if not c["continues"] and c["start_frame"] > 0]
        share = on_beat_share(points, clicks, fps)
        assert share >= 0.8, (name, share, len(points))
        assert plan["music"]["file"] == str(tmp_path / "clicks.wav")
        assert plan["music"]["tempo"] == pytest.approx(120, rel=0.03)
        # the subtitles follow the sentences, whose boundaries lie on clicks too
        ends = [s["start_frame"] for s in plan["sentences"][1:]]
        assert on_beat_share(ends, clicks, fps) >= 0.8
    assert list((wam_home / "beats").glob("*.json"))  # the beats were kept for the next plan


def test_a_plans_music_is_what_render_and_export_lay_under_it(tmp_path):
    import opentimelineio as otio

    from wam.core.timeline import Cut, SentenceSpan
    from wam.export import export_timeline
    from wam.media.beats import music_of

    song = tmp_path / "song.wav"
    click_track(song, seconds=4.0)
    from media import RED, write_clip

    clip = write_clip(tmp_path / "a.mp4", [(RED, 3.0, 0.3)])
    cut = Cut("a", str(clip), 0.0, 2.0, 0, 60, 30, 0.5)
    music = {"file": str(song), "sha256": "x", "size": 1, "tempo": 120.0, "duration": 4.0,
             "beats": [0.25, 0.75]}
    tl = Timeline(30, 320, 180, [SentenceSpan(0, "One.", 0, 60, 30, 0, [cut])], music=music)
    warnings = []
    assert music_of(tl, None, warnings.append) == str(song)
    assert music_of(tl, "/other.mp3") == "/other.mp3"  # --music names another
    gone = Timeline(30, 320, 180, tl.sentences, music=dict(music, file=str(tmp_path / "gone.wav")))
    assert music_of(gone, None, warnings.append) is None and "missing" in warnings[-1]
    export_timeline(tl, tmp_path / "cut.otio")
    back = otio.adapters.read_from_file(str(tmp_path / "cut.otio"))
    audio = [t for t in back.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert [t.name for t in audio] == ["Music"]
    assert audio[0][0].media_reference.target_url.endswith("song.wav")
