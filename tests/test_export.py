"""wam export: the clip list an editor sees, the OpenTimelineIO model, and every format read
back through OpenTimelineIO against the plan (clip count, order, source ranges within one
source frame); then the command on real clips, missing sources and bad input."""

import json
import re
from fractions import Fraction

import opentimelineio as otio
import pytest
from click.testing import CliRunner
from opentimelineio import schema

from otio_check import assert_matches_plan, clip_ranges, expected_clips, read_back, video_items
from wam.cli import cli
from wam.core.errors import WamError
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.export import format_for
from wam.export.formats import FORMATS, multiple_rate, reel_names, write_format
from wam.export.otio_build import build_otio
from wam.export.sources import SourceInfo, exact_rate
from wam.export.spans import clip_spans

FPS = 30


def plan(a="/media/a clip.mp4", b="/media/b.mp4", c="/media/c's.mp4") -> Timeline:
    """Three sentences, two paragraphs: a shot that continues across a cut, a held last
    frame, and a cross-fade into the second paragraph (sources at 25, 15 and 30 fps)."""
    s0 = SentenceSpan(0, "First sentence.", 0, 75, FPS, 0, [
        Cut("a0", a, 0.4, 2.5, 0, 63, FPS, 0.5, costs={"semantic": 0.5}),
        Cut("a0", a, 2.5, 2.9, 63, 12, FPS, 0.5, continues=True)])
    s1 = SentenceSpan(1, "Second one,\nnew paragraph.", 75, 90, FPS, 1, [
        Cut("b0", b, 1.0, 3.0, 75, 90, FPS, 0.4, hold=1.0)], weak_match=True)
    s2 = SentenceSpan(2, "Third.", 165, 60, FPS, 1, [
        Cut("c0", c, 1.0, 2.0, 165, 30, FPS, 0.3), Cut("a1", a, 3.2, 4.2, 195, 30, FPS, 0.3)], reused=True)
    return Timeline(FPS, 320, 180, [s0, s1, s2])


RATES = {"/media/a clip.mp4": 25, "/media/b.mp4": 15, "/media/c's.mp4": 30}


def sources(rates=RATES):
    return {p: SourceInfo(Fraction(r), 10 * r) for p, r in rates.items()}


def test_clip_spans_merge_continues_split_holds_and_fade_between_paragraphs():
    spans = clip_spans(plan())
    assert [(s.source.split("/")[-1], s.start_frame, s.frames, s.freeze) for s in spans] == [
        ("a clip.mp4", 0, 75, False),  # two cuts, one clip
        ("b.mp4", 75, 60, False), ("b.mp4", 135, 30, True),  # 1 s held at the end
        ("c's.mp4", 165, 30, False), ("a clip.mp4", 195, 30, False)]
    assert spans[2].source_in == pytest.approx(1.0 + 59 / 30)  # the last frame shown moving
    assert [s.sentences for s in spans] == [[0], [1], [], [2], []]
    assert [s.crossfade_in for s in spans] == [0, 12, 0, 0, 0]  # 0.4 s at the paragraph break
    assert [s.cuts for s in spans] == [[0, 1], [2], [2], [3], [4]]


def test_rates_and_reel_names():
    assert exact_rate(29.97) == Fraction(30000, 1001) and exact_rate(23.98) == Fraction(24000, 1001)
    assert exact_rate(25.0) == 25 and exact_rate(12.5) == Fraction(25, 2) and exact_rate(10.0) == 10
    from wam.export.formats import FCPX_RATES, TIMECODE_RATES

    assert ([multiple_rate(r, TIMECODE_RATES) for r in (15, 10, 25, 12, 29.97)]
            == [30, 30, 25, 24, Fraction(30000, 1001)])
    assert multiple_rate(7, TIMECODE_RATES) is None
    assert multiple_rate(Fraction(30000, 1001), FCPX_RATES) is None
    paths = ["/x/Night City – towers.MP4", "/y/night-city-towers.mov", "/z/bl.mp4", "/z/ax.mp4",
             "/z/日本.mp4", "/z/a_really_long_name_1.mp4", "/z/a_really_long_name_2.mp4"]
    reels = reel_names(paths)
    assert len(set(reels.values())) == len(paths)
    for reel in reels.values():
        assert re.fullmatch(r"[A-Z0-9]{1,8}", reel) and reel not in {"BL", "AX"}, reel
    assert reels["/x/Night City – towers.MP4"] == "NIGHTCIT"


