"""A small indexed library and a story for the studio's tests (API and browser): eight short
generated clips with descriptions beside them, a four-sentence story about them, and its
first plan at 320×180 saved where the studio keeps it (so previews and renders are quick)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from media import BLUE, GREEN, RED, YELLOW, write_clip

CLIPS = {
    "street/red_bus.mp4": ([(RED, 3.0), (BLUE, 3.0)], "A red bus drives down a busy city street"),
    "street/night_street.mp4": ([(BLUE, 5.0)], "A city street at night with a red bus and lights"),
    "beach/waves.mp4": ([(BLUE, 3.0, 0.3), (GREEN, 3.0)], "Waves roll onto a sandy beach under the sun"),
    "beach/sunset.mp4": ([(YELLOW, 5.0, 0.2)], "A sandy beach glows orange at sunset"),
    "forest/mist.mp4": ([(GREEN, 5.0)], "A quiet forest in the morning mist"),
    "forest/path.mp4": ([(GREEN, 2.5, 0.4), (YELLOW, 2.5)], "A path through a quiet green forest"),
    "harbour/boats.mp4": ([(BLUE, 4.0, 0.2)], "Small boats in a harbour"),
    "market/fruit.mp4": ([(RED, 2.5), (YELLOW, 2.5, 0.3)], "Fruit on a market stall"),
}

STORY = ("A red bus drives down a busy city street. Waves roll onto a sandy beach under the sun. "
         "A quiet forest stands in the morning mist.\n\n"
         "The sandy beach glows orange at sunset.\n")


def run_wam(*args, home: Path, check: bool = True, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, WAM_HOME=str(home), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=900, **kw)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def studio_library(root: Path) -> dict:
    """The library indexed in ``root/home``, the story in ``root/work/story.txt`` and its first
    plan saved beside it as ``story.wam.json`` (320×180)."""
    lib, work, home = root / "lib", root / "work", root / "home"
    for name, (shots, text) in CLIPS.items():
        path = write_clip(lib / name, shots, size=(192, 108))
        path.with_suffix(".txt").write_text(text)
    work.mkdir()
    story = work / "story.txt"
    story.write_text(STORY)
    run_wam("index", lib, "-q", home=home)
    run_wam("plan", story, "--resolution", "320x180", "-o", work / "story.wam.json", "-q", home=home)
    return {"lib": lib, "work": work, "home": home, "story": story}


def state(studio) -> dict:
    """The studio's state as the page reads it (``studio["client"]``: a test client with its token)."""
    r = studio["client"].get("/api/state")
    assert r.status_code == 200, r.text
    return r.json()
