"""Local worker processes that decode clips for ``wam index``: a forkserver pool whose server
imports the analysis code (cv2, scenedetect) once for all workers, two jobs in flight per
worker, results handed back to this process as they finish (in a stable order within a
round), and a decoder crash failing only its own file (the pool is made again and the other
files queued again). Used for the analysis of new clips (``library/indexer.py``) and for the
keyframes of stored shots that a new vision model must see (``library/images.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TypeVar

Job = TypeVar("Job")


def new_pool(workers: int, ctx):
    from wam.core.signals import WorkerPool

    return WorkerPool(workers, ctx)


def decoder_context():
    """The forkserver context, its server importing the analysis code once for all workers
    instead of once per worker (the pool starts the server, with Ctrl-C blocked: it imports
    that code before it protects itself, and a Ctrl-C then printed a traceback)."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["wam.library.worker_preload"])
    return ctx


def run_pool(jobs: list[Job], task: Callable[[Job], tuple[Callable, tuple]],
             finish: Callable[[Job, Any], None],
             workers: int, *, order: Callable[[Job], str], crashed: str,
             started: Callable[[], None] | None = None) -> None:
    """Run ``fn(*args)`` (``task(job)`` gives them) for every job in ``workers`` processes and call
    ``finish(job, result)`` here as each one ends (the jobs of one round in ``order``); a job
    whose worker crashed finishes with the result ``crashed``. ``started()`` is called once the
    first jobs are handed to the workers (work of this process that can wait until they run).
    Ctrl-C or an error stops the workers at once (what ``finish`` committed stays)."""
    from concurrent.futures.process import BrokenProcessPool

    ctx = decoder_context()
    pending = list(reversed(jobs))
    pool = new_pool(min(workers, len(jobs)), ctx)
    running: dict[Future, Job] = {}
    try:
        while pending or running:
            while pending and len(running) < 2 * workers:
                job = pending.pop()
                fn, args = task(job)
                running[pool.submit(fn, *args)] = job
            if started is not None:
                started, then = None, started
                then()
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: order(running[f])):
                job = running.pop(fut, None)
                if job is None:  # the pool broke on an earlier clip of this round: this one is queued again
                    continue
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    result = crashed
                    pool.shutdown(wait=False, cancel_futures=True)
                    for other in running.values():
                        pending.append(other)
                    running.clear()
                    pool = new_pool(workers, ctx)
                finish(job, result)
    except BaseException:  # Ctrl-C or an error: stop the decoders now, keep what is committed
        pool.stop_workers()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
