"""`wam plan` end to end on the sample library, and its errors."""

import json
import os

import pytest
from click.testing import CliRunner

from conftest import REPO, SAMPLES
from wam.cli import cli
from wam.timeline import timeline_from_dict

pytestmark = pytest.mark.slow

STORY = REPO / "examples" / "story.txt"


@pytest.fixture
def indexed(wam_home):
    r = CliRunner().invoke(cli, ["index", str(SAMPLES), "-q"])
    assert r.exit_code == 0, r.stderr
    return wam_home


def test_plan_sample_story_picks_what_a_person_would(indexed):
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--json"])
    assert r.exit_code == 0, r.stderr
    tl = timeline_from_dict(json.loads(r.stdout))
    texts = [s.text for s in tl.sentences]
    assert len(texts) == 12

    def clips(word):
        s = next(s for s in tl.sentences if word in s.text)
        return {os.path.basename(c.source) for c in s.cuts}

    assert "night_city_towers.mp4" in clips("Glass towers")
    assert "espresso_coffee_cup.mp4" in clips("espresso")
    assert "cat_chelsea.mp4" in clips("A cat watches")
    assert "rocket_launch.mp4" in clips("rocket")
    assert "astronaut_portrait.mp4" in clips("astronaut")
    assert "hubble_deep_field_galaxies.mp4" in clips("galaxies")
    assert "photographer_with_camera.mp4" in clips("photographer")
    assert clips("Cyclists") & {"parked_bicycles.mp4", "city_traffic.mp4"}
    ids = [c.shot_id for c in tl.cuts()]
    assert len(ids) == len(set(ids))
    for c in tl.cuts():
        assert set(c.costs) >= {"semantic", "duration", "transition", "diversity"}
    # the same inputs give the same plan; the table output names the clips
    assert CliRunner().invoke(cli, ["plan", str(STORY), "--json"]).stdout == r.stdout
    table = CliRunner().invoke(cli, ["plan", str(STORY)]).stdout
    assert "rocket_launch.mp4" in table and "12 sentences" in table


def test_plan_to_file_from_stdin_and_cached_sentences(indexed, tmp_path):
    out = tmp_path / "plan.json"
    r = CliRunner().invoke(cli, ["plan", "-", "-o", str(out), "-q"], input=STORY.read_text())
    assert r.exit_code == 0, r.stderr
    assert timeline_from_dict(json.loads(out.read_text())).fps == 30
    import sqlite3

    with sqlite3.connect(indexed / "sentences.sqlite") as c:
        assert c.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 12


def test_plan_errors(wam_home, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    r = CliRunner().invoke(cli, ["plan", str(STORY)])
    assert r.exit_code == 1 and "run `wam index DIR` first" in r.stderr
    assert CliRunner().invoke(cli, ["index", str(SAMPLES), "-q"]).exit_code == 0
    r = CliRunner().invoke(cli, ["plan", str(empty)])
    assert r.exit_code == 1 and "story is empty" in r.stderr
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--library", str(tmp_path)])
    assert r.exit_code == 1 and "not an indexed library" in r.stderr
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--model", "some-other-model"])
    assert r.exit_code == 1 and "embedded with" in r.stderr
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    r = CliRunner().invoke(cli, ["plan", str(bad)])
    assert r.exit_code == 1 and "not UTF-8" in r.stderr
    assert CliRunner().invoke(cli, ["plan", str(STORY), "--pace", "warp"]).exit_code == 2
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--library", str(SAMPLES), "--pace", "fast", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["pace"] == "fast"
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--aspect", "9:16", "-k", "5", "--json"])
    assert r.exit_code == 0 and (json.loads(r.stdout)["width"], json.loads(r.stdout)["height"]) == (720, 1280)
    r = CliRunner().invoke(cli, ["render", str(STORY), "-o", str(tmp_path / "x.mp4"), "--model", "some-other-model"])
    assert r.exit_code == 1 and "embedded with" in r.stderr and not (tmp_path / "x.mp4").exists()


def test_plan_skips_clips_deleted_since_indexing(wam_home, tmp_path):
    import shutil

    lib = tmp_path / "lib"
    shutil.copytree(SAMPLES, lib)
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    os.remove(lib / "space" / "rocket_launch.mp4")
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--json"])
    assert r.exit_code == 0 and "no longer exist" in r.stderr
    tl = timeline_from_dict(json.loads(r.stdout))
    assert all(os.path.exists(c.source) for c in tl.cuts())
