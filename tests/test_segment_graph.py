"""Segments rendered in one ffmpeg process each (``wam.render.segment_graph``): which segments
the graph takes, that its pictures are the ones ``FrameSource`` draws frame by frame (cuts,
holds, multi-cut sentences, cross-fades, subtitles, fades), that segments made either way
join into one clean stream, and that a source that does not decode still gets a clear error."""

import subprocess

import numpy as np
import pytest

from media import BLUE, GREEN, RED, YELLOW, ffmpeg_exe, write_clip
from wam.core.errors import WamError
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.render import segment_graph, segments
from wam.render.renderer import RenderOptions, render_timeline

W, H, FPS = 192, 108, 25


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("graph")
    return {name: write_clip(d / f"{name}.mp4", [(col, 4.0, 0.3)], size=(320, 180))
            for name, col in (("red", RED), ("blue", BLUE), ("green", GREEN), ("yellow", YELLOW))}


def timeline(sources, spec, *, paragraphs=None, fps: int = FPS) -> Timeline:
    """One sentence per item of ``spec``: a list of (source name, source_in, frames[, hold frames])."""
    sents, start = [], 0
    for i, cuts in enumerate(spec):
        made, first = [], start
        for name, t_in, frames, *hold in cuts:
            hold_s = hold[0] / fps if hold else 0.0
            made.append(Cut(f"{name}{i}", str(sources[name]), t_in, t_in + frames / fps - hold_s, start,
                            frames, fps, 0.5, hold=hold_s))
            start += frames
        sents.append(SentenceSpan(i, f"Sentence number {i} says something.", first, start - first, fps,
                                  paragraphs[i] if paragraphs else 0, made))
    return Timeline(fps, W, H, sents)


SPEC = [[("red", 0.3, 30)],
        [("blue", 1.0, 38), ("green", 0.2, 7)],  # two cuts, cross-fading into the next paragraph over both
        [("yellow", 0.0, 30)],  # shown in that cross-fade from its source's start: no frames before it
        [("red", 2.0, 30, 10)],  # the last 10 frames hold the last source frame; a cross-fade at its end
        [("green", 3.6, 40)],  # the source ends 0.4 s into the cut: its last frame holds
        [("blue", 2.5, 30)]]
PARAS = [0, 0, 1, 1, 2, 2]
OPTS = RenderOptions(width=W, height=H, preset="ultrafast", crf=0, fade=0.5, crossfade=0.4)


def decoded(path) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt",
                          "yuv420p", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, W * H * 3 // 2).astype(np.int16)


def decode_errors(path) -> str:
    return subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True).stderr


def rendered_both_ways(tl, tmp_path, monkeypatch):
    """The decoded frames of ``tl`` rendered by the graph (every segment: a segment drawn
    frame by frame fails the test) and frame by frame (no graph), and the graph's result."""
    real_frames = segments._encode_frames
    monkeypatch.setattr(segments, "_encode_frames",
                        lambda *a, **k: pytest.fail("a segment was drawn frame by frame"))
    res = render_timeline(tl, tmp_path / "graph.mp4", OPTS)
    monkeypatch.setattr(segments, "_encode_frames", real_frames)
    monkeypatch.setattr(segment_graph, "graph_plan", lambda *a, **k: None)
    render_timeline(tl, tmp_path / "frames.mp4", OPTS)
    monkeypatch.undo()
    a, b = decoded(tmp_path / "graph.mp4"), decoded(tmp_path / "frames.mp4")
    assert len(a) == len(b) == tl.frames
    return a, b, res


