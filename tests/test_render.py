"""Rendering: pure layout/subtitle logic, and real renders of small plans checked frame by frame."""

import json
import subprocess
from datetime import timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from media import BLUE, GREEN, RED, YELLOW, ffmpeg_exe, write_clip
from wam.core.errors import WamError
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.render.layout import crossfade_weight, fade_level, fit_picture, output_size
from wam.render.subtitles import font_runs, render_subtitle, srt_text, wrap_text


def test_output_sizes():
    assert output_size("1280x720") == (1280, 720)
    assert output_size("1280x720", "9:16") == (720, 1280)
    assert output_size("1920x1080", "1:1") == (1080, 1080)
    assert output_size("641x361") == (640, 360)
    with pytest.raises(WamError, match="1280x720"):
        output_size("big")


def test_fit_cover_follows_focus_and_contain_letterboxes():
    f = fit_picture(1920, 1080, 720, 1280, "cover", focus=(0.8, 0.5))
    assert (f.scaled_w, f.scaled_h) == (2276, 1280)
    assert f.crop_x == round(0.8 * 2276 - 360) and f.crop_y == 0
    left = fit_picture(1920, 1080, 720, 1280, "cover", focus=(0.0, 0.5))
    assert left.crop_x == 0
    c = fit_picture(1920, 1080, 720, 1280, "contain")
    assert (c.scaled_w, c.scaled_h, c.pad_x, c.pad_y) == (720, 405, 0, 437)


def test_render_option_defaults_are_the_ones_in_config():
    """Issue 21: every default of a render is defined once, in ``wam.core.config``; the CLI, the
    library (``RenderOptions``, ``to_moviepy``) and exports use it."""
    import inspect

    from wam.cli.render_cmd import render_command
    from wam.core import config
    from wam.render.layout import crossfade_frames
    from wam.render.moviepy_clip import to_moviepy
    from wam.render.options import RenderOptions

    opts = RenderOptions()
    assert (opts.width, opts.height, opts.fit, opts.preset, opts.crf) == (
        config.DEFAULT_WIDTH, config.DEFAULT_HEIGHT, config.DEFAULT_FIT, config.DEFAULT_PRESET,
        config.DEFAULT_CRF)
    assert (opts.crossfade, opts.fade) == (config.CROSSFADE_SECONDS, config.FADE_SECONDS) == (0.4, 0.5)
    cli = {p.name: p.default for p in render_command.params}
    assert (cli["fit"], cli["preset"], cli["crf"]) == (opts.fit, opts.preset, opts.crf)
    assert inspect.signature(to_moviepy).parameters["fit"].default == opts.fit
    draft = RenderOptions.for_plan(Timeline(30, 1280, 720, []), preview=True)
    assert (draft.width, draft.height) == (640, 360)
    assert (draft.preset, draft.crf) == (config.PREVIEW_PRESET, config.PREVIEW_CRF)
    assert crossfade_frames(10.0, 30) == round(config.MAX_CROSSFADE_SECONDS * 30) == 15


def test_fades():
    assert fade_level(0.0, 10, 0.5) == 0 and fade_level(0.25, 10, 0.5) == 0.5 and fade_level(5, 10, 0.5) == 1
    assert fade_level(9.9, 10, 0.5) == pytest.approx(0.2)
    assert crossfade_weight(4.7, 5.0, 0.4) == pytest.approx(0.25)
    assert crossfade_weight(5.0, 5.0, 0.4) == 0 and crossfade_weight(4.0, 5.0, 0.4) == 0


def test_subtitles_wrap_inside_safe_area_and_keep_text_verbatim():
    text = 'He said "100% {\\an8} done" \\ C:\\path %{pts} — مرحبا and then some more words to wrap the line'
    sub = render_subtitle(text, 640, 360)
    assert sub is not None
    h, w = sub.inv_alpha.shape[:2]
    assert sub.left >= 640 * 0.05 and sub.left + w <= 640 * 0.95
    assert sub.top + h <= 360 - 360 * 0.06
    assert "".join(run for run, _ in font_runs(text)) == text
    lines = wrap_text(text, 20, 300)
    assert " ".join(lines) == text and len(lines) > 1
    assert render_subtitle("   ", 640, 360) is None


