"""``wam plan STORY``: the cut list for a story, as a table or as wam.timeline/1 JSON."""

from __future__ import annotations

import click

from wam.cli.common import quiet_option, show_progress, warner


@click.command("plan")
@click.argument("story", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--library", "libraries", multiple=True, type=click.Path(file_okay=False),
              help="Use only shots of this indexed folder (repeatable; default: every library).")
@click.option("--pace", type=click.Choice(["calm", "normal", "fast"]), default="normal", show_default=True,
              help="Average shot length: calm ≈ 5.5 s, normal ≈ 3.5 s, fast ≈ 2 s.")
@click.option("--fps", type=click.IntRange(1, 240), default=30, show_default=True, help="Output frame rate (cut grid).")
@click.option("--wps", type=click.FloatRange(min=0.1), default=2.6, show_default=True,
              help="Reading speed in words per second (sets sentence durations).")
@click.option("--seed", type=int, default=None, help="Give an alternative cut (same seed, same cut).")
@click.option("-k", "top", type=click.IntRange(min=1), default=40, show_default=True, help="Candidate shots per sentence.")
@click.option("--model", default=None, metavar="NAME", help="Refuse to plan unless the index uses this text model.")
@click.option("--json", "as_json", is_flag=True, help="Print the wam.timeline/1 JSON document on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the JSON plan to this file.")
@quiet_option
def plan_command(story, libraries, pace, fps, wps, seed, top, model, as_json, output, quiet):
    """Choose the shots for every sentence of STORY (a UTF-8 text file, or - for stdin).

    \b
    Example:
        wam plan examples/story.txt
        wam plan story.txt --pace fast --json > plan.json
        cat story.txt | wam plan - -o plan.json
    """
    from wam.planner import plan_story
    from wam.story import read_story_file
    from wam.timeline import write_atomic

    sentences = read_story_file(story, wps=wps, progress=show_progress(quiet, None))
    timeline = plan_story(sentences, libraries=list(libraries) or None, pace=pace, fps=fps, k=top, seed=seed,
                          model=model, progress=show_progress(quiet, None))
    warn = warner(quiet)
    for w in timeline.warnings:
        warn(w)
    if output:
        write_atomic(output, timeline.to_json() + "\n")
    if as_json:
        click.echo(timeline.to_json())
    elif not output or not quiet:
        if output and not as_json:
            pass
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
