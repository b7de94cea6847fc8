"""`wam plan` end to end on the sample library, and its errors."""

import json
import os

import pytest
from click.testing import CliRunner

from conftest import REPO, SAMPLES
from wam.cli import cli
from wam.core.timeline import timeline_from_dict

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
    for c in tl.cuts():
        assert set(c.costs) >= {"semantic", "duration", "transition", "diversity"}
    # the same inputs give the same plan; the table output names the clips
    assert CliRunner().invoke(cli, ["plan", str(STORY), "--json"]).stdout == r.stdout
    table = CliRunner().invoke(cli, ["plan", str(STORY)]).stdout
    assert "rocket_launch.mp4" in table and "12 sentences" in table


def repeated_footage(tl) -> float:
    """Seconds of source footage shown more than once (continuations are one use)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    last = None
    for c in tl.cuts():
        if c.continues and last is not None and last[0] == c.shot_id:
            spans[c.shot_id][-1] = (spans[c.shot_id][-1][0], c.source_out)
        else:
            spans.setdefault(c.shot_id, []).append((c.source_in, c.source_out))
        last = (c.shot_id,)
    total = 0.0
    for ranges in spans.values():
        ranges.sort()
        for (_, b0), (a1, b1) in zip(ranges, ranges[1:]):
            total += max(0.0, min(b0, b1) - a1)
    return total


def test_sample_story_meets_the_montage_rules_at_every_pace(indexed):
    """Issue 7 on the samples: no cut far below its sentence's best (unless the sentence is
    weak), no footage shown twice, and the average shot length ordered by pace. (Normal and
    fast may tie here: the samples' clips are 2–2.5 s shots, already the fast pace's length,
    and under issue 20's floor every sentence shows its own clip only, so fast has nothing to
    cut to that normal does not show. tests/test_assemble.py checks the strict order on
    footage that allows it.)"""
    asl = {}
    for pace in ("calm", "normal", "fast"):
        r = CliRunner().invoke(cli, ["plan", str(STORY), "--json", "--pace", pace])
        assert r.exit_code == 0, r.stderr
        tl = timeline_from_dict(json.loads(r.stdout))
        for s in tl.sentences:
            best = max(c.score for c in s.cuts)
            if not s.weak_match:
                assert all(c.score >= best / 2 for c in s.cuts), (pace, s.text, s.cuts)
        assert repeated_footage(tl) < 1e-3, pace
        asl[pace] = tl.duration / sum(1 for c in tl.cuts() if not c.continues)
    assert asl["calm"] > asl["normal"] >= asl["fast"] and asl["calm"] > asl["fast"], asl


def test_explain_names_the_runner_up_and_what_it_would_cost(indexed):
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--json", "--explain"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    espresso = next(s for s in doc["sentences"] if "espresso" in s["text"])
    why = espresso["explain"]
    assert why["runner_up"] and why["total"] > 0
    assert abs(sum(why["delta"].values()) - why["total"]) < 1e-3
    chosen = {c["shot_id"] for c in espresso["cuts"]}
    assert not chosen & {c["shot_id"] for c in why["runner_up"]}
    table = CliRunner().invoke(cli, ["plan", str(STORY), "--explain"]).stdout
    assert "runner-up:" in table and "why: it costs" in table


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
    bad.write_bytes(b"\xc3\x28bad")  # not UTF-8 (\xff\xfe would be a UTF-16 byte-order mark)
    r = CliRunner().invoke(cli, ["plan", str(bad)])
    assert r.exit_code == 1 and "not UTF-8" in r.stderr
    assert CliRunner().invoke(cli, ["plan", str(STORY), "--pace", "warp"]).exit_code == 2
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--library", str(SAMPLES), "--pace", "fast", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["pace"] == "fast"
    r = CliRunner().invoke(cli, ["plan", str(STORY), "--aspect", "9:16", "-k", "5", "--json"])
    assert r.exit_code == 0 and (json.loads(r.stdout)["width"], json.loads(r.stdout)["height"]) == (720,
                                                                                                    1280)
    r = CliRunner().invoke(cli, ["render", str(STORY), "-o", str(tmp_path / "x.mp4"), "--model",
                                 "some-other-model"])
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
