"""``wam export PLAN_OR_STORY -o FILE``: the cut for an editor (OpenTimelineIO, CMX 3600 EDL,
Final Cut Pro 7 XML, FCPX XML) and its subtitles as SubRip beside it."""

from __future__ import annotations

import click

from wam.cli.batch import build_jobs, force_option, is_batch, manifest_option, report_batch
from wam.cli.common import quiet_option, warner
from wam.cli.shared_options import frame_options, planning_options
from wam.core.config import EXPORT_FORMATS


@click.command("export")
@click.argument("sources", metavar="PLAN_OR_STORY...", nargs=-1, type=click.Path(allow_dash=True))
@click.option("-o", "--output", type=click.Path(), default=None,
              help="The file to write: .otio, .edl, .xml (Final Cut Pro 7: Premiere, Resolve) or .fcpxml; "
                   "for several plans or stories a folder (OUTDIR/<name>.otio each, or as --format says).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default=None,
              help="The format, when the output's extension does not say it.")
@click.option("--music", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Put this sound file on an audio track under the cut (planning a story: cut on its beats "
                   "too); default for a plan: the plan's music.")
@click.option("--no-srt", is_flag=True,
              help="Do not write the subtitles (OUTPUT with .srt) beside the export.")
@planning_options
@frame_options
@manifest_option
@click.option("--json", "as_json", is_flag=True,
              help="In a batch, print one JSON line per finished job on stdout.")
@force_option
@quiet_option
def export_command(sources, output, fmt, music, no_srt, manifest, as_json, force, quiet, resolution, aspect,
                   fps, **planning):
    """Export the cut of PLAN_OR_STORY for a video editor: a saved plan (wam plan -o
    plan.json) is exported as it is; a story (a text file, or - for stdin) is planned first
    with the same options as wam plan. Clips point at your original files, in their own
    frame rates; paragraph cross-fades are transitions; every sentence is a marker, and the
    subtitles are written beside the export as OUTPUT.srt. Several plans or stories (or
    folders of them, - for their paths on stdin, or --manifest jobs.jsonl) are exported in
    one run to -o OUTDIR/ (exports newer than their plan or story are kept unless --force).

    \b
    Example:
        wam plan story.txt -o plan.json && wam export plan.json -o cut.otio
        wam export plan.json -o cut.edl                  # CMX 3600, for any editor
        wam export story.txt -o cut.xml --pace fast      # Premiere Pro, DaVinci Resolve
        wam export plan.json -o cut.fcpxml --music bed.mp3
        wam export plans/ -o cuts/ --format edl
    """
    import os

    from wam.app import export_cut, saved_plan_or_story
    from wam.cli.handoff_glue import check_output, plan_sources, subtitles_beside
    from wam.cli.shared_options import plan_settings
    from wam.core.errors import WamError
    from wam.export import format_for, narration_copy_path, writable_target

    if is_batch(sources, output, manifest):
        return _export_batch(sources, output, manifest, fmt, as_json, force, quiet)
    if output is None or len(sources) != 1:
        raise click.UsageError("give one PLAN_OR_STORY and -o FILE (or "
                               "several with -o OUTDIR/, or --manifest)")
    source = sources[0]
    warn = warner(quiet)
    try:
        chosen = format_for(output, fmt)  # an unknown extension is a usage error, before any work
    except WamError as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--output'") from None
    srt_path = None if no_srt else subtitles_beside(output)
    clips = plan_sources(source)
    check_output(output, [source, music], clips)
    if srt_path:
        check_output(srt_path, [source, music, output], clips)
        writable_target(srt_path)
    writable_target(output)
    settings = plan_settings(dict(planning, resolution=resolution, aspect=aspect, fps=fps, music=music))
    timeline = saved_plan_or_story(source, settings, warn=warn)
    result = export_cut(timeline, output, chosen.name, music=music, srt=srt_path, inputs=[source, music],
                        sources=clips, warn=warn)
    if not quiet:
        copied = (result.narration if result.narration and result.narration == os.path.abspath(
            narration_copy_path(output)) else None)
        extra = "".join(f" and {p}" for p in (srt_path, copied) if p)
        fades = f"{result.transitions} cross-fade" + ("" if result.transitions == 1 else "s")
        click.echo(f"wrote {result.path} ({result.format.title}: {result.clips} clips, {fades}, "
                   f"{result.markers} sentence markers){extra}", err=True)


def _export_batch(sources, output, manifest, fmt, as_json, force, quiet):
    """Several plans or stories, a folder, stdin paths or a manifest: ``wam.batch`` does the work."""
    from wam.batch.work import ExportWork, Session
    from wam.cli.handoff_glue import is_plan_file, subtitles_beside
    from wam.export import format_for

    def srt_of(target, options):
        return [] if options.get("no_srt") or not (srt := subtitles_beside(target)) else [srt]

    jobs = build_jobs(click.get_current_context(), sources, output, manifest, f".{fmt or EXPORT_FORMATS[0]}",
                      is_plan=is_plan_file, extra_outputs=srt_of,
                      check_target=lambda job: format_for(job.output, job.options.get("fmt")))
    report_batch(ExportWork(Session()), jobs, None, force=force, quiet=quiet, as_json=as_json,
                 verb="exported")
