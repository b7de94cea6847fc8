"""Robustness v3 (issue 19): tracebacks, exit codes, closed pipes, a cache that cannot be
cleared, one bad job in a batch, clean interruptions, names that would break an export,
and the smaller defects. Each test fails on the code before the fix."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from media import BLUE, GREEN, RED, tiny_library, write_clip
from test_cli_errors import one_line, run, tiny_plan, unprivileged
from wam.cli import cli

STORY = "A red bus drives down the street.\n\nWaves roll onto a sandy beach. The forest is quiet.\n"


# ------------------------------------------------------------- tracebacks and exit codes


def test_output_that_cannot_be_written_while_the_options_are_read(wam_home):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    for args in (["--version"], ["--help"], ["plan", "--help"]):
        with open("/dev/full", "w") as full:
            r = run(*args, stdout=full, stderr=subprocess.PIPE)
        assert r.returncode == 1, (args, r.stderr)
        assert one_line(r.stderr) == "wam: error: cannot write to standard output (No space left on device)"


def test_debug_shows_the_traceback(wam_home, tmp_path, monkeypatch):
    junk = tmp_path / "junk.json"
    junk.write_text('{"x": 1}')
    r = run("--debug", "render", "--plan", junk, "-o", tmp_path / "out.mp4", env={"WAM_HOME": str(wam_home)})
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr
    assert r.stderr.rstrip().endswith(
        "wam.core.errors.WamError: not a wam plan (expected schema 'wam.timeline/1')")
    import wam.app.search

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(wam.app.search, "search_shots", broken)
    r = CliRunner().invoke(cli, ["search", "a bus"])
    assert r.exit_code == 1 and "unexpected RuntimeError: a bug (a bug in wam" in one_line(r.stderr)
    r = CliRunner().invoke(cli, ["--debug", "search", "a bus"])
    # raised on, for its traceback
    assert isinstance(r.exception, RuntimeError) and str(r.exception) == "a bug"
    bug = ("import sys, wam.app.search\n"
           "def broken(*a, **k):\n"
           "    raise RuntimeError('a bug')\n"
           "wam.app.search.search_shots = broken\n"
           "from wam.cli import main\n"
           "main(sys.argv[1:])\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(wam_home)}
    for debug, shown in (([], False), (["--debug"], True)):
        r = subprocess.run([sys.executable, "-c", bug, *debug, "search", "a bus"], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 1
        if shown:
            assert "Traceback (most recent call last)" in r.stderr
            assert r.stderr.rstrip().endswith("RuntimeError: a bug")
        else:
            assert "unexpected RuntimeError: a bug" in one_line(r.stderr)


def test_usage_errors_exit_2(wam_home, tmp_path):
    r = CliRunner().invoke(cli, ["index", str(tmp_path / "nonexistent")])
    assert r.exit_code == 2 and "does not exist" in one_line(r.stderr)
    r = CliRunner().invoke(cli, ["index", os.devnull])  # not a folder, though click's check lets it by
    assert r.exit_code == 2 and "not a folder: /dev/null" in one_line(r.stderr)
    r = CliRunner().invoke(cli, ["search", "  "])
    assert r.exit_code == 2 and "empty query" in one_line(r.stderr)
    for value in ("inf", "nan", "1e308", "-5", "lots"):
        r = run("cache", env={"WAM_HOME": str(wam_home), "WAM_CACHE_MB": value})
        assert r.returncode == 2, (value, r.stderr)
        assert one_line(r.stderr) == ("wam: error: WAM_CACHE_MB must be a size in MB (a finite number >= 0), "
                                      f"not '{value}'")


def test_a_failing_single_render_prints_its_json_line(wam_home, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text('{"x": 1}')
    out = tmp_path / "out.mp4"
    r = CliRunner().invoke(cli, ["render", "--plan", str(junk), "-o", str(out), "--json"])
    assert r.exit_code == 1
    line = json.loads(r.stdout)  # exactly one JSON document on stdout
    assert line["status"] == "failed" and line["error"] == "not a wam plan (expected schema 'wam.timeline/1')"
    assert set(line) == {"job", "story", "output", "status", "duration", "cuts", "warnings", "seconds",
                         "error"}
    assert line["story"] == str(junk) and line["output"] == str(out) and line["cuts"] is None
    assert one_line(r.stderr) == "wam: error: not a wam plan (expected schema 'wam.timeline/1')"
    r = CliRunner().invoke(cli, ["render", "--plan", str(junk), "-o", str(out)])
    assert r.exit_code == 1 and r.stdout == ""  # no --json: no JSON line
    avi = tmp_path / "out.avi"  # a usage error found before any work: its JSON line too (exit 2)
    r = CliRunner().invoke(cli, ["render", "--plan", str(junk), "-o", str(avi), "--json"])
    assert r.exit_code == 2 and "its name must end in .mp4" in one_line(r.stderr)
    line = json.loads(r.stdout)
    assert (line["status"], line["output"]) == ("failed", str(avi)) and "must end in .mp4" in line["error"]


# ------------------------------------------------------------------------- the cache


@pytest.mark.parametrize("value", ["inf", "1e400", "nan"])
def test_a_render_with_an_unusable_cache_cap_goes_on_without_the_cache(wam_home, monkeypatch, value):
    """``WAM_CACHE_MB=inf wam render …`` was "unexpected OverflowError"; ``wam cache`` refuses the
    value (exit 2, test_usage_errors_exit_2), a render says so and renders without the cache."""
    from wam.app.rendering import user_render_cache

    monkeypatch.setenv("WAM_CACHE_MB", value)
    warnings = []
    assert user_render_cache(warnings.append) is None
    assert warnings == [f"WAM_CACHE_MB must be a size in MB (a finite number >= 0), not '{value}'; rendering "
                        "without the cache"]


def _fill_cache(home: Path) -> Path:
    cache = home / "render-cache"
    (cache / "segments").mkdir(parents=True)
    (cache / "plans").mkdir()
    for k in range(3):
        (cache / "segments" / f"k{k}.mp4").write_bytes(b"v" * 1000)
        (cache / "segments" / f"k{k}.json").write_text("{}")
    (cache / "plans" / "p.json").write_text("{}")
    return cache


def test_clearing_the_cache_says_what_was_deleted(tmp_path, monkeypatch):
    from wam.core.errors import WamError
    from wam.render.segment_cache import RenderCache

    cache = RenderCache(_fill_cache(tmp_path))
    real_unlink = Path.unlink

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(WamError, match=r"cannot clear the render cache .*: nothing "
                                       r"could be deleted \(Permission denied"):
        cache.clear()
    assert cache.stats().segments == 3 and cache.stats().plans == 1

    def refuse_k1(self, *args, **kwargs):
        if self.stem == "k1":
            raise PermissionError(13, "Permission denied")
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refuse_k1)
    cleared = cache.clear()
    assert (cleared.segments, cleared.plans, cleared.bytes, cleared.kept) == (2, 1, 2 * 1002, 2)
    assert cleared.problem == "Permission denied" and cache.stats().segments == 1


def test_clearing_a_read_only_cache_fails_in_one_line(tmp_path):
    prefix = unprivileged()
    home = tmp_path / "home"
    cache = _fill_cache(home)
    for d in (cache / "segments", cache / "plans"):
        d.chmod(0o555)
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(home)}
    r = subprocess.run([*prefix, sys.executable, "-m", "wam", "cache", "--clear"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert "nothing could be deleted (Permission denied; 7 file(s) kept)" in one_line(r.stderr)
    assert len(list(cache.rglob("*.json"))) == 4


# ------------------------------------------------------------------------- exports


@pytest.mark.slow
def test_a_file_name_with_a_newline_cannot_inject_an_edl_event(tmp_path):
    from opentimelineio import schema

    from otio_check import read_back, video_items

    evil = write_clip(tmp_path / "evil\n002  AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n.mp4",
                      [(RED, 2.0)])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(evil)))
    for suffix in (".edl", ".xml", ".fcpxml", ".otio"):
        out = tmp_path / f"cut\r\nTITLE: fake{suffix}"
        r = CliRunner().invoke(cli, ["export", str(plan), "-o", str(out), "--no-srt"])
        assert r.exit_code == 0, r.stderr
        text = out.read_text()
        if suffix == ".edl":
            events = [ln for ln in text.splitlines() if ln[:3].isdigit()]
            assert len(events) == 1 and "TITLE: fake" not in text.splitlines()[1:], text
        clips = [c for c in video_items(read_back(out, 25)) if isinstance(c, schema.Clip)]
        assert len(clips) == 1 and "\n" not in clips[0].name and "\r" not in clips[0].name
        if suffix != ".edl":  # the media reference still points at the real file
            assert clips[0].media_reference.target_url == evil.absolute().as_uri()


def test_a_warning_or_note_naming_a_file_with_a_line_break_is_one_line(capsys):
    """``search`` and ``export`` warn with clip names; a name with a line break in it made the
    warning two lines, the second one looking like wam's own."""
    from wam.cli.common import noter, warner

    warner(False)("1 clip(s) no longer exist (e.g. /lib/cat\nwam: error: fake.mp4)")
    noter(False)("opening /lib/a\r\nb.txt")
    assert capsys.readouterr().err.splitlines() == [
        "wam: warning: 1 clip(s) no longer exist (e.g. /lib/cat wam: error: fake.mp4)",
        "wam: opening /lib/a b.txt"]
    warner(True)("quiet")
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_export_warns_once_per_clip_read_past_its_end(tmp_path):
    from wam.core.timeline import Cut, SentenceSpan, Timeline

    clip = write_clip(tmp_path / "short.mp4", [(GREEN, 2.0)])  # 2 s at 25 fps
    fine = write_clip(tmp_path / "fine.mp4", [(BLUE, 2.0)])
    cuts = [Cut("a", str(clip), 0.5, 2.0, 0, 45, 30, 0.5), Cut("b", str(fine), 1.0, 2.0, 45, 30, 30, 0.5),
            Cut("a", str(clip), 5.0, 6.0, 75, 30, 30, 0.5), Cut("a", str(clip), 9.0, 10.0, 105, 30, 30, 0.5)]
    t = Timeline(30, 160, 96, [SentenceSpan(0, "One.", 0, 135, 30, 0, cuts)])
    plan = tmp_path / "plan.json"
    plan.write_text(t.to_json())
    r = CliRunner().invoke(cli, ["export", str(plan), "-o", str(tmp_path / "cut.edl")])
    assert r.exit_code == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("wam: warning:")]
    assert warnings == ["wam: warning: short.mp4: the plan uses it up to 10.00 s but it lasts 2.00 s; the "
                        "editor will show black or shorten its clips (re-index its library and re-plan)"]


