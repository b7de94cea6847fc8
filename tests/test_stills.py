"""Stills are moves, not shots: still detection at index time, the planner giving a still any
length, the Ken Burns moves over it (inside the picture, calm, different for successive
cuts, continuous across a sentence boundary), the plan JSON's ``move``, and — on real
media — a picture file and a still clip indexed, planned and rendered with motion on every
frame. (The graph and frame-by-frame pictures of a move are compared in test_segment_graph.)"""

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from media import BLUE, GREEN, RED, ffmpeg_exe, texture, write_clip
from tables import make_table
from wam.assemble.moves import DISTINCT, VARIANTS, move_speed, next_move, rect_at, still_moves, travel
from wam.assemble.plan import assemble
from wam.assemble.styles import pace
from wam.core.config import STILL_MOVE_SPEED
from wam.core.errors import WamError
from wam.core.story import read_story
from wam.core.timeline import Cut, SentenceSpan, Timeline, timeline_from_dict
from wam.library.stills import STILL_STEP, is_still, salient_point


def _noisy(base, rng, sigma=0.4):
    return base + rng.normal(0, sigma, base.shape).astype(np.float32)


def test_a_still_is_frames_that_do_not_change():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 255, (18, 32)).astype(np.float32)
    assert is_still([_noisy(base, rng) for _ in range(8)])  # compression noise only
    assert is_still([_noisy(base, rng) for _ in range(8)], motion=0.0)
    assert not is_still([_noisy(base, rng) for _ in range(8)], motion=0.05)  # the camera moves
    assert not is_still([base])  # one sample proves nothing
    walker = []
    for k in range(8):  # something small walks through an otherwise unchanged picture
        f = _noisy(base, rng)
        f[8:11, 3 * k:3 * k + 3] += 60
        walker.append(f)
    assert not is_still(walker)
    fade = [base * (1 - 0.01 * k) for k in range(8)]  # each step under STILL_STEP, but it drifts
    assert np.abs(fade[1] - fade[0]).mean() < STILL_STEP
    assert not is_still(fade)
    assert not is_still([base, None])


def test_the_salient_point_is_where_the_detail_is():
    gray = np.full((180, 320), 120, np.uint8)
    gray[30:70, 220:280] = texture(40, 60, 3, (255, 255, 255))[..., 0]  # a busy patch, upper right
    x, y = salient_point(gray)
    assert abs(x - 250 / 320) < 0.12 and abs(y - 50 / 180) < 0.15
    assert salient_point(np.full((90, 160), 80, np.uint8)) == (0.5, 0.5)


def _inside(r, eps=1e-6):
    return r[0] >= -eps and r[1] >= -eps and r[0] + r[2] <= 1 + eps and r[1] + r[3] <= 1 + eps


def _distinct(a, b) -> bool:
    """Visibly different framings: the centres or the sizes differ by a few percent of the frame."""
    return travel(a, b) > DISTINCT


@pytest.mark.parametrize("aspect", [1.5, 16 / 9, 0.75, 3.0, 0.0])
@pytest.mark.parametrize("focus", [(0.5, 0.5), (0.1, 0.9), (0.95, 0.05), None])
def test_moves_stay_in_the_picture_keep_the_frame_shape_go_calmly_and_differ_cut_to_cut(aspect, focus):
    out = 16 / 9
    for seconds in (0.6, 2.0, 5.0, 30.0):
        moves = []
        for k in range(len(VARIANTS) + 2):
            moves.append(next_move(k, seconds, aspect, out, focus, moves[-1] if moves else None))
        for a, b in moves:
            for r in (a, b, rect_at(a, b, 0.5)):
                assert _inside(r)
                shape = (r[2] * (aspect or out)) / r[3]  # width / height in source pixels
                assert shape == pytest.approx(out, rel=1e-6)
            assert move_speed(a, b, seconds) <= STILL_MOVE_SPEED + 1e-9
            assert travel(a, b) > 0  # it moves
        for (a1, b1), (a2, b2) in zip(moves, moves[1:]):  # successive cuts of one still
            assert _distinct(a1, a2) and _distinct(b1, b2) and _distinct(b1, a2), (seconds, a1, b1, a2, b2)


