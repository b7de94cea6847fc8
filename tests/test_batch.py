"""Batch runs: jobs from arguments, folders, stdin and manifests (pure), and real batches of
`wam render|plan|export` on a tiny generated library (one broken story among good ones,
JSON lines, exit codes, resume, --force, --jobs, per-job options)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import REPO
from interrupts import interrupt_env, run_interrupted, video_part
from media import ffmpeg_exe, tiny_library
from wam.batch.jobs import Job, JobResult, check_distinct_outputs, is_up_to_date, output_in, story_paths
from wam.batch.manifest import read_manifest
from wam.cli import cli
from wam.core.errors import UsageError

# ---------------------------------------------------------------- pure: which jobs


def test_story_paths_from_files_folders_and_stdin(tmp_path):
    (tmp_path / "s").mkdir()
    for name in ("b.txt", "a.md", "notes.json", "c.markdown"):
        (tmp_path / "s" / name).write_text("A story.")
    one = tmp_path / "one.txt"
    one.write_text("One.")
    got = story_paths([str(one), str(tmp_path / "s"), "-", str(one)],
                      ["", str(tmp_path / "s" / "b.txt"), "  "])
    assert got == [str(one), *(str(tmp_path / "s" / n) for n in ("a.md", "b.txt", "c.markdown"))]  # each once
    with pytest.raises(UsageError, match=r"no such story file: .*gone.txt \(line 2 of standard input\)"):
        story_paths(["-"], [str(one), str(tmp_path / "gone.txt")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no story files"):
        story_paths([str(tmp_path / "empty")])
    with pytest.raises(UsageError, match="standard input named none"):
        story_paths(["-"], ["", " "])


def test_outputs_are_named_after_stories_and_must_differ(tmp_path):
    assert output_in(tmp_path, "/x/My story.md", ".mp4") == str(tmp_path / "My story.mp4")
    a = Job(1, str(tmp_path / "s.mp4"), story="/a/s.txt")
    b = Job(2, str(tmp_path / "s.mp4"), story="/b/s.md")
    check_distinct_outputs([a])
    with pytest.raises(UsageError, match=r"/a/s.txt and /b/s.md would both write .*s.mp4"):
        check_distinct_outputs([a, b])
    srt = Job(3, str(tmp_path / "t.mp4"), story="/c/t.txt", extra_outputs=(str(tmp_path / "s.mp4"),))
    with pytest.raises(UsageError, match="would both write"):
        check_distinct_outputs([a, srt])


def test_an_output_newer_than_every_input_is_up_to_date(tmp_path):
    story, music, out, srt = (tmp_path / n for n in ("s.txt", "m.mp3", "o.mp4", "o.srt"))
    for p in (story, music):
        p.write_text("x")
    job = Job(1, str(out), story=str(story), inputs=(str(story), str(music)), extra_outputs=(str(srt),))
    assert not is_up_to_date(job)  # nothing written yet
    out.write_text("video")
    assert not is_up_to_date(job)  # its subtitles are missing
    srt.write_text("subs")
    for p, t in ((story, 100), (music, 200), (out, 300), (srt, 300)):
        os.utime(p, (t, t))
    assert is_up_to_date(job)
    os.utime(music, (301, 301))  # a newer input
    assert not is_up_to_date(job)
    music.unlink()  # an input that is gone: cannot tell, so redo
    assert not is_up_to_date(job)


def test_job_results_as_json_lines():
    job = Job(2, "/o/a.mp4", story="/s/a.txt", line=5)
    ok = JobResult(job, "ok", 12.34567, 5, ["weak"], 3.21)
    assert ok.to_dict() == {"job": 2, "story": "/s/a.txt", "output": "/o/a.mp4", "status": "ok",
                            "duration": 12.346, "cuts": 5, "warnings": ["weak"], "seconds": 3.21,
                            "error": None, "line": 5}
    bad = JobResult(Job(1, "/o/b.mp4", text="Hi."), "failed", error="boom")
    assert not bad.ok and bad.to_dict()["error"] == "boom" and bad.to_dict()["story"] is None
    assert "line" not in bad.to_dict() and bad.job.label == "job 1"


def test_manifest_lines_are_read_and_checked_with_their_line_numbers(tmp_path):
    (tmp_path / "a.txt").write_text("A story.")
    m = tmp_path / "jobs.jsonl"
    m.write_text('{"story": "a.txt", "output": "out/a.mp4", "pace": "fast"}\n\n'
                 '{"text": "Inline story.", "output": "/abs/b.mp4"}\n', encoding="utf-8")
    base, lines = read_manifest(str(m))
    assert base == str(tmp_path)
    assert [(x.line, x.story, x.text, x.output, x.options) for x in lines] == [
        (1, str(tmp_path / "a.txt"), None, str(tmp_path / "out" / "a.mp4"), {"pace": "fast"}),
        (3, None, "Inline story.", "/abs/b.mp4", {})]
    cases = [
        ('{"story": "a.txt"}\n{"story": "a.txt", oops}\n', "line 2: not valid JSON"),
        ('["a.txt"]\n', "line 1: each line must be a JSON object"),
        ('{"story": "a.txt", "text": "x"}\n', 'line 1: give exactly one of .* not story and text'),
        ('{"output": "x.mp4"}\n', "line 1: give exactly one of"),
        ('{"story": "missing.txt"}\n', "line 1: story file missing.txt does not exist"),
        ('{"story": 3}\n', 'line 1: "story" must be a non-empty string'),
        ('{"plan": "a.txt"}\n', 'line 1: "plan" is not used by this command'),
        ("\n\n", "holds no jobs"),
    ]
    for text, message in cases:
        m.write_text(text)
        with pytest.raises(UsageError, match=message):
            read_manifest(str(m), plans="plan" not in text)
    m.write_bytes(b"\xc3\x28{}")
    with pytest.raises(UsageError, match="not UTF-8"):
        read_manifest(str(m))


@pytest.mark.parametrize("line, message", [
    ('{"story": "a.txt", "pace": "slow"}', r'jobs.jsonl line 2: "pace": .*\'slow\' is not one of'),
    ('{"story": "a.txt", "colour": "red"}', r'jobs.jsonl line 2: unknown option "colour"'),
    ('{"story": "a.txt", "crf": 99}', r'jobs.jsonl line 2: "crf": .*99 is not in the range'),
    ('{"story": "a.txt", "keep-audio": "yes"}', r'jobs.jsonl line 2: "keep-audio" must be true or false'),
    ('{"story": "a.txt", "music": "nope.mp3"}', r'jobs.jsonl line 2: "music": .*does not exist'),
    ('{"text": "Inline."}', r'jobs.jsonl line 2: give an "output" \(inline text has no file name'),
    # every value checked before any job runs, the line named (issue 19)
    ('{"story": "a.txt", "output": "b.mp4", "resolution": "0x0"}',
     r'a.txt \(manifest line 2\): .*0x0 is too small'),
    ('{"story": "a.txt", "output": "b.avi"}', r'a.txt \(manifest line 2\): cannot render to .*b.avi'),
    ('{"story": "a.txt", "output": "b.mp4", "fps": true}',
     r'jobs.jsonl line 2: "fps" must be a whole number, not true'),
    ('{"story": "a.txt", "output": "b.mp4", "crf": false}',
     r'jobs.jsonl line 2: "crf" must be a whole number'),
    ('{"story": "a.txt", "output": "b.mp4", "fps": 1e400}',
     r'jobs.jsonl line 2: "fps" must be a finite number'),
    ('{"story": "a.txt", "output": "b.mp4", "fps": 2.5}',
     r'jobs.jsonl line 2: "fps" must be a whole number, not 2.5'),
    ('{"story": "a.txt", "output": "b.mp4", "wps": NaN}',
     r'jobs.jsonl line 2: "wps" must be a finite number'),
    ('{"story": "a.txt", "output": "b.mp4", "wps": "inf"}',
     r'jobs.jsonl line 2: "wps": .*not a finite number'),
])
def test_a_bad_manifest_line_is_a_usage_error_naming_it(tmp_path, wam_home, line, message):
    (tmp_path / "a.txt").write_text("A story.")
    m = tmp_path / "jobs.jsonl"
    m.write_text('{"story": "a.txt", "output": "a.mp4", "pace": "fast", "k": 5, "keep_audio": true}\n' + line
                 + "\n")
    r = CliRunner().invoke(cli, ["render", "--manifest", str(m)])
    assert r.exit_code == 2, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "a.mp4").exists()
    import re

    assert re.search(message, r.stderr), r.stderr


@pytest.mark.parametrize("command, lines, message", [
    ("plan", ['{"story": "a.txt", "output": "a.json"}', '{"story": "b.txt", "output": "a.txt"}'],
     r"b.txt \(manifest line 2\): refusing to write .*a.txt: "
     r"it is .*a.txt, an input of .*a.txt \(manifest line 1\)"),
    ("render", ['{"story": "a.txt", "output": "a.mp4", "srt": "jobs.jsonl"}'],
     r"manifest line 1\): refusing to write .*jobs.jsonl: it is .*jobs.jsonl, the manifest of this batch"),
    ("render", ['{"story": "a.txt", "output": "a.mp4", "music": "bed.mp3"}',
                '{"story": "b.txt", "output": "b.mp4", "srt": "bed.mp3"}'],
     r"manifest line 2\): refusing to write .*bed.mp3: it "
     r"is .*bed.mp3, an input of .*a.txt \(manifest line 1\)"),
    ("plan",
     ['{"story": "a.txt", "output": "x.json", "timing": "t.srt"}', '{"story": "b.txt", "output": "t.srt"}'],
     r"manifest line 2\): refusing to write .*t.srt: it is .*t.srt, an input of"),
    ("render",
     ['{"plan": "p.json", "output": "p.mp4"}', '{"story": "b.txt", "output": "b.mp4", "srt": "clip.txt"}'],
     r"manifest line 2\): refusing to write .*clip.txt: it is .*clip.txt, an input of"),  # a clip's sidecar
    ("plan", ['{"story": "a.txt", "output": "same.json"}', '{"text": "Inline.", "output": "link.json"}'],
     r"would both write .*link.json"),  # one file under two names
])
def test_no_job_writes_what_another_job_reads(tmp_path, wam_home, command, lines, message):
    import re

    from wam.core.timeline import Cut, SentenceSpan, Timeline

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("A story.")
    (tmp_path / "bed.mp3").write_bytes(b"music")
    (tmp_path / "t.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nA story.\n")
    clip = tmp_path / "clip.mp4"  # a saved plan's clip, with a sidecar beside it
    clip.write_bytes(b"video")
    (tmp_path / "clip.txt").write_text("A sidecar: what the clip shows")
    cut = Cut("s0", str(clip), 0.0, 1.0, 0, 25, 25, 0.5)
    (tmp_path / "p.json").write_text(Timeline(25, 320, 180,
                                              [SentenceSpan(0, "A.", 0, 25, 25, 0, [cut])]).to_json())
    (tmp_path / "same.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "same.json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(cli, [command, "--manifest", str(manifest)])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert re.search(message, r.stderr), r.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p != manifest} == before


def test_batch_arguments_that_cannot_work_are_usage_errors(tmp_path, wam_home):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("A story.")
    a, b = str(tmp_path / "a.txt"), str(tmp_path / "b.txt")
    cases = [
        (["render", a, b, "-o", str(tmp_path / "one.mp4")], "is one file; for several stories give a folder"),
        (["render", str(tmp_path), "-o", str(tmp_path / "x.mp4")], "is one file"),
        (["plan", a, b], "give a folder to write into"),
        (["render", a, b, "-o", str(tmp_path / "out") + "/", "--plan", a], "--plan renders one saved plan"),
        (["export", a, b, "-o", str(tmp_path / "cuts") + "/", "--format", "edl", "--manifest", a],
         "not both"),
        (["render", a, b, "-o", str(tmp_path / "no" / "such") + "/"], "cannot create the output folder"),
    ]
    for args, message in cases:
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2 and message in r.stderr, (args, r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "wamhome"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no folder left behind


# ---------------------------------------------------------------- real batches on a tiny library

GOOD = {
    "bus": "A red bus drives down the street.",
    "beach": "Waves roll onto a sandy beach.\n\nThe forest is quiet.",
    "forest": "The quiet forest at dawn.",
}
SMALL = ["--resolution", "160x96", "--preset", "ultrafast", "--fps", "10", "--no-subtitles"]


def run(*args, env, stdin=None):
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env=full, text=True,
                          capture_output=True, input=stdin)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    lib = root / "lib"
    tiny_library(lib)
    (lib / "street" / "red_bus.txt").write_text("A red bus drives down a city street")
    (lib / "beach" / "sandy_beach.txt").write_text("Waves roll onto a sandy beach")
    env = {"WAM_HOME": str(root / "home")}
    r = run("index", lib, "-q", env=env)
    assert r.returncode == 0, r.stderr
    return {"root": root, "lib": lib, "env": env}


def stories(folder, broken: bool = True):
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / f"{name}.txt").write_text(text + "\n")
    if broken:
        (folder / "broken.txt").write_bytes(b"\xc3\x28 not UTF-8")
    return folder


def probe(path):
    """(width, height, seconds) of a video, decoded to the end with ffmpeg."""
    import re

    err = subprocess.run([ffmpeg_exe(), "-v", "info", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    w, h = re.search(r"Video: .*?(\d{2,5})x(\d{2,5})", err).groups()
    t = re.findall(r"time=(\d+):(\d+):([\d.]+)", err)[-1]
    return int(w), int(h), int(t[0]) * 3600 + int(t[1]) * 60 + float(t[2])


@pytest.mark.slow
def test_a_batch_renders_every_good_story_reports_json_lines_and_resumes(library, tmp_path):
    env = library["env"]
    folder = stories(tmp_path / "stories")
    out = tmp_path / "videos"
    r = run("render", folder, "-o", f"{out}/", "--json", "--jobs", "2", *SMALL, env=env)
    assert r.returncode == 1, r.stderr  # one story failed
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 4 and sorted(x["job"] for x in lines) == [1, 2, 3, 4]
    by = {os.path.basename(x["output"]): x for x in lines}
    assert by["broken.mp4"]["status"] == "failed" and "not UTF-8" in by["broken.mp4"]["error"]
    assert not (out / "broken.mp4").exists()
    for name in GOOD:
        line = by[f"{name}.mp4"]
        assert line["status"] == "ok" and line["error"] is None and line["cuts"] >= 1, line
        assert line["story"] == str(folder / f"{name}.txt") and line["seconds"] > 0
        w, h, seconds = probe(out / f"{name}.mp4")
        assert (w, h) == (160, 96) and abs(seconds - line["duration"]) < 0.3
    assert "1 of 4 jobs failed" in r.stderr.strip().splitlines()[-1]
    assert "[4/4]" in r.stderr and not list(out.glob(".*part*"))

    # a re-run skips what is up to date; an edited story is redone; --force redoes all
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4")}
    time.sleep(0.05)
    (folder / "bus.txt").write_text(GOOD["bus"] + " It stops.\n")
    (folder / "broken.txt").unlink()
    r = run("render", folder, "-o", f"{out}/", "--json", *SMALL, env=env)
    assert r.returncode == 0, r.stderr
    status = {os.path.basename(x["output"]): x["status"] for x in map(json.loads, r.stdout.splitlines())}
    assert status == {"bus.mp4": "ok", "beach.mp4": "skipped", "forest.mp4": "skipped"}
    assert (out / "beach.mp4").stat().st_mtime_ns == stamps["beach.mp4"]
    assert (out / "bus.mp4").stat().st_mtime_ns > stamps["bus.mp4"]
    r = run("render", folder, "-o", f"{out}/", "--json", "--force", *SMALL, env=env)
    assert r.returncode == 0 and [json.loads(x)["status"] for x in r.stdout.splitlines()] == ["ok"] * 3


@pytest.mark.slow
def test_a_manifest_sets_options_per_job_and_stdin_lists_stories(library, tmp_path):
    env = library["env"]
    folder = stories(tmp_path / "stories", broken=False)
    (tmp_path / "out").mkdir()
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text("\n".join(json.dumps(x) for x in [
        {"story": "stories/bus.txt", "output": "out/tall.mp4", "aspect": "9:16"},
        {"text": "Waves roll onto a sandy beach.", "output": "out/inline.mp4", "resolution": "128x72",
         "srt": "out/inline.srt"},
        {"story": "stories/forest.txt", "output": "out/forest.mp4", "preview": True},
    ]) + "\n")
    r = run("render", "--manifest", manifest, "--json", *SMALL, env=env)
    assert r.returncode == 0, r.stderr
    lines = {x["line"]: x for x in map(json.loads, r.stdout.splitlines())}
    assert sorted(lines) == [1, 2, 3] and lines[2]["story"] is None
    assert probe(tmp_path / "out" / "tall.mp4")[:2] == (96, 170)  # 9:16, the short side kept
    assert probe(tmp_path / "out" / "inline.mp4")[:2] == (128, 72)
    assert probe(tmp_path / "out" / "forest.mp4")[:2] == (80, 48)  # a preview is half size
    assert "-->" in (tmp_path / "out" / "inline.srt").read_text()

    listed = "\n".join(str(folder / f"{n}.txt") for n in ("forest", "bus")) + "\n"
    r = run("render", "-", "-o", f"{tmp_path / 'piped'}/", "-q", *SMALL, env=env, stdin=listed)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert sorted(p.name for p in (tmp_path / "piped").iterdir()) == ["bus.mp4", "forest.mp4"]


@pytest.mark.slow
def test_plan_and_export_batches_match_single_runs(library, tmp_path):
    env = library["env"]
    folder = stories(tmp_path / "stories")
    r = run("plan", folder, "-o", f"{tmp_path / 'plans'}/", "--pace", "fast", env=env)
    assert r.returncode == 1 and "broken.txt" in r.stderr.strip().splitlines()[-1]
    for name in GOOD:
        single = run("plan", folder / f"{name}.txt", "--pace", "fast", "--json", env=env)
        assert json.loads((tmp_path / "plans" / f"{name}.json").read_text()) == json.loads(single.stdout)
    r = run("export", tmp_path / "plans", "-o", f"{tmp_path / 'cuts'}/", "--format", "edl", "--json", env=env)
    assert r.returncode == 0, r.stderr
    made = sorted(p.name for p in (tmp_path / "cuts").iterdir())
    assert made == sorted([f"{n}.edl" for n in GOOD] + [f"{n}.srt" for n in GOOD])
    assert all(json.loads(x)["status"] == "ok" for x in r.stdout.splitlines())
    assert "TITLE:" in (tmp_path / "cuts" / "bus.edl").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_keeps_finished_videos_and_resumes(library, tmp_path, sig, code):
    env = library["env"]
    folder = tmp_path / "stories"
    folder.mkdir()
    for k in range(6):
        (folder / f"s{k}.txt").write_text(" ".join([GOOD["bus"], GOOD["forest"]] * 3) + "\n")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "wam", "render", str(folder), "-o", f"{out}/", "--json", "--jobs", "2",
            "--resolution", "320x180", "--fps", "10"]
    proc = subprocess.Popen(args, env={**os.environ, "PYTHONPATH": str(REPO), **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = proc.stdout.readline()  # the first finished job
    assert json.loads(first)["status"] == "ok"
    # Ctrl-C reaches the whole foreground group, and so may a service manager's SIGTERM
    os.killpg(proc.pid, sig)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "interrupted" in err and "Traceback" not in err
    done = {json.loads(x)["output"] for x in [first, *rest.splitlines()]}
    kept = {str(p) for p in out.glob("*.mp4")}
    assert done == kept  # every finished video kept and reported, also one that finished as Ctrl-C arrived
    for video in kept:
        check = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", video, "-f", "null", "-"],
                               capture_output=True)
        assert check.returncode == 0 and not check.stderr, video
    assert not list(out.glob(".*"))  # temp files removed
    r = run(*args[3:], env=env)
    statuses = [json.loads(x)["status"] for x in r.stdout.splitlines()]
    assert r.returncode == 0 and statuses.count("skipped") == len(kept) and len(statuses) == 6


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_as_a_worker_puts_its_video_in_place_leaves_no_temp_file(library, tmp_path, sig,
                                                                           code):
    """Issue 19: SIGTERM to the process group left ``OUT/.s1.<pid>.part.mp4``. The signal also
    reached multiprocessing's fork server, which died of it, and the kernel then killed every
    worker it had forked (their parent-death signal) in the middle of its clean-up. Here the
    signal comes exactly as a worker renames its finished temp video into place, and every
    removal of a temp file afterwards takes a second (a loaded machine)."""
    env = {**library["env"], **interrupt_env(tmp_path, "rename:" + video_part(r"s\d"), sig, slow=1.0)}
    out = tmp_path / "out"
    out.mkdir()
    manifest = tmp_path / "jobs.jsonl"
    lines = [{"text": GOOD["bus"], "output": f"out/s{k}.mp4", "srt": f"out/s{k}.srt"} for k in range(3)]
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    r = run_interrupted("render", "--manifest", manifest, "--json", "--jobs", "2", *SMALL, env=env)
    assert r.returncode == code, r.stderr
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "signal-sent").exists()
    assert not list(out.glob(".*")), sorted(p.name for p in out.iterdir())  # no temp video or subtitles
    assert not list((tmp_path / "tmp").iterdir())  # nor a render's scratch folder
    done = {json.loads(x)["output"] for x in r.stdout.splitlines()}
    assert done == {str(p) for p in out.glob("*.mp4")}
    # each video with its subtitles
    assert {p.stem for p in out.glob("*.srt")} == {p.stem for p in out.glob("*.mp4")}


def test_stopping_the_workers_removes_what_a_worker_killed_outright_left(tmp_path, monkeypatch):
    """A render worker killed outright (still there after the grace period of ``stop_workers``)
    cannot clean up: once the workers are gone, the batch removes its jobs' temp files beside
    the outputs and the subtitles, and the workers' scratch folders (renders without a cache)."""
    import tempfile

    from wam.batch.run import LocalExecutor
    from wam.batch.work import RenderRequest
    from wam.core.fileio import part_path

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out, srt = tmp_path / "s1.mp4", tmp_path / "s1.srt"
    executor = LocalExecutor(1)
    try:
        reply = executor.submit(RenderRequest(Job(1, str(out)), "{}", {}, str(out), 4.0, 2, (), 0.0, 0.0,
                                              str(srt))).result()
        assert reply.get("error")  # "{}" is no plan: the worker replied, and waits for the next job
        [pid] = list(executor._pool._processes)
        left = [part_path(out, pid), tmp_path / f".s1.srt.{pid}.0a1b2c3d.part",
                tmp_path / "tmp" / f"wam-render-{pid}-x1y2z3"]
        for p in left[:2]:
            p.write_bytes(b"half")
        left[2].mkdir()
        os.kill(pid, signal.SIGKILL)
    finally:
        executor.stop()
    assert not any(p.exists() for p in left)


