"""``wam plan STORY``: the cut list for a story, as a table or as wam.timeline/1 JSON."""

from __future__ import annotations

import click

from wam.cli.common import quiet_option, warner
from wam.cli.options import frame_options, plan_from_options, planning_options


@click.command("plan")
@click.argument("story", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@planning_options
@frame_options
@click.option("--json", "as_json", is_flag=True, help="Print the wam.timeline/1 JSON document on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the JSON plan to this file.")
@quiet_option
def plan_command(story, as_json, output, quiet, resolution, aspect, fps, **planning):
    """Choose the shots for every sentence of STORY (a UTF-8 text file, or - for stdin).

    \b
    Example:
        wam plan examples/story.txt
        wam plan story.txt --pace fast --json > plan.json
        cat story.txt | wam plan - -o plan.json
        wam plan story.md --aspect 9:16 -o vertical.json
    """
    from wam.fileio import write_atomic
    from wam.outputs import check_output
    from wam.render.layout import output_size

    size = output_size(resolution, aspect)
    if output:  # before planning: refuse to overwrite the story, a clip or the index
        check_output(output, inputs=[story])
    timeline = plan_from_options(story, size=size, fps=fps, warn=warner(quiet), **planning)
    if output:
        write_atomic(output, timeline.to_json() + "\n")
    if as_json:
        click.echo(timeline.to_json())
    elif not output or not quiet:
        _print_table(timeline)


def _print_table(t) -> None:
    import os

    for s in t.sentences:
        flag = "  [weak match]" if s.weak_match else ""
        click.echo(f"{s.index + 1:3d}. {s.start:7.2f}-{s.end:7.2f}  {s.text}{flag}")
        for c in s.cuts:
            click.echo(
                f"       {c.start:7.2f}-{c.end:7.2f}  {os.path.basename(c.source)} "
                f"[{c.source_in:.2f}-{c.source_out:.2f}]  score {c.score:.2f}"
            )
    n = len(t.cuts())
    click.echo(f"{len(t.sentences)} sentences, {n} cuts, {t.duration:.2f} s, average shot {t.duration / max(n, 1):.2f} s")