def _still_table():
    t = make_table(4, ends=[2.0, 2.0, 0.04, 2.0])
    t.still = np.array([False, False, True, False])
    t.aspect = np.array([16 / 9, 16 / 9, 1.5, 16 / 9], np.float32)
    t.salient = np.full((4, 2), np.nan, np.float32)
    t.salient[2] = (0.3, 0.6)
    t.sources[2] = "/photos/cat.jpg"
    return t


def _span(i, first, cuts, para=0):
    made, at = [], first
    for shot, frames, continues in cuts:
        made.append(Cut(f"s{shot}", f"/c{shot}.mp4", 0.0, 0.04, at, frames, 30, 0.5, hold=frames / 30 - 0.04,
                        continues=continues))
        at += frames
    return SentenceSpan(i, f"Sentence {i}.", first, at - first, 30, para, made)


def test_every_cut_of_a_still_gets_a_move_continuations_carry_it_on_and_uses_differ():
    t = _still_table()
    spans = [_span(0, 0, [(2, 90, False)]), _span(1, 90, [(2, 60, True), (0, 60, False)]),
             _span(2, 210, [(1, 60, False), (2, 120, False)], para=1), _span(3, 390, [(3, 60, False)])]
    out = still_moves(spans, t, 1280, 720)
    cuts = [c for sp in out for c in sp.cuts]
    assert [c.move is not None for c in cuts] == [True, True, False, False, True, False]
    first, cont, again = cuts[0], cuts[1], cuts[4]
    assert first.move["to"] == cont.move["from"]  # one move across the sentence boundary
    whole = (tuple(first.move["from"]), tuple(cont.move["to"]))
    assert move_speed(*whole, (90 + 60) / 30) <= STILL_MOVE_SPEED + 1e-4
    assert _distinct(tuple(first.move["from"]), tuple(again.move["from"]))
    assert _distinct(tuple(cont.move["to"]), tuple(again.move["to"]))
    assert still_moves(out, t, 1280, 720) == out  # deterministic, and idempotent


def test_the_planner_holds_a_still_for_a_whole_long_sentence():
    t = _still_table()
    sentences = read_story("A tabby cat watches the garden from the fence for a long, long time. Then a bus.",
                           wps=1.2)
    # the still: the first sentence's one match
    scores = np.array([[0.2, 0.2, 0.9, 0.2], [0.3, 0.6, 0.1, 0.5]])
    tl = assemble(sentences, t, scores, pace=pace("normal"), fps=30)
    first = tl.sentences[0]
    assert sentences[0].duration > 8.0 and len(first.cuts) == 1  # no cutting away from it
    cut = first.cuts[0]
    assert cut.shot_id == "s2" and cut.move is not None and cut.hold > 0
    assert cut.costs.get("hold", 0.0) == 0.0
    assert not any("long enough" in w for w in tl.warnings)
    doc = json.loads(tl.to_json())
    assert doc["sentences"][0]["cuts"][0]["move"] == cut.move
    assert timeline_from_dict(doc) == tl  # the move survives the JSON round trip


def test_the_plan_json_checks_a_move():
    tl = Timeline(30, 320, 180, [_span(0, 0, [(1, 30, False)])])
    doc = json.loads(tl.to_json())
    assert "move" not in doc["sentences"][0]["cuts"][0]  # optional: absent unless there is one
    doc["sentences"][0]["cuts"][0]["move"] = {"from": [0, 0, 1, 1], "to": [0.1, 0.1, 0.5]}
    with pytest.raises(WamError, match=r"cuts\[0\]\.move\.to must be \[x, y, w, h\]"):
        timeline_from_dict(doc)
    doc["sentences"][0]["cuts"][0]["move"] = {"from": [0, 0, 1, 1], "to": [0.1, 0.1, 0.5, 0]}
    with pytest.raises(WamError, match="positive width and height"):
        timeline_from_dict(doc)


# ---------------------------------------------------------------- real media


