"""Static sentence vectors (wam.text.static): unit length, deterministic, near the full model's,
cached apart from them (with their token vectors and, for a model without a shipped map, the
map), the rule that chooses them by the story's number of sentences, and the option through
the CLI, the settings and a batch manifest."""

import json
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import REPO
from wam.core import config
from wam.core.errors import UsageError
from wam.core.settings import PlanSettings
from wam.text import static, textcache
from wam.text.embed import load_encoder, model_location

TEXTS = ["A red bus drives down a busy city street.", "Waves crash on a rocky beach at sunset.",
         "A chef slices vegetables in a small kitchen.", "", "Ünïcödé: 東京の夜, café — naïve",
         "the the the", "word " * 400]


def cached_models(home) -> dict[str, int]:
    with sqlite3.connect(home / textcache.CACHE_FILENAME) as conn:
        return dict(conn.execute("SELECT model, COUNT(*) FROM vectors GROUP BY model").fetchall())


def test_the_rule_depends_on_the_number_of_sentences_alone(monkeypatch):
    monkeypatch.delenv("WAM_STATIC_VECTORS_FROM", raising=False)
    n = config.STATIC_VECTORS_FROM
    assert not static.uses_static("auto", n - 1) and static.uses_static("auto", n)
    assert static.uses_static("static", 1) and not static.uses_static("full", 10 * n)
    monkeypatch.setenv("WAM_STATIC_VECTORS_FROM", "5")
    assert config.static_vectors_from() == 5
    assert not static.uses_static("auto", 4) and static.uses_static("auto", 5)
    monkeypatch.setenv("WAM_STATIC_VECTORS_FROM", "many")  # not a number: the default
    assert config.static_vectors_from() == n
    with pytest.raises(ValueError):
        static.uses_static("fast", 3)
    assert static.static_name("m") != "m" and static.static_name("m").startswith("m#static")
    assert static.static_supported(config.DEFAULT_MODEL)
    assert not static.static_supported("/no/such/model")


def test_settings_check_the_mode():
    assert PlanSettings().sentence_vectors == config.DEFAULT_SENTENCE_VECTORS == "auto"
    assert PlanSettings(sentence_vectors="static").sentence_vectors == "static"
    with pytest.raises(UsageError, match="--sentence-vectors"):
        PlanSettings(sentence_vectors="fast")


@pytest.mark.slow
def test_static_vectors_are_unit_deterministic_and_near_the_full_models(tmp_path):
    bert = load_encoder(None)
    enc = static.StaticEncoder(bert, tmp_path)
    assert static.shipped_map_path(config.DEFAULT_MODEL).is_file()  # the built-in model's map ships
    a = enc.encode(TEXTS)
    assert a.dtype == np.float32 and a.shape == (len(TEXTS), bert.dim)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    # a text's vector does not depend on the texts around it, nor on a fresh encoder and cache
    again = static.StaticEncoder(bert, None).encode(TEXTS[::-1])[::-1]
    assert np.abs(again - a).max() < 1e-5
    assert np.abs(enc.encode(TEXTS[:1]) - a[:1]).max() < 1e-5
    assert enc.encode([]).shape == (0, bert.dim)
    # in the full model's space: each describing sentence is nearest its own full vector
    full = bert.encode(TEXTS[:3])
    cos = a[:3] @ full.T
    assert (cos.argmax(axis=1) == np.arange(3)).all() and np.diag(cos).min() > 0.6
    # the static vector is not the full model's (it must never be cached as one)
    assert np.abs(a[:3] - full).max() > 0.05


