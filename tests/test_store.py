import sqlite3

import numpy as np
import pytest

from wam.core.errors import IndexBusyError, StoreError
from wam.core.types import AnalysedShot, ClipAnalysis, ShotFeatures
from wam.library.describe import ShotDescription
from wam.library.features import HIST_SIZE
from wam.library.schema import SCHEMA_VERSION
from wam.library.store import Store, shot_key


def features(scale="wide") -> ShotFeatures:
    return ShotFeatures(
        brightness=0.5, colourfulness=0.3, sharpness=0.8, motion=0.1, camera_dx=0.0, camera_dy=0.0,
        camera_zoom=0.0, camera_motion="static", shake=0.0, face_count=0, face_size=0.0, face_x=None,
        face_y=None, scale=scale, quality=0.9, histogram=np.full(HIST_SIZE, 1 / HIST_SIZE, np.float32),
    )


def analysis(path: str, n: int = 2) -> ClipAnalysis:
    shots = tuple(AnalysedShot(i, i * 25, (i + 1) * 25, i * 1.0, i + 1.0, features(), (b"\xff\xd8jpeg",))
                  for i in range(n))
    return ClipAnalysis(path, float(n), 25.0, 160, 96, n * 25, shots)


def save(store, lib, path, digest="ab" * 16, model="m1", dim=4):
    a = analysis(path)
    descs = [ShotDescription(human="a red bus", names=("street",), labels=(("trolleybus", 0.5),))] * 2
    vecs = np.eye(2, dim, dtype=np.float32)
    return store.save_clip(library_id=lib, path=path, size=10, mtime_ns=1, content_hash=digest,
                           sidecar_sig="none", analysis=a, descriptions=descs, embeddings=vecs, model=model)


def test_roundtrip_and_table(tmp_path):
    with Store.open(tmp_path) as store:
        lib = store.library_id("/lib", create=True)
        save(store, lib, "/lib/a.mp4")
        assert store.model == "m1"
        t = store.shot_table()
        assert t.shot_ids == [shot_key("ab" * 16, 0), shot_key("ab" * 16, 1)]
        assert t.embeddings.shape == (2, 4) and t.embeddings[1, 1] == 1
        words = store.word_index(["bus", "street", "trolleybu", "red"], t)
        assert {w: list(r) for w, r in words.human.items()} == {"bus": [0, 1], "red": [0, 1]}
        assert {w: list(r) for w, r in words.machine.items()} == {"street": [0, 1], "trolleybu": [0, 1]}
        assert store.descriptions([t.shot_ids[0]]) == {t.shot_ids[0]: "a red bus. street. trolleybus."}
        assert store.libraries()[0]["shots"] == 2
        assert store.integrity_check() == "ok"
        with pytest.raises(StoreError, match="not 'm2'"):
            save(store, lib, "/lib/b.mp4", digest="cd" * 16, model="m2")
        assert store.counts() == {"clips": 1, "shots": 2}  # the failed save rolled back


def test_replacing_a_clip_replaces_its_shots(tmp_path):
    with Store.open(tmp_path) as store:
        lib = store.library_id("/lib", create=True)
        save(store, lib, "/lib/a.mp4")
        save(store, lib, "/lib/a.mp4", digest="ef" * 16)
        assert store.counts() == {"clips": 1, "shots": 2}
        store.delete_clip(store.clips_under(lib)["/lib/a.mp4"].id)
        assert store.counts() == {"clips": 0, "shots": 0}
        assert store.conn.execute("SELECT COUNT(*) FROM words").fetchone()[0] == 0


def test_lock_is_exclusive(tmp_path):
    with Store.open(tmp_path) as a, Store.open(tmp_path) as b:
        with a.lock():
            with pytest.raises(IndexBusyError, match="another `wam index`"):
                with b.lock():
                    pass
        with b.lock():
            pass


def test_damaged_and_newer_index_give_clear_errors(tmp_path):
    (tmp_path / "index.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="damaged"):
        Store.open(tmp_path)
    other = tmp_path / "newer"
    with Store.open(other):
        pass
    with sqlite3.connect(other / "index.sqlite") as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer wam"):
        Store.open(other)


def test_open_without_create_does_not_make_files(tmp_path):
    with Store.open(tmp_path / "nothing", create=False) as s:
        assert s.counts() == {"clips": 0, "shots": 0}
    assert not (tmp_path / "nothing").exists()


def test_index_uses_wal(tmp_path):
    with Store.open(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / "index.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_column_cache_follows_every_change(tmp_path):
    with Store.open(tmp_path) as store:
        lib = store.library_id("/lib", create=True)
        other = store.library_id("/other", create=True)
        save(store, lib, "/lib/a.mp4")
        assert store.shot_table().sources == ["/lib/a.mp4"] * 2
        assert len(list((tmp_path / "cache").iterdir())) == 1
        store.move_clip(store.clips_under(lib)["/lib/a.mp4"].id, library_id=other, path="/other/b.mp4",
                        size=10, mtime_ns=2)
        assert store.shot_table().sources == ["/other/b.mp4"] * 2
        assert len(store.shot_table([lib])) == 0 and len(store.shot_table([other])) == 2
        save(store, lib, "/lib/c.mp4", digest="cd" * 16)
        t = store.shot_table()
        assert len(t) == 4 and list(t.pks) == sorted(t.pks)
        assert len(list((tmp_path / "cache").iterdir())) == 1  # older generations removed
    with Store.open(tmp_path) as again:  # a new process reads the same cache
        assert again.shot_table().shot_ids == t.shot_ids
        assert again.shot_table().embeddings.shape == (4, 4)


def test_word_index_from_cache_and_subsets(tmp_path):
    with Store.open(tmp_path) as store:
        lib = store.library_id("/lib", create=True)
        other = store.library_id("/other", create=True)
        save(store, lib, "/lib/a.mp4")
        save(store, other, "/other/b.mp4", digest="cd" * 16)
        full = store.shot_table()
        wi = store.word_index(["bus", "street", "nothing"], full)
        assert list(wi.human["bus"]) == [0, 1, 2, 3] and list(wi.machine["street"]) == [0, 1, 2, 3]
        assert "nothing" not in wi.human and "bus" not in wi.machine
        sub = store.shot_table([other])
        assert list(store.word_index(["bus"], sub).human["bus"]) == [0, 1]
    with Store.open(tmp_path) as again:  # from the on-disk cache
        assert list(again.word_index(["bus"], again.shot_table([lib])).human["bus"]) == [0, 1]


def test_library_ids_and_forgetting_a_library(tmp_path):
    from wam.core.errors import LibraryNotIndexedError

    (tmp_path / "lib").mkdir()
    with Store.open(tmp_path / "home") as store:
        lib = store.library_id(str(tmp_path / "lib"), create=True)
        save(store, lib, str(tmp_path / "lib" / "a.mp4"))
        assert store.library_ids(None) is None and store.library_ids([]) is None
        assert store.library_ids([str(tmp_path / "lib" / ".." / "lib")]) == [lib]
        with pytest.raises(LibraryNotIndexedError, match="wam index"):
            store.library_ids([str(tmp_path)])
        assert [x["clips"] for x in store.libraries(lib)] == [1]
        assert len(store.shot_table()) == 2
        store.forget_library(lib)
        assert store.libraries() == [] and store.counts() == {"clips": 0, "shots": 0}
        assert len(store.shot_table()) == 0  # the column cache follows