@pytest.mark.slow
def test_one_bad_plan_fails_alone_in_an_export_or_render_batch(wam_home, tmp_path):
    clip = write_clip(tmp_path / "clips" / "bus.mp4", [(RED, 2.0)])
    plans = tmp_path / "plans"
    plans.mkdir()
    for name in ("a", "b"):
        (plans / f"{name}.json").write_text(json.dumps(tiny_plan(clip)))
    (plans / "notes.json").write_text('{"note": "not a plan"}')
    r = CliRunner().invoke(cli, ["export", str(plans), "-o", str(tmp_path / "cuts") + "/", "--json"])
    assert r.exit_code == 1
    status = {Path(x["story"]).name: x["status"] for x in map(json.loads, r.stdout.splitlines())}
    assert status == {"a.json": "ok", "b.json": "ok", "notes.json": "failed"}
    assert sorted(os.listdir(tmp_path / "cuts")) == ["a.otio", "a.srt", "b.otio", "b.srt"]
    assert "1 of 3 jobs failed (first: " in r.stderr.splitlines()[-1]
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({"plan": "plans/notes.json", "output": "videos/notes.mp4"}) + "\n"
                        + json.dumps({"plan": "plans/a.json", "output": "videos/a.mp4"}) + "\n")
    (tmp_path / "videos").mkdir()
    r = CliRunner().invoke(cli, ["render", "--manifest", str(manifest), "--preview", "-q"])
    assert r.exit_code == 1 and os.listdir(tmp_path / "videos") == ["a.mp4"]
    assert one_line(r.stderr).startswith("wam: error: 1 of 2 jobs failed (first: ")