@pytest.mark.slow
def test_static_vectors_and_token_vectors_are_cached_apart_from_the_full_models(tmp_path, monkeypatch):
    bert = load_encoder(None)
    enc = static.StaticEncoder(bert, tmp_path)
    texts = TEXTS[:3]
    full, computed = textcache.cached_encode(bert, texts, tmp_path)
    assert computed == 3
    fast, computed = textcache.cached_encode(enc, texts, tmp_path)
    assert computed == 3  # the full model's vectors of the same texts are not taken
    models = cached_models(tmp_path)
    assert models[bert.name] == 3 and models[static.static_name(bert.name)] == 3
    tokens = models[f"{bert.name}#tokens{static.VERSION}"]
    assert tokens == len({t for x in bert.token_ids(texts) for t in x[1:-1]})
    # a new encoder (another run) reads the token vectors from the cache, never the model
    monkeypatch.setattr(static.StaticEncoder, "_compute_tokens",
                        lambda self, tokens: pytest.fail("token vectors computed again"))
    again = static.StaticEncoder(bert, tmp_path).encode(texts)
    assert np.abs(again - fast).max() < 1e-6
    assert np.abs(textcache.cached_encode(bert, texts, tmp_path)[0] - full).max() == 0


@pytest.mark.slow
def test_another_models_map_is_fitted_once_and_kept_in_the_cache(tmp_path, monkeypatch):
    src = model_location(config.DEFAULT_MODEL)
    folder = tmp_path / "my-minilm"
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(f"{src}/model.safetensors")
    monkeypatch.setattr(static, "DISTILL_TEXTS", 300)
    bert = load_encoder(str(folder))
    assert not static.shipped_map_path(bert.name).exists()
    fitted = []
    real_fit = static.StaticEncoder.fit_map

    def counting_fit(self, n=None):
        fitted.append(1)
        return real_fit(self, 300)

    monkeypatch.setattr(static.StaticEncoder, "fit_map", counting_fit)
    home = tmp_path / "home"
    home.mkdir()
    a = static.StaticEncoder(bert, home).encode(TEXTS[:3])
    b = static.StaticEncoder(bert, home).encode(TEXTS[:3])
    assert fitted == [1] and np.abs(a - b).max() < 1e-6
    assert cached_models(home)[f"{bert.name}#static-map{static.VERSION}"] == 1
    # the pseudo-sentences it is fitted on come from the vocabulary, the same every time
    enc = static.StaticEncoder(bert, None)
    assert enc.distill_texts(5) == enc.distill_texts(5) and len(enc.distill_texts(5)) == 5


def test_a_model_without_token_outputs_has_no_static_vectors():
    from wam.core.errors import ModelError

    class Plain:
        name, dim = "plain", 4

        def encode(self, texts):
            return np.zeros((len(texts), 4), np.float32)

    with pytest.raises(ModelError, match="--sentence-vectors full"):
        static.StaticEncoder(Plain())


