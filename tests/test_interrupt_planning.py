"""SIGTERM and SIGHUP while wam plans (issue 19): before any render starts, a stop signal
killed wam outright (exit -15, no message, the text-model child left to its parent-death
signal), while during a render it was already an interrupt (143). Now every command stops
as on Ctrl-C: one line, 128 + the signal, the text-model process (``python -m wam.text.embed``)
ended and waited for, nothing left behind.

The signal comes at an exact moment (``interrupts.py``): as the text model reads its
``config.json`` — in the child process for ``wam render`` and a batch, in wam itself for ``wam
plan`` — so the planning is under way and no render has started. Each test fails on the code
before the fix (wam ended by the signal, returncode -15 / -1)."""

import os
import signal
import subprocess
import sys

import pytest

from conftest import REPO
from interrupts import fired_by, interrupt_env, run_interrupted
from media import tiny_library
from test_cli_errors import run
from wam.core.signals import is_running

pytestmark = pytest.mark.slow

#: The text model opening its settings: it is being loaded, to embed the story's sentences.
LOADING_THE_MODEL = r"open:^config\.json$"
INTERRUPTED = "wam: interrupted; finished work is saved, run the command again to resume"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("interrupt_planning")
    lib = tiny_library(root / "lib")
    r = run("index", lib, "-q", env={"WAM_HOME": str(root / "home")})
    assert r.returncode == 0, r.stderr
    return root


def _story(tmp_path, words: str):
    """A story of its own for each test: its sentences are in no embedding cache, so the text
    model has to be loaded for them."""
    story = tmp_path / "story.txt"
    story.write_text(f"A red bus drives down the street past {words}.\n\nWaves roll onto a sandy beach.\n")
    return story


def _home(indexed, tmp_path):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(indexed / "home", home)
    return home


@pytest.mark.parametrize("command, sig, to_parent, code", [
    ("render", "SIGTERM", False, 143),  # a service manager stops wam's process group
    ("render", "SIGHUP", False, 129),  # the terminal closes
    ("render", "SIGTERM", True, 143),  # `kill PID` of wam alone: its model child must not outlive it
    ("plan", "SIGTERM", False, 143),  # wam plan loads the model in its own process
    ("plan", "SIGHUP", False, 129),
    ("batch", "SIGTERM", False, 143),  # a batch's one text-model process
    ("batch", "SIGTERM", True, 143),
])
def test_a_stop_signal_while_planning_is_an_interrupt(indexed, tmp_path, command, sig, to_parent, code):
    story = _story(tmp_path, f"{command} {sig} {to_parent}".lower())
    other = tmp_path / "other.txt"
    other.write_text(f"The forest is quiet ({command} {sig} {to_parent}).\n")
    out = tmp_path / "out"
    out.mkdir()
    args = {"render": ["render", story, "-o", out / "film.mp4", "--srt", out / "film.srt"],
            "plan": ["plan", story, "-o", out / "plan.json"],
            "batch": ["plan", story, other, "-o", f"{out}/"]}[command]
    env = {"WAM_HOME": str(_home(indexed, tmp_path)),
           **interrupt_env(tmp_path, LOADING_THE_MODEL, sig, to_parent=to_parent)}
    r = run_interrupted(*args, "-q", env=env)
    sender = fired_by(tmp_path)
    assert sender is not None, r.stderr  # the signal came while the model was being loaded
    assert r.returncode == code, (r.returncode, r.stderr)
    assert r.stderr.splitlines() == [INTERRUPTED], r.stderr
    assert r.stdout == ""
    assert not is_running(sender)  # the text model's process (or wam itself) is gone
    assert list(out.iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


def test_the_model_process_is_killed_when_its_work_is_abandoned(tmp_path):
    """``ModelProcess.close`` while the child still loads the model (the parent interrupted):
    the child is killed at once and waited for, instead of being left to finish its work and
    to notice the end of its input (up to 10 s later, or never while it blocks on a full pipe)."""
    script = tmp_path / "abandon.py"
    script.write_text("""
import sys
from wam.text.embed import ModelProcess

class Interrupt(BaseException):
    pass

encoder = ModelProcess(None, 384)
real_reply = encoder._reply

def reply():
    print(encoder._proc.pid, flush=True)
    sys.stdin.readline()  # the test has looked at the child: now an interrupt, as the parent waits
    raise Interrupt

encoder._reply = reply
try:
    encoder.encode(["A red bus."])
except Interrupt:
    child = encoder._proc
    encoder.close()
    print(encoder._proc is None, child.returncode, flush=True)
""")
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    assert is_running(child)
    out, err = proc.communicate("go\n")
    assert proc.returncode == 0 and out.split() == ["True", str(-signal.SIGKILL)], err
    assert not is_running(child)


def test_sigterm_stops_the_studio_with_143(indexed, tmp_path):
    """``wam studio`` is stopped by Ctrl-C (exit 0); SIGTERM (uvicorn shuts down, then passes the
    signal on) ended it by the signal, before its clean-up; now it is an interrupt like elsewhere."""
    story = _story(tmp_path, "the studio")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WAM_HOME": str(_home(indexed, tmp_path))}
    proc = subprocess.Popen([sys.executable, "-m", "wam", "studio", str(story), "--no-browser", "--port",
                             "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        first = proc.stdout.readline()  # the address: the studio is open (or failed)
        assert first.startswith("http://127.0.0.1:"), proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == INTERRUPTED and "Traceback" not in err, err