def test_subtitles_blend_onto_i420_frames():
    w, h = 320, 180
    sub = render_subtitle("Hello, world", w, h)
    y0, u0 = 126, 200  # a grey picture with a strong chroma, to see the text's neutral chroma
    frame = np.concatenate([np.full(w * h, y0, np.uint8), np.full(w * h // 2, u0, np.uint8)])
    sub.blend_yuv(frame, w, h)
    bh, bw = sub.inv_alpha.shape[:2]
    alpha = 255 - sub.inv_alpha[..., 0].astype(int)
    y = frame[: w * h].reshape(h, w)
    band = y[sub.top : sub.top + bh, sub.left : sub.left + bw]
    white = (alpha == 255) & (sub.rgb.min(axis=2) == 255 * 255)
    black = (alpha == 255) & (sub.rgb.max(axis=2) == 0)
    assert white.any() and black.any()
    assert (band[white] == 235).all() and (band[black] == 16).all()  # limited-range white text, black outline
    assert (band[alpha == 0] == y0).all()
    outside = np.ones((h, w), bool)
    outside[sub.top : sub.top + bh, sub.left : sub.left + bw] = False
    assert (y[outside] == y0).all()
    u = frame[w * h : w * h + w * h // 4].reshape(h // 2, w // 2)
    blocks = alpha.reshape(bh // 2, 2, bw // 2, 2).min(axis=(1, 3))
    ub = u[sub.top // 2 : (sub.top + bh) // 2, sub.left // 2 : (sub.left + bw) // 2]
    assert (ub[blocks == 255] == 128).all()  # opaque text has no colour
    assert (ub[alpha.reshape(bh // 2, 2, bw // 2, 2).max(axis=(1, 3)) == 0] == u0).all()


@pytest.mark.skipif(not __import__("PIL.features").features.check("raqm"),
                    reason="Pillow without libraqm draws Arabic unshaped")
def test_arabic_subtitles_are_shaped(monkeypatch):
    from PIL import ImageFont

    from wam.render import subtitles

    text = "مرحبا بالعالم"
    shaped = render_subtitle(text, 1280, 720).inv_alpha.shape[1]
    monkeypatch.setattr(subtitles, "_pil_font",
                        lambda path, size: ImageFont.truetype(path, size,
                                                              layout_engine=ImageFont.Layout.BASIC))
    unshaped = render_subtitle(text, 1280, 720).inv_alpha.shape[1]
    assert shaped < 0.85 * unshaped  # joined letters are narrower than isolated ones


def test_broken_wam_font_is_reported_and_replaced(monkeypatch, tmp_path):
    from wam.render import subtitles

    bad = tmp_path / "font.ttf"
    bad.write_bytes(b"not a font")
    for value, problem in ((str(bad), "not a readable"), (str(tmp_path / "none.ttf"), "not a file")):
        monkeypatch.setenv("WAM_FONT", value)
        subtitles.font_paths.cache_clear()
        assert problem in subtitles.wam_font_problem()
        assert subtitles.font_paths()[0] == str(subtitles.PRIMARY_FONT)
        assert render_subtitle("Still drawn.", 320, 180) is not None
    monkeypatch.delenv("WAM_FONT")
    subtitles.font_paths.cache_clear()
    assert subtitles.wam_font_problem() is None


def _timeline(clips, fps=25, width=320, height=180, paragraphs=(0, 0, 1)):
    """Three sentences, one cut each, from three clips (2.0 s each)."""
    sentences, n = [], 2 * fps
    for i, (clip, para) in enumerate(zip(clips, paragraphs)):
        cut = Cut(shot_id=f"s{i}", source=str(clip), source_in=0.2, source_out=2.2, start_frame=i * n,
                  frames=n, fps=fps, score=0.5)
        sentences.append(SentenceSpan(index=i, text=["First {50%} line.", "Second, much longer line of text.",
                                                     "三"][i],
                                      start_frame=i * n, frames=n, fps=fps, paragraph=para, cuts=[cut]))
    return Timeline(fps=fps, width=width, height=height, sentences=sentences)


def test_srt_roundtrip():
    import srt

    tl = _timeline(["/a.mp4", "/b.mp4", "/c.mp4"])
    subs = list(srt.parse(srt_text(tl)))
    assert [s.content for s in subs] == [s.text for s in tl.sentences]
    assert subs[1].start == timedelta(seconds=2) and subs[1].end == timedelta(seconds=4)


def _probe(path):
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True).stderr
    return out


def _frames(path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    return frames


def _source_frame(path, t, w, h):
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
                          "-vf", f"scale={w}:{h}", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                         capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return [write_clip(d / f"{name}.mp4", [(col, 3.0, 0.2)], size=(320, 180))
            for name, col in (("red", RED), ("blue", BLUE), ("green", GREEN))]


@pytest.mark.slow
def test_render_matches_the_plan_frame_by_frame(clips, tmp_path):
    from wam.render.renderer import RenderOptions, render_timeline
    from wam.render.subtitles import render_subtitle

    tl = _timeline(clips)
    out = tmp_path / "out.mp4"
    res = render_timeline(tl, out, RenderOptions(width=320, height=180, preset="ultrafast", crf=18))
    assert res.frames == 150 and [p.name for p in tmp_path.iterdir()] == ["out.mp4"]
    info = _probe(out)
    assert "h264" in info and "yuv420p" in info and "320x180" in info and "25 fps" in info
    assert "Audio: aac" in info
    frames = _frames(out)
    assert abs(len(frames) - 150) <= 1
    for i, s in enumerate(tl.sentences):
        mid = int(round((s.start + s.end) / 2 * 25))
        cut = s.cuts[0]
        expected = _source_frame(cut.source, cut.source_in + mid / 25 - cut.start, 320, 180)
        top = slice(0, 100)  # above the subtitle band
        diff = np.abs(frames[mid][top].astype(int) - expected[top].astype(int)).mean()
        assert diff < 12, (i, diff)
        others = [_source_frame(c, 1.0, 320, 180) for c in clips if str(c) != cut.source]
        assert all(np.abs(frames[mid][top].astype(int) - o[top].astype(int)).mean() > 3 * diff
                   for o in others)
        # the subtitle shown is this sentence's: its ink spans the same columns as the expected image
        sub = render_subtitle(s.text, 320, 180)
        band = frames[mid][sub.top : sub.top + sub.inv_alpha.shape[0]]
        ink = np.nonzero((band.min(axis=2) > 200).any(axis=0))[0]
        alpha = 255 - sub.inv_alpha[..., 0].astype(int)
        white = (alpha > 200) & (sub.rgb.min(axis=2) >= 200 * alpha)
        want = np.nonzero(white.any(axis=0))[0] + sub.left
        assert len(ink) and abs(ink[0] - want[0]) <= 2 and abs(ink[-1] - want[-1]) <= 2, \
            (i, ink[[0, -1]], want[[0, -1]])
    assert frames[0].mean() < 10 and frames[-1].mean() < 25  # fade from / to black
    # cross-fade only before the paragraph boundary at 4.0 s
    hard = frames[49].astype(int)
    assert np.abs(hard[:100] - _source_frame(clips[0], 0.2 + 49 / 25, 320, 180)[:100].astype(int)).mean() < 12
    mixed = frames[95][:100].astype(int)
    pure_b = _source_frame(clips[1], 0.2 + 95 / 25 - 2.0, 320, 180)[:100].astype(int)
    assert np.abs(mixed - pure_b).mean() > 8


@pytest.mark.slow
def test_vertical_contain_and_no_subtitles(clips, tmp_path):
    from wam.render.renderer import RenderOptions, render_timeline

    tl = _timeline(clips)
    out = tmp_path / "v.mp4"
    render_timeline(tl, out,
                    RenderOptions(width=180, height=320, fit="contain", subtitles=False, preset="ultrafast"))
    frames = _frames(out)
    assert frames[0].shape == (320, 180, 3)
    f = frames[75]
    assert f[:100].max() < 20 and f[-100:].max() < 20  # letterbox bars
    assert f[140:180].mean() > 30  # the picture in the middle
    cover = tmp_path / "c.mp4"
    render_timeline(tl, cover,
                    RenderOptions(width=180, height=320, fit="cover", subtitles=False, preset="ultrafast"))
    assert _frames(cover)[75][:100].mean() > 30  # cover fills the frame


@pytest.mark.slow
@pytest.mark.parametrize("path", ["graph", "frames"])
def test_failed_render_leaves_nothing_and_keeps_old_output(clips, tmp_path, monkeypatch, path):
    """Ctrl-C while segments are being encoded (in one ffmpeg process each, or frame by frame)."""
    from wam.render import frames, renderer, segment_graph, segments

    tl = _timeline(clips)
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous render")
    calls = {"n": 0}

    def count(n=1):
        calls["n"] += n
        if calls["n"] > 30:
            raise KeyboardInterrupt

    if path == "graph":
        real_graph = segments._encode_graph
        monkeypatch.setattr(segments, "_encode_graph", lambda cmd, frames, cancel, advance, errors=None:
                            real_graph(cmd, frames, cancel, lambda n: (advance(n), count(n)), errors))
    else:
        monkeypatch.setattr(segment_graph, "graph_plan", lambda *a, **k: None)
        real = frames.FrameSource.frame
        monkeypatch.setattr(frames.FrameSource, "frame", lambda self, i: (count(), real(self, i))[1])
    with pytest.raises(KeyboardInterrupt):
        renderer.render_timeline(tl, out, renderer.RenderOptions(width=320, height=180, preset="ultrafast"))
    assert calls["n"] > 30
    assert out.read_bytes() == b"previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]
    monkeypatch.undo()
    gone = _timeline([clips[0], tmp_path / "vanished.mp4", clips[2]])
    with pytest.raises(WamError, match="vanished.mp4"):
        renderer.render_timeline(gone, tmp_path / "x.mp4", renderer.RenderOptions(width=320, height=180))
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.slow
def test_keep_audio_and_music(tmp_path):
    from wam.render.renderer import RenderOptions, render_timeline

    clip = write_clip(tmp_path / "a.mp4", [(YELLOW, 3.0)], size=(320, 180))
    with_sound = tmp_path / "sound.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(clip), "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=3", "-c:v", "copy", "-c:a", "aac", "-shortest",
                    str(with_sound)], check=True)
    music = tmp_path / "music.m4a"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=800:duration=1.5",
                    "-c:a", "aac", str(music)], check=True)
    cut = Cut("s0", str(with_sound), 0.5, 2.5, 0, 50, 25, 0.5)
    tl = Timeline(25, 320, 180, [SentenceSpan(0, "Sound.", 0, 50, 25, 0, [cut])])

    def rms(path):
        raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-f", "s16le", "-ac", "1",
                              "-ar", "8000", "-"],
                             capture_output=True).stdout
        a = np.frombuffer(raw, np.int16).astype(float)
        return len(a) / 8000, float(np.sqrt((a[2000:12000] ** 2).mean()))

    silent = tmp_path / "silent.mp4"
    render_timeline(tl, silent, RenderOptions(width=320, height=180, preset="ultrafast"))
    length, level = rms(silent)
    assert abs(length - 2.0) < 0.1 and level < 1  # an audio track, silent
    kept = tmp_path / "kept.mp4"
    render_timeline(tl, kept, RenderOptions(width=320, height=180, preset="ultrafast", keep_audio=True))
    assert rms(kept)[1] > 1000
    bed = tmp_path / "bed.mp4"
    render_timeline(tl, bed, RenderOptions(width=320, height=180, preset="ultrafast", music=str(music)))
    length, level = rms(bed)
    assert abs(length - 2.0) < 0.1 and level > 1000  # music looped under the whole video


@pytest.mark.slow
def test_render_cli_on_samples_with_saved_plan(wam_home, tmp_path, monkeypatch):
    from conftest import REPO, SAMPLES
    from wam.cli import cli
    from wam.render import segments

    # every sentence of the sample story (several cuts, cross-fades, 24 fps) renders in one process
    monkeypatch.setattr(segments, "_encode_frames",
                        lambda *a, **k: pytest.fail("a segment was drawn frame by frame"))

    assert CliRunner().invoke(cli, ["index", str(SAMPLES), "-q"]).exit_code == 0
    story = REPO / "examples" / "story.txt"
    plan = tmp_path / "plan.json"
    assert CliRunner().invoke(cli, ["plan", str(story), "-o", str(plan), "--fps", "24", "-q"]).exit_code == 0
    out = tmp_path / "story.mp4"
    srt_file = tmp_path / "story.srt"
    r = CliRunner().invoke(cli, ["render", str(story), "--plan", str(plan), "-o", str(out), "--resolution",
                                 "320x180", "--preset", "ultrafast", "--srt", str(srt_file)])
    assert r.exit_code == 0, r.stderr
    duration = json.loads(plan.read_text())["duration"]
    frames = _frames(out)
    assert abs(len(frames) - round(duration * 24)) <= 1
    assert "24 fps" in _probe(out) and srt_file.read_text().count("-->") == 12
    small = json.loads(plan.read_text())
    small["width"], small["height"] = 192, 108
    plan.write_text(json.dumps(small))
    r = CliRunner().invoke(cli, ["render", "--plan", str(plan), "-o", str(out), "--preset", "ultrafast",
                                 "--no-subtitles", "--fps", "30"])  # no STORY needed with --plan
    assert r.exit_code == 0 and "--fps 30 ignored" in r.stderr
    assert "192x108" in _probe(out) and "24 fps" in _probe(out)
    r = CliRunner().invoke(cli, ["render", str(story), "-o", str(tmp_path / "bad.avi")])
    assert r.exit_code == 2 and ".mp4" in r.stderr  # a usage error, before planning
    r = CliRunner().invoke(cli, ["render", "-o", str(out)])
    assert r.exit_code == 2 and "--plan" in r.stderr


@pytest.mark.slow
def test_odd_sources_are_normalised(tmp_path):
    """Rotated, variable-frame-rate, odd-sized and 4:3 sources all come out at the output size and rate."""
    from wam.render.renderer import RenderOptions, render_timeline

    plain = write_clip(tmp_path / "plain.mp4", [(GREEN, 3.0)], size=(160, 96))
    rotated = tmp_path / "rotated.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-display_rotation", "90", "-i", str(plain), "-c",
                    "copy", str(rotated)], check=True)
    vfr = write_clip(tmp_path / "vfr.mp4", [(YELLOW, 3.0)], fps=24,
                     extra=["-vf", "setpts='PTS+0.03*random(0)/TB'", "-fps_mode", "vfr"])
    odd = write_clip(tmp_path / "odd.mkv", [(BLUE, 3.0)], size=(161, 97), extra=["-vf", "pad=162:98"])
    tl = _timeline([rotated, vfr, odd], fps=30, width=256, height=144)
    out = tmp_path / "mixed.mp4"
    render_timeline(tl, out, RenderOptions(width=256, height=144, preset="ultrafast", fit="contain"))
    info = _probe(out)
    assert "256x144" in info and "30 fps" in info
    frames = _frames(out)
    assert abs(len(frames) - 180) <= 1
    portrait = frames[30]  # the rotated clip is 96×160 now: letterboxed left and right
    assert portrait[:, :60].max() < 25 and portrait[40:100, 110:146].mean() > 40


@pytest.mark.slow
def test_held_last_frame(tmp_path):
    """A cut whose source range is shorter than its span by its declared hold freezes on its last source
    frame."""
    from wam.render.renderer import RenderOptions, render_timeline

    clip = write_clip(tmp_path / "pan.mp4", [(GREEN, 3.0, 0.5)], size=(320, 180))
    cut = Cut("s0", str(clip), 0.2, 1.2, 0, 50, 25, 0.5, hold=1.0)  # 1 s of picture, then 1 s held
    tl = Timeline(25, 320, 180, [SentenceSpan(0, "Held.", 0, 50, 25, 0, [cut])])
    out = tmp_path / "held.mp4"
    render_timeline(tl, out, RenderOptions(width=320, height=180, preset="ultrafast", crf=10, fade=0))
    frames = [f.astype(int) for f in _frames(out)]
    top = slice(0, 100)  # above the subtitle band
    assert np.abs(frames[10][top] - frames[20][top]).mean() > 3  # the picture moves …
    assert np.abs(frames[26][top] - frames[48][top]).mean() < 1.5  # … then holds
    expected = _source_frame(clip, 0.2 + 24 / 25, 320, 180)[top].astype(int)
    assert np.abs(frames[40][top] - expected).mean() < 12
