"""Glue for the batch form of ``wam render|plan|export`` (several stories, a folder, ``-``
for story paths on stdin, or ``--manifest jobs.jsonl``, written to ``-o OUTDIR/``): the
batch options, manifest lines turned into jobs with the command's own option types, the
output checks before any work, and the report (progress on stderr, ``--json`` lines on
stdout, exit 1 when any job failed). The work itself is ``wam.batch``.
"""

from __future__ import annotations

import json
import os

import click
from click.core import ParameterSource

from wam.cli.common import warner

#: Parameters of a batch command that are about the batch, not about each job.
BATCH_PARAMS = {"stories", "source", "output", "manifest", "jobs", "as_json", "force", "ray_address", "quiet",
                "progress", "plan_file", "previous_file", "fresh", "watch"}


def manifest_option(f):
    return click.option(
        "--manifest", type=click.Path(dir_okay=False, allow_dash=True), default=None,
        help="Run the jobs of this JSON-lines file (- for stdin): one object per line with \"story\" (a "
             "file) or \"text\", an \"output\", and any options of this command by name.")(f)


def force_option(f):
    return click.option("--force", is_flag=True,
                        help="In a batch, redo jobs whose outputs are "
                             "newer than their inputs (skipped by default).")(f)


def is_batch(stories, output: str | None, manifest: str | None) -> bool:
    """Several stories, a folder of stories, a manifest, or an output folder (``OUTDIR/``)."""
    return bool(manifest) or len(stories) > 1 or any(s != "-" and os.path.isdir(s) for s in stories) or (
        output is not None and is_folder_target(output))


def is_folder_target(output: str) -> bool:
    return output.endswith(("/", os.sep)) or os.path.isdir(output)


def build_jobs(ctx: click.Context, stories, output: str | None, manifest: str | None, suffix: str, *,
               plans: bool = True, is_plan=None, extra_outputs=lambda output, options: (),
               check_target=lambda job: None, render_of=None) -> list:
    """The jobs of this invocation, checked in full before any job runs: options converted
    with the command's own types (a bad manifest line is a UsageError naming it), the frame
    size, each output's kind (``check_target(job)`` raises a WamError for an output the
    command cannot write), outputs distinct, writable, and never a file any job reads.

    ``plans``: a manifest line may name a saved plan (``"plan"``); ``is_plan``: tells a saved
    plan among the story arguments (``wam export``: folders then offer their ``.json`` files
    too); ``extra_outputs(output, options)``: the files written beside each output. Each job
    gets its ``PlanSettings`` (and, with ``render_of(job)``, its ``RenderSettings``)."""
    from dataclasses import replace

    from wam.batch.jobs import STORY_SUFFIXES, Job, check_distinct_outputs, output_in, story_paths
    from wam.batch.manifest import read_manifest
    from wam.core.errors import UsageError

    base = {k: v for k, v in ctx.params.items() if k not in BATCH_PARAMS}
    explicit = {k for k in base if ctx.get_parameter_source(k) not in (ParameterSource.DEFAULT, None)}
    outdir = output if output is not None and is_folder_target(output) else None
    if ctx.params.get("plan_file"):
        raise UsageError("--plan renders one saved plan; in a batch name "
                         "plans per job in --manifest ({\"plan\": …})")
    single = (output is not None and outdir is None and not manifest and len(stories) == 1
              and stories[0] != "-" and not os.path.isdir(stories[0]))  # e.g. one story rendered with --ray
    if output is not None and outdir is None and not manifest and not single:
        raise UsageError(f"-o {output} is one file; for several stories "
                         f"give a folder (-o {output.rstrip('/')}/)")
    if output is not None and outdir is None:
        raise UsageError(f"-o {output} is one file; with --manifest give a folder (-o OUTDIR/) or name each "
                         "job's \"output\"")
    jobs = []
    if manifest:
        if stories:
            raise UsageError("give the stories either as arguments or in --manifest, not both")
        name = "standard input" if manifest == "-" else manifest
        base_dir, lines = read_manifest(manifest, plans=plans)
        lookup = _option_lookup(ctx.command)
        for entry in lines:
            options, given = dict(base), set(explicit)
            for key, value in entry.options.items():
                param = lookup.get(key)
                if param is None:
                    raise UsageError(f"{name} line {entry.line}: unknown option \"{key}\" (options are named "
                                     f"as on the command line, e.g. \"pace\", \"aspect\", \"keep-audio\")")
                if value is not None:
                    options[param.name] = _convert(ctx, param, value, base_dir, f"{name} line {entry.line}")
                    given.add(param.name)
            if is_plan and entry.story and is_plan(entry.story):
                entry = replace(entry, story=None, plan=entry.story)
            source = entry.story or entry.plan
            target = entry.output or (output_in(outdir, source, suffix) if outdir and source else None)
            if target is None:
                raise UsageError(f"{name} line {entry.line}: give an \"output\"" + ("" if source else
                                 " (inline text has no file name to name it after)"))
            inputs = list(_inputs(entry.story or entry.plan, options))
            if entry.text is not None and manifest != "-":
                inputs.append(os.path.abspath(manifest))
            options["explicit"] = frozenset(given)
            jobs.append(Job(len(jobs) + 1, target, story=entry.story, text=entry.text, plan=entry.plan,
                            options=options, line=entry.line, inputs=tuple(inputs),
                            extra_outputs=tuple(extra_outputs(target, options))))
    elif single:
        story, options = os.path.abspath(stories[0]), dict(base, explicit=frozenset(explicit))
        target = os.path.abspath(output)
        jobs.append(Job(1, target, story=story, options=options, inputs=_inputs(story, options),
                        extra_outputs=tuple(extra_outputs(target, options))))
    else:
        if outdir is None:
            raise UsageError("give a folder to write into: -o OUTDIR/")
        lines = _stdin_lines() if "-" in stories else ()
        for story in story_paths(stories, lines, suffixes=STORY_SUFFIXES + ((".json",) if is_plan else ())):
            target = output_in(outdir, story, suffix)
            options = dict(base, explicit=frozenset(explicit))
            saved = bool(is_plan and is_plan(story))
            jobs.append(Job(len(jobs) + 1, target, story=None if saved else story,
                            plan=story if saved else None, options=options, inputs=_inputs(story, options),
                            extra_outputs=tuple(extra_outputs(target, options))))
    for job in jobs:
        _check_values(job, check_target)
    jobs = [_with_settings(job, render_of) for job in jobs]
    check_distinct_outputs(jobs)
    _check_outputs(jobs, outdir, manifest)
    return jobs


