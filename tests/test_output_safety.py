"""Outputs never replace what a path points at (issue 19): a device or FIFO is written
through and stays what it is, a full device is one line, a symlink's target is replaced and
the link kept, a rewritten file keeps its permissions, outputs are put in place under a lock;
a saved plan's clips and sidecars are protected even when the index cannot be read; a render
to a name that is no MP4 is refused before any work."""

import errno
import fcntl
import os
import stat
import threading

import pytest
from click.testing import CliRunner

from wam.app.outputs import check_output
from wam.cli import cli
from wam.core.errors import OutputError, UnsafeOutputError, UsageError
from wam.core.fileio import install, is_stream, output_lock, staged, write_atomic
from wam.core.timeline import Cut, SentenceSpan, Timeline

ROOT = os.geteuid() == 0


def device(tmp_path, name: str, minor: int):
    """A character device like /dev/<name> (1, minor): a copy made in ``tmp_path`` when this
    user may (root: so that no test ever touches the system's own), else the system's."""
    if ROOT:
        path = tmp_path / name
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        return path
    return f"/dev/{name}"


def is_char_device(path) -> bool:
    return stat.S_ISCHR(os.stat(path).st_mode)


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there before the writer opens it
    try:
        write_atomic(fifo, '{"schema": "wam.timeline/1"}\n')
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 1000) == b'{"schema": "wam.timeline/1"}\n'
    finally:
        os.close(reader)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.fifo"]  # no temp file left


def test_a_big_write_reaches_a_fifo_reader_thread(tmp_path):
    fifo = tmp_path / "video.fifo"
    os.mkfifo(fifo)
    data = os.urandom(3 << 20)  # more than a pipe holds: the writer waits for the reader
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    tmp = staged(fifo, data)
    install(tmp, fifo)
    reader.join()
    assert got == [data] and not tmp.exists() and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_character_device_is_written_through(tmp_path):
    null = device(tmp_path, "null", 3)
    write_atomic(null, "a plan")
    assert is_char_device(null)
    full = device(tmp_path, "full", 7)
    with pytest.raises(OutputError, match=r"^cannot write .*full: the disk is full$"):
        write_atomic(full, "a plan")
    assert is_char_device(full)
    if ROOT:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "null"]


def test_a_terminal_is_written_through(tmp_path):
    leader, follower = os.openpty()
    try:
        name = os.ttyname(follower)
        assert is_stream(name)
        write_atomic(name, "to the terminal\n")
        assert b"to the terminal" in os.read(leader, 1000)
        assert is_char_device(name)
    finally:
        os.close(leader)
        os.close(follower)


def test_descriptor_names_are_written_through_never_replaced(tmp_path):
    read_end, write_end = os.pipe()
    try:
        assert is_stream(f"/dev/fd/{write_end}")
        write_atomic(f"/dev/fd/{write_end}", "through the pipe")
        assert os.read(read_end, 100) == b"through the pipe"
    finally:
        os.close(read_end)
        os.close(write_end)
    log = tmp_path / "log.txt"  # stdout redirected with >> to a log: the plan is added, the log kept
    log.write_text("earlier lines\n")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        write_atomic(f"/proc/self/fd/{fd}", "the plan\n")
    finally:
        os.close(fd)
    assert log.read_text() == "earlier lines\nthe plan\n"


def test_a_symlink_is_followed_and_its_target_replaced(tmp_path):
    real = tmp_path / "plans" / "plan.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "plan.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    dangling = tmp_path / "later.json"  # a link to a file not made yet: the file is made
    dangling.symlink_to(tmp_path / "plans" / "later.json")
    write_atomic(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "plans" / "later.json").read_text() == "made"
    assert not list(tmp_path.rglob("*.part"))


