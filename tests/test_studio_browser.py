"""``wam studio`` in a real browser (Playwright driving Debian's chromium, headless): the page
is laid out like a storyboard; a new user's session — edit a sentence, swap a shot, pin one,
play a sentence, render — changes only what it should, re-encodes one segment for a swap, keeps
the pin through later re-plans and through ``wam render STORY``, and the MP4 shows exactly
what the page showed. Skipped where chromium or Playwright is missing (CI installs both)."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import REPO
from studio_lib import STORY, run_wam, studio_library
from wam.core.timeline import read_plan

pytestmark = pytest.mark.slow

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: How long to wait for the page or a render before calling it a hang (a liveness guard).
PATIENCE_MS = 300_000


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed here (.ci/run "
                    "installs Debian's chromium, so CI runs this test)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed here (pip install -e '.[test]'; CI installs it)")
    root = tmp_path_factory.mktemp("studio-browser")
    made = studio_library(root)
    env = dict(os.environ, WAM_HOME=str(made["home"]), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "wam", "studio", str(made["story"]), "--no-browser",
                             "--port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:") and "/?token=" in url, \
        proc.stderr.read() if proc.poll() else url
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(root / "profile"), executable_path=browser,
                                                       args=ARGS, viewport={"width": 1500, "height": 950})
        yield dict(made, url=url, base=url.split("/?")[0], context=context, proc=proc, env=env)
        context.close()
    proc.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def rows(page) -> list[dict]:
    return page.eval_on_selector_all(".row", """rows => rows.map(r => ({
        signature: r.getAttribute('data-signature'),
        shots: Array.from(r.querySelectorAll('.cut')).map(c => c.getAttribute('data-shot')),
        pinned: Array.from(r.querySelectorAll('.cut')).map(c => c.classList.contains('pinned'))}))""")


def wait_ready(page) -> None:
    """Until the page shows the server's answer to the last edit."""
    page.wait_for_function("() => !/typing|planning|swapping|saving/"
                           ".test(document.getElementById('status').textContent)",
                           timeout=PATIENCE_MS)


def render(page, message: str = "") -> None:
    """Click Render and wait until this render (not an earlier one) is done."""
    version = int(page.get_attribute("body", "data-render-version") or 0)
    page.click("#render")
    page.wait_for_function(f"() => document.body.getAttribute('data-render') === 'done' && "
                           f"+document.body.getAttribute('data-render-version') > {version} && "
                           f"document.getElementById('message').textContent.includes({message!r})",
                           timeout=PATIENCE_MS)


def open_page(served):
    served["context"].clear_cookies()
    page = served["context"].new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    assert page.goto(served["base"] + "/").status == 403  # no token, no page
    page.goto(served["url"])
    assert "token" not in page.url  # the token went into a cookie
    page.wait_for_selector(".row .cut img", timeout=PATIENCE_MS)
    wait_ready(page)
    return page


def test_the_page_is_laid_out_like_a_storyboard(served, tmp_path):
    page = open_page(served)
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
                           timeout=PATIENCE_MS)
    shot = served["work"].parent / "studio.png"  # kept with the test's files, to look at
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    boxes = page.eval_on_selector_all(".row", """rows => rows.map(r => ({
        row: r.getBoundingClientRect().toJSON(),
        cuts: Array.from(r.querySelectorAll('.cut img')).map(i => i.getBoundingClientRect().toJSON()),
        alts: Array.from(r.querySelectorAll('.alt img')).map(i => i.getBoundingClientRect().toJSON())}))""")
    assert len(boxes) == 4  # a row per sentence …
    for above, below in zip(boxes, boxes[1:]):
        assert below["row"]["y"] >= above["row"]["y"] + above["row"]["height"] - 1  # … one under the other
    for b in boxes:
        pictures = b["cuts"] + b["alts"]
        assert len(b["cuts"]) >= 1 and len(b["alts"]) >= 1
        # thumbnails side by side …
        assert max(p["y"] for p in pictures) < min(p["y"] + p["height"] for p in pictures)
        assert all(q["x"] >= p["x"] + p["width"] - 1 for p, q in zip(pictures, pictures[1:]))  # left to right
        assert b["row"]["height"] < 2.5 * max(p["height"] for p in pictures) + 120  # … not one long column
    editor = page.eval_on_selector("#story", "e => e.getBoundingClientRect().toJSON()")
    board = page.eval_on_selector("#board", "e => e.getBoundingClientRect().toJSON()")
    # side by side
    assert board["x"] >= editor["x"] + editor["width"] and board["y"] < editor["y"] + editor["height"]
    assert page.errors == []
    page.close()


