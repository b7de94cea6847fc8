"""The storyboard (HTML, checked in a real headless Chromium), wam.to_moviepy against wam
render, and the three hand-offs on the bundled sample library."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import REPO, SAMPLES
from wam.cli import cli
from wam.core.timeline import Cut, SentenceSpan, Timeline, read_plan

FPS = 25


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


class _Page(HTMLParser):
    """Sentences, cut pictures and every <img> of a storyboard page (from a browser's DOM)."""

    def __init__(self):
        super().__init__()
        self.sentences, self.imgs, self.texts, self._in_text = [], [], [], False
        self.body = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "section" and "data-sentence" in a:
            self.sentences.append(int(a["data-sentence"]))
        if tag == "img":
            self.imgs.append(a)
        self._in_text = tag == "p" and a.get("class") == "text"

    def handle_data(self, data):
        if self._in_text:
            self.texts.append(data)
            self._in_text = False


def _small_plan(tmp_path):
    from media import BLUE, GREEN, RED, write_clip

    a = write_clip(tmp_path / "a.mp4", [(RED, 2.0), (BLUE, 2.0)], fps=FPS, size=(320, 180))
    b = write_clip(tmp_path / "b.mp4", [(GREEN, 3.0, 0.2)], fps=FPS, size=(320, 180))
    cuts = [Cut("a0", str(a), 0.2, 1.8, 0, 40, FPS, 0.6, costs={"semantic": 0.4, "duration": 0.1}),
            Cut("b0", str(b), 0.5, 1.7, 40, 30, FPS, 0.5, hold=0.2),
            Cut("a1", str(a), 2.2, 3.8, 70, 40, FPS, 0.4)]
    t = Timeline(FPS, 320, 180, [
        SentenceSpan(0, "A red <shot> & \"quotes\".", 0, 70, FPS, 0, cuts[:2]),
        SentenceSpan(1, "Blue, after a paragraph break.", 70, 40, FPS, 1, cuts[2:], weak_match=True)])
    path = tmp_path / "plan.json"
    path.write_text(t.to_json())
    return t, path


@pytest.mark.slow
def test_storyboard_page_without_an_index(tmp_path, wam_home):
    t, plan = _small_plan(tmp_path)
    out = tmp_path / "board.html"
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "no alternatives shown" in r.stderr  # nothing indexed: the page still comes
    html = out.read_text()
    assert "http://" not in html and "https://" not in html  # self-contained
    page = _Page()
    page.feed(html)
    assert page.sentences == [0, 1] and page.texts[0] == 'A red <shot> & "quotes".'
    cut_imgs = [i for i in page.imgs if i.get("class") == "cut-thumb"]
    assert len(cut_imgs) == 3 and all(i["src"].startswith("data:image/jpeg;base64,") for i in cut_imgs)
    assert "weak match" in html and "holds 0.20 s" in html and "semantic" in html and "0:02.80" in html


@pytest.mark.slow
def test_storyboard_in_headless_chromium(tmp_path, wam_home):
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed here (.ci/run "
                    "installs Debian's chromium, so CI runs this test)")
    t, plan = _small_plan(tmp_path)
    out = tmp_path / "board.html"
    assert CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(out), "-q"]).exit_code == 0
    check_in_browser(browser, out, t, tmp_path)


