"""``wam storyboard PLAN_OR_STORY -o board.html``: the cut as one self-contained HTML page."""

from __future__ import annotations

import click

from wam.cli.common import quiet_option, warner
from wam.cli.shared_options import frame_options, planning_options
from wam.core.config import DEFAULT_ALTERNATIVES


@click.command("storyboard")
@click.argument("source", metavar="PLAN_OR_STORY", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--alternatives", type=click.IntRange(min=0), default=DEFAULT_ALTERNATIVES, show_default=True,
              help="Next best shots shown per sentence, from the index (0: none).")
@planning_options
@frame_options
@quiet_option
def storyboard_command(source, output, alternatives, quiet, resolution, aspect, fps, **planning):
    """Write a storyboard of PLAN_OR_STORY: one HTML page with, for every sentence, its text,
    timing and flags, a thumbnail of every cut with its source, in/out, score and cost
    breakdown, and the next best shots the library offers. PLAN_OR_STORY is a saved plan
    (wam plan -o plan.json) or a story, planned as wam plan would. The page needs no network.

    \b
    Example:
        wam storyboard examples/story.txt -o board.html
        wam plan story.txt -o plan.json && wam storyboard plan.json -o board.html
        wam storyboard story.txt -o board.html --pace fast --alternatives 5
    """
    import os

    from wam.app import saved_plan_or_story, storyboard_page
    from wam.cli.handoff_glue import check_output, plan_sources
    from wam.cli.shared_options import plan_settings
    from wam.export import writable_target, write_text

    warn = warner(quiet)
    check_output(output, [source], plan_sources(source))
    writable_target(output)
    settings = plan_settings(dict(planning, resolution=resolution, aspect=aspect, fps=fps))
    timeline = saved_plan_or_story(source, settings, warn=warn)
    name = os.path.splitext(os.path.basename(source))[0] if source != "-" else "story"
    page = storyboard_page(timeline, title=f"{name} — wam storyboard", alternatives=alternatives,
                           k=settings.k, libraries=settings.libraries, warn=warn)
    write_text(output, page)
    if not quiet:
        click.echo(f"wrote {output}: {len(timeline.sentences)} sentences, {len(timeline.cuts())} cuts "
                   f"({len(page) // 1024} KiB)", err=True)
