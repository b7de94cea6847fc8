"""``wam search QUERY``: the best shots for a text, the quickest check of an index."""

from __future__ import annotations

import click

from wam.cli.common import echo_json, quiet_option, warner
from wam.core.config import DEFAULT_SEARCH_K


@click.command("search")
@click.argument("query")
@click.option("-k", "top", type=click.IntRange(min=1), default=DEFAULT_SEARCH_K, show_default=True,
              help="How many shots.")
@click.option("--library", "libraries", multiple=True, type=click.Path(file_okay=False),
              help="Search only this indexed folder (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@quiet_option
def search_command(query, top, libraries, as_json, quiet):
    """Show the shots that best match QUERY.

    \b
    Example:
        wam search "cyclists on a forest road" -k 5
        wam search "night city" --json | jq '.[0].source'
    """
    from wam.app.search import search_shots

    hits = search_shots(query, k=top, libraries=list(libraries) or None, warn=warner(quiet))
    if as_json:
        echo_json([h.to_dict() for h in hits])
        return
    for h in hits:
        click.echo(f"{h.score:6.3f}  {h.source}  {h.start:7.2f}-{h.end:7.2f}  {h.shot_id}")
        click.echo(f"        {h.description}")
