import os

from wam.library.scan import content_hash, media_files
from wam.library.shots import shot_ranges


def test_shot_ranges():
    assert shot_ranges([], 100, 25, 0.5) == [(0, 100)]
    assert shot_ranges([30, 60], 100, 25, 0.5) == [(0, 30), (30, 60), (60, 100)]
    assert shot_ranges([30, 35], 100, 25, 0.5) == [(0, 30), (35, 100)]  # 5-frame shot dropped
    assert shot_ranges([0, 100, 150, 50], 100, 25, 0.5) == [(0, 50), (50, 100)]
    assert shot_ranges([], 5, 25, 0.5) == []
    assert shot_ranges([], 0, 25, 0.5) == []


def test_media_files_sorted_recursive_no_loops_with_pictures(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for p in ["b/z.MP4", "a/deep/x.mov", "a/y.webm", "a/notes.txt", ".hidden/h.mp4", "a/y.json", "c d é.mkv",
              "a/photo.JPG", "b/p.webp", "a/doc.pdf"]:
        (tmp_path / p).write_bytes(b"1234")
    os.symlink(tmp_path, tmp_path / "a" / "loop")  # a folder symlink loop
    found = [os.path.relpath(f.path, tmp_path) for f in media_files(tmp_path)]
    assert found == ["a/deep/x.mov", "a/photo.JPG", "a/y.webm", "b/p.webp", "b/z.MP4", "c d é.mkv"]


def test_content_hash(tmp_path):
    a = tmp_path / "a.bin"
    b = tmp_path / "b.bin"
    data = os.urandom(5 << 20)
    a.write_bytes(data)
    b.write_bytes(data)
    assert content_hash(str(a), len(data)) == content_hash(str(b), len(data))
    b.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert content_hash(str(a), len(data)) != content_hash(str(b), len(data))
