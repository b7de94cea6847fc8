"""Termination signals handled like Ctrl-C, so that work in progress cleans up (temp files
removed, child processes stopped) when a user, a service manager or a closing terminal
stops wam with SIGTERM or SIGHUP; further ones ignored while an interrupted wam exits; and worker
processes that end with the process they work for (``WorkerPool``: the index's decoders, a batch's
renders).

In ``wam.core`` (layer 1; no other wam module): the indexer's workers, the text-model process, the
renderer and batch runs all use it."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: Signals turned into :class:`Interrupted` (a KeyboardInterrupt).
HANDLED = (signal.SIGTERM, signal.SIGHUP)
#: Every signal that stops wam: Ctrl-C and the HANDLED ones.
STOPPING = {signal.SIGINT, *HANDLED}


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP) while doing work that
    cleans up after itself; handled like Ctrl-C (the CLI exits with ``exit_code``,
    128 + the signal number). Not a WamError: like Ctrl-C, it is not a failure."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


#: The state the blocks of ``signals_interrupt`` share (main thread only): how many are open, and
#: the signal that fired in them, if any (further ones are then ignored, in every block).
_interrupt = {"depth": 0, "fired": None}


def _raise_interrupted(signum, frame):
    if _interrupt["fired"] is not None:  # stopping already: the clean-up is not cut short
        return
    _interrupt["fired"] = signum
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_interrupt():
    """Inside this block, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread
    (once: a repeated signal during the clean-up is ignored, also once an inner block has ended).
    The CLI runs every command inside one (``wam.cli.WamGroup``); the renderer, the indexer and a
    batch open their own, nested, for when they run outside it. Previous handlers come back
    afterwards. Outside the main thread this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    _interrupt["depth"] += 1
    try:
        for sig in HANDLED:
            previous[sig] = signal.signal(sig, _raise_interrupted)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        _interrupt["depth"] -= 1
        if _interrupt["depth"] == 0:
            _interrupt["fired"] = None


def ignore_interrupts() -> None:
    """For a process that is stopping after an interrupt: from now on Ctrl-C, SIGTERM and SIGHUP
    are ignored. Its exit may wait seconds for a thread to finish (the model it is loading,
    wam.library.describer); a second Ctrl-C there made Python print a traceback and stop waiting,
    and the thread, still in torch, then aborted the process (exiting at once instead would leave
    the worker pool's semaphores to the resource tracker, which warns of them). Main thread only
    (elsewhere this does nothing)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, *HANDLED):
            signal.signal(sig, signal.SIG_IGN)


def run_child(args: list[str]):
    """Run the child process ``args`` to its end (stdin closed, stdout discarded, stderr
    captured) and return its ``subprocess.CompletedProcess``. If this process is interrupted
    meanwhile (Ctrl-C, SIGTERM), the child is killed and waited for before the interrupt goes
    on, so it cannot write a file after the caller removed it (``subprocess.run`` stops waiting
    for a child 0.25 s after a KeyboardInterrupt)."""
    import subprocess

    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, None, err)


@contextlib.contextmanager
def signals_deferred():
    """Inside this block Ctrl-C, SIGTERM and SIGHUP wait: each one that arrives is delivered
    again, to the handlers of before, as the block ends (for a step that must not be cut in
    half, such as handing a new worker process its setup). Outside the main thread this does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {}
    try:
        for sig in (signal.SIGINT, *HANDLED):
            previous[sig] = signal.signal(sig, lambda signum, frame: arrived.append(signum))
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(arrived):
            os.kill(os.getpid(), sig)


def die_with(pid: int) -> None:
    """Make this process end when process ``pid`` ends, even when ``pid`` is killed outright
    (kill -9) and so cannot stop it: for worker processes, which must never outlive wam.

    Two guards: the kernel's parent-death signal (``PR_SET_PDEATHSIG``, for when the
    process that forked this one exits) and a thread watching ``pid`` itself (a pidfd, or
    polling where there is none)."""
    import os
    import time

    try:  # Linux only; elsewhere the watcher thread does the work
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass

    def end() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            end()
            return
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            import select

            select.select([fd], [], [])  # readable once the process has ended
        else:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    pass
                time.sleep(0.5)
        end()

    threading.Thread(target=watch, name=f"wam-die-with-{pid}", daemon=True).start()


