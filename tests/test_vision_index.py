"""`wam index --vision` end to end with tiny, randomly initialised CLIP and SigLIP models built
here (nothing is downloaded): index → search → plan → render, a model switch that embeds only
the pictures again, an interrupted picture pass that resumes, --no-vision, changed weights."""

import json
import shutil
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SAMPLES
from media import tiny_library
from visionmodels import tiny_clip, tiny_siglip
from wam.cli import cli
from wam.text.candidates import VISION_WEIGHT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"a": tiny_clip(root / "clip-a", seed=0), "b": tiny_clip(root / "clip-b", seed=1)}


@pytest.fixture
def lib(tmp_path):
    return tiny_library(tmp_path / "lib")


def wam(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 0, (args, r.output)
    return r


def vectors(home) -> dict:
    """Image vectors in the index: model → {shot_pk: vector}."""
    conn = sqlite3.connect(home / "index.sqlite")
    out: dict = {}
    for pk, model, blob in conn.execute("SELECT shot_pk, model, vector FROM shot_vision"):
        out.setdefault(model, {})[pk] = np.frombuffer(blob, np.float32)
    conn.close()
    return out


def search(query):
    return {h["shot_id"]: h["score"] for h in json.loads(wam("search", query, "-k", "20", "--json").stdout)}


def test_index_search_plan_and_render_see_the_pictures(tmp_path, wam_home, lib, models):
    wam("index", lib, "-q", "--no-vision")
    plain = search("a red bus in the street")
    summary = json.loads(wam("index", lib, "--vision", models["a"], "--json", "-q").stdout)
    assert summary["vision"] == str(models["a"]) and summary["pictured"] == 5 and summary["indexed"] == 0
    (identity, vecs), = vectors(wam_home).items()
    assert identity.startswith("clip:") and len(vecs) == 5
    assert all(v.shape == (16,) and abs(np.linalg.norm(v) - 1) < 1e-4 for v in vecs.values())
    info = json.loads(wam("libraries", "--json").stdout)["vision"]
    assert info == {"name": str(models["a"]), "family": "clip", "identity": identity, "shots": 5}
    assert f"vision: {models['a']}" in wam("libraries").stdout

    seeing = search("a red bus in the street")
    assert set(seeing) == set(plain)
    gain = {s: seeing[s] - plain[s] for s in plain}
    assert all(-1e-3 <= g <= VISION_WEIGHT + 1e-3 for g in gain.values()) and max(gain.values()) > 0.01

    story = tmp_path / "story.txt"
    story.write_text("A red bus drives down the street. Waves roll "
                     "onto a sandy beach. A quiet green forest.\n")
    plan = json.loads(wam("plan", story, "--json").stdout)
    assert len(plan["sentences"]) == 3 and all(s["cuts"] for s in plan["sentences"])
    cache = sqlite3.connect(wam_home / "sentences.sqlite")
    assert cache.execute("SELECT COUNT(*) FROM vectors WHERE model=?", (identity,)).fetchone()[0] == 3
    cache.execute("DELETE FROM vectors")  # the render's planner embeds the story again, in its child process
    cache.commit()
    cache.close()
    out = tmp_path / "out.mp4"
    wam("render", story, "-o", out, "--resolution", "160x96", "-q")
    assert out.stat().st_size > 1000
    cache = sqlite3.connect(wam_home / "sentences.sqlite")
    assert cache.execute("SELECT COUNT(*) FROM vectors WHERE model=?", (identity,)).fetchone()[0] == 3
    storyboard = tmp_path / "board.html"
    wam("storyboard", story, "-o", storyboard, "-q")
    assert storyboard.stat().st_size > 1000
    other = tmp_path / "other.txt"  # a batch: one shared child process for the vision model's text tower
    other.write_text("Green leaves in the quiet forest. A bus in the street.\n")
    wam("plan", story, other, "-o", f"{tmp_path / 'plans'}/", "-q")
    assert json.loads((tmp_path / "plans" / "other.json").read_text())["sentences"]
    assert cache.execute("SELECT COUNT(*) FROM vectors WHERE model=?", (identity,)).fetchone()[0] == 5


def test_switching_models_embeds_only_the_pictures_and_matches_a_fresh_index(tmp_path, wam_home, lib, models,
                                                                             monkeypatch):
    from wam.library import indexer

    wam("index", lib, "--vision", models["a"], "-q")
    before = vectors(wam_home)

    def no_analysis(*args, **kwargs):
        raise AssertionError("a model switch must not analyse clips again")

    analyse = indexer.analyse_in_worker
    monkeypatch.setattr(indexer, "analyse_in_worker", no_analysis)
    summary = json.loads(wam("index", lib, "--vision", models["b"], "--json", "-q", "-j", "2").stdout)
    assert summary["pictured"] == 5 and summary["indexed"] == 0 and summary["skipped"] == 3
    after = vectors(wam_home)
    assert len(after) == 1 and set(after) != set(before)  # the first model's vectors are gone
    again = json.loads(wam("index", lib, "--json", "-q").stdout)  # keeps the index's model, nothing to do
    assert again["vision"] == str(models["b"]) and again["pictured"] == 0
    monkeypatch.setattr(indexer, "analyse_in_worker", analyse)

    fresh = tmp_path / "fresh"
    monkeypatch.setenv("WAM_HOME", str(fresh))
    wam("index", lib, "--vision", models["b"], "-q")
    (model, fresh_vecs), = vectors(fresh).items()
    (switched_model, switched), = after.items()
    assert model == switched_model
    conn = sqlite3.connect(fresh / "index.sqlite")
    ids_fresh = dict(conn.execute("SELECT id, shot_id FROM shots"))
    conn = sqlite3.connect(wam_home / "index.sqlite")
    ids_switched = dict(conn.execute("SELECT id, shot_id FROM shots"))
    by_shot = {ids_switched[pk]: v for pk, v in switched.items()}
    for pk, v in fresh_vecs.items():  # the keyframes decoded again are the analysis' own
        assert np.allclose(by_shot[ids_fresh[pk]], v, atol=1e-5)

    monkeypatch.setenv("WAM_HOME", str(wam_home))
    summary = json.loads(wam("index", lib, "--no-vision", "--json", "-q").stdout)
    assert summary["vision"] == "" and vectors(wam_home) == {}
    assert json.loads(wam("libraries", "--json").stdout)["vision"] is None
    assert search("a red bus")


def test_an_interrupted_picture_pass_resumes_where_it_stopped(wam_home, lib, models, monkeypatch):
    from wam.library.store import Store

    wam("index", lib, "-q")
    real = Store.save_image_vectors
    saved = []

    def stop_after_one_clip(self, identity, pks, vecs):
        if saved:
            raise KeyboardInterrupt
        real(self, identity, pks, vecs)
        saved.extend(pks)

    monkeypatch.setattr(Store, "save_image_vectors", stop_after_one_clip)
    r = CliRunner().invoke(cli, ["index", str(lib), "--vision", str(models["a"]), "-q", "-j", "1"])
    assert r.exit_code == 130
    monkeypatch.setattr(Store, "save_image_vectors", real)
    (_, kept), = vectors(wam_home).items()
    assert sorted(kept) == sorted(saved) and 0 < len(kept) < 5
    summary = json.loads(wam("index", lib, "--json", "-q").stdout)  # the index remembers the model
    assert summary["pictured"] == 5 - len(kept)
    (_, done), = vectors(wam_home).items()
    assert len(done) == 5 and all(np.array_equal(done[pk], v) for pk, v in kept.items())


def test_changed_weights_are_refused_until_embedded_again(tmp_path, wam_home, lib, models):
    folder = tmp_path / "my-clip"
    shutil.copytree(models["a"], folder)
    wam("index", lib, "--vision", folder, "-q")
    shutil.copy(models["b"] / "model.safetensors", folder / "model.safetensors")
    r = CliRunner().invoke(cli, ["search", "a cat and a dog"])
    assert r.exit_code == 1 and "changed since the index was made" in r.output and "Traceback" not in r.output
    summary = json.loads(wam("index", lib, "--json", "-q").stdout)
    assert summary["pictured"] == 5
    assert search("a cat and a dog")
    shutil.rmtree(folder)  # the model is gone: the index says how to go on without it
    r = CliRunner().invoke(cli, ["index", str(lib)])
    assert r.exit_code == 1 and "--no-vision" in r.output and len(r.output.strip().splitlines()) == 1
    assert json.loads(wam("index", lib, "--no-vision", "--json", "-q").stdout)["vision"] == ""


def test_a_tiny_siglip_indexes_and_searches(tmp_path, wam_home, lib):
    pytest.importorskip("sentencepiece")
    folder = tiny_siglip(tmp_path / "siglip")
    summary = json.loads(wam("index", lib, "--vision", folder, "--json", "-q").stdout)
    assert summary["vision"] == str(folder)
    (identity, vecs), = vectors(wam_home).items()
    assert identity.startswith("siglip:") and len(vecs) == 5
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vecs.values())
    assert len(search("waves on a sandy beach")) == 5


def test_the_sample_library_with_a_tiny_clip(wam_home, models):
    summary = json.loads(wam("index", SAMPLES, "--vision", models["a"], "--json", "-q").stdout)
    assert summary["failed"] == 0 and summary["shots"] >= 30
    (_, vecs), = vectors(wam_home).items()
    assert len(vecs) == summary["shots"]
    hits = json.loads(wam("search", "rocket launch", "-k", "3", "--json").stdout)
    assert len(hits) == 3
