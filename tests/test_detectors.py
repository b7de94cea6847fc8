"""What the analysis finds in keyframes beyond faces (issue 18, fourth and fifth rounds): whole
human figures (the people of a square too far for a face), point lights on a black picture
(stars), a texture filling the frame and a regular pattern, and the visual words they give:
pedestrians, people, crowd, stars, texture, pattern."""

import numpy as np
import pytest

from conftest import SAMPLES
from test_sees import features as _features  # a shot's features with a few changed
from wam.library.colours import COLOUR_NAMES
from wam.library.detectors import bodies_in, faces_in, keyframe_finds, pattern_in, point_lights_in, texture_in
from wam.library.features import FrameSample, frame_stats, shot_features
from wam.library.visual_words import VOCABULARY, visual_words


def _gray_frames(path, n=4):
    """``n`` gray frames of a sample clip, spread over it, at the analysis size (320 wide)."""
    import subprocess

    from wam.media.ffmpeg_stream import ANALYSIS_WIDTH, analysis_size, ffmpeg_exe, probe

    info = probe(str(path))
    w, h = analysis_size(info.width, info.height, ANALYSIS_WIDTH)
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf",
                          f"fps={n / info.duration:.4f},scale={w}:{h}:flags=area", "-pix_fmt", "gray",
                          "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    return list(np.frombuffer(raw, np.uint8).reshape(-1, h, w))[:n]


def _starfield(points=60, size=(180, 320), seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 25, size=size).astype(np.uint8)  # a noisy black sky
    for y, x in zip(rng.integers(3, size[0] - 3, points), rng.integers(3, size[1] - 3, points)):
        img[y - 1 : y + 1, x - 1 : x + 1] = 230
    return img


# ----------------------------------------------------------------- detectors
def test_the_walkers_of_the_campus_square_are_found_and_no_figure_in_pictures_without_people():
    square = _gray_frames(SAMPLES / "street/pedestrians_walking_plaza.mp4")
    assert sum(1 for g in square if bodies_in(g)) >= 3
    for stem in ("city/red_brick_wall", "food/espresso_coffee_cup", "nature/green_grass",
                 "animals/cat_chelsea"):
        assert not any(bodies_in(g) for g in _gray_frames(SAMPLES / f"{stem}.mp4")), stem
    figure = bodies_in(square[0])[0] if bodies_in(square[0]) else bodies_in(square[1])[0]
    assert all(0 <= v <= 1 for v in figure) and figure[2] < 0.5  # normalised, and small: seen from afar


def test_a_close_up_face_cut_by_the_frame_is_found_and_no_face_where_there_is_none():
    import cv2

    portrait = _gray_frames(SAMPLES / "people/astronaut_portrait.mp4", 12)
    close = portrait[8:10]  # the close-up: forehead and hair cut off by the top of the frame
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    assert all(len(cascade.detectMultiScale(g, 1.2, 5, minSize=(15, 15))) == 0 for g in close)
    for g in close:
        (x, y, size), = faces_in(g)
        assert 0.3 < x < 0.8 and 0.0 <= y < 0.5 and size > 0.33  # a large face, high in the frame
    assert all(len(faces_in(g)) == 1 for g in portrait[4:8])  # the medium shot, found as before
    for g in close:  # an upright phone frame: the close-up's middle, the picture going on below
        square = g[:, 70:250]
        upright = np.vstack([square, np.full((140, 180), int(square[-1].mean()), np.uint8)])
        assert len(cascade.detectMultiScale(upright, 1.2, 5, minSize=(26, 26))) == 0
        (x, y, size), = faces_in(upright)  # a third of the shorter side: the width
        assert y < 0.3 and 0.15 < size < 0.6
    for stem in ("animals/cat_chelsea", "city/red_brick_wall", "nature/green_grass", "space/rocket_launch",
                 "street/city_traffic", "people/photographer_with_camera", "food/espresso_coffee_cup"):
        assert not any(faces_in(g) for g in _gray_frames(SAMPLES / f"{stem}.mp4", 6)), stem


def test_a_frame_too_small_for_a_figure_finds_none():
    assert bodies_in(np.zeros((40, 20), np.uint8)) == ()


def test_point_lights_count_small_bright_points_on_a_dark_picture_only():
    assert 50 <= point_lights_in(_starfield(60)) <= 60  # a few points may touch
    import cv2

    moon = cv2.circle(np.zeros((180, 320), np.uint8), (160, 90), 50, 220, -1)  # one big disc is not a point
    assert point_lights_in(moon) <= 5  # a few edge pixels at most: far below a starry sky (30)
    bright = _starfield(60) + 120  # the same points on a grey picture: not dark, not counted
    assert point_lights_in(bright) == 0
    galaxies = _gray_frames(SAMPLES / "space/hubble_deep_field_galaxies.mp4")
    assert all(point_lights_in(g) >= 60 for g in galaxies)  # fewer as the clip zooms in
    assert point_lights_in(_gray_frames(SAMPLES / "city/night_city_towers.mp4")[0]) == 0  # lit, not black


