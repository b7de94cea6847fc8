"""``wam render --watch``: after the first render, plan and render again each time the story
file changes, and say what changed. Glue only: planning, rendering and change detection are
library calls (``wam.render.story_changes``)."""

from __future__ import annotations

import time

import click


def watch_and_render(story: str, target, timeline, settings, render, cache, *, quiet: bool, srt_file) -> None:
    """Loop until Ctrl-C (KeyboardInterrupt, exit 130 by the CLI), re-planning with ``settings``
    (``PlanSettings``) and rendering with ``render`` (``RenderSettings``) through ``cache``. A
    failing re-plan or re-render is reported in one line and the previous video stays; watching
    goes on."""
    from wam.app import render_plan
    from wam.cli.common import warner
    from wam.cli.shared_options import plan_from_options
    from wam.core.errors import WamError
    from wam.render.story_changes import describe_recut, file_changes, recut_sentences

    warn = warner(quiet)
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    say(f"watching {story} (Ctrl-C to stop)")
    for _ in file_changes(story):
        started = time.perf_counter()
        try:
            new = plan_from_options(story, settings, warn=warn, previous=timeline)
            planned = time.perf_counter() - started
            result = render_plan(new, target, render, warn=warn, cache=cache or False, srt=srt_file)
        except WamError as exc:
            click.echo(f"wam: error: {' '.join(str(exc).split())} (still watching)", err=True)
            continue
        recut = recut_sentences(timeline, new)
        timeline = new
        say(f"{describe_recut(recut, len(new.sentences))}; {result.encoded} of {result.segments} segments "
            f"encoded; wrote {target.name} in "
            f"{time.perf_counter() - started:.1f} s (planning {planned:.1f} s)")