def story_of(n: int) -> str:
    scenes = ["A green forest glows in the morning.", "The blue sea rolls under a grey sky.",
              "Tall trees stand in the green forest.", "Blue waves break on the shore."]
    return " ".join(f"{scenes[i % 4][:-1]} on day {i}." for i in range(n)) + "\n"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A WAM_HOME with two tiny clips indexed."""
    from media import BLUE, GREEN, write_clip

    base = tmp_path_factory.mktemp("static")
    lib, home = base / "lib", base / "home"
    write_clip(lib / "green_forest.mp4", [(GREEN, 4.0)])
    write_clip(lib / "blue_sea.mp4", [(BLUE, 4.0)])
    env = {**__import__("os").environ, "WAM_HOME": str(home), "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "wam", "index", str(lib), "-q"], env=env, check=True)
    return base, home


def run_plan(home, story, *args, threshold=None):
    import os

    env = {**os.environ, "WAM_HOME": str(home), "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    env.pop("WAM_STATIC_VECTORS_FROM", None)
    if threshold is not None:
        env["WAM_STATIC_VECTORS_FROM"] = str(threshold)
    return subprocess.run([sys.executable, "-m", "wam", "plan", str(story), "--json", *args], env=env,
                          capture_output=True, text=True)


def cuts(plan_json: str) -> list:
    plan = json.loads(plan_json)
    return [(c["shot_id"], c["start_frame"], c["frames"]) for s in plan["sentences"] for c in s["cuts"]]


@pytest.mark.slow
def test_a_story_just_over_the_threshold_is_planned_with_static_vectors_whatever_is_cached(indexed, tmp_path):
    base, home = indexed
    story = tmp_path / "story.txt"
    story.write_text(story_of(7))
    fresh = tmp_path / "fresh"
    shutil.copytree(home, fresh)
    # the full model's vectors of every sentence are in the cache first …
    full = run_plan(home, story, "--sentence-vectors", "full", threshold=7)
    assert full.returncode == 0, full.stderr
    assert "static" not in full.stderr
    # … yet a story of 7 sentences, at a threshold of 7, gets static vectors: one line says so
    r = run_plan(home, story, threshold=7)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if "static token vectors" in line]
    assert len(lines) == 1 and "7 sentences" in lines[0] and "--sentence-vectors full" in lines[0]
    assert static.static_name(config.DEFAULT_MODEL) in cached_models(home)
    # the same cut as from an empty cache, and again once the static vectors are cached
    first = run_plan(fresh, story, threshold=7)
    assert first.returncode == 0, first.stderr
    assert cuts(first.stdout) == cuts(r.stdout) == cuts(run_plan(fresh, story, threshold=7).stdout)
    # one sentence fewer than the threshold: the full model, and its cut
    below = run_plan(home, story, threshold=8)
    assert "static" not in below.stderr and cuts(below.stdout) == cuts(full.stdout)
    # forced either way, whatever the threshold
    forced = run_plan(home, story, "--sentence-vectors", "static", threshold=100)
    assert "static token vectors" in forced.stderr and cuts(forced.stdout) == cuts(r.stdout)
    assert "static" not in run_plan(home, story, "--sentence-vectors", "full", "-q", threshold=1).stderr


@pytest.mark.slow
def test_the_option_through_the_cli_and_a_batch_manifest(indexed, tmp_path, monkeypatch):
    from wam.cli import cli

    base, home = indexed
    monkeypatch.setenv("WAM_HOME", str(home))
    monkeypatch.delenv("WAM_STATIC_VECTORS_FROM", raising=False)
    story = tmp_path / "story.txt"
    story.write_text(story_of(4))
    r = CliRunner().invoke(cli, ["plan", str(story), "--json", "--sentence-vectors", "static"])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("static token vectors") == 1
    r = CliRunner().invoke(cli, ["plan", str(story), "--sentence-vectors", "fast"])
    assert r.exit_code == 2 and "fast" in r.stderr
    monkeypatch.setattr(config, "STATIC_VECTORS_FROM", 4)  # the threshold, read when the story is planned
    r = CliRunner().invoke(cli, ["plan", str(story), "--json"])
    assert r.exit_code == 0 and "static token vectors" in r.stderr
    # a manifest line takes the option as the command does; its note goes to the job's warnings
    out = tmp_path / "out"
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({"story": str(story), "sentence-vectors": "full"}) + "\n"
                        + json.dumps({"story": str(story), "output": "b.json", "sentence-vectors": "static"})
                        + "\n")
    r = CliRunner().invoke(cli, ["plan", "--manifest", str(manifest), "-o", f"{out}/", "--json"])
    assert r.exit_code == 0, r.output
    jobs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    by_output = {j["output"].rsplit("/", 1)[-1]: j for j in jobs}
    assert not any("static" in w for w in by_output["story.json"]["warnings"])
    assert any("static token vectors" in w for w in by_output["b.json"]["warnings"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"story": str(story), "sentence-vectors": "fast"}) + "\n")
    assert CliRunner().invoke(cli, ["plan", "--manifest", str(bad), "-o", f"{out}/"]).exit_code == 2


@pytest.mark.slow
def test_the_static_encoder_in_a_child_process_gives_the_same_vectors(tmp_path):
    """``wam render`` (and a batch, and the studio) embed in a child process: the same vectors,
    under the static name, with the token vectors kept in the cache of the folder it is given."""
    bert = load_encoder(None)
    with static.StaticProcess(None, bert.dim, tmp_path) as child:
        assert child.name == static.static_name(config.DEFAULT_MODEL)
        got = child.encode(TEXTS[:3])
    assert np.abs(got - static.StaticEncoder(bert, None).encode(TEXTS[:3])).max() < 1e-5
    assert f"{config.DEFAULT_MODEL}#tokens{static.VERSION}" in cached_models(tmp_path)
    with static.StaticProcess("/no/such/model", bert.dim, None) as child:
        with pytest.raises(Exception, match="model"):
            child.encode(["x"])