def check_in_browser(browser, page_path, timeline, tmp_path):
    """Screenshot not blank; the DOM holds every sentence and one loaded picture per cut."""
    from PIL import Image

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=20000"]
    shot = tmp_path / "board.png"
    subprocess.run([browser, *flags, "--window-size=1280,1600", f"--screenshot={shot}", page_path.as_uri()],
                   capture_output=True, check=True, stdin=subprocess.DEVNULL)
    img = np.asarray(Image.open(shot).convert("L"), np.float32)
    assert img.std() > 20 and (img < 60).mean() > 0.01 and (img > 200).mean() > 0.2  # text, pictures, paper
    dom = subprocess.run([browser, *flags, "--dump-dom", page_path.as_uri()], capture_output=True, check=True,
                         stdin=subprocess.DEVNULL).stdout.decode("utf-8")
    page = _Page()
    page.feed(dom)
    assert page.sentences == [s.index for s in timeline.sentences]
    assert page.texts == [s.text for s in timeline.sentences]
    cut_imgs = [i for i in page.imgs if i.get("class") == "cut-thumb"]
    assert len(cut_imgs) == len(timeline.cuts())
    assert all(i.get("data-loaded") == "yes" for i in page.imgs), [i.get("data-loaded") for i in page.imgs]
    assert page.body.get("data-images-loaded") == str(len(page.imgs))