def test_the_graph_takes_every_segment_whose_fades_and_cross_fades_lie_inside_it(sources, tmp_path):
    tl = timeline(sources, SPEC, paragraphs=PARAS)
    plans = [segment_graph.graph_plan(tl, OPTS, i, tmp_path, f"s{i}") for i in range(len(SPEC))]
    assert all(p is not None for p in plans)
    assert "fade=type=in" in plans[0].graph and "fade=type=out" in plans[-1].graph
    assert not any("fade=type" in p.graph for p in plans[1:-1])
    assert [("xfade" in p.graph) for p in plans] == [False, True, False, True, False, False]
    # two cuts, the next one, a subtitle
    assert "concat=n=2" in plans[1].graph and plans[1].inputs.count("-i") == 2 + 1 + 1
    assert sum(1 for p in tmp_path.iterdir() if p.suffix == ".yuv") == len(SPEC)  # one subtitle image each
    # a first sentence shorter than the fade from black: its fade would cross into the next segment
    short = timeline(sources, [[("red", 0.3, 8)], *SPEC[1:]], paragraphs=PARAS)
    assert segment_graph.graph_plan(short, OPTS, 0, tmp_path, "x") is None
    assert segment_graph.graph_plan(short, OPTS, 1, tmp_path, "y") is None  # the fade reaches into it
    assert segment_graph.graph_plan(short, OPTS, 2, tmp_path, "z") is not None
    # a sentence of many cuts: drawn frame by frame, two decoders at a time instead of all at once
    many = [("red", 0.1 * k, 5) for k in range(segment_graph.MAX_CUTS + 1)]
    busy = timeline(sources, [SPEC[0], many, *SPEC[2:]], paragraphs=PARAS)
    assert segment_graph.graph_plan(busy, OPTS, 1, tmp_path, "m") is None
    fewer = timeline(sources, [SPEC[0], many[:-1], *SPEC[2:]], paragraphs=PARAS)
    assert segment_graph.graph_plan(fewer, OPTS, 1, tmp_path, "n") is not None
    # a last sentence shorter than the fade to black (its fade would start before it)
    ending = timeline(sources, [*SPEC[:-1], [("blue", 2.5, 12)]], paragraphs=PARAS)
    assert segment_graph.graph_plan(ending, OPTS, len(SPEC) - 1, tmp_path, "e") is None
    # a sentence shorter than the cross-fade that ends it
    brief = timeline(sources, [SPEC[0], [("blue", 1.0, 5)], *SPEC[2:]], paragraphs=PARAS)
    assert segment_graph.graph_plan(brief, OPTS, 1, tmp_path, "b") is None
    assert segment_graph.graph_plan(brief, OPTS, 0, tmp_path, "c") is None  # the cross-fade starts in it


@pytest.mark.slow
# (one frame is not a whole number of microseconds at 24 and 30)
@pytest.mark.parametrize("fps", [25, 24, 30])
def test_one_process_segments_show_what_frame_by_frame_drawing_shows(sources, tmp_path, monkeypatch, fps):
    tl = timeline(sources, SPEC, paragraphs=PARAS, fps=fps)
    a, b, res = rendered_both_ways(tl, tmp_path, monkeypatch)
    assert res.segments == res.encoded == len(SPEC)
    assert decode_errors(tmp_path / "graph.mp4") == ""
    diff = np.abs(a - b)
    per_frame = diff.mean(axis=1)
    # (xfade truncates where FrameSource rounds: up to a level in the cross-fades)
    assert per_frame.max() < 1.0, (int(per_frame.argmax()), float(per_frame.max()))
    assert diff.mean() < 0.25
    # the content really differs between sentences (the comparison is not of two blank videos)
    starts = [s.start_frame for s in tl.sentences]
    assert min(np.abs(a[x + 15] - a[y + 15]).mean() for x, y in zip(starts, starts[1:])) > 5


@pytest.mark.slow
def test_segments_made_either_way_join_into_one_clean_stream(sources, tmp_path, monkeypatch):
    # segments 0 and 1: frame by frame
    tl = timeline(sources, [[("red", 0.3, 8)], *SPEC[1:]], paragraphs=PARAS)
    drawn = []
    real_frames = segments._encode_frames
    monkeypatch.setattr(segments, "_encode_frames", lambda tl_, o, seg, *a: (drawn.append(seg.sentence),
                                                                            real_frames(tl_, o, seg, *a))[1])
    out = tmp_path / "mixed.mp4"
    render_timeline(tl, out, OPTS)
    assert sorted(drawn) == [0, 1]
    assert decode_errors(out) == ""
    assert len(decoded(out)) == tl.frames
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True,
                           text=True).stderr
    assert probe.count("Stream #") == 2 and "h264" in probe and "bt709" in probe