def _inputs(source: str | None, options: dict) -> tuple[str, ...]:
    """The files a job's output is compared with to tell whether it is up to date."""
    return tuple(p for p in (source, options.get("music"), options.get("narration"), options.get("timing"),
                             options.get("a_roll")) if p)


def _stdin_lines() -> list[str]:
    """The story paths given on standard input, one a line (at most ``MAX_TEXT_BYTES``)."""
    from wam.core.config import MAX_TEXT_BYTES
    from wam.core.errors import InputError, UsageError
    from wam.core.textfile import read_text

    try:
        return read_text("-", what="the list of stories", limit=MAX_TEXT_BYTES, error=InputError).splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the list of stories on standard input ({exc})") from None


def _option_lookup(command: click.Command) -> dict[str, click.Parameter]:
    """Per-job option names → parameter: each long option without dashes (``keep-audio``,
    also ``keep_audio``), a short-only option by its letter (``k``), and the parameter name."""
    out = {}
    for p in command.params:
        if not isinstance(p, click.Option) or p.name in BATCH_PARAMS:
            continue
        longs = [o[2:] for o in p.opts if o.startswith("--")]
        for name in longs or [o.lstrip("-") for o in p.opts]:
            out[name] = out[name.replace("-", "_")] = p
        out[p.name] = p
    return out


def _convert(ctx, param: click.Option, value, base_dir: str, where: str):
    import math

    from wam.core.errors import UsageError

    label = (param.opts[-1] if param.opts else param.name).lstrip("-")
    if param.is_flag and not isinstance(value, bool):
        raise UsageError(f"{where}: \"{label}\" must be true or false")
    for item in (value if isinstance(value, list) else [value]):
        # JSON gives what click would never see on a command line: true for a number, 1e400 (inf), NaN, 2.5
        if not param.is_flag and isinstance(item, bool):
            raise UsageError(f"{where}: \"{label}\" must be {_kind(param)}, not {str(item).lower()}")
        if isinstance(item, float) and not math.isfinite(item):
            raise UsageError(f"{where}: \"{label}\" must be a finite number, not {item}")
        whole = isinstance(param.type, click.types.IntParamType)
        if isinstance(item, float) and whole and not item.is_integer():
            raise UsageError(f"{where}: \"{label}\" must be a whole number, not {item}")
    if param.multiple:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list):
            raise UsageError(f"{where}: \"{label}\" must be a string or a list of strings")
    if isinstance(param.type, click.Path):
        def resolve(v):
            return os.path.join(base_dir, os.path.expanduser(v)) if isinstance(v, str) and v != "-" else v
        value = [resolve(v) for v in value] if param.multiple else resolve(value)
    try:
        return param.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise UsageError(f"{where}: \"{label}\": {exc.format_message()}") from None


