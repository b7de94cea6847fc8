"""``wam render STORY -o OUT.mp4`` / ``wam render --plan PLAN -o OUT.mp4``: plan (or load a
saved plan) and render the video. Glue only: the library decides sizes and settings."""

from __future__ import annotations

import json

import click

from wam.cli.batch import build_jobs, force_option, is_batch, manifest_option, report_batch
from wam.cli.common import noter, progress_option, quiet_option, show_progress, warner
from wam.cli.shared_options import (
    a_roll_options,
    frame_options,
    given_options,
    narration_options,
    plan_from_options,
    plan_settings,
    planning_options,
    render_settings,
    replan_options,
    studio_plan_options,
)
from wam.core.config import (
    DEFAULT_CRF,
    DEFAULT_FIT,
    DEFAULT_JOBS,
    DEFAULT_PRESET,
    FIT_MODES,
    PREVIEW_CRF,
    PREVIEW_PRESET,
    PREVIEW_SCALE,
    SUBTITLE_MODES,
    X264_PRESETS,
)


@click.command("render")
@click.argument("stories", metavar="[STORY]...", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option("-o", "--output", type=click.Path(), default=None,
              help="The MP4 file to write; for several stories a folder (OUTDIR/: one OUTDIR/<story>.mp4 "
                   "each).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Render this saved plan (wam plan -o) unchanged instead of planning (at the plan's size "
                   "and frame rate unless --resolution/--aspect say otherwise).")
@planning_options
@frame_options
@narration_options
@a_roll_options
@click.option("--fit", type=click.Choice(FIT_MODES), default=DEFAULT_FIT, show_default=True,
              help="cover: fill the frame (crop, centred on faces); contain: letterbox.")
@click.option("--preset", type=click.Choice(X264_PRESETS), default=DEFAULT_PRESET, show_default=True,
              help="x264 preset: slower ones make smaller files.")
@click.option("--crf", type=click.IntRange(0, 51), default=DEFAULT_CRF, show_default=True,
              help="x264 quality (lower is better).")
@click.option("--subtitles", "subtitle_mode", type=click.Choice(SUBTITLE_MODES), default=SUBTITLE_MODES[0],
              show_default=True,
              help="Burn in each sentence; or also highlight each word as it is spoken (words); or none.")
@click.option("--no-subtitles", is_flag=True,
              help="Do not burn the sentences in as subtitles (--subtitles none).")
@click.option("--srt", "srt_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the subtitles as SubRip.")
@click.option("--keep-audio", is_flag=True, help="Keep the clips' own sound (muted by default).")
@click.option("--music", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Lay this music under the video and cut on its beats (with pip install 'wam[music]'); "
                   "default with --plan: the plan's music.")
@click.option("--preview", is_flag=True,
              help=f"Fast low-resolution draft ({PREVIEW_SCALE:.0%} of the size, {PREVIEW_PRESET}, crf "
                   f"{PREVIEW_CRF}).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Segments encoded side by side (default: one per core).")
@replan_options
@click.option("--watch", is_flag=True,
              help="Keep running: render again whenever STORY changes (only re-cut sentences are encoded "
                   "again); "
                   "Ctrl-C stops.")
@manifest_option
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
              help="In a batch, how many videos are rendered at a time.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON line per finished job on stdout (story, output, status, duration, cuts, "
                   "warnings, seconds, error), in completion order.")
@force_option
@click.option("--ray", "ray_address", is_flag=False, flag_value="auto", default=None, metavar="[ADDRESS]",
              help="Render the batch as tasks on a Ray cluster (pip install 'wam[ray]'): at ADDRESS, else "
                   "$RAY_ADDRESS or a running local cluster, else a new local one.")
