"""`wam render` under hostile inputs and interruptions, and render correctness on odd
sources (issue 13, items 3, 5, 13, 15, 16): one clean line on stderr, the contract's exit
code, the user's files untouched, no leftovers."""

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from interrupts import interrupt_env, run_interrupted, srt_part, video_part
from media import BARS_H, BARS_W, GREEN, bars_clip, ffmpeg_exe, frame_number, shown, write_clip
from wam.core.timeline import Cut, SentenceSpan, Timeline

pytestmark = pytest.mark.slow


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_wam(*args, home: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, WAM_HOME=str(home), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=kw.pop("cwd", None), **kw)


def assert_one_clean_line(stderr: str) -> None:
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr.startswith("wam: error: "), stderr


def plan_file(tmp_path: Path, cuts: list[tuple[str, float, float]], *, fps=25, width=320, height=180,
              texts=None, paragraphs=None, name="plan.json") -> Path:
    """A saved plan: one sentence per (source, source_in, seconds), on the ``fps`` frame grid."""
    sentences, start = [], 0
    for i, (src, t_in, seconds) in enumerate(cuts):
        frames = round(seconds * fps)
        cut = Cut(f"s{i}", str(src), t_in, t_in + seconds, start, frames, fps, 0.5)
        text = texts[i] if texts else f"Sentence {i}."
        para = paragraphs[i] if paragraphs else 0
        sentences.append(SentenceSpan(i, text, start, frames, fps, para, [cut]))
        start += frames
    path = tmp_path / name
    path.write_text(Timeline(fps, width, height, sentences).to_json())
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    silent = write_clip(d / "lib" / "silent.mp4", [(GREEN, 3.0)], size=(320, 180))
    sound = d / "lib" / "sound.mkv"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(silent), "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=3", "-c:v", "copy", "-c:a", "libopus", "-shortest",
                    str(sound)],
                   check=True)
    notes = d / "notes.txt"
    notes.write_text("not music\n")
    empty = d / "empty.mp3"
    empty.write_bytes(b"")
    story = d / "story.txt"
    story.write_text("One sentence. Another sentence.\n")
    return {"dir": d, "silent": silent, "sound": sound, "notes": notes, "empty": empty, "story": story}


@pytest.mark.parametrize("music", ["notes", "empty", "silent"])
def test_unusable_music_is_one_clean_line(media, tmp_path, music):
    plan = plan_file(tmp_path, [(media["silent"], 0.2, 1.0), (media["sound"], 0.5, 1.0)])
    before = {k: digest(media[k]) for k in ("silent", "sound", "notes", "empty", "story")}
    out = tmp_path / "out.mp4"
    r = run_wam("render", media["story"], "--plan", plan, "-o", out, "--music", media[music], "--preset",
                "ultrafast", home=tmp_path / "home")
    assert r.returncode == 1
    assert_one_clean_line(r.stderr)
    assert media[music].name in r.stderr and "…" not in r.stderr
    expected = {"notes": "not a sound or video file", "empty": "empty", "silent": "no sound"}[music]
    assert expected in r.stderr
    assert "audio_bitrate" not in r.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".*part*"))
    assert {k: digest(media[k]) for k in before} == before


def test_keep_audio_with_silent_and_sound_clips(media, tmp_path):
    plan = plan_file(tmp_path, [(media["silent"], 0.2, 1.0), (media["sound"], 0.5, 1.0)])
    out = tmp_path / "out.mp4"
    r = run_wam("render", media["story"], "--plan", plan, "-o", out, "--keep-audio", "--preset", "ultrafast",
                "-q", home=tmp_path / "home")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-vn", "-f", "s16le", "-ac", "1",
                          "-ar", "8000", "-"], capture_output=True).stdout
    a = np.frombuffer(raw, np.int16).astype(float)
    assert np.sqrt((a[1000:7000] ** 2).mean()) < 5  # the silent clip's second
    assert np.sqrt((a[9000:15000] ** 2).mean()) > 500  # the sound clip's second


