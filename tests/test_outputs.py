"""Outputs wam refuses to write (``wam.app.outputs.check_output``), atomic writes that fail with one
line, and an index that is read-only or not a folder (issue 13, items 1, 2 and 11)."""

import os
import sqlite3

import pytest

from wam.app.outputs import check_output
from wam.core.errors import OutputError, StoreError, UnsafeOutputError, UsageError
from wam.core.fileio import write_atomic
from wam.library import store as store_module
from wam.library.schema import database_problem
from wam.library.store import Store

ROOT = os.geteuid() == 0  # root writes into read-only folders anyway


@pytest.fixture
def files(tmp_path, wam_home):
    """A story, an indexed library with one clip (in the index in $WAM_HOME), and an output folder."""
    story = tmp_path / "story.txt"
    story.write_text("A cat sleeps.\n")
    lib = tmp_path / "lib"
    (lib / "city").mkdir(parents=True)
    clip = lib / "city" / "towers.mp4"
    clip.write_bytes(b"not really a video, but indexed" * 10)
    (lib / "city" / "towers.txt").write_text("Glass towers at night")
    with Store.open() as store:
        lid = store.library_id(str(lib.resolve()), create=True)
        store.conn.execute(  # a clip row is all check_output reads
            "INSERT INTO clips(library_id, path, size, mtime_ns, "
            "content_hash, sidecar_sig) VALUES (?, ?, ?, 0, 'h', '')",
            (lid, str(clip), clip.stat().st_size))
    out = tmp_path / "out"
    out.mkdir()
    return {"story": story, "lib": lib, "clip": clip, "out": out, "home": wam_home}


def test_an_input_is_refused_however_it_is_named(files, tmp_path, monkeypatch):
    story, out = files["story"], files["out"]
    monkeypatch.chdir(out)
    link = out / "link.txt"
    link.symlink_to(story)
    hard = out / "hard.txt"
    os.link(story, hard)
    for name in (story, "../story.txt", f"{out}/../story.txt", link, hard):
        with pytest.raises(UnsafeOutputError, match="an input of this run"):
            check_output(name, inputs=[str(story)])
    with pytest.raises(UnsafeOutputError, match="an input of this run"):
        # stdin and absent inputs are skipped
        check_output(story, inputs=[None, "-", out / ".." / "story.txt"])
    assert check_output(out / "plan.json", inputs=[story, None, "-"]) == (out / "plan.json").resolve()


def test_nothing_is_written_into_a_library_or_the_index(files, tmp_path):
    lib, clip, out = files["lib"], files["clip"], files["out"]
    for name in (clip, lib / "city" / "towers.txt", lib / "city" / "new.mp4", lib / "new.srt",
                 out / ".." / "lib" / "city" / "towers.mp4"):
        with pytest.raises(UnsafeOutputError, match=f"inside the indexed library {lib.resolve()}"):
            check_output(name)
    door = out / "door"
    door.symlink_to(lib / "city")  # a symlinked folder into the library
    with pytest.raises(UnsafeOutputError, match="inside the indexed library"):
        check_output(door / "towers.mp4")
    alias = out / "alias.mp4"
    alias.symlink_to(clip)
    with pytest.raises(UnsafeOutputError, match="inside the indexed library"):
        check_output(alias)
    twin = out / "twin.mp4"  # a hard link to the clip, outside the library
    os.link(clip, twin)
    with pytest.raises(UnsafeOutputError, match=f"the indexed clip {clip} under another name"):
        check_output(twin)
    with pytest.raises(UnsafeOutputError, match="inside the wam index folder"):
        check_output(files["home"] / "index.sqlite")
    # explicit libraries instead of the index
    assert check_output(clip, libraries=[]) == clip.resolve()
    with pytest.raises(UnsafeOutputError, match="inside the indexed library"):
        check_output(out / "x.mp4", libraries=[out])
    assert isinstance(UnsafeOutputError("x"), UsageError)  # the CLI exits 2


def test_an_unreadable_index_still_protects_the_inputs(files, tmp_path, monkeypatch):
    bad = tmp_path / "bad_home"
    bad.write_text("a file, not a folder")
    monkeypatch.setenv("WAM_HOME", str(bad))
    assert check_output(files["out"] / "x.mp4") == (files["out"] / "x.mp4").resolve()
    with pytest.raises(UnsafeOutputError):
        check_output(files["story"], inputs=[files["story"]])


def test_folders_that_cannot_take_the_output_are_refused_up_front(files, tmp_path):
    out = files["out"]
    with pytest.raises(UsageError, match="the folder .*nodir/sub does not exist"):
        check_output(out / "nodir" / "sub" / "plan.json")
    with pytest.raises(UsageError, match="it is a folder"):
        check_output(out)
    (out / "file").write_text("x")
    with pytest.raises(UsageError, match="is not a folder"):
        check_output(out / "file" / "plan.json")
    if not ROOT:
        ro = out / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(UsageError, match="is read-only"):
            check_output(ro / "plan.json")


def test_write_atomic_failures_are_one_line(tmp_path):
    with pytest.raises(OutputError,
                       match=r"^cannot write .*plan.json: the folder .*nodir/sub does not exist"):
        write_atomic(tmp_path / "nodir" / "sub" / "plan.json", "{}")
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(tmp_path, "{}")
    if not ROOT:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(OutputError, match="no permission to write in"):
            write_atomic(ro / "plan.json", "{}")
    assert not [p for p in tmp_path.rglob("*.part")]


def test_wam_home_that_is_a_file_says_so(tmp_path):
    home = tmp_path / "home"
    home.write_text("oops")
    for create in (True, False):
        with pytest.raises(StoreError,
                           match=f"the index folder {home} is a file, not a folder; set WAM_HOME"):
            Store.open(home, create=create)


def test_a_read_only_index_is_read_and_not_called_damaged(tmp_path, monkeypatch):
    with Store.open(tmp_path) as store:
        store.library_id("/lib", create=True)
    monkeypatch.setattr(store_module, "writable", lambda home, path: False)
    with Store.open(tmp_path, create=False) as store:  # the readers: plan, search, libraries
        assert [lib["root"] for lib in store.libraries()] == ["/lib"]
        assert store.shot_table().shot_ids == []
        with pytest.raises(sqlite3.OperationalError):
            store.conn.execute("INSERT INTO libraries(root) VALUES ('/other')")
    with pytest.raises(StoreError,
                       match=f"the index folder {tmp_path} is read-only; `wam index` must write there"):
        Store.open(tmp_path)  # the writer
    ro = sqlite3.OperationalError("attempt to write a readonly database")
    ro.sqlite_errorname = "SQLITE_READONLY"
    assert "is read-only" in database_problem(ro, tmp_path / "index.sqlite")
    assert "damaged" not in database_problem(ro, tmp_path / "index.sqlite")
    bad = sqlite3.DatabaseError("file is not a database")
    bad.sqlite_errorname = "SQLITE_NOTADB"
    assert "damaged" in database_problem(bad, tmp_path / "index.sqlite")
