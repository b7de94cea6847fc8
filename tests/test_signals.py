"""Stopping wam with Ctrl-C or SIGTERM at awkward moments (issue 19): while the main thread
waits for the models a background thread loads, while the fork server starts, and a second
signal while wam exits. Each runs a small script in a child process, since what is tested is
how that process ends; each fails on the code before the fix."""

import os
import signal
import subprocess
import sys

from conftest import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run_script(tmp_path, name: str, text: str) -> subprocess.CompletedProcess:
    script = tmp_path / name
    script.write_text(text)
    return subprocess.run([sys.executable, str(script)], env=ENV, capture_output=True, text=True,
                          cwd=tmp_path,
                          check=False)


def test_ctrl_c_while_waiting_for_the_models_lets_their_load_finish(tmp_path):
    """The indexer waits for the models its preload thread loads. That wait was a Thread.join,
    which Ctrl-C cuts off by marking the thread as ended while it still runs (CPython gh-90882,
    before 3.13): the exit then did not wait for it, and the thread, still in torch, aborted the
    process ("terminate called without an active exception", exit -6). Here the "tagger" runs
    torch operations and sends the Ctrl-C itself once the main thread is waiting for it."""
    r = run_script(tmp_path, "wait_for_models.py", """
import os, signal, sys, threading, time
from wam.library.describer import Describer

def main_thread_waits() -> bool:
    frame = sys._current_frames().get(threading.main_thread().ident)
    while frame is not None:
        if frame.f_code.co_name == "_wait" and frame.f_code.co_filename.endswith("describer.py"):
            return True
        frame = frame.f_back
    return False

def tagger(self):
    import torch

    while not main_thread_waits():
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGINT)
    x = torch.rand(256, 256)
    for _ in range(200):
        x = torch.tanh(x @ x)
    print("loaded", flush=True)
    return "a tagger"

Describer.tagger = property(tagger)
Describer.encoder = property(lambda self: "an encoder")
describer = Describer("a model")
describer.preload(threads=1)
try:
    describer._wait()
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
""")
    assert (r.returncode, r.stdout.split()) == (130, ["interrupted", "loaded"]), r.stderr
    assert r.stderr == ""


def test_a_ctrl_c_while_the_fork_server_starts_is_not_lost(tmp_path):
    """The fork server must start with Ctrl-C off (it would print a traceback while importing its
    preload modules); wam switched it off by ignoring Ctrl-C in its own process meanwhile, and a
    Ctrl-C arriving then (the start can wait seconds for the interpreter lock while another thread
    imports torch) was lost: the index ran to its end. Now it is held and delivered after the
    start, and the server still never sees it."""
    r = run_script(tmp_path, "start_server.py", """
import os, signal
from multiprocessing import forkserver
from wam.core.signals import WorkerPool

real = forkserver.ensure_running

def ensure_running():
    os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C while the server starts
    real()

forkserver.ensure_running = ensure_running
try:
    WorkerPool(1)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted")
status = open(f"/proc/{forkserver._forkserver._forkserver_pid}/status").read().splitlines()
masks = {k: int(v, 16) for k, v in (line.split(":") for line in status
                                    if line.startswith(("SigBlk", "SigIgn")))}
shielded = (masks["SigBlk"] | masks["SigIgn"]) & (1 << (signal.SIGINT - 1))
print("server shielded" if shielded else "server exposed")
print("handler kept" if signal.getsignal(signal.SIGINT) is signal.default_int_handler else "handler lost")
""")
    assert r.stdout.split("\n")[:3] == ["interrupted", "server shielded", "handler kept"], r.stdout + r.stderr


