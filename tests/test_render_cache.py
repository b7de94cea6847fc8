"""The incremental render's bookkeeping without media: segment keys (what re-encodes after an
edit), the render cache (checksums, partial files, LRU cap, previous plans), change reports
for ``--watch``, and the ``wam cache`` command."""

import json
import os
import time

from click.testing import CliRunner

from wam.cli import cli
from wam.core.timeline import Cut, SentenceSpan, Timeline
from wam.render.renderer import RenderOptions
from wam.render.segment_cache import RenderCache
from wam.render.segments import _file_identity, plan_segments
from wam.render.story_changes import describe_recut, file_changes, recut_sentences

FPS = 25


def timeline(specs, src="/nowhere/a.mp4"):
    """specs: [(text, paragraph, source_in, seconds)] → one cut per sentence."""
    sentences, start = [], 0
    for i, (text, para, t_in, seconds) in enumerate(specs):
        n = round(seconds * FPS)
        cut = Cut(f"s{i}", src, t_in, t_in + seconds, start, n, FPS, 0.5)
        sentences.append(SentenceSpan(i, text, start, n, FPS, para, [cut]))
        start += n
    return Timeline(FPS, 320, 180, sentences)


STORY = [("One.", 0, 0.0, 2.0), ("Two.", 0, 2.0, 2.0), ("Three.", 0, 4.0, 2.0), ("Four.", 1, 6.0, 2.0),
         ("Five.", 1, 8.0, 2.0), ("Six.", 1, 10.0, 2.0)]
OPTS = RenderOptions(width=320, height=180, fade=0.5, crossfade=0.4)


def keys(specs, opts=OPTS):
    return [s.key for s in plan_segments(timeline(specs), opts)]


def test_an_edit_changes_only_the_keys_of_what_it_changes():
    base = keys(STORY)
    assert len(set(base)) == len(base)
    reworded = list(STORY)
    reworded[4] = ("Five, reworded.", 1, 8.0, 2.0)
    assert [a == b for a, b in zip(base, keys(reworded))] == [True, True, True, True, False, True]
    recut = list(STORY)
    recut[1] = ("Two.", 0, 3.0, 2.0)  # same text, another source range
    assert [a == b for a, b in zip(base, keys(recut))] == [True, False, True, True, True, True]
    # the first cut of a paragraph is shown in the cross-fade at the end of the one before
    recut[3] = ("Four.", 1, 20.0, 2.0)
    assert [a == b for a, b in zip(base, keys(recut))] == [True, False, False, False, True, True]


def test_a_sentence_that_only_moved_keeps_its_key_unless_it_is_in_a_fade():
    base = keys(STORY)
    inserted = STORY[:2] + [("New.", 0, 30.0, 1.6)] + STORY[2:]
    after = keys(inserted)
    assert after[:2] == base[:2] and after[3:5] == base[2:4]
    assert after[5] == base[4]
    deleted = STORY[:1] + STORY[2:]
    assert keys(deleted)[1:4] == base[2:5]
    # the last sentence is in the fade to black: its key is the same only at the same distance from the end
    assert keys(deleted)[-1] == base[-1]
    longer = STORY + [("Seven.", 1, 12.0, 0.2)]
    assert keys(longer)[5] != base[5]


def test_picture_options_change_every_key_and_audio_options_none():
    base = keys(STORY)
    from dataclasses import replace

    assert all(a != b for a, b in zip(base, keys(STORY, replace(OPTS, crf=30))))
    assert all(a != b for a, b in zip(base, keys(STORY, replace(OPTS, subtitles=False))))
    assert keys(STORY, replace(OPTS, music="/x/bed.mp3", keep_audio=True, threads=1, progress=True)) == base


def test_a_changed_source_file_changes_the_keys_of_its_cuts(tmp_path):
    src = tmp_path / "a.mp4"
    src.write_bytes(b"x" * 10)
    first = [s.key for s in plan_segments(timeline(STORY, str(src)), OPTS)]
    src.write_bytes(b"y" * 11)
    assert all(a != b for a, b in zip(first, [s.key for s in plan_segments(timeline(STORY, str(src)), OPTS)]))


def test_a_source_replaced_with_the_same_size_and_mtime_changes_the_keys(tmp_path):
    src = tmp_path / "a.mp4"
    src.write_bytes(b"x" * 10)
    os.utime(src, ns=(1_000_000_000, 1_000_000_000))
    first = [s.key for s in plan_segments(timeline(STORY, str(src)), OPTS)]
    assert first == [s.key for s in plan_segments(timeline(STORY, str(src)), OPTS)]
    src.write_bytes(b"y" * 10)  # other footage, same size, its mtime set back
    os.utime(src, ns=(1_000_000_000, 1_000_000_000))
    _file_identity.cache_clear()  # as in the next wam run, which finds the old segments in the render cache
    assert all(a != b for a, b in zip(first, [s.key for s in plan_segments(timeline(STORY, str(src)), OPTS)]))


def fake_segment(cache: RenderCache, key: str, size: int) -> None:
    part = cache.part_path(key)
    part.write_bytes(os.urandom(size))
    cache.add_segment(key, part, frames=10)


