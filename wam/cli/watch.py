"""``wam render --watch``: after the first render, plan and render again each time the story
file changes, and say what changed. Glue only: planning, rendering and change detection are
library calls (``wam.render.watch``)."""

from __future__ import annotations

import time

import click


def watch_and_render(story: str, target, timeline, opts, cache, *, quiet: bool, srt_file, size, fps,
                     planning: dict) -> None:
    """Loop until Ctrl-C (KeyboardInterrupt, exit 130 by the CLI). A failing re-plan or
    re-render is reported in one line and the previous video stays; watching goes on."""
    from wam.cli.common import warner
    from wam.cli.options import plan_from_options
    from wam.errors import WamError
    from wam.render.renderer import render_timeline
    from wam.render.watch import describe_recut, file_changes, recut_sentences

    warn = warner(quiet)
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    say(f"watching {story} (Ctrl-C to stop)")
    for _ in file_changes(story):
        started = time.perf_counter()
        try:
            new = plan_from_options(story, size=size, fps=fps, warn=warn, previous=timeline, **planning)
            planned = time.perf_counter() - started
            result = render_timeline(new, target, opts, warn=warn, cache=cache, srt=srt_file)
        except WamError as exc:
            click.echo(f"wam: error: {' '.join(str(exc).split())} (still watching)", err=True)
            continue
        if cache is not None:
            cache.save_plan(target, new)
        recut = recut_sentences(timeline, new)
        timeline = new
        say(f"{describe_recut(recut, len(new.sentences))}; {result.encoded} of {result.segments} segments "
            f"encoded; wrote {target.name} in "
            f"{time.perf_counter() - started:.1f} s (planning {planned:.1f} s)")
