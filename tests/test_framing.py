"""The jump-cut measure on real frames, and what the index stores for it."""

import sqlite3
import subprocess

import numpy as np
import pytest

from conftest import SAMPLES
from media import BLUE, GREEN, RED, ffmpeg_exe, write_clip
from wam.library.framing import (
    clip_jump_pairs,
    framing_similarity,
    signature,
    thumbnail,
    thumbnail_similarity,
)

pytestmark = pytest.mark.slow


def gray_frame(path, t: float, width: int = 320) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
                          "-vf", f"scale={width}:-2", "-pix_fmt", "gray", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, width)


def test_same_framing_is_a_jump_different_shots_of_one_clip_are_not():
    plaza = SAMPLES / "street" / "pedestrians_walking_plaza.mp4"  # one static camera for 24 s
    a, b = signature(gray_frame(plaza, 1.0)), signature(gray_frame(plaza, 12.0))
    assert framing_similarity(a, b) > 0.4  # the same framing later on: cutting there is a jump cut
    cat = SAMPLES / "animals" / "cat_chelsea.mp4"  # wide, medium and close-up shots of one photo
    shots = [signature(gray_frame(cat, t)) for t in (1.2, 3.6, 6.0)]
    for i in range(3):
        for j in range(3):
            if i != j:
                assert framing_similarity(shots[i], shots[j]) < 0.05  # a real cut: wide → medium → close-up
    traffic = SAMPLES / "street" / "city_traffic.mp4"  # two camera angles
    assert framing_similarity(signature(gray_frame(traffic, 0.5)), signature(gray_frame(traffic, 3.0))) < 0.05


def test_thumbnails_and_blank_frames():
    flat = np.full((90, 160), 128, np.uint8)
    assert not thumbnail(flat).any()
    assert framing_similarity(signature(flat), signature(flat)) == 0.0
    frame = gray_frame(SAMPLES / "space" / "rocket_launch.mp4", 1.0)
    t = thumbnail(frame)
    assert thumbnail_similarity(t, t)[0, 0] == pytest.approx(1.0, abs=0.01)
    assert thumbnail_similarity(t, thumbnail(255 - frame))[0, 0] < -0.9


def test_clip_pairs_list_only_jumps():
    plaza = SAMPLES / "street" / "pedestrians_walking_plaza.mp4"
    frames = [gray_frame(plaza, t) for t in (1.0, 8.0, 16.0)]
    sigs = [signature(f) for f in frames]
    thumbs = np.stack([thumbnail(f) for f in frames])
    pairs = clip_jump_pairs(sigs, sigs, thumbs)
    assert {(a, b) for a, b, _ in pairs} == {(a, b) for a in range(3) for b in range(3) if a != b}
    cat = SAMPLES / "animals" / "cat_chelsea.mp4"
    frames = [gray_frame(cat, t) for t in (1.2, 3.6, 6.0)]
    sigs = [signature(f) for f in frames]
    assert clip_jump_pairs(sigs, sigs, np.stack([thumbnail(f) for f in frames])) == []


def test_index_stores_framing_and_upgrades_an_old_index(tmp_path, wam_home):
    from click.testing import CliRunner

    from wam.cli import cli
    from wam.library.store import Store

    lib = tmp_path / "lib"
    write_clip(lib / "a.mp4", [(RED, 1.2), (BLUE, 1.0), (GREEN, 1.4)])
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    with Store.open(create=False) as store:
        t = store.shot_table()
        assert t.thumbs is not None and t.thumbs.shape == (3, 144) and t.thumbs.any(axis=1).all()
        assert t.framing_known.all()
    # an index written by schema 1 (the previous release): upgraded in place, readable at
    # once (old clips have no framing yet), and the next `wam index` analyses them again
    _as_schema_one(wam_home / "index.sqlite")
    with Store.open(create=False) as store:
        t = store.shot_table()
        assert len(t) == 3 and not t.framing_known.any()
    r = CliRunner().invoke(cli, ["index", str(lib), "--json", "-q"])
    assert r.exit_code == 0
    assert '"indexed": 1' in r.stdout
    with Store.open(create=False) as store:
        assert store.shot_table().framing_known.all()


def _as_schema_one(path):
    """Rewrite the index as the previous release wrote it: schema 1, without thumbnails,
    analysis versions or jump-cut pairs."""
    import shutil

    from wam.library.schema import SCHEMA

    old_ddl = (SCHEMA.replace(",\n    analysis INTEGER NOT NULL DEFAULT 1", "")
               .replace(",\n    thumb BLOB", "")
               .replace(",\n    tagger TEXT NOT NULL DEFAULT 'lite0'", "")
               .replace(",\n    visual_words TEXT NOT NULL DEFAULT '[]',\n    "
                        "concepts TEXT NOT NULL DEFAULT '[]',\n    visual BLOB", ""))
    old_ddl = (old_ddl[: old_ddl.index("CREATE TABLE IF NOT EXISTS shot_pairs")]
               + old_ddl[old_ddl.index("CREATE TABLE IF NOT EXISTS failures"):])
    assert "thumb" not in old_ddl and "analysis" not in old_ddl and "shot_pairs" not in old_ddl
    assert "visual" not in old_ddl and "concepts" not in old_ddl and "tagger" not in old_ddl
    new = path.with_name("old.sqlite")
    conn = sqlite3.connect(new)
    conn.executescript(old_ddl)
    conn.execute("ATTACH DATABASE ? AS cur", (str(path),))
    for table in ("meta", "libraries", "clips", "shots", "words", "failures"):
        cols = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
        names = ", ".join(f'"{c}"' for c in cols)
        conn.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM cur.{table}")
    conn.execute("UPDATE main.meta SET value='1' WHERE key='schema_version'")
    conn.commit()
    conn.execute("DETACH DATABASE cur")
    conn.close()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.move(new, path)