def _worker_init(pids, parent: int) -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers itself); tell
    the parent this worker's pid; and die with wam even when wam is killed outright (kill -9),
    so that neither the workers nor the forkserver and resource tracker (which live as long as
    a worker does) keep a pipeline waiting.

    tqdm's bars share a thread lock instead of the multiprocessing lock tqdm makes by default:
    that lock is a named semaphore, which a worker stopped mid-render (it ends with ``os._exit``)
    would leave to the resource tracker, printing a "leaked semaphore" warning.

    Ctrl-C, SIGTERM and SIGHUP come blocked from the fork server and are unblocked last: SIGTERM
    and SIGHUP end an idle worker at once, and interrupt a render (which cleans up)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: a Ctrl-C may arrive while this worker starts
    import threading

    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    pids.put(os.getpid())
    die_with(parent)
    # blocked by the fork server (``_start_forkserver``), so a stop signal that came while this worker
    # started waited for it to report its pid (never cut off inside the queue's lock); now it ends it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)


class WorkerPool(ProcessPoolExecutor):
    """A process pool whose workers ignore Ctrl-C, die with wam and report their pids, so that
    an interrupted run can stop them at once (the executor itself can only from Python 3.14).
    ``stop_workers`` sends SIGTERM: a worker inside ``signals_interrupt`` (a render) cleans up."""

    def __init__(self, workers: int, ctx=None):
        import multiprocessing as mp

        ctx = ctx or mp.get_context("forkserver")
        if ctx.get_start_method() == "forkserver":
            _start_forkserver()
        self._worker_pids = ctx.SimpleQueue()
        super().__init__(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                         initargs=(self._worker_pids, os.getpid()))

    def submit(self, fn, /, *args, **kwargs):
        """``ProcessPoolExecutor.submit``, with Ctrl-C, SIGTERM and SIGHUP held until it returns:
        it may start a worker, and a worker whose setup was cut off half-way prints a traceback."""
        with signals_deferred():
            return super().submit(fn, *args, **kwargs)

    def stop_workers(self, grace: float = 10.0) -> None:
        """Terminate every worker started so far (an exited one is skipped): SIGTERM, then,
        for a worker still there after ``grace`` seconds (stuck on a queue lock that a
        terminated worker held), SIGKILL — so that shutting the pool down never hangs."""
        pids = []
        while not self._worker_pids.empty():
            pids.append(self._worker_pids.get())
        # workers still starting have not said their pid yet; left alone they would fail (a
        # traceback) once this process is gone and with it the pool's semaphores they unpickle
        pids += [pid for pid in (getattr(self, "_processes", None) or {}) if pid not in pids]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        alive = list(pids)
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if is_running(pid)]
            if alive:
                time.sleep(0.05)
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # A worker stopped while sending a result leaves half a message in the result pipe, and the
        # executor's manager thread would wait for the rest for ever (and wam's exit waits for that
        # thread). This process never writes there: once it no longer holds the pipe's write end
        # either, the stopped workers' end of it is end-of-file, which the executor handles.
        writer = getattr(getattr(self, "_result_queue", None), "_writer", None)
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass


def _start_forkserver() -> None:
    """Start multiprocessing's fork server and resource tracker (those not running) with Ctrl-C,
    SIGTERM and SIGHUP blocked, which they keep across ``exec``: they end when wam does (their
    pipes from it close), never by a signal to the process group. A Ctrl-C while the fork server
    imported its preload modules (seconds, for the index's decoders) printed its KeyboardInterrupt
    traceback; and a SIGTERM or SIGHUP ended it, whereupon the kernel killed every worker it had
    forked (their parent-death signal, ``die_with``) in the middle of its clean-up, leaving its
    temp files (issue 19). The workers unblock them (``_worker_init``).

    Blocked in this thread only, and not ignored: wam's own signals arriving meanwhile are held and
    delivered as the servers have started. Ignoring them here lost a Ctrl-C that came while the
    start waited seconds for the interpreter lock (held by a thread importing torch)."""
    from multiprocessing import forkserver, resource_tracker

    with signals_deferred():
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            resource_tracker.ensure_running()  # which unblocks Ctrl-C and SIGTERM in this thread: again
            signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
            forkserver.ensure_running()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def is_running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie counts as ended; another user's process runs)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