# -------------------------------------------------------------------- smaller defects


def test_a_preview_never_goes_below_the_smallest_output():
    from wam.core.config import MIN_SIDE
    from wam.core.timeline import Timeline
    from wam.render.renderer import RenderOptions

    def preview(w, h):
        o = RenderOptions.for_plan(Timeline(30, w, h, []), preview=True)
        return o.width, o.height

    assert preview(1280, 720) == (640, 360) and preview(1278, 718) == (638, 358)  # half size, as before
    assert preview(16, 16) == (MIN_SIDE, MIN_SIDE)
    assert preview(40, 20) == (32, 16) and preview(20, 40) == (16, 32)  # the shape kept at the minimum
    for w, h in ((16, 9000), (18, 18), (30, 17), (8192, 16)):
        assert min(preview(w, h)) >= MIN_SIDE


def test_search_leaves_out_deleted_clips_with_a_warning(tmp_path):
    import numpy as np

    from wam.app.search import _existing_best

    there = tmp_path / "there.mp4"
    there.write_bytes(b"")
    sources = [str(tmp_path / "gone.mp4"), str(there), str(tmp_path / "gone.mp4"), str(there), str(there)]
    scores = np.array([0.9, 0.5, 0.8, 0.4, 0.1], np.float32)
    assert _existing_best(scores, sources, 2) == ([1, 3], [str(tmp_path / "gone.mp4")])
    assert _existing_best(scores, sources, 9) == ([1, 3, 4], [str(tmp_path / "gone.mp4")])