def test_the_workers_ignore_ctrl_c_and_do_not_pass_it_on_blocked(tmp_path):
    """The fork server keeps Ctrl-C blocked; its workers ignore it instead (unblocked), so that the
    programs they run (ffmpeg) get Ctrl-C as they did."""
    r = run_script(tmp_path, "worker_masks.py", """
import signal
from wam.core.signals import WorkerPool

def masks():
    status = open("/proc/self/status").read().splitlines()
    return {k: int(v, 16) for k, v in (line.split(":") for line in status
                                       if line.startswith(("SigBlk", "SigIgn")))}

if __name__ == "__main__":
    pool = WorkerPool(1)
    m = pool.submit(masks).result()
    pool.shutdown()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        bit = 1 << (sig - 1)
        print(bool(m["SigIgn"] & bit), bool(m["SigBlk"] & bit))
""")
    # Ctrl-C ignored; SIGTERM and SIGHUP (blocked in the fork server) end or interrupt a worker
    assert r.stdout.split() == ["True", "False", "False", "False", "False", "False"], r.stdout + r.stderr


def test_a_signal_to_the_process_group_lets_each_worker_finish_its_clean_up(tmp_path):
    """Issue 19: SIGTERM (or SIGHUP) to wam's process group also reached multiprocessing's fork
    server, which died of it, and the kernel then killed each worker it had forked (their
    parent-death signal) in the middle of the clean-up the signal had started: a render
    worker's temp video stayed beside its output. The fork server now never acts on them, and
    ends only with wam. Here a worker's clean-up takes a second, as on a loaded machine."""
    script = tmp_path / "group_signal.py"
    script.write_text("""
import os, sys, time
from wam.core.signals import WorkerPool, signals_interrupt

def work(marker):
    with signals_interrupt():
        try:
            open(marker + ".started", "w").close()
            time.sleep(600)
        finally:
            time.sleep(1.0)  # a slow clean-up
            open(marker + ".cleaned", "w").close()

if __name__ == "__main__":
    marker = sys.argv[1]
    pool = WorkerPool(2)
    with signals_interrupt():
        try:
            futures = [pool.submit(work, f"{marker}{k}") for k in range(2)]
            while not all(os.path.exists(f"{marker}{k}.started") for k in range(2)):
                time.sleep(0.05)
            print("working", flush=True)
            futures[0].result()
        except KeyboardInterrupt as exc:
            pool.stop_workers()
            pool.shutdown(wait=True, cancel_futures=True)
            print("stopped", type(exc).__name__, flush=True)
""")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        marker = str(tmp_path / f"{sig.name}-")
        proc = subprocess.Popen([sys.executable, str(script), marker], env=ENV, cwd=tmp_path, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        assert proc.stdout.readline().strip() == "working", proc.stderr.read()
        os.killpg(proc.pid, sig)  # as a service manager or a closing terminal does
        out, err = proc.communicate()
        assert out.split() == ["stopped", "Interrupted"] and err == "", (out, err)
        assert all(os.path.exists(f"{marker}{k}.cleaned") for k in range(2)), sig.name


def test_a_second_signal_while_wam_exits_is_ignored(tmp_path):
    """After an interrupt the exit may wait for a thread (the model it is loading); a second
    Ctrl-C there printed a traceback from Python's threading module and stopped the wait (the
    thread, in torch, could then abort the process), and a SIGTERM killed wam by the signal.
    Now both are ignored and the exit goes on, with the interrupt's status. The thread here
    ends when the test writes a line."""
    script = tmp_path / "second_signal.py"
    script.write_text("""
import sys, threading
from wam.core.signals import ignore_interrupts

threading.Thread(target=sys.stdin.readline, name="still loading", daemon=False).start()
ignore_interrupts()
print("exiting", flush=True)
sys.exit(130)
""")
    proc = subprocess.Popen([sys.executable, str(script)], env=ENV, cwd=tmp_path, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "exiting"
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        proc.send_signal(sig)
    out, err = proc.communicate("done\n")
    assert proc.returncode == 130 and out == "" and err == "", (proc.returncode, err)


def test_only_a_process_that_ends_with_the_command_ignores_further_signals(wam_home, monkeypatch):
    """``wam.cli.main`` ignores a further Ctrl-C once a command was interrupted; a command run in
    this process (CliRunner, as tests and scripts do) must leave the signal handlers alone."""
    from click.testing import CliRunner

    from wam.app import search as search_module
    from wam.cli import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_module, "search_shots", interrupted)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    r = CliRunner().invoke(cli, ["search", "a red bus"])
    assert r.exit_code == 130
    assert {sig: signal.getsignal(sig) for sig in before} == before