@quiet_option
@progress_option
def render_command(stories, output, plan_file, resolution, aspect, fps, fit, preset, crf, subtitle_mode,
                   no_subtitles,
                   srt_file, keep_audio, music, preview, threads, previous_file, fresh, watch, manifest,
                   jobs, as_json, force, ray_address, quiet, progress,
                   **planning):
    """Render STORY (a UTF-8 text file, or -) as a video cut from your indexed clips,
    or render a saved plan with --plan (then STORY is not needed, and not read if given).

    \b
    Several stories (files, folders of .txt/.md stories, or - to read story paths from
    stdin) or --manifest jobs.jsonl make a batch written to -o OUTDIR/: the index and the
    text model are loaded once, --jobs videos are rendered at a time, one failing story
    never stops the others (exit 1 if any failed) and a re-run skips every video newer than
    its story (--force redoes them).

    \b
    Example:
        wam render examples/story.txt -o story.mp4
        wam render story.txt -o short.mp4 --aspect 9:16 --pace fast --music bed.mp3
        wam plan story.txt -o plan.json && wam render --plan plan.json -o out.mp4
        wam render story.txt -o narrated.mp4 --music bed.mp3 --subtitles words --voice
        wam render story.txt -o mine.mp4 --narration my-reading.m4a
        wam render script.txt --a-roll talk.mp4 -o vlog.mp4 --a-roll-mode pip
        wam render story.txt -o out.mp4 --watch
        wam render stories/ -o videos/ --jobs 2 --json
        wam render --manifest jobs.jsonl --ray
    """
    from wam.app import files_read, previous_plan, render_options, render_plan, user_render_cache
    from wam.app.outputs import check_output, check_video_output
    from wam.core.errors import UsageError

    if manifest or ray_address or is_batch(stories, output, manifest):
        if watch or previous_file:
            raise click.UsageError("--watch and --previous render one story, not a batch")
        return _render_batch(stories, output, manifest, jobs, as_json, force, ray_address, quiet, fresh)
    if output is None:
        raise click.UsageError("give the video to write with -o OUT.mp4 (or -o OUTDIR/ for a batch)")
    story = stories[0] if stories else None
    if not plan_file and not story:
        raise click.UsageError("give a STORY to plan and render, or --plan PLAN.json")
    warn = warner(quiet)
    ctx = click.get_current_context()
    if as_json:  # a failed render prints its JSON line too (a wrong output name included)
        warn = _json_line_on_failure(ctx, story or plan_file, output, warn)
    if watch and (plan_file or story == "-"):
        raise UsageError("--watch needs a STORY file to watch (not --plan, not stdin)")
    check_video_output(output)
    explicit = given_options(ctx, ("resolution", "aspect", "fps", "a_roll_mode"))
    values = dict(planning, resolution=resolution, aspect=aspect, fps=fps, music=music, fit=fit,
                  preset=preset,
                  crf=crf, subtitle_mode=subtitle_mode, no_subtitles=no_subtitles, keep_audio=keep_audio,
                  preview=preview, threads=threads)
    studio = None
    if not plan_file:  # a story edited in wam studio: its saved plan and settings
        studio = studio_plan_options(story, values, fresh=fresh, previous_file=previous_file,
                                     note=noter(quiet))
    settings = plan_settings(values, explicit)
    progress = show_progress(quiet, progress)
    render = render_settings(values, explicit, saved_plan=bool(plan_file), progress=progress)
    timeline = None
    if plan_file:
        from wam.core.timeline import read_plan

        timeline = read_plan(plan_file)
        if "fps" in explicit and fps != timeline.fps:  # a saved plan renders on its own frame grid
            warn(f"--fps {fps} ignored: the plan's cuts lie on a {timeline.fps} fps grid (re-plan to change "
                 f"it)")
    # before planning or rendering: refuse to overwrite an input, a clip or the index
    inputs, sources = files_read(settings, story=story, plan=plan_file, timeline=timeline)
    if studio is not None:
        from wam.studio.saved import saved_plan_path

        inputs.append(saved_plan_path(story))
    inputs.append(previous_file)
    target = check_output(output, inputs=inputs, sources=sources)
    if srt_file and check_output(srt_file, inputs=inputs, sources=sources) == target:
        raise UsageError(f"--srt {srt_file} and -o {output} are the same file; give the subtitles another "
                         f"name")
    if timeline is None:
        # the text model runs in a child process that ends after planning: the render keeps none of its memory
        # (except with --watch, where it stays loaded to re-plan each edit at once)
        timeline = plan_from_options(story, settings, warn=warn, progress=progress, model_process=not watch,
                                     note=noter(quiet), previous=studio or previous_plan(target,
                                                                                         previous_file,
                                                                                         fresh))
    cache = user_render_cache(warn)
    result = render_plan(timeline, output, render, warn=warn, cache=cache or False, srt=srt_file)
    if not quiet:
        opts = render_options(timeline, render)
        click.echo(f"wrote {result.path}: {result.duration:.2f} s, {opts.width}x{opts.height} at "
                   f"{timeline.fps} fps "
                   f"in {result.seconds:.1f} s ({result.encoded} of {result.segments} segments encoded)",
                   err=True)
    if as_json:
        click.echo(json.dumps({"job": 1, "story": story or plan_file, "output": str(result.path),
                               "status": "ok",
                               "duration": round(timeline.duration, 3),
                               "cuts": sum(not c.continues for c in timeline.cuts()),
                               "warnings": timeline.warnings, "seconds": round(result.seconds, 3),
                               "error": None}))
    if watch:
        from wam.cli.watch_loop import watch_and_render

        watch_and_render(story, target, timeline, settings, render, cache, quiet=quiet, srt_file=srt_file)


def _json_line_on_failure(ctx: click.Context, source: str, output: str, warn):
    """Make a failure of this render print its ``--json`` line (status "failed", the error; the
    shape of a batch's lines) before the error line: ``WamGroup`` calls ``ctx.meta["wam.failed"]``.
    Returns ``warn``, also keeping the warnings for that line."""
    import time

    started, warnings = time.perf_counter(), []

    def failed(error: str) -> None:
        click.echo(json.dumps({"job": 1, "story": source, "output": output, "status": "failed",
                               "duration": None,
                               "cuts": None, "warnings": warnings,
                               "seconds": round(time.perf_counter() - started, 3),
                               "error": error}, ensure_ascii=False))

    def keep(message: str) -> None:
        warnings.append(message)
        warn(message)

    ctx.meta["wam.failed"] = failed
    return keep


def _render_batch(stories, output, manifest, jobs, as_json, force, ray_address, quiet, fresh):
    """Several stories, a folder, stdin paths or a manifest: ``wam.batch`` does the work."""
    from wam.batch.run import executor_for
    from wam.batch.work import RenderWork, Session

    def srt_of(target, options):
        return [options["srt_file"]] if options.get("srt_file") else []

    def check_target(job):
        from wam.app.outputs import check_video_output

        check_video_output(job.output)

    def render_of(job):
        return render_settings(job.options, job.options.get("explicit", ()), saved_plan=bool(job.plan))

    todo = build_jobs(click.get_current_context(), stories, output, manifest, ".mp4", extra_outputs=srt_of,
                      check_target=check_target, render_of=render_of)
    if ray_address:
        from wam.batch.ray_render import RayExecutor

        executor = RayExecutor(None if ray_address == "auto" else ray_address)
    else:
        executor = executor_for(min(jobs, len(todo)))
    report_batch(RenderWork(Session(), fresh=fresh), todo, executor, force=force, quiet=quiet,
                 as_json=as_json, verb="rendered")
