"""Run the jobs of a batch: skip those whose outputs are up to date (unless forced), plan
each in this process, render planned jobs N at a time in an executor (local worker
processes, or Ray tasks), and report every job as it finishes, in completion order. One
failing job never stops the others; Ctrl-C stops the workers (their temp files removed)
and keeps every finished output, so a re-run resumes.

jobs → ``run_batch`` (work.start in this process → executor) → ``on_result`` per job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait

from wam.batch.jobs import Job, JobResult, is_up_to_date
from wam.batch.work import RenderRequest, render_request
from wam.core.errors import WamError, one_line
from wam.core.signals import signals_deferred, signals_interrupt


class InlineExecutor:
    """Renders in this process, one job at a time (``--jobs 1``)."""

    capacity = 1

    def submit(self, request: RenderRequest) -> Future:
        future: Future = Future()
        future.set_result(render_request(request.plan_json, request.settings, request.output, request.srt))
        return future

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class LocalExecutor:
    """Renders in ``workers`` worker processes (which ignore Ctrl-C and die with wam); while
    they render, this process plans the next jobs."""

    def __init__(self, workers: int):
        from wam.core.signals import WorkerPool

        self.capacity = workers
        self._pool = WorkerPool(workers)
        self._outputs: list[str | None] = []  # of every render submitted, for ``stop``

    def submit(self, request: RenderRequest) -> Future:
        self._outputs += [request.output, request.srt]
        return self._pool.submit(_render_in_worker, request.plan_json, request.settings, request.output,
                                 request.srt)

    def stop(self) -> None:
        """Stop the renders now: SIGTERM makes each worker remove its temp files and end. Once
        they are gone, whatever a worker could not remove (killed outright, after the grace
        period) is removed here: the temp files beside the outputs, its scratch folder."""
        from wam.render.renderer import remove_leftovers

        self._pool.stop_workers()
        self._pool.shutdown(wait=True, cancel_futures=True)
        remove_leftovers(*self._outputs)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _render_in_worker(plan_json: str, settings: dict, output: str, srt: str | None = None) -> dict:
    """``render_request`` in a worker process, which ends once a stop signal has interrupted
    the render and its clean-up has run (an idle worker would keep the pool waiting)."""
    import os

    from wam.core.signals import Interrupted

    try:
        return render_request(plan_json, settings, output, srt)
    except Interrupted as exc:
        os._exit(exc.exit_code)


def executor_for(workers: int):
    return InlineExecutor() if workers <= 1 else LocalExecutor(workers)


def run_batch(jobs: list[Job], work, *, executor=None, force: bool = False,
              on_result: Callable[[JobResult], None] = lambda r: None) -> list[JobResult]:
    """Run every job with ``work`` (``PlanWork``, ``ExportWork`` or ``RenderWork``); renders go
    to ``executor`` (default: this process). Returns the results in completion order, each
    also passed to ``on_result`` as soon as the job ends."""
    executor = executor or InlineExecutor()
    results: list[JobResult] = []
    running: dict[Future, RenderRequest] = {}

    def report(result: JobResult) -> None:
        results.append(result)
        on_result(result)

    def collect(timeout: float | None) -> None:
        done, _ = wait(list(running), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: running[f].job.number):
            request = running.pop(future)
            try:
                reply = future.result()
            except WamError as exc:
                reply = {"error": str(exc)}
            except Exception as exc:  # a worker that died (killed, out of memory)
                reply = {"error": f"the render worker failed ({type(exc).__name__}: {one_line(exc)})"}
            report(work.result(request, reply))

    with signals_interrupt():  # SIGTERM / SIGHUP stop a batch like Ctrl-C (workers clean up)
        try:
            _loop(jobs, work, executor, force, running, report, collect)
            executor.close()
        except BaseException:  # Ctrl-C, SIGTERM: stop the renders (temp files go), keep finished outputs
            # a further signal waits: wam ending now would kill the workers in the middle of their clean-up
            with signals_deferred():
                executor.stop()
                _report_finished_as_stopped(running, work, report)
            raise
    return results


def _report_finished_as_stopped(running: dict, work, report) -> None:
    """Report the renders that finished as the batch was stopped: their videos are kept (and a
    re-run skips them), so they get their line too. A render counts as finished when its worker
    replied without an error, or when its output was written after the job started (the
    worker was stopped between renaming the video into place and replying)."""
    import os

    for future, request in sorted(running.items(), key=lambda kv: kv[1].job.number):
        reply = None
        if future.done() and not future.cancelled():
            try:
                reply = future.result()
            except BaseException:
                reply = None
        if reply is None:
            try:
                written = os.path.getmtime(request.output) >= request.started_at
            except OSError:
                written = False
            if not written:
                continue
            reply = {}
        if reply.get("error"):
            continue
        try:
            report(work.result(request, reply))
        except Exception:  # reporting must never hide the interrupt
            pass


def _loop(jobs, work, executor, force, running, report, collect) -> None:
    for job in jobs:
        if not force and is_up_to_date(job):
            report(JobResult(job, "skipped"))
            continue
        while len(running) >= executor.capacity:
            collect(None)
        started = time.perf_counter()
        try:
            outcome = work.start(job)
        except WamError as exc:
            outcome = JobResult(job, "failed", seconds=time.perf_counter() - started, error=str(exc))
        except Exception as exc:  # one broken story never stops the others
            outcome = JobResult(job, "failed", seconds=time.perf_counter() - started,
                                error=f"unexpected {type(exc).__name__}: {one_line(exc)}")
        if isinstance(outcome, JobResult):
            report(outcome)
        else:
            running[executor.submit(outcome)] = outcome
        if running:
            collect(0)
    while running:
        collect(None)
