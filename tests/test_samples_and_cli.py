"""The bundled sample library and the CLI's start-up contract."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import SAMPLES
from wam.cli import cli


def test_help_imports_nothing_heavy():
    code = ("import sys, wam.cli; heavy = [m for m in ('torch', 'cv2', 'moviepy', 'sentence_transformers', "
            "'numpy', 'opentimelineio', 'starlette', 'uvicorn') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0 and all(cmd in r.output
                                    for cmd in ("index", "search", "libraries", "plan", "render", "export",
                                          "storyboard"))


def test_samples_have_sources_and_sidecars():
    clips = sorted(SAMPLES.rglob("*.mp4"))
    assert len(clips) >= 12
    sources = (SAMPLES / "SOURCES.md").read_text()
    for clip in clips:
        assert clip.with_suffix(".txt").exists() or clip.with_suffix(".json").exists(), clip
        assert clip.name in sources, f"{clip.name} missing from SOURCES.md"
    assert sum(c.stat().st_size for c in SAMPLES.rglob("*")) <= 20 * 2**20


@pytest.mark.slow
def test_index_and_search_the_sample_library(wam_home):
    r = CliRunner().invoke(cli, ["index", str(SAMPLES), "--json", "-q"])
    assert r.exit_code == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["clips"] >= 12 and s["shots"] >= 30 and s["failed"] == 0
    expectations = {
        "a cat looking at me": "cat_chelsea",
        "cyclists and bicycles in the street": "parked_bicycles",
        "skyscrapers at night": "night_city_towers",
        "a cup of coffee in the morning": "espresso_coffee",
        "rocket launch": "rocket_launch",
        "an astronaut smiling": "astronaut_portrait",
        "people walking across a square": "pedestrians_walking_plaza",
        "galaxies in deep space": "hubble_deep_field",
        "a cartoon rabbit": "big_buck_bunny",
    }
    for query, clip in expectations.items():
        hits = json.loads(CliRunner().invoke(cli, ["search", query, "-k", "1", "--json"]).stdout)
        assert clip in hits[0]["source"], (query, hits[0])