def test_cache_finds_complete_segments_and_rebuilds_damaged_or_partial_ones(tmp_path):
    cache = RenderCache(tmp_path / "c").ensure()
    fake_segment(cache, "good", 1000)
    fake_segment(cache, "flipped", 1000)
    fake_segment(cache, "short", 1000)
    assert cache.segment("good", 10) is not None
    assert cache.segment("good", 11) is None  # another frame count: not this segment
    video = cache.segments / "flipped.mp4"
    data = bytearray(video.read_bytes())
    data[500] ^= 0xFF
    video.write_bytes(bytes(data))
    assert cache.segment("flipped", 10) is None and not video.exists()
    with open(cache.segments / "short.mp4", "r+b") as f:
        f.truncate(600)
    assert cache.segment("short", 10) is None
    (cache.segments / "orphan.mp4").write_bytes(b"half an encode")  # no sidecar: never completed
    assert cache.segment("orphan", 10) is None
    assert cache.stats().segments == 0  # "good" was dropped on the frame-count miss: sizes never lie


def test_stale_part_files_of_dead_processes_are_removed(tmp_path):
    import subprocess
    import sys

    cache = RenderCache(tmp_path / "c").ensure()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True)
    pid = int(dead.stdout)
    stale = cache.segments / f".abc.{pid}.part.mp4"
    stale.write_bytes(b"x")
    mine = cache.part_path("def")
    mine.write_bytes(b"y")
    (cache.work_root / f"render.{pid}").mkdir()
    cache.remove_stale()
    assert not stale.exists() and mine.exists() and not (cache.work_root / f"render.{pid}").exists()


def test_lru_eviction_keeps_the_cache_under_its_cap(tmp_path):
    cache = RenderCache(tmp_path / "c", max_bytes=3500).ensure()
    for i, key in enumerate("abcde"):
        fake_segment(cache, key, 1000)
        side = cache.segments / f"{key}.json"
        os.utime(side, (time.time() - 100 + i, time.time() - 100 + i))
    assert cache.segment("a", 10) is not None  # used just now: the most recent
    cache.evict()
    left = sorted(p.stem for p in cache.segments.glob("*.json"))
    assert left == ["a", "d", "e"]
    assert cache.stats().bytes <= 3500


def test_previous_plan_is_kept_per_output(tmp_path):
    cache = RenderCache(tmp_path / "c").ensure()
    tl = timeline(STORY)
    assert cache.previous_plan(tmp_path / "out.mp4") is None
    cache.save_plan(tmp_path / "out.mp4", tl)
    got = cache.previous_plan(tmp_path / "sub" / ".." / "out.mp4")
    assert got is not None and [s.text for s in got.sentences] == [s.text for s in tl.sentences]
    assert cache.previous_plan(tmp_path / "other.mp4") is None
    next(cache.plans.glob("*.json")).write_text("{broken")
    assert cache.previous_plan(tmp_path / "out.mp4") is None


def test_recut_sentences_matches_by_text():
    old = timeline(STORY)
    new = timeline(STORY[:2] + [("Inserted.", 0, 40.0, 1.0)] + STORY[2:4]
                   + [("Five!", 1, 8.0, 2.0), STORY[5]])
    assert recut_sentences(old, new) == [2, 5]
    assert recut_sentences(None, new) == list(range(7))
    assert recut_sentences(old, old) == []
    assert describe_recut([2, 5], 7) == "sentences 3, 6 of 7 re-cut"
    assert describe_recut([], 7) == "no sentence re-cut"


def test_file_changes_waits_for_a_settled_new_content(tmp_path):
    story = tmp_path / "s.txt"
    story.write_text("One.")
    steps = iter([lambda: None, lambda: story.write_text("One. Two."), lambda: None, lambda: None,
                  lambda: story.write_text("One. Two."), lambda: story.write_text("Three.")]
                 + [lambda: None] * 5)
    seen = []

    def sleep(_):
        next(steps)()
        seen.append(story.read_text())

    changes = file_changes(str(story), poll=0, sleep=sleep)
    next(changes)
    assert story.read_text() == "One. Two."
    next(changes)  # rewriting the same text is no change; the next edit is
    assert story.read_text() == "Three."


def test_wam_cache_shows_and_clears(wam_home):
    cache = RenderCache.default().ensure()
    fake_segment(cache, "k1", 2048)
    cache.save_plan("/tmp/x.mp4", timeline(STORY))
    r = CliRunner().invoke(cli, ["cache"])
    assert r.exit_code == 0 and "1 segments" in r.stdout and "1 plans" in r.stdout, r.output
    r = CliRunner().invoke(cli, ["cache", "--json"])
    doc = json.loads(r.stdout)
    assert doc["segments"] == 1 and doc["bytes"] > 2048 and doc["plans"] == 1
    r = CliRunner().invoke(cli, ["cache", "--clear"])
    assert r.exit_code == 0 and "cleared" in r.stdout
    assert RenderCache.default().stats().segments == 0 and RenderCache.default().stats().plans == 0


def test_bad_cache_cap_and_conflicting_replan_options_are_usage_errors(wam_home, tmp_path, monkeypatch):
    story = tmp_path / "s.txt"
    story.write_text("One.")
    plan = tmp_path / "p.json"
    plan.write_text(timeline(STORY).to_json())
    r = CliRunner().invoke(cli, ["plan", str(story), "--previous", str(plan), "--fresh"])
    assert r.exit_code == 2 and "--fresh" in r.stderr and r.stderr.count("\n") == 1
    monkeypatch.setenv("WAM_CACHE_MB", "lots")
    r = CliRunner().invoke(cli, ["cache"])
    assert r.exit_code == 2 and "WAM_CACHE_MB" in r.stderr
