"""``wam describe CLIP``: what wam sees in an indexed clip, shot by shot."""

from __future__ import annotations

import click

from wam.cli.common import echo_json
from wam.core.config import DEFAULT_DESCRIBE_K


@click.command("describe")
@click.argument("clip", type=click.Path(dir_okay=False))
@click.option("-k", "top", type=click.IntRange(min=1), default=DEFAULT_DESCRIBE_K, show_default=True,
              help="How many classes and nearest words per shot.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def describe_command(clip, top, as_json):
    """Show what wam sees in CLIP (an indexed clip), shot by shot: the tagger's classes
    and labels with their confidence, the visual words (light, colour, sky, faces,
    motion…), and the words nearest to the shot's visual vector, so you can tell why a
    shot is or isn't found.

    \b
    Example:
        wam describe ~/Footage/IMG_0042.MOV
        wam describe clips/rocket.mp4 --json | jq '.shots[0].nearest'
    """
    from wam.library.seen import describe_clip

    view = describe_clip(clip, k=top)
    if as_json:
        echo_json(view.to_dict())
        return

    def listed(pairs) -> str:
        return ", ".join(f"{name} {value:.2f}" for name, value in pairs) or "-"

    click.echo(f"{view.path}  ({len(view.shots)} shots; tagger {view.tagger}, text model {view.model})")
    for n, s in enumerate(view.shots, 1):
        click.echo(f"shot {n}  {s.start:.2f}-{s.end:.2f} s  {s.shot_id}")
        click.echo(f"  classes: {listed(s.classes)}")
        click.echo(f"  words:   {listed(s.words)}")
        click.echo(f"  nearest: {listed(s.nearest)}")
        click.echo(f"  labels:  {listed(s.labels)}")
        click.echo(f"  text:    {s.description or '-'}")