def test_renders_that_finished_as_the_batch_stopped_are_reported(tmp_path):
    """Ctrl-C while jobs render: a job whose worker replied, or whose video was renamed into
    place before its worker was stopped, is kept and so gets its line; the others do not."""
    from concurrent.futures import Future

    from wam.batch.run import _report_finished_as_stopped
    from wam.batch.work import RenderRequest, RenderWork

    now, wall = time.perf_counter(), time.time()
    old = tmp_path / "old.mp4"  # a video from an earlier run, left as it was (the new render was stopped)
    old.write_bytes(b"earlier")
    os.utime(old, (wall - 60, wall - 60))
    (tmp_path / "renamed.mp4").write_bytes(b"finished")  # renamed into place just before the stop

    def request(n, name):
        return RenderRequest(Job(n, str(tmp_path / name)), "{}", {}, str(tmp_path / name), 4.0, 2, (),
                             now - 1, wall - 1)

    def future(reply=None, error=None):
        f = Future()
        if reply is not None:
            f.set_result(reply)
        elif error is not None:
            f.set_exception(error)
        return f

    running = {future({"warnings": []}): request(1, "replied.mp4"),
               future({"error": "bad"}): request(2, "failed.mp4"),
               future(error=RuntimeError("worker killed")): request(3, "renamed.mp4"),
               future(error=RuntimeError("worker killed")): request(4, "old.mp4"),
               future(): request(5, "never.mp4")}
    reported = []
    _report_finished_as_stopped(running, RenderWork.__new__(RenderWork), reported.append)
    assert [(r.job.number, r.status) for r in reported] == [(1, "ok"), (3, "ok")]