def test_a_texture_filling_the_frame_is_told_from_a_picture_with_a_subject():
    for stem in ("city/red_brick_wall", "nature/green_grass"):
        seen = [texture_in(g) for g in _gray_frames(SAMPLES / f"{stem}.mp4", 6)]
        assert np.mean(seen) > 0.5 and max(seen) > 0.9, (stem, seen)  # the wall less as the camera closes in
    for stem in ("animals/cat_chelsea", "food/espresso_coffee_cup", "history/ancient_greek_coins",
                 "nature/tree_in_the_wind", "street/pedestrians_walking_plaza", "people/astronaut_portrait"):
        assert max(texture_in(g) for g in _gray_frames(SAMPLES / f"{stem}.mp4", 3)) == 0.0, stem
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, size=(180, 320)).astype(np.uint8)  # even everywhere: a texture
    assert texture_in(noise) == 1.0
    half = noise.copy()
    half[:, :160] = 128  # flat on one side: not one texture
    assert texture_in(half) == 0.0
    assert texture_in(np.full((180, 320), 90, np.uint8)) == 0.0  # no edges at all
    assert texture_in(np.zeros((8, 8), np.uint8)) == 0.0  # too small to tile


def _bricks(size=(180, 320), brick=(16, 40), mortar=3, light=150, dark=70):
    """A wall of staggered bricks: light mortar lines around dark bricks, every other row shifted."""
    h, w = size
    img = np.full(size, dark, np.uint8)
    for y in range(0, h, brick[0]):
        img[y : y + mortar, :] = light
        shift = (y // brick[0]) % 2 * brick[1] // 2
        for x in range(shift, w, brick[1]):
            img[y : y + brick[0], x : x + mortar] = light
    return img


def test_a_regular_pattern_is_told_from_long_straight_edges_and_from_an_irregular_texture():
    assert pattern_in(_bricks()) > 0.4
    assert pattern_in(_bricks(brick=(30, 70), mortar=5)) > 0.3  # seen closer: fewer, larger bricks
    tiles = np.full((180, 320), 70, np.uint8)
    tiles[::30] = tiles[1::30] = tiles[:, ::30] = tiles[:, 1::30] = 150  # a grid of 30-pixel tiles
    assert pattern_in(tiles) > 0.3  # its joints join every repeat to the centre: found edge by edge
    tower = np.zeros((180, 320), np.uint8)
    tower[10:170, 140:180] = 220  # one tall shape: two parallel edges, not a repeat
    assert pattern_in(tower) < 0.05
    noise = np.random.default_rng(2).integers(0, 256, size=(180, 320)).astype(np.uint8)
    assert pattern_in(noise) < 0.1  # a texture, but nothing repeats
    assert pattern_in(np.full((180, 320), 90, np.uint8)) == 0.0  # no edges at all
    assert pattern_in(np.zeros((8, 8), np.uint8)) == 0.0  # too small


def test_the_brick_wall_is_the_only_sample_clip_with_a_pattern():
    wall = [pattern_in(g) for g in _gray_frames(SAMPLES / "city/red_brick_wall.mp4", 6)]
    assert min(wall) > 0.13 and np.mean(wall) > 0.28, wall  # less as the camera closes in
    for path in sorted(SAMPLES.rglob("*.mp4")):
        if path.stem != "red_brick_wall":  # the most: galaxies and coins in rows 0.07
            assert max(pattern_in(g) for g in _gray_frames(path, 4)) < 0.12, path.stem


def test_figures_are_searched_only_when_asked():
    g = _gray_frames(SAMPLES / "street/pedestrians_walking_plaza.mp4", 1)[0]
    assert keyframe_finds(g, bodies=False)["bodies"] is None
    finds = keyframe_finds(g)
    assert isinstance(finds["bodies"], tuple) and isinstance(finds["faces"], tuple)
    assert isinstance(finds["point_lights"], int) and 0.0 <= finds["texture"] <= 1.0
    assert 0.0 <= finds["pattern"] <= 1.0


# ------------------------------------------------------------ shot features
def _sample(i, bodies=None, points=None, texture=None, pattern=None):
    img = np.full((90, 160, 3), 128, np.uint8)
    return FrameSample(frame=i, stats=frame_stats(img), step=None, step_from=i, faces=(), jpeg=None,
                       bodies=bodies, point_lights=points, texture=texture, pattern=pattern)


def test_shot_features_count_figures_over_the_keyframes_searched():
    one = ((0.5, 0.5, 0.2),)
    f = shot_features([_sample(0, one), _sample(1, one + one), _sample(2, ()), _sample(3)])
    assert f.body_share == pytest.approx(2 / 3, abs=1e-3) and f.body_count == 2
    none = shot_features([_sample(0, ()), _sample(1), _sample(2)])  # middle searched, the rest not
    assert none.body_share == 0.0 and none.body_count == 0
    old = shot_features([_sample(0)])  # nothing searched (an older analysis)
    assert old.body_share == 0.0 and old.point_lights == 0.0
    points = shot_features([_sample(0, points=10), _sample(1, points=300), _sample(2, points=80)])
    assert points.point_lights == 80
    assert shot_features([_sample(0, texture=1.0), _sample(1, texture=0.5), _sample(2)]).texture == 0.75
    assert shot_features([_sample(0, pattern=0.6), _sample(1, pattern=0.2), _sample(2)]).pattern == 0.4
    assert old.pattern == 0.0


# ------------------------------------------------------------ visual words
def test_figures_in_most_keyframes_are_pedestrians_and_people_and_many_a_crowd():
    words = dict(visual_words(_features(body_share=1.0, body_count=2)))
    assert words["pedestrians"] == 1.0 and words["people"] == 1.0 and "crowd" not in words
    many = dict(visual_words(_features(body_share=1.0, body_count=7)))
    assert many["crowd"] == 1.0
    chance = dict(visual_words(_features(body_share=1 / 3, body_count=1)))  # one keyframe of three
    assert chance.get("pedestrians", 0) < 0.1 and chance.get("people", 0) < 0.1
    faces = dict(visual_words(_features(face_count=3, face_share=1.0, face_size=0.1)))
    assert faces["people"] == 1.0 and "pedestrians" not in faces  # faces still say people


def test_point_lights_on_a_black_picture_are_stars_and_not_on_a_lit_one():
    black = {n: 0.0 for n in COLOUR_NAMES} | {"black": 0.93, "grey": 0.07}
    assert dict(visual_words(_features(point_lights=300, colours=black)))["stars"] == 1.0
    assert "stars" not in dict(visual_words(_features(point_lights=5, colours=black)))  # a plain night
    assert "stars" not in dict(visual_words(_features(point_lights=300)))  # a grey texture


def test_a_texture_is_a_word_as_sure_as_measured():
    assert dict(visual_words(_features(texture=0.9)))["texture"] == 0.9
    assert "texture" not in dict(visual_words(_features()))


def test_a_pattern_is_a_word_sure_from_a_clear_repeat_and_none_from_a_faint_one():
    assert dict(visual_words(_features(pattern=0.4)))["pattern"] == 1.0
    assert 0.2 < dict(visual_words(_features(pattern=0.18)))["pattern"] < 0.6  # the wall seen close
    assert "pattern" not in dict(visual_words(_features(pattern=0.09)))  # galaxies, lattice towers


def test_the_new_words_are_in_the_vocabulary_and_the_shipped_space():
    from wam.library.concepts import load_space, shipped_path

    assert {"pedestrians", "stars", "texture", "pattern"} <= set(VOCABULARY)
    assert shipped_path("all-MiniLM-L6-v2").is_file()
    space = load_space("all-MiniLM-L6-v2", encode=None)  # shipped: no model needed
    assert space.words.shape[0] == len(VOCABULARY)


@pytest.mark.slow
def test_renamed_square_galaxies_and_wall_get_their_words_through_the_index(tmp_path, wam_home):
    import shutil

    from wam.library.indexer import index_libraries
    from wam.library.seen import describe_clip

    lib = tmp_path / "DCIM"
    lib.mkdir()
    for n, stem in enumerate(("street/pedestrians_walking_plaza", "space/hubble_deep_field_galaxies",
                              "city/night_city_towers", "city/red_brick_wall"), 1):
        shutil.copyfile(SAMPLES / f"{stem}.mp4", lib / f"IMG_{n:04d}.mp4")
    assert index_libraries([lib], workers=1).indexed == 4
    square, galaxies, towers, wall = (describe_clip(lib / f"IMG_{n:04d}.mp4") for n in (1, 2, 3, 4))
    assert all(dict(s.words).get("pedestrians", 0) >= 0.5 for s in square.shots)
    assert all(dict(s.words).get("stars", 0) >= 0.5 for s in galaxies.shots)
    assert all(dict(s.words).get("texture", 0) >= 0.5 for s in wall.shots)
    assert all(dict(s.words).get("pattern", 0) >= 0.5 for s in wall.shots)
    for clip in (square, galaxies, towers):
        assert not any("texture" in dict(s.words) or "pattern" in dict(s.words) for s in clip.shots)
    for s in towers.shots + wall.shots:
        assert "stars" not in dict(s.words) and "pedestrians" not in dict(s.words)