def test_format_from_extension_or_option():
    from wam.core.config import EXPORT_FORMATS

    assert tuple(FORMATS) == EXPORT_FORMATS and all(FORMATS[n].suffix == "." + n for n in FORMATS)
    assert format_for("cut.EDL").name == "edl" and format_for("a/b.fcpxml").name == "fcpxml"
    assert format_for("cut.txt", "xml").name == "xml"
    with pytest.raises(WamError, match="--format"):
        format_for("cut.mp4")


def test_the_model_uses_each_sources_own_rate_and_keeps_the_length():
    t = plan()
    tl = build_otio(t, sources())
    items = video_items(tl)
    assert [type(i).__name__ for i in items] == ["Clip", "Transition", "Clip", "Clip", "Clip", "Clip"]
    a, fade, b, hold = items[0], items[1], items[2], items[3]
    assert (a.source_range.start_time.value, a.source_range.start_time.rate) == (10, 25)  # 0.4 s at 25 fps
    assert a.source_range.duration.value == pytest.approx(62.5)  # 75 output frames = 2.5 s exactly
    assert (b.source_range.start_time.value, b.source_range.start_time.rate) == (15, 15)
    assert (hold.source_range.start_time.value, hold.source_range.duration.to_seconds()) == (44, 1.0)
    assert [type(e).__name__ for e in hold.effects] == ["FreezeFrame"]
    assert (fade.in_offset.value, fade.out_offset.value, fade.in_offset.rate) == (6, 6, 30)
    assert a.media_reference.target_url == "file:///media/a%20clip.mp4"
    assert tl.duration().to_seconds() == pytest.approx(t.duration) and tl.duration().rate == 30
    markers = [m for i in items if isinstance(i, schema.Clip) for m in i.markers]
    assert [m.name for m in markers] == ["First sentence.", "Second one, new paragraph.", "Third."]
    assert [m.color for m in markers] == ["PURPLE", "RED", "ORANGE"]  # ok, weak match, reused
    assert markers[1].metadata["wam"]["weak_match"] is True


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_reads_back_as_the_plan(tmp_path, name):
    t = plan()
    fmt = FORMATS[name]
    text, notes = write_format(build_otio(t, sources()), fmt, FPS)
    out = tmp_path / f"cut{fmt.suffix}"
    out.write_text(text)
    tl = read_back(out, FPS)
    cut_points = [0.2] if name != "fcpxml" else None  # the fade is centred on the cut

    def edl_names(w):  # the freeze clip is named after its reel (the M2 line needs one word)
        base = w["source"].split("/")[-1]
        return {base, re.sub(r"[^A-Z0-9]", "", base[:-4].upper())[:8]}

    def fcpxml_names(w):
        base = w["source"].split("/")[-1]
        return {n.replace("'", "\u2019") for n in (base, base + " (freeze)")}

    names = {"edl": edl_names, "fcpxml": fcpxml_names}.get(name)
    assert_matches_plan(tl, t, RATES, names=names, cut_points=cut_points)
    kinds = [type(i).__name__ for i in video_items(tl)]
    if name == "fcpxml":
        assert "Transition" not in kinds and any("cross-fade" in n for n in notes)
    else:
        assert kinds.count("Transition") == 1
    effects = [c["effects"] for c in clip_ranges(tl)]
    assert effects[2] == {"otio": ["FreezeFrame"], "edl": ["FreezeFrame"], "xml": ["Time Remap"],
                          "fcpxml": []}[name]


def test_edl_reels_are_legal_and_keep_the_full_path(tmp_path):
    text, _ = write_format(build_otio(plan(), sources()), FORMATS["edl"], FPS)
    events = [ln for ln in text.splitlines() if re.match(r"\d{3}\s", ln)]
    assert events
    for ln in events:
        reel = ln.split()[1]
        assert re.fullmatch(r"[A-Z0-9]{1,8}", reel), ln
    assert "* FROM CLIP NAME:  a clip.mp4" in text and "* SOURCE FILE: /media/a clip.mp4" in text
    assert "* SOURCE FILE: /media/c's.mp4" in text and "* * FREEZE FRAME" in text


def test_fcp7_writes_odd_source_rates_at_a_timecode_rate(tmp_path):
    text, _ = write_format(build_otio(plan(), sources()), FORMATS["xml"], FPS)
    timebases = set(re.findall(r"<timebase>(\d+)</timebase>", text))
    assert timebases == {"25", "30"}  # the 15 fps source is written at 30 fps, frame for frame