def _kind(param: click.Option) -> str:
    if isinstance(param.type, click.types.IntParamType):
        return "a whole number"
    if isinstance(param.type, click.types.FloatParamType):
        return "a number"
    return "a string"


def _check_values(job, check_target) -> None:
    """Refuse (before any job runs) what would fail only when the job runs: a frame size H.264
    cannot encode, an output the command cannot write (``check_target``)."""
    from wam.core.errors import UsageError, WamError
    from wam.render.layout import output_size

    try:
        if "resolution" in job.options:
            output_size(job.options["resolution"], job.options.get("aspect"))
        check_target(job)
    except WamError as exc:
        raise UsageError(f"{job.where}: {exc}") from None


def _with_settings(job, render_of):
    """``job`` with the settings made from its option values (a bad value: a UsageError naming it)."""
    from dataclasses import replace

    from wam.cli.shared_options import plan_settings
    from wam.core.errors import UsageError, WamError

    try:
        return replace(job, settings=plan_settings(job.options, job.options.get("explicit", ())),
                       render=render_of(job) if render_of is not None else None)
    except WamError as exc:
        raise UsageError(f"{job.where}: {exc}") from None


def _check_outputs(jobs, outdir: str | None, manifest: str | None) -> None:
    """Create OUTDIR if needed, then refuse (before any work) an output that is an input of any
    job or the manifest, lies in a library or the index folder, or cannot be written; a folder
    made here is removed again."""
    from wam.app.outputs import sidecar_paths
    from wam.batch.jobs import check_crossed_outputs
    from wam.batch.work import check_job_outputs, job_reads
    from wam.core.errors import UsageError, WamError

    made = None
    if outdir and not os.path.isdir(outdir):
        try:
            os.mkdir(outdir)
            made = outdir
        except OSError as exc:
            raise UsageError(f"cannot create the output folder {outdir} ({exc.strerror or exc})") from None
    try:
        reads = {}
        for job in jobs:
            try:
                reads[job.number] = job_reads(job)
            except WamError as exc:
                raise UsageError(f"{job.where}: {exc}") from None
        check_crossed_outputs(jobs,
                              {n: [*inputs, *sources, *(str(p) for s in sources for p in sidecar_paths(s))]
                               for n, (inputs, sources) in reads.items()},
                              [os.path.abspath(manifest)] if manifest and manifest != "-" else [])
        for job in jobs:
            try:
                check_job_outputs(job, reads[job.number])
            except WamError as exc:
                raise type(exc)(f"{job.where}: {exc}") from None
    except BaseException:
        if made:
            try:
                os.rmdir(made)
            except OSError:
                pass
        raise


def report_batch(work, jobs, executor, *, force: bool, quiet: bool, as_json: bool, verb: str):
    """Run the jobs and report each as it finishes: a line on stderr (unless quiet), a JSON
    line on stdout with ``as_json``; WamError (exit 1) at the end if any failed."""
    import time

    from wam.batch.run import run_batch
    from wam.core.errors import WamError

    warn = warner(quiet)
    total, started = len(jobs), time.perf_counter()
    done = []

    def on_result(result) -> None:
        done.append(result)
        job = result.job
        for w in result.warnings:
            warn(f"{job.label}: {w}")
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        if quiet:
            return
        head = f"wam: [{len(done)}/{total}]"
        if result.status == "failed":
            click.echo(f"{head} failed {job.label}: {result.error}", err=True)
        elif result.status == "skipped":
            click.echo(f"{head} up to date {job.output} (--force redoes it)", err=True)
        else:
            click.echo(f"{head} {verb} {job.output}: {result.duration:.1f} s, {result.cuts} cuts, "
                       f"in {result.seconds:.1f} s", err=True)

    try:
        results = run_batch(jobs, work, executor=executor, force=force, on_result=on_result)
    finally:
        work.session.close()
    failed = [r for r in results if r.status == "failed"]
    skipped = sum(r.status == "skipped" for r in results)
    if not quiet:
        click.echo(f"wam: {verb} {len(results) - len(failed) - skipped}, up to date {skipped}, failed "
                   f"{len(failed)} of {total} in {time.perf_counter() - started:.1f} s", err=True)
    if failed:
        first = failed[0]
        raise WamError(f"{len(failed)} of {total} jobs failed (first: {first.job.label}: {first.error})")
