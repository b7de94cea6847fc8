"""What each job of a batch does: plan its story with its ``PlanSettings`` (with the index and
the text model the whole batch shares), then write a plan, an export, or a render request
that a render executor (local worker processes, or Ray) turns into the video with its
``RenderSettings``, through the render cache. The use cases are ``wam.app``'s, as for the CLI.

``Session`` (open index + one text-model process) → ``PlanWork`` / ``ExportWork`` / ``RenderWork``
``.start(job)`` → a finished ``JobResult``, or a ``RenderRequest`` → ``render_request`` in a worker.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from wam.batch.jobs import Job, JobResult
from wam.core.errors import UsageError, WamError, one_line
from wam.core.settings import PlanSettings, RenderSettings
from wam.core.timeline import Timeline


class Session:
    """What the jobs of one batch share: the index, opened once (its column table stays in
    memory), and one text-model process (and one for the vision model's text tower when the
    index has image vectors, and one for the static vectors of long stories), each started on
    the first sentence not in the sentence cache and ended by ``close``."""

    def __init__(self, home: Path | None = None):
        self.home = home
        self._store = None
        self._encoder = None
        self._vision = None
        self._static = None

    def store(self):
        from wam.library.store import Store

        if self._store is None:
            self._store = Store.open(self.home, create=False)
        return self._store

    def encoder(self):
        from wam.text.embed import ModelProcess

        if self._encoder is None:
            store = self.store()
            self._encoder = ModelProcess(store.model, int(store.meta("dim") or 0))
        return self._encoder

    def static_encoder(self):
        """The static sentence vectors of the index's text model in a child process (for the
        stories ``--sentence-vectors`` gives them to)."""
        from wam.app.planner import sentence_cache
        from wam.text.static import StaticProcess

        if self._static is None:
            store = self.store()
            self._static = StaticProcess(store.model, int(store.meta("dim") or 0),
                                         sentence_cache(Path(store.home)))
        return self._static

    def vision_encoder(self):
        """The text tower of the index's vision model in a child process (None: the index has none)."""
        from wam.text.embed import ModelProcess

        store = self.store()
        if self._vision is None and store.vision is not None:
            image = store.shot_table(None).image
            if image is not None and image.shape[1]:
                self._vision = ModelProcess(store.vision.name, image.shape[1], vision=store.vision)
        return self._vision

    def plan(self, job: Job, warn, previous: Timeline | None = None) -> Timeline:
        """The job's timeline: its saved plan, or its story planned with its settings (against
        ``previous``, the plan its output had: unchanged sentences keep their cuts)."""
        from wam.app import story_plan

        if job.plan:
            from wam.core.timeline import read_plan

            timeline = read_plan(job.plan)
            for w in timeline.warnings:
                warn(w)
            return timeline
        return story_plan(job.story, job.settings, text=job.text, warn=warn, previous=previous,
                          store=self.store(), encoder=self.encoder(), vision_encoder=self.vision_encoder(),
                          static_encoder=self.static_encoder(), note=warn)

    def close(self) -> None:
        encoder, self._encoder = self._encoder, None
        vision, self._vision = self._vision, None
        static, self._static = self._static, None
        store, self._store = self._store, None
        for child in (encoder, vision, static):
            if child is not None:
                child.close()
        if store is not None:
            store.close()


@dataclass(frozen=True)
class RenderRequest:
    """A planned job's render, for a worker: the plan as JSON, the render settings (the fields of
    ``RenderSettings``), the output."""

    job: Job
    plan_json: str
    settings: dict
    output: str
    duration: float
    cuts: int
    warnings: tuple[str, ...]
    started: float  # time.perf_counter() when the job started
    started_at: float = 0.0  # time.time() then: outputs written after it are this job's
    srt: str | None = None  # the subtitles, written with the video once it is complete


def visible_cuts(timeline: Timeline) -> int:
    return sum(1 for c in timeline.cuts() if not c.continues)


def job_reads(job: Job) -> tuple[list[str], list[str]]:
    """The files a job reads (``wam.app.files_read``): its inputs (story, plan, music,
    recording, timing, talk, a Piper voice model, a saved plan's narration track, music and
    talk) and, for a saved plan, its clips (whose sidecars ``wam.app.outputs`` protects too)."""
    from wam.app import files_read
    from wam.core.timeline import read_plan

    timeline = None
    if job.plan:
        try:
            timeline = read_plan(job.plan)
        except WamError:  # not a usable plan: this job fails alone when it runs (and writes nothing)
            pass
    return files_read(job.settings or PlanSettings(), story=job.story, plan=job.plan, timeline=timeline)


def check_job_outputs(job: Job, reads: tuple[list[str], list[str]] | None = None) -> None:
    """Refuse (UsageError) before any work an output that is an input of the job (``reads``:
    ``job_reads(job)``), a clip of its plan or a sidecar of one, lies in an indexed library or
    the index folder, or cannot be written (``wam.app.outputs.check_output``)."""
    from wam.app.outputs import check_output

    inputs, sources = reads if reads is not None else job_reads(job)
    target = check_output(job.output, inputs=inputs, sources=sources)
    for extra in job.extra_outputs:
        if check_output(extra, inputs=inputs, sources=sources) == target:
            raise UsageError(f"{job.label}: the subtitles {extra} and the output {job.output} are the same "
                             f"file")


