"""Processes never outlive wam (issue 13, item 12): `kill -9` of `wam index` in a pipeline
takes its workers, the forkserver and the resource tracker with it."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import REPO
from media import GREEN, RED, write_clip

pytestmark = pytest.mark.slow


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_kill_9_of_index_takes_every_helper_process_with_it(tmp_path):
    lib = tmp_path / "lib"
    for i in range(6):
        write_clip(lib / f"clip{i}.mp4", [(GREEN, 6.0, 0.2), (RED, 6.0)], size=(640, 360))
    env = dict(os.environ, WAM_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    # wam index … | cat: the pipeline ends only when every holder of the pipe has exited
    wam = subprocess.Popen([sys.executable, "-m", "wam", "index", str(lib), "--workers", "2"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    cat = subprocess.Popen(["cat"], stdin=wam.stdout, stdout=subprocess.DEVNULL)
    wam.stdout.close()
    helpers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120  # a liveness guard, not a speed requirement
        while time.monotonic() < deadline and wam.poll() is None:
            kids = psutil.Process(wam.pid).children(recursive=True)
            workers = [k for k in kids if k.ppid() != wam.pid and "forkserver" in " ".join(k.cmdline())]
            if workers:
                helpers = kids
                break
            time.sleep(0.05)
        assert helpers, "the workers never started"
        names = " ".join(" ".join(k.cmdline()) for k in helpers)
        assert "resource_tracker" in names and "forkserver" in names
        os.kill(wam.pid, signal.SIGKILL)
        wam.wait()
        gone, alive = psutil.wait_procs(helpers, timeout=60)
        alive = [p for p in alive if _alive(p)]
        assert not alive, [" ".join(p.cmdline())[:80] for p in alive]
        cat.wait(timeout=60)  # the pipeline has ended
    finally:
        for p in helpers:
            if _alive(p):
                p.kill()
        for proc in (wam, cat):
            if proc.poll() is None:
                proc.kill()
