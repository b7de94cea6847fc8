"""Issue 7's fill target on generated footage: clips of three distinct 2–3 s shots with
caption sidecars, a story made of the captions — every sentence whose own clip appears at
all shows it for ≥ 90 % of its screen time, at every pace. bench/montage_quality.py runs
the same measurement on 30 clips, side by side with the planner before assembler v2."""

import json

import pytest
from click.testing import CliRunner

from montage_eval import CAPTIONS, fill_shares, make_library, make_story
from wam.cli import cli

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("shots", [(2.0, 3.0), (2.0, 2.0)])
def test_own_clip_fills_the_sentence(tmp_path, wam_home, shots):
    captions = CAPTIONS[:9]
    lib = tmp_path / "lib"
    make_library(lib, captions, shot_seconds=shots)
    text, order = make_story(captions)
    story = tmp_path / "story.txt"
    story.write_text(text, encoding="utf-8")
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    for pace in ("calm", "normal", "fast"):
        r = CliRunner().invoke(cli, ["plan", str(story), "--json", "--pace", pace, "-q"])
        assert r.exit_code == 0, r.stderr
        shares = fill_shares(json.loads(r.stdout), order, lib)
        assert all(x is not None for x in shares), (pace, shares)  # every sentence finds its clip
        assert min(shares) >= 0.9, (pace, shares)