def test_a_plan_at_an_odd_rate_exports_at_a_multiple_or_says_why():
    t = plan()
    t15 = Timeline(15, 320, 180,
                   [SentenceSpan(0, "x", 0, 30, 15, 0, [Cut("a", "/m/a.mp4", 0, 2, 0, 30, 15, 0.1)])])
    text, _ = write_format(build_otio(t15, {"/m/a.mp4": SourceInfo(Fraction(15), 60)}), FORMATS["edl"], 15)
    assert "00:00:02:00" in text  # written at 30 fps: same times
    t7 = Timeline(7, 320, 180,
                  [SentenceSpan(0, "x", 0, 14, 7, 0, [Cut("a", "/m/a.mp4", 0, 2, 0, 14, 7, 0.1)])])
    with pytest.raises(WamError, match="--fps"):
        write_format(build_otio(t7, {"/m/a.mp4": SourceInfo(Fraction(7), 60)}), FORMATS["xml"], 7)
    assert len(expected_clips(t)) == 5


# ---------------------------------------------------------------- the command, on real clips


@pytest.fixture
def clips(tmp_path):
    from media import BLUE, GREEN, RED, YELLOW, write_clip

    d = tmp_path / "clips"
    return (write_clip(d / "a clip.mp4", [(RED, 3.0), (BLUE, 3.0)], fps=25),
            write_clip(d / "b.mp4", [(GREEN, 4.0)], fps=15),
            write_clip(d / "c's.mp4", [(YELLOW, 4.0)], fps=30))


def _plan_file(tmp_path, clips) -> tuple:
    t = plan(*map(str, clips))
    path = tmp_path / "plan.json"
    path.write_text(t.to_json())
    return t, path


@pytest.mark.slow
def test_export_command_writes_every_format_and_the_subtitles(tmp_path, clips):
    t, plan_path = _plan_file(tmp_path, clips)
    rates = dict(zip(map(str, clips), (25, 15, 30)))
    for suffix in (".otio", ".edl", ".xml", ".fcpxml"):
        out = tmp_path / f"cut{suffix}"
        r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert f"wrote {out}" in r.stderr
        tl = read_back(out, FPS)
        assert len([i for i in video_items(tl) if isinstance(i, schema.Clip)]) == 5
        if suffix == ".otio":
            assert_matches_plan(tl, t, rates, cut_points=[0.2])
            items = [i for i in video_items(tl) if isinstance(i, schema.Clip)]
            assert [i.source_range.start_time.rate for i in items] == [25, 15, 15, 30, 25]
    srt = (tmp_path / "cut.srt").read_text()
    assert "First sentence." in srt and "00:00:02,500 --> 00:00:05,500" in srt
    from media import audio_only

    music = audio_only(tmp_path / "music.m4a")  # 1 s of sound
    assert CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(tmp_path / "y.otio"), "--music",
                                    str(clips[1])]).exit_code == 1  # a video without sound is no music
    r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(tmp_path / "x.cut"), "--format", "otio",
                                 "--music", str(music), "--no-srt"])
    assert r.exit_code == 0, r.output
    tl = otio.adapters.read_from_file(str(tmp_path / "x.cut"), "otio_json")
    audio = [tr for tr in tl.tracks if tr.kind == schema.TrackKind.Audio]
    assert len(audio) == 1 and audio[0][0].source_range.duration.to_seconds() == pytest.approx(1.0)
    assert audio[0][0].media_reference.target_url == music.as_uri()
    assert not (tmp_path / "x.srt").exists()


@pytest.mark.slow
def test_missing_sources_still_export_with_a_warning(tmp_path, clips):
    t, plan_path = _plan_file(tmp_path, clips)
    clips[1].unlink()
    out = tmp_path / "cut.xml"
    r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 source clip(s) not found" in r.stderr and "relink" in r.stderr
    urls = [c["url"] for c in clip_ranges(read_back(out, FPS))]
    assert urls[1] == clips[1].as_uri()  # still points where the editor should relink


@pytest.mark.slow
def test_bad_input_is_one_line_and_leaves_no_file(tmp_path, clips):
    _, plan_path = _plan_file(tmp_path, clips)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something.else/1"}))
    newer = tmp_path / "newer.json"
    newer.write_text(plan_path.read_text().replace("wam.timeline/1", "wam.timeline/2"))
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    cases = [
        ([str(other), "-o", str(tmp_path / "o1.otio")], 1, "not a wam plan"),
        ([str(newer), "-o", str(tmp_path / "o2.otio")], 1, "newer wam"),
        ([str(plan_path), "-o", str(tmp_path / "nowhere" / "o3.otio")], 2, "does not exist"),
        ([str(plan_path), "-o", str(blocker / "o4.otio")], 2, "cannot write"),
        ([str(plan_path), "-o", str(tmp_path / "o5.mp4")], 2, "cannot tell the export format"),
        ([str(plan_path), "-o", str(tmp_path / "plan.json"), "--format", "otio"], 2, "refusing to write"),
    ]
    for args, code, message in cases:
        before = sorted(p.name for p in tmp_path.iterdir())
        r = CliRunner().invoke(cli, ["export", *args])
        assert r.exit_code == code, (args, r.output)
        assert message in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # no partial file, no leftovers


