"""The use-case layer (issue 21): settings objects checked in one place with wam.core.config's
defaults, the CLI's options turned into the same settings, and batches going through the same
use cases as single runs — a batch render reuses the render cache's segments."""

import dataclasses
import inspect
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from media import tiny_library
from wam.core import config
from wam.core.errors import UsageError
from wam.core.narration import Narration
from wam.core.settings import PlanSettings, RenderSettings

# ---------------------------------------------------------------- pure: the settings objects


def test_settings_take_their_defaults_from_wam_config():
    p, r = PlanSettings(), RenderSettings()
    assert (p.pace, p.fps, p.k, p.wps) == (config.DEFAULT_PACE, config.DEFAULT_FPS, config.DEFAULT_K,
                                           config.DEFAULT_WPS)
    assert p.size == (config.DEFAULT_WIDTH, config.DEFAULT_HEIGHT)
    assert (p.a_roll_mode, p.a_roll_every) == (config.DEFAULT_A_ROLL_MODE, config.DEFAULT_A_ROLL_EVERY)
    assert (r.preset, r.crf, r.fit) == (config.DEFAULT_PRESET, config.DEFAULT_CRF, config.FIT_MODES[0])
    assert (r.subtitles, r.size) == (config.SUBTITLE_MODES[0], None)


@pytest.mark.parametrize("kind, changes, option", [
    (PlanSettings, {"pace": "slow"}, "--pace"),
    (PlanSettings, {"fps": 0}, "--fps"),
    (PlanSettings, {"fps": config.MAX_FPS + 1}, "--fps"),
    (PlanSettings, {"k": 0}, "-k"),
    (PlanSettings, {"seed": -1}, "--seed"),
    (PlanSettings, {"wps": float("nan")}, "--wps"),
    (PlanSettings, {"wps": 0.0}, "--wps"),
    (PlanSettings, {"width": 8}, "frame"),
    (PlanSettings, {"width": 9000}, "frame"),
    (PlanSettings, {"a_roll_mode": "corner"}, "--a-roll-mode"),
    (PlanSettings, {"a_roll_every": 1.0}, "--a-roll-every"),
    (RenderSettings, {"crf": 52}, "--crf"),
    (RenderSettings, {"crf": True}, "--crf"),
    (RenderSettings, {"fit": "stretch"}, "--fit"),
    (RenderSettings, {"preset": "quick"}, "--preset"),
    (RenderSettings, {"subtitles": "all"}, "--subtitles"),
    (RenderSettings, {"threads": 0}, "--threads"),
    (RenderSettings, {"size": (8, 8)}, "frame"),
    (RenderSettings, {"a_roll_mode": "corner"}, "--a-roll-mode"),
])
def test_a_bad_setting_is_a_usage_error_naming_the_option(kind, changes, option):
    with pytest.raises(UsageError, match=option):
        kind(**changes)
    with pytest.raises(UsageError, match=option):  # an edit is checked as well
        dataclasses.replace(kind(), **changes)


def test_settings_are_edited_by_copy():
    base = PlanSettings(libraries=["/clips"])
    assert base.libraries == ("/clips",)  # hashable, whatever sequence was given
    wide = base.with_size((640, 360))
    assert wide.size == (640, 360) and base.size == (config.DEFAULT_WIDTH, config.DEFAULT_HEIGHT)
    assert base.with_values(pace="fast").pace == "fast" and base.pace == config.DEFAULT_PACE
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.pace = "fast"
    with pytest.raises(UsageError, match="--pace"):
        base.with_values(pace="slow")
    r = RenderSettings()
    assert r.with_size((320, 180)).size == (320, 180) and r.size is None
    assert hash(PlanSettings()) == hash(PlanSettings())  # usable as a key


def test_an_a_roll_talk_message_is_the_one_the_planner_used_to_give():
    """--a-roll-mode / --a-roll-every: checked once, with the messages users saw before."""
    with pytest.raises(UsageError, match=r"^--a-roll-mode must be one of cut, pip, not 'corner'$"):
        PlanSettings(a_roll_mode="corner")
    with pytest.raises(UsageError, match=r"^--a-roll-every must be at least 3 seconds, not 2.0$"):
        PlanSettings(a_roll_every=2.0)


def _defaults(command) -> dict:
    """The command's option values when none is given (as click hands them to the command)."""
    return dict(command.make_context(command.name, []).params)


def test_the_cli_defaults_are_the_settings_defaults():
    """A command's options left alone give exactly ``PlanSettings()`` / ``RenderSettings()``."""
    from wam.cli.plan_cmd import plan_command
    from wam.cli.render_cmd import render_command
    from wam.cli.shared_options import plan_settings, render_settings

    for command in (plan_command, render_command):
        assert plan_settings(_defaults(command)) == PlanSettings()
    assert render_settings(_defaults(render_command)) == RenderSettings()
    given = dict(_defaults(render_command), no_subtitles=True, resolution="640x360", aspect="9:16")
    assert render_settings(given).subtitles == "none"
    assert render_settings(given, {"resolution"}).size is None  # a story renders at its plan's size
    assert render_settings(given, {"resolution"}, saved_plan=True).size == (360, 640)
    assert plan_settings(given, {"aspect"}).size == (360, 640)
    assert plan_settings(given).talk_shape and not plan_settings(given, {"aspect"}).talk_shape