def _picture(path, size=(480, 320), seed=7):
    import cv2

    w, h = size
    img = texture(h, w, seed, (200, 150, 90))
    cv2.circle(img, (int(w * 0.7), int(h * 0.35)), h // 6, (40, 40, 230), -1)  # a red ball to move towards
    cv2.imwrite(str(path), img)
    return path


def _decoded(path, w, h):
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray",
                          "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w).astype(np.int16)


@pytest.mark.slow
def test_a_picture_and_a_still_clip_are_indexed_planned_and_rendered_as_moves(wam_home, tmp_path):
    from wam.cli import cli
    from wam.library.store import Store

    lib = tmp_path / "lib"
    (lib / "animals").mkdir(parents=True)
    _picture(lib / "animals" / "tabby_cat.png")
    (lib / "animals" / "tabby_cat.txt").write_text("A tabby cat sits on a garden fence with a red ball.")
    # nothing moves: a still
    write_clip(lib / "harbour" / "fishing_boats.mp4", [(BLUE, 2.0)], size=(320, 180))
    (lib / "harbour" / "fishing_boats.txt").write_text("Fishing boats rest in a quiet harbour at dawn.")
    write_clip(lib / "street" / "busy_traffic.mp4", [(RED, 3.0, 0.4), (GREEN, 3.0, -0.4)], size=(320, 180))
    (lib / "street" / "busy_traffic.txt").write_text("Cars and buses drive through a busy street.")
    r = CliRunner().invoke(cli, ["index", str(lib), "-q"])
    assert r.exit_code == 0, r.output
    with Store.open(wam_home) as store:
        table = store.shot_table()
    still = {src.split("/")[-1]: bool(s) for src, s in zip(table.sources, table.still)}
    assert still == {"tabby_cat.png": True, "fishing_boats.mp4": True, "busy_traffic.mp4": False}

    story = tmp_path / "story.txt"
    story.write_text("A tabby cat sits on the garden fence and watches the red ball for a long while.\n\n"
                     "Fishing boats rest in the quiet harbour at dawn.\n\n"
                     "The tabby cat on the fence looks at the red ball again.\n")
    plan = tmp_path / "plan.json"
    r = CliRunner().invoke(cli,
                           ["plan", str(story), "-o", str(plan), "--resolution", "320x180", "--pace", "fast",
                            "-q"])
    assert r.exit_code == 0, r.output
    tl = json.loads(plan.read_text())
    assert not any("long enough" in w for w in tl["warnings"])
    cat_cuts = [c for s in tl["sentences"] for c in s["cuts"] if c["source"].endswith("tabby_cat.png")]
    boat_cuts = [c for s in tl["sentences"] for c in s["cuts"] if c["source"].endswith("fishing_boats.mp4")]
    assert len(cat_cuts) >= 2 and boat_cuts and all(c["move"] for c in cat_cuts + boat_cuts)
    assert len(tl["sentences"][0]["cuts"]) == 1  # the still holds the first sentence, fast pace or not
    visible = [c for c in cat_cuts if not c["continues"]]
    for a, b in zip(visible, visible[1:]):  # successive cuts of one still: different framings
        assert _distinct(tuple(a["move"]["from"]), tuple(b["move"]["from"]))
        assert _distinct(tuple(a["move"]["to"]), tuple(b["move"]["to"]))

    out = tmp_path / "out.mp4"
    r = CliRunner().invoke(cli, ["render", "--plan", str(plan), "-o", str(out), "--no-subtitles", "-q",
                                 "--preset", "ultrafast", "--crf", "10"])
    assert r.exit_code == 0, r.output
    frames = _decoded(out, 320, 180)
    assert len(frames) == tl["frames"]
    firsts = []
    for c in cat_cuts + boat_cuts:
        a, n = c["start_frame"], c["frames"]
        steps = np.abs(np.diff(frames[a:a + n], axis=0)).mean(axis=(1, 2))
        assert steps.min() > 0, (c["source"], int(steps.argmin()))  # motion on every frame of the cut
        firsts.append(frames[a + n // 2])
    # the two cat cuts do not show the same framing at the same point of their moves
    assert np.abs(firsts[0] - firsts[1]).mean() > 3


def test_exports_carry_a_stills_move_where_the_format_can(tmp_path):
    import opentimelineio as otio

    from wam.export import export_timeline

    pic = str(_picture(tmp_path / "photo.png"))
    a, m, b = [0.0, 0.0, 0.9, 0.675], [0.05, 0.05, 0.8, 0.6], [0.1, 0.1, 0.7, 0.525]
    cuts0 = [Cut("p", pic, 0.0, 0.04, 0, 60, 30, 0.5, hold=2 - 0.04, move={"from": a, "to": m})]
    cuts1 = [Cut("p", pic, 0.0, 0.04, 60, 30, 30, 0.5, hold=1 - 0.04, move={"from": m, "to": b},
                 continues=True)]
    tl = Timeline(30, 640, 360, [SentenceSpan(0, "A photo.", 0, 60, 30, 0, cuts0),
                                 SentenceSpan(1, "Still the photo.", 60, 30, 30, 0, cuts1)])
    notes = {}
    for name in ("otio", "edl", "xml", "fcpxml"):
        got = []
        export_timeline(tl, tmp_path / f"cut.{name}", warn=got.append)
        notes[name] = got
    back = otio.adapters.read_from_file(str(tmp_path / "cut.otio"))
    track = back.video_tracks()[0]
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    assert len(clips) == 1  # the move and its continuation: one held clip of the whole length
    assert clips[0].source_range.duration.to_frames(30) == 90
    assert [e.schema_name() for e in clips[0].effects] == ["FreezeFrame"]
    move = clips[0].metadata["wam"]["move"]
    assert list(move["from"]) == a and list(move["to"]) == b
    assert move["source_aspect"] == pytest.approx(1.5, rel=0.01)
    xml = (tmp_path / "cut.xml").read_text()
    assert "<effectid>basic</effectid>" in xml and "<effectid>timeremap</effectid>" in xml
    motion = xml[xml.index("<effectid>basic</effectid>"):]
    assert motion.count("<keyframe>") == 4 and "<horiz>" in motion  # scale and centre, at both ends
    assert any("without their move" in n for n in notes["edl"]) and any("without their move" in n
                                                                        for n in notes["fcpxml"])
    assert not any("move" in n for n in notes["otio"] + notes["xml"])
    # a still opening a paragraph: the dissolve into it needs frames before the held one
    clip = write_clip(tmp_path / "still.mp4", [(GREEN, 1.0)])
    opening = [Cut("g", str(clip), 0.0, 1.0, 90, 45, 30, 0.5, hold=0.5, move={"from": a, "to": b})]
    tl2 = Timeline(30, 640, 360, tl.sentences + [SentenceSpan(2, "A new scene.", 90, 45, 30, 1, opening)])
    for name in ("otio", "edl", "xml"):
        export_timeline(tl2, tmp_path / f"scene.{name}")
    assert "M2" in (tmp_path / "scene.edl").read_text() and " D " in (tmp_path / "scene.edl").read_text()


def test_the_storyboard_draws_a_stills_move_over_the_whole_picture():
    from wam.storyboard.page import cut_html

    cut = Cut("p", "/photos/cat.jpg", 0.0, 0.04, 0, 90, 30, 0.7, hold=2.96,
              move={"from": [0.0, 0.1, 0.8, 0.6], "to": [0.25, 0.3, 0.5, 0.375]})
    html = cut_html(cut, b"\xff\xd8fake", 0)
    assert 'class="move"' in html and "--d: 3.00s" in html
    assert 'class="move-from" style="left: 0.00%; top: 10.00%; width: 80.00%; height: 60.00%"' in html
    assert 'class="move-to" style="left: 25.00%; top: 30.00%; width: 50.00%; height: 37.50%"' in html
    assert "still · move" in html and "holds" not in html  # its hold is not a frozen frame
    assert 'class="move"' not in cut_html(cut, None, 0)  # no picture, nothing to draw on
