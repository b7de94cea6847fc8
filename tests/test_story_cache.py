"""Long stories: linear sentence splitting, chunked (resumable) embedding cache, and a
corrupt cache that is rebuilt instead of failing (issue 13, items 6 and 10)."""

import sqlite3

import numpy as np
import pytest

from wam.core import story
from wam.core.story import read_story, segment
from wam.text import textcache

TEXT = ("Mr. Smith went to Washington, D.C. on Jan. 5th at 3.30 p.m. and met Dr. Jones! "
        "\"Is it far?\" she asked. It was 3.5 km away, e.g. near St. Paul's (the old one.) "
        "They walked. Then they ran... Finally they arrived at No. 10 at ca. 4 o'clock? Yes. ")


def test_segment_keeps_every_character_and_agrees_with_pysbd():
    import pysbd

    text = TEXT * 12
    pieces = segment(text)
    assert "".join(pieces) == text
    want = [" ".join(s.split()) for s in pysbd.Segmenter(language="en", clean=False).segment(text)]
    assert [" ".join(p.split()) for p in pieces] == want
    cjk = "我爱你。你好吗？很好！谢谢。" * 200
    parts = segment(cjk, "zh")
    assert "".join(parts) == cjk and len(parts) == 800


def test_segment_is_linear(monkeypatch):
    """pysbd only ever sees bounded windows, and in total about as much text as the story."""
    seen = []
    real = story._processor_for.__wrapped__

    def counting(language):
        proc = real(language)

        def make(text):
            seen.append(len(text))
            return proc(text)

        return make

    monkeypatch.setattr(story, "_processor_for", counting)
    one_paragraph = TEXT * 600  # ~150 kB with no blank line: pysbd alone is quadratic on it
    sentences = read_story(one_paragraph)
    assert len(sentences) == 600 * 7
    assert max(seen) <= 2 * story.SEGMENT_WINDOW
    assert sum(seen) <= 1.5 * len(one_paragraph)


def test_a_long_sentence_stays_whole():
    """The windowed segmentation never cuts a long sentence; planned, it is shown in parts
    (issue 19: at most ``MAX_SENTENCE_SECONDS`` each), every word kept in order."""
    from wam.core.story import segment

    words = " ".join(f"word{i}" for i in range(2000)) + "."
    text = f"Before it. {words} After it."
    assert [len(p.split()) for p in segment(text)] == [2, 2000, 2]
    sentences = read_story(text)
    assert sentences[0].text == "Before it." and sentences[-1].text == "After it."
    assert " ".join(s.text for s in sentences[1:-1]) == words and len(sentences) > 3


class CountingEncoder:
    name, dim = "fake", 4

    def __init__(self, fail_after=None):
        self.calls, self.fail_after = [], fail_after

    def encode(self, texts):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt
        self.calls.append(len(texts))
        v = np.array([[len(t), t.count("e"), 1.0, i % 3] for i, t in enumerate(texts)], np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_embedding_cache_saves_chunks_so_a_rerun_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(textcache, "CHUNK", 10)
    texts = [f"sentence number {i}" for i in range(55)] + ["sentence number 3"]
    with pytest.raises(KeyboardInterrupt):
        textcache.cached_encode(CountingEncoder(fail_after=3), texts, tmp_path)
    enc = CountingEncoder()
    vecs, computed = textcache.cached_encode(enc, texts, tmp_path)
    assert computed == 25 and enc.calls == [10, 10, 5]  # the 3 saved chunks are not redone
    fresh, _ = textcache.cached_encode(CountingEncoder(), texts, None)
    assert np.allclose(vecs, fresh) and vecs.shape == (56, 4)
    again = CountingEncoder()
    assert textcache.cached_encode(again, texts, tmp_path)[1] == 0 and again.calls == []


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path, damage):
    path = tmp_path / textcache.CACHE_FILENAME
    textcache.cached_encode(CountingEncoder(), [f"s{i}" for i in range(300)], tmp_path)
    if damage == "garbage":
        path.write_bytes(b"this is not a database\n" * 100)
    else:
        data = path.read_bytes()
        path.write_bytes(data[:100] + b"\x13" * 3000 + data[3100:])
    warnings = []
    vecs, computed = textcache.cached_encode(CountingEncoder(), ["one", "two"], tmp_path,
                                             warn=warnings.append)
    assert vecs.shape == (2, 4) and computed == 2
    assert len(warnings) == 1 and "rebuilt" in warnings[0]
    with sqlite3.connect(path) as conn:  # a sound cache again, holding the new sentences
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 2


def test_unusable_cache_is_skipped(tmp_path):
    (tmp_path / textcache.CACHE_FILENAME).mkdir()  # not a file at all
    warnings = []
    vecs, computed = textcache.cached_encode(CountingEncoder(), ["one"], tmp_path, warn=warnings.append)
    assert computed == 1 and len(warnings) == 1 and "without it" in warnings[0]


@pytest.mark.slow
def test_plan_with_a_corrupt_cache_warns_once(tmp_path, wam_home):
    from click.testing import CliRunner

    from media import BLUE, GREEN, write_clip
    from wam.cli import cli

    lib = tmp_path / "lib"
    write_clip(lib / "green_forest.mp4", [(GREEN, 4.0)])
    write_clip(lib / "blue_sea.mp4", [(BLUE, 4.0)])
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    story_file = tmp_path / "story.txt"
    story_file.write_text("A green forest. The blue sea.\n")
    before = story_file.read_bytes()
    assert CliRunner().invoke(cli, ["plan", str(story_file)]).exit_code == 0
    (wam_home / textcache.CACHE_FILENAME).write_bytes(b"\0garbage" * 512)
    r = CliRunner().invoke(cli, ["plan", str(story_file), "--json"])
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("\n") == 1 and "sentence cache" in r.stderr and "rebuilt" in r.stderr
    assert "Traceback" not in r.stderr and story_file.read_bytes() == before
    r = CliRunner().invoke(cli, ["plan", str(story_file), "--json"])
    assert r.exit_code == 0 and r.stderr == ""


def test_long_story_shows_progress(capsys):
    read_story(TEXT * 1000, progress=True)
    assert "reading the story" in capsys.readouterr().err
    read_story(TEXT * 1000)
    assert capsys.readouterr().err == ""


def test_embedding_shows_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(textcache, "PROGRESS_MIN", 10)
    textcache.cached_encode(CountingEncoder(), [f"s{i}" for i in range(20)], tmp_path, progress=True)
    assert "embedding sentences" in capsys.readouterr().err