@pytest.mark.slow
def test_a_source_that_stops_decoding_is_held_or_named(sources, tmp_path):
    data = sources["red"].read_bytes()
    cut = tmp_path / "cut.mp4"  # moov first (faststart), then the picture data breaks off early
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(sources["red"]), "-c", "copy", "-movflags",
                    "+faststart", str(cut)], check=True)
    full = cut.read_bytes()
    cut.write_bytes(full[: len(full) - (len(data) * 3) // 4])
    spec = [[("red", 0.3, 30)], [("cut", 0.1, 20)], [("blue", 0.5, 20)]]
    srcs = dict(sources, cut=cut)
    held = tmp_path / "held.mp4"
    render_timeline(timeline(srcs, spec), held, OPTS)  # the early part of the broken file still decodes
    assert decode_errors(held) == "" and len(decoded(held)) == 70
    late = [[("red", 0.3, 30)], [("cut", 3.5, 20)], [("blue", 0.5, 20)]]
    with pytest.raises(WamError, match=r"could not decode .*cut\.mp4 at 3\.50 s"):
        render_timeline(timeline(srcs, late), tmp_path / "late.mp4", OPTS)
    assert not (tmp_path / "late.mp4").exists()


def _picture(path, size=(400, 300)):
    import cv2

    from media import texture

    img = texture(size[1], size[0], 11, (220, 160, 80))
    cv2.circle(img, (size[0] // 3, size[1] // 2), size[1] // 5, (40, 40, 230), -1)
    cv2.imwrite(str(path), img)
    return path


def _moving(sources, picture, fit_w=W, fit_h=H):
    """A picture cut, a move running on across a sentence boundary, and a still clip's move
    that a cross-fade brings in."""
    def move(a, b):
        return {"from": list(a), "to": list(b)}

    fps, sh = FPS, 400 / 300 * H / W  # the rectangles' height per width, in the picture's units
    a, m, b = (0.0, 0.05, 0.9, 0.9 * sh), (0.1, 0.1, 0.75, 0.75 * sh), (0.3, 0.2, 0.6, 0.6 * sh)
    pic = str(picture)
    s0 = [Cut("p0", pic, 0.0, 0.04, 0, 30, fps, 0.5, hold=30 / fps - 0.04, move=move(a, m))]
    s1 = [Cut("p0", pic, 0.0, 0.04, 30, 20, fps, 0.5, hold=20 / fps - 0.04, move=move(m, b), continues=True),
          Cut("r1", str(sources["red"]), 1.0, 1.0 + 15 / fps, 50, 15, fps, 0.5)]
    clip = (0.05, 0.05, 0.8, 0.8), (0.2, 0.15, 0.7, 0.7)
    s2 = [Cut("g2", str(sources["green"]), 0.5, 2.0, 65, 45, fps, 0.5, hold=0.3, move=move(*clip))]
    return Timeline(fps, fit_w, fit_h, [SentenceSpan(0, "A still moves.", 0, 30, fps, 0, s0),
                                        SentenceSpan(1, "It moves on.", 30, 35, fps, 0, s1),
                                        SentenceSpan(2, "Another still.", 65, 45, fps, 1, s2)])


@pytest.mark.slow
def test_a_stills_move_is_drawn_alike_by_the_graph_and_frame_by_frame(sources, tmp_path, monkeypatch):
    tl = _moving(sources, _picture(tmp_path / "photo.png"))
    assert all(segment_graph.graph_plan(tl, OPTS, i, tmp_path, f"m{i}") is not None for i in range(3))
    a, b, _ = rendered_both_ways(tl, tmp_path, monkeypatch)
    per_frame = np.abs(a - b).mean(axis=1)
    assert per_frame.max() < 1.0, (int(per_frame.argmax()), float(per_frame.max()))
    luma = a[:, : W * H]
    steps = np.abs(np.diff(luma, axis=0)).mean(axis=1)
    assert steps[:64].min() > 0.05 and steps[65:].min() > 0.05  # it moves on every frame (cut at 65)
    # across the continuation (frame 30) the move goes on at the same pace: no jolt
    assert steps[29] < 2.5 * np.median(steps[20:40])


@pytest.mark.slow
def test_a_move_starts_and_ends_on_its_rectangles(tmp_path):
    import cv2

    pic = _picture(tmp_path / "photo.jpg")
    img = cv2.cvtColor(cv2.imread(str(pic)), cv2.COLOR_BGR2GRAY).astype(np.float32)
    frames = 40
    sh = 400 / 300 * H / W
    a, b = (0.05, 0.1, 0.8, 0.8 * sh), (0.3, 0.3, 0.5, 0.5 * sh)
    cut = Cut("p", str(pic), 0.0, 0.04, 0, frames, FPS, 0.5, hold=frames / FPS - 0.04,
              move={"from": list(a), "to": list(b)})
    tl = Timeline(FPS, W, H, [SentenceSpan(0, "x", 0, frames, FPS, 0, [cut])])
    out = tmp_path / "out.mp4"
    render_timeline(tl, out,
                    RenderOptions(width=W, height=H, preset="ultrafast", crf=0, fade=0, subtitles=False))
    luma = decoded(out)[:, : W * H].reshape(-1, H, W)

    def expected(r):
        x, y, w, h = r[0] * 400, r[1] * 300, r[2] * 400, r[3] * 300
        m = np.array([[W / w, 0, -x * W / w], [0, H / h, -y * H / h]])
        # limited range, as encoded
        return 16 + cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_AREA) * 219 / 255

    from wam.assemble.moves import rect_at

    def off(j, p):
        return np.abs(luma[j][4:-4, 4:-4] - expected(rect_at(a, b, p))[4:-4, 4:-4]).mean()

    for j in (0, frames // 2, frames - 1):
        assert off(j, j / frames) < 8, (j, off(j, j / frames))  # (colour conversion, half-pixel conventions)
        # on time, not early
        assert off(j, j / frames) < min(off(j, (j - 4) / frames), off(j, (j + 4) / frames))
    assert np.abs(luma[0] - expected(b)).mean() > 10  # (the comparison can tell framings apart)


def _over_talk(sources, mode: str) -> Timeline:
    """A plan over a talk (the red clip): the speaker, footage with the speaker in a corner
    (``pip``), the speaker again, and footage cross-faded into the next paragraph."""
    talk = str(sources["red"])

    def speaker(a, b):
        return Cut("a-roll", talk, a / FPS, b / FPS, a, b - a, FPS, 0.0, a_roll=True)

    sents = [SentenceSpan(0, "The speaker says hello.", 0, 25, FPS, 0, [speaker(0, 25)]),
             SentenceSpan(1, "Over footage, in a corner.", 25, 45, FPS, 0,
                          [Cut("b1", str(sources["blue"]), 1.0, 2.2, 25, 30, FPS, 0.5), speaker(55, 70)]),
             SentenceSpan(2, "A new paragraph.", 70, 25, FPS, 1,
                          [Cut("g2", str(sources["green"]), 0.5, 1.5, 70, 25, FPS, 0.5)])]
    return Timeline(FPS, W, H, sents, a_roll={"file": talk, "duration": 4.0, "mode": mode})


@pytest.mark.slow
def test_the_speaker_in_a_corner_is_drawn_alike_by_the_graph_and_frame_by_frame(sources, tmp_path,
                                                                                 monkeypatch):
    from wam.render.pip import pip_rect

    tl = _over_talk(sources, "pip")
    a, b, _ = rendered_both_ways(tl, tmp_path, monkeypatch)
    per_frame = np.abs(a - b).mean(axis=1)
    assert per_frame.max() < 1.0, (int(per_frame.argmax()), float(per_frame.max()))
    x, y, w, h = pip_rect(W, H, 320, 180)
    red = a[:, W * H * 5 // 4 :].reshape(-1, H // 2, W // 2)  # the V (red difference) plane
    box = red[:, y // 2 : (y + h) // 2, x // 2 : (x + w) // 2].mean(axis=(1, 2))
    beside = red[:, y // 2 : (y + h) // 2, (x - w) // 2 - 2 : x // 2 - 2].mean(axis=(1, 2))
    assert box[40] > beside[40] + 40  # over the blue footage: the red speaker in the corner
    assert abs(box[10] - beside[10]) < 10 and box[10] > 160  # the speaker full frame: no box
    assert abs(box[80] - beside[80]) > 40 and abs(box[50] - box[40]) < 20
    cut_mode = [s.key for s in segments.plan_segments(_over_talk(sources, "cut"), OPTS)]
    pip_mode = [s.key for s in segments.plan_segments(tl, OPTS)]
    assert cut_mode[0] == pip_mode[0] and cut_mode[1:] != pip_mode[1:]  # only segments with footage change