def test_the_files_a_run_reads_are_the_same_for_a_single_run_and_a_batch_job(tmp_path):
    """``wam.app.files_read``: what no output may overwrite, for ``wam render`` and batch jobs alike."""
    from wam.app import files_read
    from wam.core.timeline import Cut, SentenceSpan, Timeline

    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"model")
    settings = PlanSettings(music="/m/bed.mp3", timing="/t/times.srt", voice=str(voice))
    inputs, sources = files_read(settings, story="/s/story.txt")
    assert inputs == ["/s/story.txt", "/m/bed.mp3", "/t/times.srt", str(voice), f"{voice}.json"]
    assert sources == []
    cut = Cut(shot_id="a-000", source="/clips/a.mp4", source_in=0.0, source_out=1.0, start_frame=0, frames=10,
              fps=10, score=0.9)
    plan = Timeline(10, 320, 180, [SentenceSpan(0, "Hello.", 0, 10, 10, 0, [cut])],
                    narration=Narration("recording", "/r/me.wav", ()), music={"file": "/m/old.mp3"},
                    a_roll={"file": "/t/talk.mp4"})
    inputs, sources = files_read(PlanSettings(), plan="/p/plan.json", timeline=plan)
    assert inputs == ["/p/plan.json", "/r/me.wav", "/m/old.mp3", "/t/talk.mp4"]
    assert sources == ["/clips/a.mp4"]


def test_plan_story_takes_settings_not_twenty_options():
    from wam.app.planner import plan_story

    params = inspect.signature(plan_story).parameters
    assert "settings" in params and not {"pace", "fps", "width", "k", "voice", "a_roll_mode"} & set(params)


# ---------------------------------------------------------------- a batch goes through the same use cases

STORY = "A red bus drives down the street.\n\nWaves roll onto a sandy beach."
SMALL = ["--resolution", "160x96", "--preset", "ultrafast", "--fps", "10", "--no-subtitles"]


def run(*args, env):
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env=full, text=True,
                          capture_output=True)


def segment_files(home) -> dict[str, int]:
    """The render cache's encoded segments: name → modification time (ns)."""
    folder = home / config.RENDER_CACHE_DIRNAME / "segments"
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.mp4")} if folder.is_dir() else {}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("usecases")
    tiny_library(root / "lib")
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", *(root / "lib" / name for name in ("street", "beach", "forest")), "-q", env=env)
    assert r.returncode == 0, r.stderr
    return {"home": root / "home", "env": env, "lib": root / "lib"}


@pytest.mark.slow
def test_a_batch_render_reuses_the_render_cache_like_a_single_render(library, tmp_path):
    home, env = library["home"], library["env"]
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "bus.txt").write_text(STORY + "\n")
    (folder / "beach.txt").write_text("The quiet forest at dawn.\n")
    out = tmp_path / "videos"

    r = run("render", folder, "-o", f"{out}/", "--json", *SMALL, env=env)
    assert r.returncode == 0, r.stderr
    first = segment_files(home)
    assert len(first) >= 3, "a batch render keeps its segments in the render cache"

    # the same batch again (--force: rendered, not skipped) encodes nothing: every segment is reused
    r = run("render", folder, "-o", f"{out}/", "--json", "--force", "--jobs", "2", *SMALL, env=env)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["status"] for x in r.stdout.splitlines()] == ["ok", "ok"]
    assert segment_files(home) == first

    # a single render of the same story with the same options reuses the batch's segments …
    single = tmp_path / "single.mp4"
    r = run("render", folder / "bus.txt", "-o", single, *SMALL, env=env)
    assert r.returncode == 0, r.stderr
    assert "(0 of " in r.stderr, r.stderr
    assert segment_files(home) == first

    # … and the batch kept each video's plan, as a single render does, for the next re-plan
    from wam.render.segment_cache import RenderCache

    cache = RenderCache(home / config.RENDER_CACHE_DIRNAME)
    kept = cache.previous_plan(out / "bus.mp4")
    assert kept is not None and [s.text for s in kept.sentences] == ["A red bus drives down the street.",
                                                                      "Waves roll onto a sandy beach."]


def cuts(plan: dict) -> list[list[tuple]]:
    return [[(c["shot_id"], c["source_in"], c["frames"]) for c in s["cuts"]] for s in plan["sentences"]]


@pytest.mark.slow
def test_a_batch_replans_against_each_outputs_previous_plan_like_a_single_run(library, tmp_path):
    """``wam plan STORY -o PLAN`` again keeps the cuts of unchanged sentences; so does a batch
    (cuts made from one library folder stay when the whole library is offered), and --fresh
    plans from scratch."""
    env = library["env"]
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "story.txt").write_text("A red bus drives down the street.\n\nWaves roll onto a sandy beach. "
                                      "The quiet forest at dawn.\n")
    plans, elsewhere = tmp_path / "plans", tmp_path / "elsewhere"

    def plan(out, *args):
        r = run("plan", folder, "-o", f"{out}/", "--fps", "10", *args, env=env)
        assert r.returncode == 0, r.stderr
        return json.loads((out / "story.json").read_text())

    street = plan(plans, "--library", library["lib"] / "street")
    whole = plan(elsewhere)  # another output: nothing to re-plan against
    assert cuts(street) != cuts(whole), "the whole library must give another cut, or this test shows nothing"
    assert cuts(plan(plans, "--force")) == cuts(street)  # re-planned against the output's plan
    assert cuts(plan(plans, "--force", "--fresh")) == cuts(whole)