def _previous(job: Job, fresh: bool, *, existing_plan: bool = False) -> Timeline | None:
    """The plan a story job's output had (``wam.app.previous_plan``), as a single run re-plans
    against it; None for a saved plan's job or with ``fresh``."""
    from wam.app import previous_plan

    return None if fresh or job.plan else previous_plan(job.output, existing_plan=existing_plan)


class PlanWork:
    """``wam plan`` jobs: each writes its plan as wam.timeline/1 JSON, re-planned against the
    plan its output had unless ``fresh`` (as ``wam plan STORY -o PLAN`` is)."""

    def __init__(self, session: Session, *, fresh: bool = False):
        self.session = session
        self.fresh = fresh

    def start(self, job: Job) -> JobResult:
        from wam.app import write_plan

        started, warnings = time.perf_counter(), []
        timeline = self.session.plan(job, warnings.append, _previous(job, self.fresh, existing_plan=True))
        write_plan(timeline, job.output)
        return JobResult(job, "ok", timeline.duration, visible_cuts(timeline), warnings,
                         time.perf_counter() - started)


class ExportWork:
    """``wam export`` jobs: each writes its cut for an editor (format from the output's
    extension or ``--format``) and the SubRip subtitles beside it unless ``no_srt``."""

    def __init__(self, session: Session):
        self.session = session

    def start(self, job: Job) -> JobResult:
        from wam.app import export_cut

        started, warnings = time.perf_counter(), []
        timeline = self.session.plan(job, warnings.append)
        music = (job.settings or PlanSettings()).music
        export_cut(timeline, job.output, job.options.get("fmt"), music=music,
                   srt=job.extra_outputs[0] if job.extra_outputs else None,
                   inputs=[job.story, job.plan, music, *job.extra_outputs], warn=warnings.append)
        return JobResult(job, "ok", timeline.duration, visible_cuts(timeline), warnings,
                         time.perf_counter() - started)


class RenderWork:
    """``wam render`` jobs: planned here (re-planned against the last plan rendered to the
    output unless ``fresh``, as ``wam render STORY -o OUT`` is), rendered (with their ``--srt``)
    by an executor."""

    def __init__(self, session: Session, *, fresh: bool = False):
        self.session = session
        self.fresh = fresh

    def start(self, job: Job) -> RenderRequest:
        started, warnings = time.perf_counter(), []
        timeline = self.session.plan(job, warnings.append, _previous(job, self.fresh))
        return RenderRequest(job, timeline.to_json(), asdict(job.render or RenderSettings()), job.output,
                             timeline.duration, visible_cuts(timeline), tuple(warnings), started,
                             time.time() - (time.perf_counter() - started),
                             job.extra_outputs[0] if job.extra_outputs else None)

    def result(self, request: RenderRequest, reply: dict) -> JobResult:
        """The job's result from a worker's reply to ``render_request``."""
        warnings = list(request.warnings) + list(reply.get("warnings", ()))
        seconds = time.perf_counter() - request.started
        if reply.get("error"):
            return JobResult(request.job, "failed", warnings=warnings, seconds=seconds, error=reply["error"])
        if "segments" in reply:  # rendered: the plan its output's next re-plan starts from
            _keep_plan(request)
        return JobResult(request.job, "ok", request.duration, request.cuts, warnings, seconds)


def _keep_plan(request: RenderRequest) -> None:
    """Keep a rendered job's plan in the render cache as its output's previous plan (best effort)."""
    import json

    from wam.core.timeline import timeline_from_dict
    from wam.render.segment_cache import RenderCache

    try:
        RenderCache.default().save_plan(request.output, timeline_from_dict(json.loads(request.plan_json)))
    except (WamError, ValueError, KeyError, TypeError):
        pass


def render_request(plan_json: str, settings: dict, output: str, srt: str | None = None) -> dict:
    """Worker side: render a plan (JSON) with ``settings`` (``RenderSettings`` fields) to
    ``output`` (and its subtitles to ``srt``, with the video), reusing and filling the user's
    render cache (``wam.app.render_plan``). The reply is ``{"warnings": […], "segments": n,
    "encoded": m}`` (segments of the video, of which encoded by this render), or
    ``{"warnings": […], "error": …}`` when the render failed."""
    import json

    from wam.app import render_plan
    from wam.core.timeline import timeline_from_dict

    warnings: list[str] = []
    try:
        timeline = timeline_from_dict(json.loads(plan_json))
        result = render_plan(timeline, output, RenderSettings(**settings), warn=warnings.append, srt=srt,
                             keep_plan=False)
    except WamError as exc:
        return {"warnings": warnings, "error": str(exc)}
    except Exception as exc:  # one broken job never stops the others
        return {"warnings": warnings, "error": f"unexpected {type(exc).__name__}: {one_line(exc)}"}
    if not os.path.isfile(output):
        return {"warnings": warnings, "error": f"the render did not write {output}"}
    return {"warnings": warnings, "segments": result.segments, "encoded": result.encoded}