def _narrated(t, kind: str, sound, gain_db: float = 0.0):
    from wam.core.narration import narration_from_dict

    spoken = [{"index": i, "start": s.start + 0.1, "end": s.end - 0.2, "words": []}
              for i, s in enumerate(t.sentences)]
    return t.with_narration(narration_from_dict({"kind": kind, "file": str(sound),
                                                 "voice": "en_US-joe-medium" if kind == "voice" else None,
                                                 "gain_db": gain_db, "sentences": spoken}, len(spoken)))


@pytest.mark.slow
def test_a_narrated_plan_exports_its_voice_on_an_audio_track(tmp_path, clips, monkeypatch):
    """The narration is a track of its own in every format; a synthesised track (in wam's cache,
    which may be cleared) is copied beside the export, a recording is referenced where it is."""
    import subprocess

    from media import ffmpeg_exe

    monkeypatch.setenv("WAM_HOME", str(tmp_path / "home"))
    t, _ = _plan_file(tmp_path, clips)
    cached = tmp_path / "home" / "voice" / "tracks" / "abc.wav"
    cached.parent.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=300:duration={t.duration}", "-ar", "22050", str(cached)], check=True)
    plan_path = tmp_path / "voiced.json"
    plan_path.write_text(_narrated(t, "voice", cached).to_json())
    for suffix in (".otio", ".xml"):
        out = tmp_path / f"cut{suffix}"
        r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(out)])
        assert r.exit_code == 0, r.output
        copy = tmp_path / f"cut{suffix}.narration.wav"  # one per export: formats never share it
        assert f"and {copy}" in r.stderr and copy.read_bytes() == cached.read_bytes()
        tl = read_back(out, FPS)
        audio = [tr for tr in tl.tracks if tr.kind == schema.TrackKind.Audio]
        assert len(audio) == 1, [tr.name for tr in tl.tracks]
        clip = [i for i in audio[0] if isinstance(i, schema.Clip)][0]
        assert clip.media_reference.target_url == copy.as_uri()
        assert clip.source_range.duration.to_seconds() == pytest.approx(t.duration, abs=1 / FPS)
    cached.unlink()  # the cache was cleared: the editor's copy stays
    assert (tmp_path / "cut.otio.narration.wav").exists() and (tmp_path / "cut.xml.narration.wav").exists()
    # a recording: referenced in place, its render gain stated; music goes on a track below it
    recording = tmp_path / "my reading.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=200:duration={t.duration}", str(recording)], check=True)
    plan_path.write_text(_narrated(t, "recording", recording, gain_db=3.5).to_json())
    from media import audio_only

    music = audio_only(tmp_path / "music.m4a")
    out = tmp_path / "rec.otio"
    r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(out), "--music", str(music)])
    assert r.exit_code == 0, r.output
    assert "+3.5 dB" in r.stderr and not (tmp_path / "rec.otio.narration.wav").exists()
    tl = otio.adapters.read_from_file(str(out), "otio_json")
    audio = [tr for tr in tl.tracks if tr.kind == schema.TrackKind.Audio]
    assert [tr.name for tr in audio] == ["Narration", "Music"]
    assert audio[0][0].media_reference.target_url == recording.as_uri()


@pytest.mark.slow
def test_the_narration_copy_never_overwrites_an_input(tmp_path, clips, monkeypatch):
    import subprocess

    from media import ffmpeg_exe

    monkeypatch.setenv("WAM_HOME", str(tmp_path / "home"))
    t, _ = _plan_file(tmp_path, clips)
    music = tmp_path / "cut.otio.narration.wav"  # the user's music has the name the copy would take
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:duration=2",
                    str(music)],
                   check=True)
    before = music.read_bytes()
    cached = tmp_path / "home" / "voice" / "tracks" / "abc.wav"
    cached.parent.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=3",
                    str(cached)],
                   check=True)
    plan_path = tmp_path / "voiced.json"
    plan_path.write_text(_narrated(t, "voice", cached).to_json())
    r = CliRunner().invoke(cli, ["export", str(plan_path), "-o", str(tmp_path / "cut.otio"), "--music",
                                 str(music)])
    assert r.exit_code == 2 and "refusing to write" in r.stderr and "cut.otio.narration.wav" in r.stderr
    assert music.read_bytes() == before and not (tmp_path / "cut.otio").exists()
