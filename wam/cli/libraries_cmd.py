"""``wam libraries``: what the index holds."""

from __future__ import annotations

import click

from wam.cli.common import echo_json


@click.command("libraries")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def libraries_command(as_json):
    """List indexed libraries with their clips, shots and footage length, and the models.

    \b
    Example:
        wam libraries
        wam libraries --json | jq '.libraries[].root'
    """
    from wam.library.store import Store

    with Store.open(create=False) as store:
        vision = store.vision
        info = {
            "home": str(store.home),
            "model": store.model,
            "vision": ({"name": vision.name, "family": vision.family, "identity": vision.identity,
                        "shots": store.image_count()} if vision else None),
            "libraries": store.libraries(),
            **store.counts(),
        }
    if as_json:
        echo_json(info)
        return
    vision = info["vision"]
    click.echo(f"index: {info['home']}  model: {info['model'] or '-'}"
               + (f"  vision: {vision['name']} ({vision['family']}, {vision['shots']} shots)" if vision
                  else ""))
    if not info["libraries"]:
        click.echo("nothing indexed yet; run `wam index DIR`")
        return
    for lib in info["libraries"]:
        click.echo(f"{lib['clips']:5d} clips {lib['shots']:6d} shots {lib['seconds']:9.1f} s  {lib['root']}")
    click.echo(f"{info['clips']:5d} clips {info['shots']:6d} shots in total")