# ------------------------------------------------------------- on a real (tiny) index


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("robust3")
    lib = tiny_library(root / "lib")
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", lib, "-q", env=env)
    assert r.returncode == 0, r.stderr
    story = root / "long.txt"  # a plan of about 100 KB: more than a pipe holds (64 KB)
    story.write_text("\n\n".join(["A red bus drives down the street.", "Waves roll onto a sandy beach.",
                                  "The forest is quiet."] * 20) + "\n")
    return {"root": root, "lib": lib, "env": env, "story": story}


def _read_a_little(args, env) -> tuple[int, str]:
    """Run wam with its stdout in a pipe whose reader takes 10 bytes and goes away."""
    read_end, write_end = os.pipe()
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    proc = subprocess.Popen([sys.executable, "-m", "wam", *map(str, args)], stdout=write_end,
                            stderr=subprocess.PIPE, env=full_env, text=True)
    os.close(write_end)
    os.read(read_end, 10)
    os.close(read_end)
    _, err = proc.communicate()
    return proc.returncode, err


@pytest.mark.slow
@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_pipe_closed_mid_output_is_exit_1_and_silent(indexed, tmp_path, unbuffered):
    """``wam plan --json | head -c 10``: a document larger than the pipe holds. Unbuffered
    (``PYTHONUNBUFFERED``, as in many containers) the text layer dropped what a short write left
    and wam exited 0 with most of the plan unwritten."""
    env = {**indexed["env"], "PYTHONUNBUFFERED": unbuffered}
    assert _read_a_little(["plan", indexed["story"], "--json", "-q"], env) == (1, "")
    if unbuffered:  # a batch's JSON lines: the second one meets the closed pipe
        stories = tmp_path / "stories"
        stories.mkdir()
        for k in range(2):
            (stories / f"s{k}.txt").write_text(STORY)
        plans = f"{tmp_path / 'plans'}/"
        assert _read_a_little(["plan", stories, "-o", plans, "--json", "-q"], env) == (1, "")