@pytest.mark.parametrize("words,width,height", [(300, 640, 360), (2000, 1280, 720), (40, 96, 54)])
def test_long_sentence_subtitle_pages_fit_the_frame(words, width, height):
    from wam.render.subtitles import MAX_LINES, subtitle_pages

    text = " ".join(f"word{i}" for i in range(words)) + "."
    pages = subtitle_pages(text, width, height)
    assert len(pages) > 1
    assert " ".join(" ".join(p.lines) for p in pages) == text  # every word shown once, in order
    assert [p.start for p in pages] == sorted(p.start for p in pages) and pages[0].start == 0
    assert all(len(p.lines) <= MAX_LINES for p in pages)
    for p in (pages[0], pages[len(pages) // 2], pages[-1]):
        img = p.image(width, height)
        h, w = img.inv_alpha.shape[:2]
        assert 0 <= img.top and img.top + h <= height and 0 <= img.left and img.left + w <= width
        frame = np.full(width * height * 3 // 2, 128, np.uint8)
        img.blend_yuv(frame, width, height)


def test_long_sentence_renders_in_pages(media, tmp_path):
    text = " ".join(f"word{i}" for i in range(300)) + "."
    plan = plan_file(tmp_path, [(media["silent"], 0.0, 2.8)], texts=[text], width=640, height=360)
    out = tmp_path / "long.mp4"
    r = run_wam("render", media["story"], "--plan", plan, "-o", out, "--preset", "ultrafast", "-q",
                home=tmp_path / "home")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    import cv2

    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    assert len(frames) == 70
    band = slice(250, 340)
    early, late = frames[20][band].astype(int), frames[60][band].astype(int)
    assert np.abs(early - late).mean() > 5  # a later page shows other words
    assert (frames[20][band].min(axis=2) > 200).any() and (frames[60][band].min(axis=2) > 200).any()


def test_very_long_sentence_at_720p_renders(media, tmp_path):
    text = " ".join(f"word{i}" for i in range(2000)) + "."
    plan = plan_file(tmp_path, [(media["silent"], 0.0, 2.0)], texts=[text], width=1280, height=720)
    r = run_wam("render", media["story"], "--plan", plan, "-o", tmp_path / "huge.mp4", "--preset",
                "ultrafast", "-q", home=tmp_path / "home")
    assert r.returncode == 0 and r.stderr == "", r.stderr


def _wait_for(predicate, what: str, limit: float = 120.0):
    """Poll until ``predicate()`` (a liveness guard, not a speed requirement)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_signals_during_render_clean_up(media, tmp_path, sig, code):
    plan = plan_file(tmp_path, [(media["silent"], 0.1, 2.4)] * 40, width=640, height=360)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "film.mp4"
    out.write_bytes(b"previous render")
    srt = out_dir / "film.srt"
    srt.write_bytes(b"the previous render's subtitles")  # kept: the new ones come only with a new video
    env = dict(os.environ, WAM_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "wam", "render", str(media["story"]), "--plan", str(plan),
                             "-o", str(out), "--srt", str(srt), "--preset", "ultrafast", "-q"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        # the render's private folder (its audio, its segments)
        work = tmp_path / "home" / "render-cache" / "work"
        _wait_for(lambda: list(work.glob("render.*/*")) or proc.poll() is not None, "the render to start")
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert err.count("\n") == 1 and "Traceback" not in err and "interrupted" in err, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["film.mp4", "film.srt"]
    assert out.read_bytes() == b"previous render" and srt.read_bytes() == b"the previous render's subtitles"


@pytest.mark.parametrize("at, sig, again, code, outputs", [
    ("run:concat", "SIGTERM", None, 143, "old"),  # as the segments are being joined
    ("open:srt", "SIGTERM", None, 143, "old"),  # the video joined, its subtitles being staged …
    ("open:srt", "SIGINT", "SIGINT", 130, "old"),  # … and a second Ctrl-C during the clean-up
    ("open:srt", "SIGHUP", "SIGTERM", 129, "old"),
    ("rename:video", "SIGTERM", None, 143, "new"),  # the video renamed into place: its subtitles follow it
    ("rename:srt", "SIGTERM", None, 143, "new"),
])
def test_a_render_interrupted_at_an_exact_moment_leaves_no_temp_file(media, tmp_path, at, sig, again, code,
                                                                     outputs):
    """Issue 19: the signal comes at a given moment (``interrupts.py``), to the process group. A
    further one during the clean-up cut it short and left the temp video beside the output; a
    signal between putting the video and its subtitles in place left the new video with the
    old subtitles. The outputs are now both the old ones or both the new ones, and nothing else
    is left in the output folder, the render cache's work folder or the temp folder."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    video, srt = out_dir / "film.mp4", out_dir / "film.srt"
    video.write_bytes(b"previous render")
    srt.write_bytes(b"the previous render's subtitles")
    plan = plan_file(tmp_path, [(media["silent"], 0.1, 1.0)] * 2)
    kind, _, what = at.partition(":")
    moment = {"video": f"{kind}:{video_part('film')}", "srt": f"{kind}:{srt_part('film')}"}.get(what, at)
    env = {"WAM_HOME": str(tmp_path / "home"), **interrupt_env(tmp_path, moment, sig, again=again)}
    r = run_interrupted("render", "--plan", plan, "-o", video, "--srt", srt, "--preset", "ultrafast", "-q",
                        env=env)
    assert (tmp_path / "signal-sent").exists()
    assert r.returncode == code, r.stderr
    assert r.stderr.count("\n") == 1 and "interrupted" in r.stderr, r.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["film.mp4", "film.srt"]
    if outputs == "old":
        assert video.read_bytes() == b"previous render"
        assert srt.read_bytes() == b"the previous render's subtitles"
    else:
        assert video.stat().st_size > 1000 and "-->" in srt.read_text()
    assert not list((tmp_path / "home" / "render-cache" / "work").iterdir())
    assert not list((tmp_path / "home" / "render-cache" / "segments").glob(".*"))
    assert not list((tmp_path / "tmp").iterdir())


def test_a_failed_render_writes_no_subtitles(media, tmp_path):
    fake = media["dir"] / "lib" / "fake.mp4"  # text under a video name: ffmpeg fails on it mid-render
    fake.write_text("not a video\n" * 100)
    plan = plan_file(tmp_path, [(fake, 0.0, 1.0)])
    srt = tmp_path / "film.srt"
    r = run_wam("render", "--plan", plan, "-o", tmp_path / "film.mp4", "--srt", srt, "--preset", "ultrafast",
                home=tmp_path / "home")
    assert r.returncode == 1, r.stderr
    assert_one_clean_line(r.stderr)
    assert not srt.exists() and not (tmp_path / "film.mp4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "plan.json"]


def test_subtitles_to_a_full_device_put_no_video_in_place(media, tmp_path):
    """``render --srt /dev/full``: the video was renamed into place, then the subtitles failed
    (exit 1 with a new video). Subtitles written through a device now go first."""
    plan = plan_file(tmp_path, [(media["silent"], 0.0, 1.0)])
    full = tmp_path / "full"
    if os.geteuid() == 0:  # a copy of /dev/full: no test touches the system's own
        os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    else:
        full = Path("/dev/full")
    out = tmp_path / "film.mp4"
    r = run_wam("render", "--plan", plan, "-o", out, "--srt", full, "--preset", "ultrafast", "-q",
                home=tmp_path / "home")
    assert r.returncode == 1 and r.stderr == f"wam: error: cannot write {full}: the disk is full\n", r.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name != "full") == [
        "home", "plan.json"]


def test_the_video_and_its_subtitles_are_put_in_place_together(media, tmp_path, wam_home, monkeypatch):
    """Under the output lock, the video first, then its subtitles; the audio track is made in
    the render's private folder, never beside the output (an interrupted batch left it there)."""
    import fcntl

    import wam.core.fileio
    from wam.core.timeline import read_plan
    from wam.render.audio import write_audio_track
    from wam.render.renderer import RenderOptions, render_timeline
    from wam.render.segment_cache import RenderCache

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    placed, audio = [], []

    def install(tmp, path):
        fd = os.open(out_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = False
        except BlockingIOError:
            held = True
        finally:
            os.close(fd)
        placed.append((os.path.basename(path), held))
        real_install(tmp, path)

    def audio_track(timeline, path, **kw):
        audio.append(path)
        return write_audio_track(timeline, path, **kw)

    real_install = wam.core.fileio.install
    monkeypatch.setattr(wam.core.fileio, "install", install)
    monkeypatch.setattr("wam.render.audio.write_audio_track", audio_track)
    timeline = read_plan(plan_file(tmp_path, [(media["silent"], 0.0, 1.0)]))
    render_timeline(timeline, out_dir / "film.mp4", RenderOptions(width=320, height=180, preset="ultrafast"),
                    cache=RenderCache(tmp_path / "cache"), srt=out_dir / "film.srt")
    assert placed == [("film.mp4", True), ("film.srt", True)]
    assert sorted(p.name for p in out_dir.iterdir()) == ["film.mp4", "film.srt"]
    assert "-->" in (out_dir / "film.srt").read_text()
    assert len(audio) == 1 and os.path.dirname(audio[0]) != str(out_dir)


def test_a_render_follows_a_symlink_and_plays_into_a_fifo(media, tmp_path):
    import threading

    plan = plan_file(tmp_path, [(media["silent"], 0.0, 1.0)])
    real = tmp_path / "videos" / "film.mp4"
    real.parent.mkdir()
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "film.mp4"
    link.symlink_to(real)
    r = run_wam("render", "--plan", plan, "-o", link, "--preset", "ultrafast", "-q", home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and real.stat().st_size > 1000 and (real.stat().st_mode & 0o777) == 0o640
    fifo = tmp_path / "live.mp4"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = run_wam("render", "--plan", plan, "-o", fifo, "--preset", "ultrafast", "-q", home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    reader.join()
    assert got[0] == real.read_bytes()  # the same video, whole, through the pipe
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_stale_part_files_of_dead_renders_are_removed(media, tmp_path):
    """Temp files that renders killed outright left (the video beside the output, ``--srt``'s
    subtitles, the scratch folder of a render without a cache) are removed by the next render
    of that output; those of renders still running, and other outputs', are kept."""
    from wam.core.fileio import part_path

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out, srt = tmp_path / "film [v2].mp4", tmp_path / "film [v2].srt"
    stale = [part_path(out, dead.pid), tmp_path / f".{srt.name}.{dead.pid}.ab12cd34.part"]
    running = part_path(out, os.getpid())  # a render still going on
    other = part_path(tmp_path / "film.mp4", dead.pid)  # another output's
    for p in (*stale, running, other):
        p.write_bytes(b"half a video")
    scratch = tmp_path / "tmp" / f"wam-render-{dead.pid}-x1y2z3"
    scratch.mkdir(parents=True)
    live_scratch = tmp_path / "tmp" / f"wam-render-{os.getpid()}-a1b2c3"
    live_scratch.mkdir()
    plan = plan_file(tmp_path, [(media["silent"], 0.1, 1.0)])
    r = run_wam("render", media["story"], "--plan", plan, "-o", out, "--srt", srt, "--preset", "ultrafast",
                "-q", home=tmp_path / "home", env={"TMPDIR": str(tmp_path / "tmp")})
    assert r.returncode == 0, r.stderr
    assert out.exists() and srt.exists() and not any(p.exists() for p in stale) and not scratch.exists()
    assert running.exists() and other.exists() and live_scratch.exists()


def _box(frame: np.ndarray) -> tuple[int, int]:
    """Width and height of the white box in a BGR frame."""
    white = frame.min(axis=2) > 180
    rows, cols = np.nonzero(white.any(axis=1))[0], np.nonzero(white.any(axis=0))[0]
    return int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


@pytest.fixture(scope="module")
def anamorphic(tmp_path_factory):
    """288×216 stored with a 4:3 sample aspect ratio (displayed 384×216, 16:9, like 1440×1080
    HDV): a white box 72×96 stored pixels is a 96×96 square on screen."""
    path = tmp_path_factory.mktemp("anamorphic") / "hdv.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=0x2040a0:s=288x216:r=25:d=3,drawbox=x=108:y=60:w=72:h=96:color=white:t=fill,setsar=4/3",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_anamorphic_source_is_probed_and_analysed_at_display_size(anamorphic):
    import cv2

    from wam.library.analyse import analyse_clip
    from wam.media.ffmpeg_stream import probe

    info = probe(str(anamorphic))
    assert (info.width, info.height) == (384, 216)
    a = analyse_clip(str(anamorphic))
    assert (a.width, a.height) == (384, 216)
    key = cv2.imdecode(np.frombuffer(a.shots[0].keyframes[0], np.uint8), cv2.IMREAD_COLOR)
    assert key.shape[:2] == (180, 320)
    w, h = _box(key)
    assert abs(w - h) <= 3 and abs(w - 80) <= 3  # square, as displayed


@pytest.mark.parametrize("fit", ["cover", "contain"])
def test_anamorphic_source_renders_unstretched(anamorphic, tmp_path, fit):
    import json

    import cv2

    from wam.core.timeline import timeline_from_dict
    from wam.render.renderer import RenderOptions, render_timeline

    plan = plan_file(tmp_path, [(anamorphic, 0.2, 2.0)], width=320, height=180)
    tl = timeline_from_dict(json.loads(plan.read_text()))
    out = tmp_path / f"{fit}.mp4"
    render_timeline(tl, out, RenderOptions(width=320, height=180, fit=fit, subtitles=False,
                                           preset="ultrafast", crf=12))
    cap = cv2.VideoCapture(str(out))
    for _ in range(25):
        ok, frame = cap.read()
    assert ok
    w, h = _box(frame)
    assert abs(w - 80) <= 3 and abs(h - 80) <= 3, (w, h)  # a square, not 60×80 (squeezed) or 80×107 (cropped)
    assert frame[:, :8].mean() > 40 and frame[:, -8:].mean() > 40  # the picture fills the 16:9 frame


def test_cuts_start_on_the_source_frame_at_source_in_and_cross_fades_play(tmp_path):
    import json

    import cv2

    from wam.core.timeline import timeline_from_dict
    from wam.render.renderer import RenderOptions, render_timeline

    b24 = bars_clip(tmp_path / "bars24.mp4", 24, 160)
    b25 = bars_clip(tmp_path / "bars25.mp4", 25, 160)
    dark = write_clip(tmp_path / "dark.mp4", [((0, 0, 0), 3.0)], size=(BARS_W, BARS_H))
    cuts = [(b25, 40 / 25, 1.0), (dark, 0.5, 1.0), (b24, 50 / 24, 1.0), (b24, 1.23, 1.0), (b25, 2.5, 1.0)]
    plan = plan_file(tmp_path, cuts, fps=30, width=BARS_W, height=BARS_H, paragraphs=[0, 0, 1, 1, 1])
    tl = timeline_from_dict(json.loads(plan.read_text()))
    out = tmp_path / "bars.mp4"
    render_timeline(tl, out,
                    RenderOptions(width=BARS_W, height=BARS_H, subtitles=False, fade=0, crossfade=0.4,
                                  preset="ultrafast", crf=0))
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))
    assert len(frames) == 150
    for k, (src, t_in, _) in enumerate(cuts):
        if src == dark:
            continue
        fps = 24 if src == b24 else 25
        got = [frame_number(frames[30 * k + j]) for j in range(30)]
        assert got == [shown(t_in, j, 30, fps) for j in range(30)], (k, src.name)
    # the cross-fade into cut 2 (12 frames before its start at frame 60): the incoming shot plays,
    # showing the source frames before its source_in, not its first frame frozen
    got = [frame_number(frames[i]) for i in range(49, 60)]
    assert got == [shown(50 / 24, i - 60, 30, 24) for i in range(49, 60)]
    assert len(set(got)) > 5
