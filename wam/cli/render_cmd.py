"""``wam render STORY -o OUT.mp4``: plan (or load a plan) and render the video."""

from __future__ import annotations

import click

from click.core import ParameterSource

from wam.cli.common import progress_option, quiet_option, show_progress, warner


@click.command("render")
@click.argument("story", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The MP4 file to write.")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Render this saved plan (wam plan -o) unchanged instead of planning (at the plan's size "
                   "and frame rate unless --resolution/--aspect say otherwise).")
@click.option("--library", "libraries", multiple=True, type=click.Path(file_okay=False),
              help="Use only shots of this indexed folder (repeatable).")
@click.option("--pace", type=click.Choice(["calm", "normal", "fast"]), default="normal", show_default=True)
@click.option("--wps", type=click.FloatRange(min=0.1), default=2.6, show_default=True, help="Reading speed (words/s).")
@click.option("--seed", type=int, default=None, help="An alternative cut.")
@click.option("--resolution", default="1280x720", show_default=True, help="Output size WxH.")
@click.option("--aspect", type=click.Choice(["16:9", "9:16", "1:1", "4:3", "4:5"]), default=None,
              help="Output shape (keeps the resolution's short side), e.g. 9:16 for vertical video.")
@click.option("--fit", type=click.Choice(["cover", "contain"]), default="cover", show_default=True,
              help="cover: fill the frame (crop, centred on faces); contain: letterbox.")
@click.option("--fps", type=click.IntRange(1, 240), default=30, show_default=True)
@click.option("--preset", default="veryfast", show_default=True, help="x264 preset.")
@click.option("--crf", type=click.IntRange(0, 51), default=20, show_default=True, help="x264 quality (lower is better).")
@click.option("--no-subtitles", is_flag=True, help="Do not burn the sentences in as subtitles.")
@click.option("--srt", "srt_file", type=click.Path(dir_okay=False), default=None, help="Also write the subtitles as SubRip.")
@click.option("--keep-audio", is_flag=True, help="Keep the clips' own sound (muted by default).")
@click.option("--music", type=click.Path(exists=True, dir_okay=False), default=None, help="Lay this music under the video.")
@click.option("--preview", is_flag=True, help="Fast low-resolution draft (half size, ultrafast, crf 30).")
@click.option("-j", "--threads", type=click.IntRange(min=1), default=None, help="Encoder threads.")
@quiet_option
@progress_option
def render_command(story, output, plan_file, libraries, pace, wps, seed, resolution, aspect, fit, fps, preset, crf,
                   no_subtitles, srt_file, keep_audio, music, preview, threads, quiet, progress):
    """Render STORY (a UTF-8 text file, or -) as a video cut from your indexed clips.

    \b
    Example:
        wam render examples/story.txt -o story.mp4
        wam render story.txt -o short.mp4 --aspect 9:16 --pace fast --music bed.mp3
        wam plan story.txt -o plan.json && wam render story.txt --plan plan.json -o out.mp4
    """
    import json

    from wam.errors import WamError
    from wam.render.layout import output_size
    from wam.render.renderer import RenderOptions, render_timeline
    from wam.render.subtitles import srt_text
    from wam.timeline import timeline_from_dict, write_atomic

    warn = warner(quiet)
    ctx = click.get_current_context()
    explicit = {name for name in ("resolution", "aspect", "fps")
                if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)}
    width, height = output_size(resolution, aspect)
    timeline = None
    if plan_file:
        try:
            with open(plan_file, encoding="utf-8") as f:
                timeline = timeline_from_dict(json.load(f))
        except (OSError, ValueError) as exc:
            raise WamError(f"cannot read the plan {plan_file} ({exc})") from None
        if not explicit & {"resolution", "aspect"}:  # a saved plan renders at its own size …
            width, height = timeline.width - timeline.width % 2, timeline.height - timeline.height % 2
        if "fps" in explicit and fps != timeline.fps:  # … and always on its own frame grid
            warn(f"--fps {fps} ignored: the plan's cuts lie on a {timeline.fps} fps grid (re-plan to change it)")
    if preview:
        width, height = (width // 4) * 2, (height // 4) * 2
        preset, crf = "ultrafast", 30
    if timeline is None:
        from wam.planner import plan_story
        from wam.story import read_story_file

        sentences = read_story_file(story, wps=wps, progress=show_progress(quiet, progress))
        # the text model runs in a child process that ends after planning: the render keeps none of its memory
        timeline = plan_story(sentences, libraries=list(libraries) or None, pace=pace, fps=fps, seed=seed,
                              width=width, height=height, progress=show_progress(quiet, progress),
                              model_process=True)
        for w in timeline.warnings:
            warn(w)
    if srt_file:
        write_atomic(srt_file, srt_text(timeline))
    opts = RenderOptions(width=width, height=height, fit=fit, preset=preset, crf=crf, subtitles=not no_subtitles,
                         keep_audio=keep_audio, music=music, threads=threads, progress=show_progress(quiet, progress))
    result = render_timeline(timeline, output, opts, warn=warn)
    if not quiet:
        click.echo(f"wrote {result.path}: {result.duration:.2f} s, {width}x{height} at {timeline.fps} fps "
                   f"in {result.seconds:.1f} s", err=True)
