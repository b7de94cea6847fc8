"""A successful run that loaded torch ends without the interpreter's slow final clean-up
(``wam.cli._exit_at_once``), but only after everything an exit does for wam: threads joined,
``atexit`` functions run, standard output flushed, the exit code kept."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from media import tiny_library

REPO = Path(__file__).resolve().parent.parent

PROGRAM = """
import atexit, sys, threading, time
import torch  # the fast exit applies once torch is loaded
from pathlib import Path
out = Path(sys.argv[1])

def late_write():  # a thread still working when the command ends is joined first
    time.sleep(0.3)
    out.with_suffix('.thread').write_text('thread done')

threading.Thread(target=late_write).start()
atexit.register(lambda: out.with_suffix('.atexit').write_text('atexit ran'))
sys.stdout.write('x' * 1_000_000)  # buffered output is flushed before the process ends
from wam.cli import main
sys.argv = ['wam', *sys.argv[2:]]
main()
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path / "out"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_successful_run_exits_after_threads_atexit_and_output(tmp_path):
    done = run(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("x" * 1_000_000) and "wam" in done.stdout[1_000_000:]
    assert (tmp_path / "out.thread").read_text() == "thread done"
    assert (tmp_path / "out.atexit").read_text() == "atexit ran"


def test_a_failing_run_keeps_its_exit_code_and_message(tmp_path):
    done = run(tmp_path, "plan", str(tmp_path / "missing.txt"))
    assert done.returncode in (1, 2) and "wam: error" in done.stderr
    assert (tmp_path / "out.atexit").read_text() == "atexit ran"


@pytest.mark.slow
def test_an_index_and_the_json_of_a_plan_arrive_whole_through_a_pipe(tmp_path, wam_home):
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def wam(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "wam", *args], capture_output=True, text=True, env=env,
                              timeout=600)

    indexed = wam("index", str(tiny_library(tmp_path / "lib")), "--json")
    assert indexed.returncode == 0, indexed.stderr
    assert json.loads(indexed.stdout)["clips"] == 3
    story = tmp_path / "story.txt"
    story.write_text(" ".join(f"A red bus drives down the street on day {n}." for n in range(60)),
                     encoding="utf-8")
    done = wam("plan", str(story), "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["sentences"]) == 60