@pytest.mark.slow
def test_every_command_is_quiet_on_a_closed_pipe(indexed):
    env = {**os.environ, "PYTHONPATH": str(REPO), **indexed["env"]}
    for args in (["search", "a red bus", "--json"], ["search", "a red bus"], ["libraries"],
                 ["libraries", "--json"], ["cache"], ["cache", "--json"], ["--version"],
                 ["plan", indexed["story"], "-q"], ["plan", indexed["story"], "-q", "--json"],
                 ["plan", indexed["story"], "-q", "-o", "/dev/stdout"]):  # by name, through fileio
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before wam writes a byte
        try:
            r = subprocess.run([sys.executable, "-m", "wam", *map(str, args)], stdout=write_end,
                               stderr=subprocess.PIPE, env=env, text=True)
        finally:
            os.close(write_end)
        assert (r.returncode, r.stderr) == (1, ""), (args, r.stderr)


@pytest.mark.slow
def test_an_endless_or_binary_timing_file_is_one_line(indexed):
    """``--timing`` is read only once the index is open (test_input_limits has no index)."""
    r = run("plan", indexed["story"], "--timing", "/dev/zero", env=indexed["env"])
    assert r.returncode == 1, r.stderr
    assert one_line(r.stderr) == ("wam: error: --timing /dev/zero is not text: it holds NUL bytes (save it "
                                  "as UTF-8 text)")


