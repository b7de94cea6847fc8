"""``wam export PLAN_OR_STORY -o FILE``: the cut for an editor (OpenTimelineIO, CMX 3600 EDL,
Final Cut Pro 7 XML, FCPX XML) and its subtitles as SubRip beside it."""

from __future__ import annotations

import click

from wam.cli.common import quiet_option, warner
from wam.cli.options import frame_options, planning_options
from wam.config import EXPORT_FORMATS


@click.command("export")
@click.argument("source", metavar="PLAN_OR_STORY", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .otio, .edl, .xml (Final Cut Pro 7: Premiere, Resolve) or .fcpxml.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default=None,
              help="The format, when the output's extension does not say it.")
@click.option("--music", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Put this sound file on an audio track under the cut.")
@click.option("--no-srt", is_flag=True, help="Do not write the subtitles (OUTPUT with .srt) beside the export.")
@planning_options
@frame_options
@quiet_option
def export_command(source, output, fmt, music, no_srt, quiet, resolution, aspect, fps, **planning):
    """Export the cut of PLAN_OR_STORY for a video editor: a saved plan (wam plan -o
    plan.json) is exported as it is; a story (a text file, or - for stdin) is planned first
    with the same options as wam plan. Clips point at your original files, in their own
    frame rates; paragraph cross-fades are transitions; every sentence is a marker, and the
    subtitles are written beside the export as OUTPUT.srt.

    \b
    Example:
        wam plan story.txt -o plan.json && wam export plan.json -o cut.otio
        wam export plan.json -o cut.edl                  # CMX 3600, for any editor
        wam export story.txt -o cut.xml --pace fast      # Premiere Pro, DaVinci Resolve
        wam export plan.json -o cut.fcpxml --music bed.mp3
    """
    import os

    from wam.cli.handoff import check_output, load_cut
    from wam.errors import WamError
    from wam.export import export_timeline, format_for, writable_target, write_text
    from wam.render.layout import output_size
    from wam.render.subtitles import srt_text

    warn = warner(quiet)
    try:
        chosen = format_for(output, fmt)  # an unknown extension is a usage error, before any work
    except WamError as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--output'") from None
    srt_path = None if no_srt else os.path.splitext(output)[0] + ".srt"
    check_output(output, [source, music])
    if srt_path:
        check_output(srt_path, [source, music, output])
        writable_target(srt_path)
    writable_target(output)
    timeline = load_cut(source, size=output_size(resolution, aspect), fps=fps, warn=warn, **planning)
    result = export_timeline(timeline, output, chosen.name, music=music, warn=warn)
    if srt_path:
        write_text(srt_path, srt_text(timeline))
    if not quiet:
        extra = f" and {srt_path}" if srt_path else ""
        fades = f"{result.transitions} cross-fade" + ("" if result.transitions == 1 else "s")
        click.echo(f"wrote {result.path} ({result.format.title}: {result.clips} clips, {fades}, "
                   f"{result.markers} sentence markers){extra}", err=True)
