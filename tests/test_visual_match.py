"""The visual similarity blended into candidate scores (wam/text/visual_match.py): clip pooling and
the library's common direction taken out; and the tagger's input scaling."""

from __future__ import annotations

import numpy as np
import pytest

from wam.text.visual_match import PRIOR_SHOTS, clip_pooled, library_centre, visual_similarity


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_a_clips_shots_are_pulled_together_and_other_clips_are_untouched():
    rng = np.random.default_rng(0)
    visual = unit(rng.normal(size=(5, 16)))
    visual[4] = 0.0  # a shot with no visual vector
    clips = np.array([7, 7, 7, 9, 7])
    pooled = clip_pooled(visual, clips)
    assert np.allclose(np.linalg.norm(pooled[:4], axis=1), 1.0, atol=1e-5)
    assert not pooled[4].any()  # still no vector, and left out of its clip's mean
    before = visual[:3] @ visual[:3].T
    after = pooled[:3] @ pooled[:3].T
    off = ~np.eye(3, dtype=bool)
    assert (after[off] > before[off]).all()  # the shots of clip 7 now agree more
    assert np.allclose(pooled[3], visual[3], atol=1e-6)  # a clip of one shot keeps its vector
    mean = unit(visual[:3].mean(axis=0))
    assert (pooled[:3] @ mean > visual[:3] @ mean).all()
    assert np.allclose(clip_pooled(visual, clips, share=0.0), visual)


def test_the_library_centre_is_the_mean_shrunk_towards_zero():
    v = unit(np.eye(3, 8) + 0.5)
    assert np.allclose(library_centre(v), v.sum(axis=0) / (3 + PRIOR_SHOTS), atol=1e-6)
    one = v[:1]
    assert np.allclose(library_centre(one), one[0] / (1 + PRIOR_SHOTS), atol=1e-6)
    with_empty = np.concatenate([v, np.zeros((2, 8), np.float32)])
    assert np.allclose(library_centre(with_empty), library_centre(v))  # rows without a vector do not count
    assert not library_centre(np.zeros((0, 8), np.float32)).any()


def test_a_sentence_near_what_every_picture_shares_no_longer_matches_every_shot():
    common = unit(np.ones(8))
    specific = np.eye(8, dtype=np.float32)
    visual = unit(2.0 * common + specific[:6])  # six shots: one shared direction, one own direction each
    generic = common[None, :]  # "an object" — close to every shot
    precise = unit(specific[2] + 0.3 * common)[None, :]  # about shot 2
    raw_generic, raw_precise = generic @ visual.T, precise @ visual.T
    assert raw_generic.min() > raw_precise[0, 2]  # plain cosines: the vague sentence beats the right pair
    got_generic, got_precise = visual_similarity(generic, visual), visual_similarity(precise, visual)
    assert got_precise[0, 2] > got_generic.max() + 0.1  # centred: the right pair stands out
    assert np.argmax(got_precise[0]) == 2
    # per sentence, only a constant is taken away: the order of the shots is the cosine's
    assert np.allclose(got_precise - raw_precise, (got_precise - raw_precise)[0, 0], atol=1e-6)


def test_shots_without_a_visual_vector_get_no_visual_similarity():
    visual = unit(np.eye(3, 4) + 0.2)
    visual[1] = 0.0
    sims = visual_similarity(unit(np.ones((2, 4))), visual)
    assert sims.shape == (2, 3) and not sims[:, 1].any()


def test_the_tagger_input_is_scaled_as_its_models_were_trained():
    from wam.library.tagger import model_input

    bgr = np.zeros((10, 20, 3), np.uint8)
    bgr[..., 0] = 255  # blue
    bgr[..., 1] = 127
    batch = model_input([bgr], 8)
    assert batch.shape == (1, 3, 8, 8) and batch.dtype == np.float32
    # EfficientNet-Lite takes inception-style input: (x − 127) / 128, channels in RGB order
    assert np.allclose(batch[0, 0], -127 / 128)  # red 0
    assert np.allclose(batch[0, 1], 0.0)  # green 127
    assert np.allclose(batch[0, 2], 1.0)  # blue 255
    assert batch.min() >= -1.0 and batch.max() <= 1.0


@pytest.mark.parametrize("n", [1, 2, 40])
def test_visual_similarity_of_any_library_size_is_finite(n):
    rng = np.random.default_rng(n)
    sims = visual_similarity(unit(rng.normal(size=(3, 12))), unit(rng.normal(size=(n, 12))))
    assert sims.shape == (3, n) and np.isfinite(sims).all()


@pytest.mark.slow
def test_the_column_table_holds_the_clip_pooled_vectors_of_the_stored_ones(tmp_path, wam_home):
    from click.testing import CliRunner

    from media import BLUE, GREEN, RED, write_clip
    from wam.cli import cli
    from wam.library.store import Store

    lib = tmp_path / "lib"
    write_clip(lib / "a.mp4", [(RED, 1.2), (BLUE, 1.0), (GREEN, 1.4)])
    write_clip(lib / "b.mp4", [(BLUE, 1.5)])
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    with Store.open(create=False) as store:
        table = store.shot_table()
        stored = dict(store.conn.execute("SELECT id, visual FROM shots").fetchall())
    raw = np.stack([np.frombuffer(stored[int(pk)], np.float32) for pk in table.pks])
    assert len(table) == 4 and np.abs(raw).sum(axis=1).all()
    assert np.allclose(table.visual, clip_pooled(raw, table.clip_ids), atol=1e-5)
    a = table.clip_ids == table.clip_ids[np.argmax(np.bincount(table.clip_ids))]
    assert a.sum() == 3 and not np.allclose(table.visual[a], raw[a], atol=1e-4)  # a's shots pooled