@pytest.mark.slow
def test_search_warns_about_a_deleted_clip(indexed, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(indexed["root"] / "home", home)
    extra = tmp_path / "extra"
    write_clip(extra / "red_tram.mp4", [(RED, 2.0), (GREEN, 2.0)])
    env = {"WAM_HOME": str(home)}
    assert run("index", extra, "-q", env=env).returncode == 0
    (extra / "red_tram.mp4").unlink()
    r = run("search", "a red tram", "-k", "3", "--json", env=env)
    assert r.returncode == 0
    hits = json.loads(r.stdout)
    assert len(hits) == 3 and all(os.path.exists(h["source"]) for h in hits)
    assert one_line(r.stderr) == (f"wam: warning: 1 clip(s) among the best matches no longer exist (e.g. "
                                  f"{extra / 'red_tram.mp4'}) and are left out; run `wam index` on their "
                                  "library to update the index")


# ------------------------------------------------------------------ clean interruptions


def test_a_stopped_render_worker_leaves_no_semaphore_behind(tmp_path):
    """A batch's render worker that is stopped mid-render ends with os._exit; tqdm's default lock
    (a named semaphore) made there was left to the resource tracker, which then warned."""
    script = tmp_path / "worker_exit.py"
    script.write_text(
        "import os\n"
        "from wam.core.signals import WorkerPool\n"
        "def render():\n"
        "    from tqdm import tqdm\n"
        "    for _ in tqdm(range(3), disable=True):\n"
        "        pass\n"
        "    os._exit(143)\n"
        "if __name__ == '__main__':\n"
        "    pool = WorkerPool(1)\n"
        "    try:\n"
        "        pool.submit(render).result()\n"
        "    except Exception as exc:\n"
        "        print(type(exc).__name__)\n"
        "    pool.shutdown()\n")
    r = subprocess.run([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(REPO)},
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip() == "BrokenProcessPool" and "leaked" not in r.stderr, r.stderr


def test_stopping_a_pool_whose_worker_died_mid_reply_does_not_hang(tmp_path):
    """A worker that dies while sending its result leaves half a message in the pipe; the
    executor's thread waited for the rest for ever, and so did shutting the pool down (and
    wam's exit). Here the worker writes the start of a 1 MB reply and dies."""
    script = tmp_path / "half_reply.py"
    script.write_text(
        "import os, struct, sys, time\n"
        "from wam.core.signals import WorkerPool, is_running\n"
        "def half_reply():\n"
        "    queue = sys._getframe(1).f_locals['result_queue']  # the pool's reply pipe\n"
        "    os.write(queue._writer.fileno(), struct.pack('!i', 1 << 20) + b'x' * 100)\n"
        "    os._exit(1)\n"
        "if __name__ == '__main__':\n"
        "    pool = WorkerPool(1)\n"
        "    future = pool.submit(half_reply)\n"
        "    pid = pool._worker_pids.get()  # the worker started …\n"
        "    pool._worker_pids.put(pid)\n"
        "    while is_running(pid):  # … and died mid-reply\n"
        "        time.sleep(0.05)\n"
        "    time.sleep(0.5)\n"
        "    pool.stop_workers(grace=1)\n"
        "    pool.shutdown(wait=True, cancel_futures=True)\n"
        "    print('done', type(future.exception()).__name__)\n")
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        out, err = proc.communicate(timeout=600)  # a hang fails the test instead of stopping the suite
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the worker pool hung after a worker died mid-reply")
    assert proc.returncode == 0 and out.strip() == "done BrokenProcessPool", err


@pytest.mark.slow
def test_a_pool_stopped_while_its_workers_start_leaves_no_traceback(tmp_path):
    """Stopped while workers were still starting, a pool left them to fail (a traceback each)
    unpickling the semaphores of a process that was gone; a stop arriving while a worker was
    being handed its setup could cut it in half. Stops at several moments of the start."""
    script = tmp_path / "spawn_race.py"
    script.write_text(
        "import os, sys, signal, threading, time\n"
        "from wam.core.signals import WorkerPool, signals_interrupt\n"
        "def work(x):\n"
        "    return x\n"
        "if __name__ == '__main__':\n"
        "    threading.Timer(float(sys.argv[1]), lambda: os.kill(os.getpid(), signal.SIGTERM)).start()\n"
        "    try:\n"
        "        with signals_interrupt():\n"
        "            pool = WorkerPool(2)\n"
        "            try:\n"
        "                for i in range(4):\n"
        "                    pool.submit(work, i)\n"
        "                time.sleep(30)\n"
        "            except BaseException:\n"
        "                pool.stop_workers()\n"
        "                pool.shutdown(wait=False, cancel_futures=True)\n"
        "                raise\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted')\n")
    for delay in ("0.05", "0.2", "0.4"):
        r = subprocess.run([sys.executable, str(script), delay], env={**os.environ, "PYTHONPATH": str(REPO)},
                           capture_output=True, text=True, cwd=tmp_path)
        assert r.stdout.strip() == "interrupted" and r.stderr == "", (delay, r.stderr)


@pytest.mark.slow
def test_ctrl_c_while_the_fork_server_starts_leaves_no_traceback(tmp_path):
    """Ctrl-C reaches the terminal's whole process group: the fork server, importing its
    preload modules (seconds for the index's decoders), printed a KeyboardInterrupt traceback."""
    (tmp_path / "slow_import.py").write_text("import time\ntime.sleep(3)\n")
    script = tmp_path / "ctrl_c.py"
    script.write_text(
        "import multiprocessing as mp, os, sys\n"
        "sys.path.insert(0, os.getcwd())\n"
        "from wam.core.signals import WorkerPool\n"
        "def work(x):\n"
        "    return x\n"
        "if __name__ == '__main__':\n"
        "    ctx = mp.get_context('forkserver')\n"
        "    ctx.set_forkserver_preload(['slow_import'])\n"
        "    try:\n"
        "        pool = WorkerPool(1, ctx)\n"
        "        print(pool.submit(work, 1).result())\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted')\n")
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(REPO)},
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends
    out, err = proc.communicate()
    assert out.strip() == "interrupted" and "Traceback" not in err and "KeyboardInterrupt" not in err, err


@pytest.mark.slow
def test_sigterm_stops_an_index_cleanly(tmp_path):
    lib = tiny_library(tmp_path / "lib", scale=3.0)
    for k in range(4):
        write_clip(lib / "more" / f"clip{k}.mp4", [(RED, 3.0), (BLUE, 3.0), (GREEN, 3.0)])
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "wam", "index", str(lib), "-j", "2", "-q"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = None
    while proc.poll() is None and started is None:  # wait for the decoders to be at work
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            children = []
        if any(b"forkserver" in Path(f"/proc/{c}/cmdline").read_bytes() for c in children
               if os.path.exists(f"/proc/{c}/cmdline")):
            started = time.monotonic()
        time.sleep(0.1)
    if started is None:
        pytest.skip("the index ended before its decoders started")
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate()
    assert proc.returncode == 143, err
    assert "leaked" not in err and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == ("wam: interrupted; finished work is saved, "
                                            "run the command again to resume")
