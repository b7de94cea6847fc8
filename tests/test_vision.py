"""`wam index --vision MODEL` without a model: the calibrated picture evidence, finding and
identifying model folders, a hub that cannot be reached, the schema upgrade and the keyframes
decoded again for stored shots."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import REPO
from media import three_shot_clip, tiny_library
from tables import make_table
from wam.cli import cli
from wam.core.errors import ModelError
from wam.text.candidates import VISION_FULL_Z, VISION_WEIGHT, has_image_vectors, match_scores, vision_evidence
from wam.text.embed.hub import model_digest, model_folder, weight_files


def unit(rows):
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_vision_evidence_is_standardised_per_text():
    rng = np.random.default_rng(0)
    images = unit(rng.normal(size=(40, 8)))
    queries = unit(rng.normal(size=(3, 8)))
    ev = vision_evidence(queries, images)
    assert ev.shape == (3, 40) and ev.min() >= 0 and ev.max() <= VISION_WEIGHT + 1e-6
    cos = queries @ images.T
    # nothing at or below the mean of a text's cosines; more for a higher cosine
    assert np.all(ev[cos <= cos.mean(axis=1, keepdims=True)] == 0)
    for q in range(3):
        order = np.argsort(cos[q])
        assert np.all(np.diff(ev[q][order]) >= -1e-6)
    # a text's evidence depends on how its cosines stand against each other, not on their level
    # or spread (CLIP's cosines sit in a narrow band that differs per text): every picture here
    # has the same component along the last axis, so adding some of that axis to a text and
    # shrinking the rest moves and narrows its cosines (an affine change) and changes nothing
    flat = unit(np.hstack([0.6 * unit(rng.normal(size=(40, 7))), np.full((40, 1), 0.8)]))
    q = np.hstack([queries[:, :7], np.zeros((3, 1))]).astype(np.float32)
    narrow = (0.3 * q + np.array([0, 0, 0, 0, 0, 0, 0, 1.0])).astype(np.float32)
    assert np.ptp(narrow @ flat.T) < 0.5 * np.ptp(q @ flat.T)
    assert np.allclose(vision_evidence(narrow, flat), vision_evidence(q, flat), atol=1e-5)


def test_a_picture_far_above_the_rest_earns_the_whole_weight_and_equal_ones_nothing():
    images = unit(np.eye(4)[[0] + [1] * 30])  # one shot shows what the text says, 30 do not
    ev = vision_evidence(unit([[1, 0, 0, 0]]), images)[0]
    assert ev[0] == pytest.approx(VISION_WEIGHT) and np.all(ev[1:] == 0)
    assert VISION_FULL_Z > 1
    flat = vision_evidence(unit([[0, 0, 1, 0]]), images)[0]  # cosines all equal: no evidence
    assert np.all(flat == 0)


def test_shots_without_an_image_vector_earn_nothing_and_do_not_count():
    images = unit(np.eye(4)[[0, 1, 1, 1, 2]])
    with_gaps = np.vstack([images, np.zeros((3, 4), np.float32)])
    q = unit([[1, 0.2, 0, 0]])
    assert np.allclose(vision_evidence(q, with_gaps)[0, :5], vision_evidence(q, images)[0])
    assert np.all(vision_evidence(q, with_gaps)[0, 5:] == 0)
    assert np.all(vision_evidence(q, np.zeros((4, 4), np.float32)) == 0)


def test_match_scores_add_the_pictures_only_when_the_table_has_them():
    table = make_table(6)
    q = unit(np.ones((1, table.embeddings.shape[1])))
    text_only = match_scores(q, ["x"], table)
    assert not has_image_vectors(table)
    assert np.array_equal(match_scores(q, ["x"], table, image_queries=unit([[1, 0, 0]])), text_only)
    table.image = unit(np.eye(3)[[0, 1, 1, 2, 2, 1]])
    assert has_image_vectors(table)
    iq = unit([[1, 0, 0]])
    both = match_scores(q, ["x"], table, image_queries=iq)
    assert np.allclose(both - text_only, vision_evidence(iq, table.image))
    assert both[0, 0] > text_only[0, 0]
    assert np.array_equal(table.subset(np.array([0, 2])).image, table.image[[0, 2]])


def test_the_weights_transformers_loads_are_the_ones_hashed_and_downloaded():
    laion = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors",
             "pytorch_model.bin"]
    assert weight_files(laion) == ["model.safetensors"]
    assert weight_files(["pytorch_model.bin", "tf_model.h5"]) == ["pytorch_model.bin"]
    shards = ["model.safetensors.index.json", "model-00002-of-00002.safetensors",
              "model-00001-of-00002.safetensors"]
    assert weight_files(shards) == ["model.safetensors.index.json", "model-00001-of-00002.safetensors",
                                    "model-00002-of-00002.safetensors"]
    assert weight_files(["config.json", "flax_model.msgpack"]) == []


def test_a_model_is_identified_by_its_files_and_not_hashed_again_while_they_are_unchanged(tmp_path,
                                                                                           monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "clip"}')
    (folder / "model.safetensors").write_bytes(b"weights" * 100)
    (folder / "README.md").write_text("not part of the model")
    digest, memo = model_digest(folder)
    assert model_digest(folder)[0] == digest
    (folder / "README.md").write_text("edited")
    assert model_digest(folder)[0] == digest
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: reads.append(a[0]) or real_open(*a, **k))
    assert model_digest(folder, memo) == (digest, memo) and not reads  # the memo spares reading the weights
    monkeypatch.undo()
    (folder / "model.safetensors").write_bytes(b"other weights" * 100)
    assert model_digest(folder, memo)[0] != digest


def test_names_that_are_neither_a_folder_nor_a_hub_id_fail_in_one_line(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    for name, says in ((str(tmp_path / "missing"), "no such folder"), ("./nope/model", "no such folder"),
                       (str(tmp_path / "file.txt"), "not a folder"),
                       ("bad id!!", "not a Hugging Face model id")):
        with pytest.raises(ModelError, match=says) as err:
            model_folder(name)
        assert "\n" not in str(err.value)
    assert model_folder(str(tmp_path)) == tmp_path.resolve()


def _wam(args, env_changes, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_ENDPOINT")}
    env.update(env_changes)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "wam", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.slow
@pytest.mark.parametrize("hub", ["refused", "silent", "offline"])
def test_a_hub_model_without_network_is_one_line_naming_the_model(tmp_path, hub):
    lib = tiny_library(tmp_path / "lib")
    env = {"WAM_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
    listener = None
    if hub == "refused":
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{_closed_port()}"
    elif hub == "silent":  # accepts the connection and never answers
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held = []
        threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(8)],
                         daemon=True).start()
        env.update(HF_ENDPOINT=f"http://127.0.0.1:{listener.getsockname()[1]}", HF_HUB_ETAG_TIMEOUT="2")
    else:
        env["HF_HUB_OFFLINE"] = "1"
    try:
        r = _wam(["index", str(lib), "--vision", "some-org/clip-model"], env, tmp_path)
    finally:
        if listener is not None:
            listener.close()
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "'some-org/clip-model'" in lines[0] and "--vision DIR" in lines[0]
    assert not (tmp_path / "hf" / "hub" / "models--some-org--clip-model" / "snapshots").exists()


def test_vision_and_no_vision_together_are_a_usage_error(tmp_path, wam_home):
    r = CliRunner().invoke(cli, ["index", str(tmp_path), "--vision", "x", "--no-vision"])
    assert r.exit_code == 2 and "contradict" in r.output


def test_an_index_of_schema_2_gains_the_image_table_and_keeps_its_shots(tmp_path, wam_home):
    from wam.library.schema import SCHEMA_VERSION
    from wam.library.store import Store

    lib = tiny_library(tmp_path / "lib")
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    conn = sqlite3.connect(wam_home / "index.sqlite")
    conn.execute("DROP TABLE shot_vision")
    for table, column in (("shots", "visual_words"), ("shots", "concepts"), ("shots", "visual"),
                          ("clips", "tagger")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # schema 4's, not in schema 2
    conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with Store.open(wam_home) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) and store.vision is None
        assert store.counts()["shots"] == 5 and store.image_count() == 0
        table = store.shot_table()
        assert table.image.shape == (5, 0) and not has_image_vectors(table)
    hits = json.loads(CliRunner().invoke(cli, ["search", "red bus", "--json"]).stdout)
    assert "red_bus" in hits[0]["source"]


def test_stored_shots_get_back_the_keyframes_of_their_analysis(tmp_path):
    from wam.library.analyse import analyse_clip, shot_keyframes

    path = str(three_shot_clip(tmp_path / "clip.mp4"))
    analysis = analyse_clip(path)
    ranges = [(s.start_frame, s.end_frame) for s in analysis.shots]
    assert len(ranges) == 3
    again = shot_keyframes(path, ranges)
    assert again == [s.keyframes for s in analysis.shots]  # the same JPEG bytes: the same image vectors
    assert shot_keyframes(path, ranges[1:2]) == [analysis.shots[1].keyframes]


def test_a_model_that_is_not_clip_or_siglip_is_refused_in_one_line(tmp_path, wam_home):
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(b"x")
    lib = tmp_path / "lib"
    lib.mkdir()
    r = CliRunner().invoke(cli, ["index", str(lib), "--vision", str(folder)])
    assert r.exit_code == 1 and "a bert model" in r.output and "CLIP or SigLIP" in r.output
    assert len(r.output.strip().splitlines()) == 1