def test_rewriting_a_file_keeps_its_permissions(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("old")
    os.chmod(plan, 0o600)
    write_atomic(plan, "new")
    assert stat.S_IMODE(os.stat(plan).st_mode) == 0o600 and plan.read_text() == "new"
    os.chmod(plan, 0o640)
    tmp = staged(plan, b"newer")
    install(tmp, plan)
    assert stat.S_IMODE(os.stat(plan).st_mode) == 0o640 and plan.read_text() == "newer"
    fresh = tmp_path / "fresh.json"
    umask = os.umask(0o022)
    try:
        write_atomic(fresh, "{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o644


def test_outputs_are_put_in_place_under_a_lock_on_their_folders(tmp_path):
    video, subtitles = tmp_path / "out" / "film.mp4", tmp_path / "subs" / "film.srt"
    video.parent.mkdir()
    subtitles.parent.mkdir()

    def locked(folder) -> bool:
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            assert exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
            return True
        finally:
            os.close(fd)
        return False

    with output_lock(video, subtitles, None):
        assert locked(video.parent) and locked(subtitles.parent)
    assert not locked(video.parent) and not locked(subtitles.parent)


def dead_pid() -> int:
    """The id of a process that has ended."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temp_files_are_named_after_their_process_and_dead_ones_are_removed(tmp_path):
    """Issue 19: a temp file beside an output carries the id of the process writing it, so that
    what a process killed outright (or a batch worker stopped before its clean-up) left is found
    and removed; other processes' and other outputs' are kept."""
    import re

    from wam.core.fileio import part_path, remove_dead_parts

    plan, dead = tmp_path / "plan.json", dead_pid()
    tmp = staged(plan, b"{}")
    assert tmp.parent == tmp_path
    assert re.fullmatch(rf"\.plan\.json\.{os.getpid()}\.[0-9a-f]{{8}}\.part", tmp.name)
    tmp.unlink()
    assert part_path(plan) == tmp_path / f".plan.json.{os.getpid()}.part"
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "real" / "plan.json")
    assert part_path(link, 7) == tmp_path / "real" / ".plan.json.7.part"  # beside the file it replaces
    left = [part_path(plan, dead), tmp_path / f".plan.json.{dead}.k3x9a0q2.part"]
    kept = [part_path(plan), part_path(plan, 1), tmp_path / f".other.json.{dead}.part",
            tmp_path / f".plan.json.{dead}.notes"]
    for p in (*left, *kept):
        p.write_bytes(b"half")
    assert sorted(remove_dead_parts(plan)) == sorted(left)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in left)
    for p in left:
        p.write_bytes(b"half")
    write_atomic(plan, "{}")  # a write of the same output removes them too
    assert not any(p.exists() for p in left) and plan.read_text() == "{}"


def test_an_interrupt_as_a_temp_file_is_made_or_handed_over_leaves_none(tmp_path, monkeypatch):
    """Ctrl-C as the temp file was created (before its name reached the code that removes it), or
    as ``staged`` handed it to ``write_atomic``, left it behind; its name is now chosen before the
    file exists, and the hand-over holds signals."""
    import signal

    import wam.core.fileio

    real_open, real_staged = os.open, wam.core.fileio.staged

    def open_then_interrupt(path, *args, **kwargs):
        fd = real_open(path, *args, **kwargs)
        if str(path).endswith(".part"):
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "plan.json", "{}")
    monkeypatch.setattr(os, "open", real_open)
    assert os.listdir(tmp_path) == []

    def staged_then_ctrl_c(path, data):
        tmp = real_staged(path, data)
        os.kill(os.getpid(), signal.SIGINT)
        return tmp

    monkeypatch.setattr(wam.core.fileio, "staged", staged_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "plan.json", "{}")
    assert os.listdir(tmp_path) == []


def test_special_outputs_pass_the_checks_a_disk_does_not(tmp_path, wam_home):
    null = device(tmp_path, "null", 3)
    # writing a device destroys nothing
    assert str(check_output(null, inputs=[null])) == os.path.realpath(null)
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    assert check_output(fifo) == fifo.resolve()
    with pytest.raises(UnsafeOutputError, match="an input of this run"):
        check_output(fifo, inputs=[fifo])  # a FIFO read and written at once would hang
    if ROOT:
        disk = tmp_path / "disk"
        os.mknod(disk, 0o660 | stat.S_IFBLK, os.makedev(7, 0))
        with pytest.raises(UsageError, match="it is a disk"):
            check_output(disk)


# ------------------------------------------------ a saved plan's clips, with or without a readable index


@pytest.fixture
def planned(tmp_path, wam_home):
    """A saved plan of a clip in lib/city (with a sidecar), and an index that is garbage."""
    clip = tmp_path / "lib" / "city" / "clip.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"not really a video" * 10)
    sidecar = clip.with_suffix(".txt")
    sidecar.write_text("Towers at night")
    cut = Cut("s0", str(clip), 0.0, 2.0, 0, 50, 25, 0.5)
    plan = tmp_path / "plan.json"
    plan.write_text(Timeline(25, 320, 180, [SentenceSpan(0, "Towers.", 0, 50, 25, 0, [cut])]).to_json())
    wam_home.mkdir()
    (wam_home / "index.sqlite").write_bytes(os.urandom(4096))
    return {"clip": clip, "sidecar": sidecar, "plan": plan}


def test_a_plans_clips_and_sidecars_are_protected_and_their_folders_without_an_index(planned, tmp_path):
    clip, sidecar = planned["clip"], planned["sidecar"]
    for target in (clip, sidecar, clip.with_suffix(".json")):
        with pytest.raises(UnsafeOutputError, match=str(target.name)):
            check_output(target, sources=[clip])
    with pytest.raises(UnsafeOutputError, match="the folder of the plan's clip"):
        check_output(clip.parent / "cut.otio", sources=[clip])  # the index cannot say where the library is
    assert check_output(tmp_path / "cut.otio", sources=[clip]) == (tmp_path / "cut.otio").resolve()
    # with an index that names no library there, the folder may take new files; the clip never
    assert check_output(clip.parent / "cut.otio", sources=[clip], libraries=[]) == (clip.parent / "cut.otio")
    with pytest.raises(UnsafeOutputError, match="a sidecar of the plan's clip"):
        check_output(sidecar, sources=[clip], libraries=[])


def test_a_damaged_index_does_not_switch_protection_off(planned, tmp_path):
    sidecar = planned["sidecar"]
    r = CliRunner().invoke(cli, ["render", "--plan", str(planned["plan"]), "-o", str(tmp_path / "x.mp4"),
                                 "--srt", str(sidecar)])
    assert r.exit_code == 2 and "sidecar" in r.stderr, r.stderr
    assert sidecar.read_text() == "Towers at night" and not (tmp_path / "x.mp4").exists()
    for args in (["export", str(planned["plan"]), "-o", str(sidecar.parent / "cut.otio")],
                 ["storyboard", str(planned["plan"]), "-o", str(sidecar.parent / "board.html")]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2 and "the folder of the plan's clip" in r.stderr, r.stderr
    assert sorted(p.name for p in sidecar.parent.iterdir()) == ["clip.mp4", "clip.txt"]


def test_a_damaged_index_protects_footage_the_plan_does_not_name(planned, tmp_path):
    """Found again in this round: with the index garbage, ``render --plan p.json --srt
    lib/history/coins.json`` replaced the sidecar of a clip the plan does not use (its folder is
    not one the plan names), and ``-o lib/history/coins.mp4`` the clip itself. Without an index to
    say where the libraries are, any existing video or picture and any sidecar of one is refused."""
    coins = tmp_path / "lib" / "history" / "coins.mp4"
    coins.parent.mkdir()
    coins.write_bytes(b"other footage" * 10)
    described = coins.with_suffix(".json")
    described.write_text('{"description": "Greek coins"}')
    plan = str(planned["plan"])
    for args, what in ((["render", "--plan", plan, "-o", str(tmp_path / "x.mp4"), "--srt", str(described)],
                        "the sidecar of"),
                       (["export", plan, "-o", str(coins.with_suffix(".txt")), "--format", "edl", "--no-srt"],
                        "the sidecar of"),  # a new sidecar would describe the clip
                       (["render", "--plan", plan, "-o", str(coins)], "an existing video or picture")):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2 and what in r.stderr and "the index cannot be read" in r.stderr, r.stderr
    assert sorted(p.name for p in coins.parent.iterdir()) == ["coins.json", "coins.mp4"]
    assert described.read_text() == '{"description": "Greek coins"}' and not (tmp_path / "x.mp4").exists()
    # a new file of any other name is written; and with a readable index a story's own name beside
    # its video is just a file (story.txt beside story.mp4)
    r = CliRunner().invoke(cli, ["export", plan, "-o", str(coins.parent / "notes.edl"), "--no-srt"])
    assert r.exit_code == 0 and (coins.parent / "notes.edl").exists(), r.stderr
    (tmp_path / "story.mp4").write_bytes(b"a render")
    assert check_output(tmp_path / "story.txt", libraries=[]) == tmp_path / "story.txt"


def test_exporting_to_a_full_device_is_one_line_and_nothing_beside_it(planned, tmp_path):
    full = device(tmp_path, "full", 7)
    r = CliRunner().invoke(cli, ["export", str(planned["plan"]), "-o", str(full), "--format", "otio"])
    assert r.exit_code == 1, r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"wam: error: cannot write {full}: the disk is full"
    assert is_char_device(full) and not os.path.exists(f"{full}.srt")


def test_exporting_to_a_fifo_sends_the_timeline_through_it(planned, tmp_path):
    fifo = tmp_path / "cut.otio"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    r = CliRunner().invoke(cli, ["export", str(planned["plan"]), "-o", str(fifo)])
    assert r.exit_code == 0, r.stderr
    reader.join()
    assert '"OTIO_SCHEMA"' in got[0] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not (tmp_path / "cut.srt").exists()  # nothing can be beside a pipe


def test_a_storyboard_goes_through_a_fifo_and_a_link_and_a_full_device_is_one_line(tmp_path, wam_home):
    """``storyboard -o``, like ``plan -o`` and ``export -o``: a FIFO stays a FIFO and gets the
    page, a symlink's target is replaced, ``/dev/full`` is one line (exit 1)."""
    import json

    from media import RED, write_clip
    from test_cli_errors import tiny_plan

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(write_clip(tmp_path / "clips" / "bus.mp4", [(RED, 2.0)]))))
    fifo = tmp_path / "board.html"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(fifo), "-q"])
    assert r.exit_code == 0, r.stderr
    reader.join()
    assert got[0].startswith("<!DOCTYPE html>") and stat.S_ISFIFO(os.stat(fifo).st_mode)
    real, link = tmp_path / "boards" / "b.html", tmp_path / "link.html"
    real.parent.mkdir()
    real.write_text("old")
    link.symlink_to(real)
    assert CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(link), "-q"]).exit_code == 0
    assert link.is_symlink() and real.read_text().startswith("<!DOCTYPE html>")
    full = device(tmp_path, "full", 7)
    r = CliRunner().invoke(cli, ["storyboard", str(plan), "-o", str(full), "-q"])
    assert r.exit_code == 1 and r.stderr == f"wam: error: cannot write {full}: the disk is full\n", r.stderr
    assert is_char_device(full)


