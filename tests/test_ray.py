"""Ray scale-out on a real local cluster (``ray.init(num_cpus=2)``): an index analysed by
Ray tasks equals a local index (same shots, same embeddings), with the clips read in place
or sent as object refs; a batch rendered by Ray tasks writes the same videos as a local
batch. Needs ``pip install 'wam[ray]'`` (CI installs it)."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from media import BLUE, GREEN, RED, YELLOW, write_clip
from wam.cli import cli

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster for the module: wam's --ray finds it connected and uses it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    lib = tmp_path_factory.mktemp("raylib") / "lib"
    write_clip(lib / "street" / "red_bus.mp4", [(RED, 1.5), (BLUE, 1.5, 0.3)])
    write_clip(lib / "beach" / "sandy_beach.mp4", [(BLUE, 2.0), (GREEN, 1.5)])
    write_clip(lib / "forest" / "quiet_forest.mp4", [(GREEN, 2.0), (YELLOW, 1.0)])
    (lib / "street" / "red_bus.txt").write_text("A red bus drives down a city street")
    (lib / "broken.mp4").write_bytes(b"not a video at all")
    return lib


def shots(home):
    with sqlite3.connect(home / "index.sqlite") as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT s.shot_id, c.path, s.start_frame, s.end_frame, s.features, s.histogram, s.labels, "
            "s.embedding, s.thumb FROM shots s JOIN clips c ON s.clip_id = c.id")}


def assert_same_shots(got: dict, want: dict) -> None:
    """The same shots, frames, features, thumbnails and label names; the model outputs (label
    probabilities, text embeddings) equal to float rounding: the Ray run's models use one torch
    thread where the local run's use every core, which changes the last bits of a sum."""
    import numpy as np

    assert got.keys() == want.keys()
    for shot_id, row in got.items():
        other = want[shot_id]
        # path, frames, features, histogram; thumbnail
        assert row[:5] == other[:5] and row[7] == other[7], shot_id
        labels, other_labels = json.loads(row[5]), json.loads(other[5])
        assert [name for name, _ in labels] == [name for name, _ in other_labels], shot_id
        assert np.allclose([p for _, p in labels], [p for _, p in other_labels], atol=2e-3), shot_id
        assert np.allclose(np.frombuffer(row[6], np.float32), np.frombuffer(other[6], np.float32),
                           atol=1e-5), shot_id


def index(lib, home, monkeypatch, *extra):
    monkeypatch.setenv("WAM_HOME", str(home))
    r = CliRunner().invoke(cli, ["index", str(lib), "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.slow
def test_a_ray_index_equals_a_local_index(cluster, clips, tmp_path, monkeypatch):
    from wam.core import cluster as wam_cluster
    from wam.library import ray_analysis as remote

    local = index(clips, tmp_path / "local", monkeypatch, "-j", "1")
    on_ray = index(clips, tmp_path / "ray", monkeypatch, "--ray")
    assert ((on_ray["clips"], on_ray["shots"], on_ray["failed"]) == (local["clips"], local["shots"], 1)
            == (3, 6, 1))
    assert [f["path"] for f in on_ray["failures"]] == [str(clips / "broken.mp4")]
    want = shots(tmp_path / "local")
    assert_same_shots(shots(tmp_path / "ray"), want)
    # every node of this cluster reads the library in place; a node that cannot is sent the bytes
    assert wam_cluster.readable_everywhere([str(p) for p in clips.rglob("*.mp4")])
    bus = clips / "street" / "red_bus.mp4"
    assert not wam_cluster.files_present([(str(bus), bus.stat().st_size + 1)])  # another file of that name
    assert not wam_cluster.files_present([(str(tmp_path / "gone.mp4"), 1)])
    monkeypatch.setattr(remote, "readable_everywhere", lambda paths: False)
    index(clips, tmp_path / "sent", monkeypatch, "--ray")
    assert_same_shots(shots(tmp_path / "sent"), want)
    # incremental as always: a second Ray run has nothing to analyse
    again = index(clips, tmp_path / "ray", monkeypatch, "--ray")
    assert (again["indexed"], again["skipped"]) == (0, 3)


@pytest.mark.slow
def test_a_ray_batch_writes_the_same_videos_as_a_local_batch(cluster, clips, tmp_path, monkeypatch):
    from wam.batch import ray_render as remote

    index(clips, tmp_path / "home", monkeypatch)
    (tmp_path / "bus.txt").write_text("A red bus drives down the street. The forest is green.\n")
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({"story": "bus.txt", "output": "bus.mp4"}) + "\n"
                        + json.dumps({"text": "Waves roll onto a sandy beach.", "output": "beach.mp4",
                                      "resolution": "128x72"}) + "\n")
    small = ["--resolution", "160x96", "--preset", "ultrafast", "--fps", "10", "--threads", "1"]
    results = {}
    for name, extra in (("local", []), ("ray", ["--ray"]), ("sent", ["--ray"])):
        if name == "sent":  # as on a cluster without a shared file system: clips go as object refs
            monkeypatch.setattr(remote, "readable_everywhere", lambda paths: False)
        out = tmp_path / name
        out.mkdir()
        for f in ("bus.mp4", "beach.mp4"):
            (out / f).unlink(missing_ok=True)
        m = out / "jobs.jsonl"
        m.write_text(manifest.read_text().replace('"bus.txt"', json.dumps(str(tmp_path / "bus.txt"))))
        r = CliRunner().invoke(cli, ["render", "--manifest", str(m), "--json", *small, *extra])
        assert r.exit_code == 0, r.output
        assert sorted(json.loads(x)["status"] for x in r.stdout.splitlines()) == ["ok", "ok"]
        results[name] = {f: (out / f).read_bytes() for f in ("bus.mp4", "beach.mp4")}
    assert results["ray"] == results["local"] and results["sent"] == results["local"]
    assert all(len(v) > 1000 for v in results["local"].values())