@pytest.mark.slow
def test_to_moviepy_matches_wam_render(tmp_path):
    import wam

    t, plan = _small_plan(tmp_path)
    out = tmp_path / "render.mp4"
    r = CliRunner().invoke(cli, ["render", "--plan", str(plan), "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    clip = wam.to_moviepy(str(plan))
    from moviepy import VideoFileClip

    rendered = VideoFileClip(str(out))
    try:
        assert clip.duration == pytest.approx(rendered.duration, abs=1 / FPS)
        assert tuple(clip.size) == tuple(rendered.size) == (320, 180) and clip.fps == FPS
        for cut in t.cuts():  # the middle of every cut, and the held frame at the end of the second
            for at in (cut.start + cut.duration / 2, cut.end - 0.5 / FPS):
                mine, theirs = clip.get_frame(at), rendered.get_frame(at)
                assert mine.shape == theirs.shape == (180, 320, 3)
                assert np.abs(mine.astype(float) - theirs.astype(float)).mean() < 6, (cut.shot_id, at)
        assert clip.audio is not None and clip.audio.duration == pytest.approx(t.duration)
        first = clip.get_frame(1.0).copy()
        assert np.array_equal(clip.get_frame(0.2), clip.get_frame(0.2))  # backwards, and asked twice
        assert np.abs(clip.get_frame(1.0).astype(float) - first).mean() < 1
        sub = clip.subclipped(1.0, 2.0)  # moviepy's own tools work on it
        assert sub.duration == pytest.approx(1.0) and sub.get_frame(0).shape == (180, 320, 3)
        plain = wam.to_moviepy(t, subtitles=False, size=(160, 90))
        assert tuple(plain.size) == (160, 90) and plain.get_frame(0.5).shape == (90, 160, 3)
        plain.close()
    finally:
        clip.close()
        rendered.close()


def test_import_wam_stays_instant():
    code = ("import sys, wam; heavy = [m for m in ('moviepy', 'numpy', 'opentimelineio', 'torch') "
            "if m in sys.modules]; print(heavy, callable(wam.to_moviepy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True"


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    """The bundled samples indexed once for this module's tests."""
    home = tmp_path_factory.mktemp("samples-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("WAM_HOME", str(home))
    r = CliRunner().invoke(cli, ["index", str(SAMPLES), "-q"])
    mp.undo()
    assert r.exit_code == 0, r.output
    return home


@pytest.mark.slow
def test_sample_story_exports_storyboard_and_clip(sample_index, tmp_path, monkeypatch):
    from opentimelineio import schema

    from otio_check import assert_matches_plan, read_back, video_items
    from wam.export.sources import exact_rate
    from wam.media.ffmpeg_stream import probe

    monkeypatch.setenv("WAM_HOME", str(sample_index))
    story = REPO / "examples" / "story.txt"
    # plans the story
    r = CliRunner().invoke(cli, ["export", str(story), "-o", str(tmp_path / "story.otio"), "-q"])
    assert r.exit_code == 0, r.output
    plan = tmp_path / "plan.json"
    assert CliRunner().invoke(cli, ["plan", str(story), "-o", str(plan), "-q"]).exit_code == 0
    t = read_plan(plan)
    rates = {c.source: float(exact_rate(probe(c.source).fps)) for c in t.cuts()}
    assert set(rates.values()) - {float(t.fps)}  # sources in other rates than the plan's (25, 15, 10 fps)
    fades = [s.start for a, s in zip(t.sentences, t.sentences[1:]) if s.paragraph != a.paragraph]
    for suffix in (".otio", ".edl", ".xml", ".fcpxml"):
        out = tmp_path / f"cut{suffix}"
        r = CliRunner().invoke(cli, ["export", str(plan), "-o", str(out), "-q"])
        assert r.exit_code == 0, r.output
        tl = read_back(out, t.fps)
        names = None
        if suffix == ".edl":
            reels = set(_reels(out))

            def names(w, reels=reels):
                return {w["source"].rsplit("/", 1)[-1]} | reels
        cut_points = None if suffix == ".fcpxml" else [0.2] * len(fades)
        assert_matches_plan(tl, t, rates, names=names, cut_points=cut_points)
        transitions = [i for i in video_items(tl) if isinstance(i, schema.Transition)]
        assert len(transitions) == (0 if suffix == ".fcpxml" else len(fades))
    assert (tmp_path / "cut.srt").read_text().count("-->") == len(t.sentences)
    board = tmp_path / "board.html"
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(board), "--alternatives", "2"])
    assert r.exit_code == 0, r.output
    html = board.read_text()
    assert html.count('class="alt-thumb"') >= len(t.sentences)  # the samples offer alternatives for each
    offered = re.findall(r'<figure class="alt" data-shot="([^"]+)"', html)
    # alternatives are shots the plan does not use
    assert offered and not set(offered) & {c.shot_id for c in t.cuts()}
    if chromium():
        check_in_browser(chromium(), board, t, tmp_path)


def _reels(edl_path) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^\d{3}\s+(\S+)", edl_path.read_text(), re.M)}


@pytest.mark.slow
def test_a_narrated_storyboard_plays_each_sentence_where_it_is_spoken(tmp_path, wam_home):
    from media import ffmpeg_exe
    from wam.core.narration import Narration, SpokenSentence

    t, _ = _small_plan(tmp_path)
    voice = tmp_path / "reading.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=220:duration={t.duration}", str(voice)], check=True)
    spans = [(0.3, 2.5), (2.9, 4.2)]
    spoken = tuple(SpokenSentence(a, b) for a, b in spans)
    narrated = t.with_narration(Narration("recording", str(voice), spoken))
    plan = tmp_path / "narrated.json"
    plan.write_text(narrated.to_json())
    out = tmp_path / "board.html"
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert html.count('<audio id="narration"') == 1 and 'src="data:audio/mpeg;base64,' in html
    assert 'data-start="0.300" data-end="2.500"' in html and 'data-start="2.900" data-end="4.200"' in html
    assert html.count('class="listen"') == 2
    plain = tmp_path / "plain.html"  # a plan without narration has no player
    r = CliRunner().invoke(cli, ["storyboard", str(tmp_path / "plan.json"), "-o", str(plain), "-q"])
    assert r.exit_code == 0
    assert "<audio" not in plain.read_text()
    voice.unlink()  # a recording that has gone: the page comes without it, and says so
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(out)])
    assert r.exit_code == 0 and "no narration" in r.stderr and "<audio" not in out.read_text()
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed here (.ci/run "
                    "installs Debian's chromium, so CI runs this test)")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=220:duration={t.duration}", str(voice)], check=True)
    assert CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(out), "-q"]).exit_code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={tmp_path / 'chromium-profile'}",
             "--virtual-time-budget=20000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", out.as_uri()], capture_output=True, check=True,
                         stdin=subprocess.DEVNULL).stdout.decode("utf-8")
    page = _Page()
    page.feed(dom)
    assert abs(float(page.body.get("data-narration-seconds", "nan")) - t.duration) < 0.15, page.body