@pytest.mark.parametrize("name", ["out.avi", "out", "full"])
def test_a_render_to_a_name_that_is_no_mp4_is_refused_before_any_work(tmp_path, wam_home, name):
    story = tmp_path / "story.txt"
    story.write_text("A cat sleeps.\n")
    target = device(tmp_path, "full", 7) if name == "full" else tmp_path / name
    srt = tmp_path / "out.srt"
    r = CliRunner().invoke(cli, ["render", str(story), "-o", str(target), "--srt", str(srt)])
    # exit 2 before planning: with nothing indexed, planning would have failed with exit 1
    assert r.exit_code == 2 and "its name must end in .mp4" in r.stderr, r.stderr
    assert not srt.exists() and not (tmp_path / "out.avi").exists()


def test_non_finite_reading_speeds_are_refused(tmp_path, wam_home):
    story = tmp_path / "story.txt"
    story.write_text("A cat sleeps.\n")
    for value in ("nan", "inf", "-inf"):
        r = CliRunner().invoke(cli, ["plan", str(story), "--wps", value])
        assert r.exit_code == 2 and "--wps" in r.stderr, (value, r.stderr)


# ------------------------------------------------ end to end, on a tiny indexed library


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    import subprocess
    import sys

    from conftest import REPO
    from media import tiny_library

    root = tmp_path_factory.mktemp("special")
    tiny_library(root / "lib")
    story = root / "story.txt"
    story.write_text("A red bus drives down the street.\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(root / "home")}

    def wam(*args, **kw):
        return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env=env, text=True,
                              capture_output=True, **kw)

    assert wam("index", root / "lib", "-q").returncode == 0
    return {"story": story, "wam": wam}


@pytest.mark.slow
def test_plan_to_a_fifo_to_stdout_and_over_a_private_plan(indexed, tmp_path):
    import json

    story, wam = indexed["story"], indexed["wam"]
    fifo = tmp_path / "f"
    os.mkfifo(fifo)  # mkfifo f; wam plan s.txt -o f
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    r = wam("plan", story, "-o", fifo, "-q")
    assert r.returncode == 0, r.stderr
    reader.join()
    assert json.loads(got[0])["schema"] == "wam.timeline/1" and stat.S_ISFIFO(os.stat(fifo).st_mode)
    # stdout by name (the system's /dev/stdout is never touched here)
    r = wam("plan", story, "-o", "/dev/fd/1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["schema"] == "wam.timeline/1"  # the JSON alone: no table after it
    plan = tmp_path / "plan.json"
    assert wam("plan", story, "-o", plan, "-q").returncode == 0
    os.chmod(plan, 0o600)
    assert wam("plan", story, "-o", plan, "-q", "--pace", "fast").returncode == 0
    assert stat.S_IMODE(os.stat(plan).st_mode) == 0o600