def test_a_new_users_session(served, tmp_path):
    page = open_page(served)
    work = served["work"]
    first = rows(page)
    # edit a sentence: the storyboard changes only there
    edited = STORY.replace("The sandy beach glows orange at sunset.",
                           "Small boats rest in the quiet harbour.")
    page.fill("#story", edited)
    page.wait_for_function(f"() => document.querySelectorAll('.row')[3].getAttribute('data-signature') !== "
                           f"'{first[3]['signature']}'", timeout=PATIENCE_MS)
    wait_ready(page)
    after = rows(page)
    assert [r["signature"] for r in after[:3]] == [r["signature"] for r in first[:3]]
    # render once, then swap a shot: the plan changes there, and the render encodes that one segment again
    render(page)
    alt = page.get_attribute(".row:nth-child(2) .alt", "data-shot")
    page.click(".row:nth-child(2) .alt .swap")
    page.wait_for_function("() => document.querySelector('.row:nth-child(2) "
                           f".cut').getAttribute('data-shot') === '{alt}'", timeout=PATIENCE_MS)
    wait_ready(page)
    swapped = rows(page)
    assert ([r["signature"] for i, r in enumerate(swapped) if i != 1]
            == [r["signature"] for i, r in enumerate(after) if i != 1])
    render(page, "1 of 4 sentences encoded")
    # pin it: an edit of its neighbour re-plans around it, and it stays
    page.click(".row:nth-child(2) .cut .pin")
    page.wait_for_selector(".row:nth-child(2) .cut.pinned", timeout=PATIENCE_MS)
    page.fill("#story", edited.replace("A red bus drives down a busy city street.",
                                       "A red bus waits in a city street."))
    page.wait_for_function(f"() => document.querySelectorAll('.row')[0].getAttribute('data-signature') !== "
                           f"'{swapped[0]['signature']}' || document.getElementById('status').textContent "
                           "=== 'unsaved changes'", timeout=PATIENCE_MS)
    wait_ready(page)
    pinned = rows(page)
    assert pinned[1]["shots"][0] == alt and pinned[1]["pinned"][0]
    # play the sentence: its segment, made on demand, plays to the end
    page.click(".row:nth-child(2) .play")
    page.wait_for_function("() => document.getElementById('player').getAttribute('data-state') === 'ended'",
                           timeout=PATIENCE_MS)
    assert page.eval_on_selector("#player", "v => v.duration") > 1.0
    # render: the page saves first; the video and the saved plan are what the page shows
    render(page)
    shown = rows(page)
    plan = read_plan(work / "story.wam.json")
    assert [[c.shot_id for c in s.cuts] for s in plan.sentences] == [r["shots"] for r in shown]
    assert plan.pinned_cuts() == [(1, 0)]
    text = page.eval_on_selector("#story", "e => e.value")
    assert text.rstrip() == (work / "story.txt").read_text().rstrip()
    # and the CLI renders the same: every segment from the render cache, the same frames
    out = run_wam("render", work / "story.txt", "-o", tmp_path / "cli.mp4", home=served["home"])
    assert "0 of 4 segments encoded" in out.stderr
    assert frame_hashes(tmp_path / "cli.mp4") == frame_hashes(work / "story.mp4")
    assert page.errors == []
    page.close()


def frame_hashes(path) -> list[str]:
    from media import ffmpeg_exe

    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5",
                          "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[-1].strip() for line in out.splitlines() if line and not line.startswith("#")]
