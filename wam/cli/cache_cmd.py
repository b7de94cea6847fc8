"""``wam cache``: show or clear the render cache (encoded segments and previous plans in
``$WAM_HOME/render-cache``). Glue only: the cache is ``wam.render.segment_cache``."""

from __future__ import annotations

import click

from wam.cli.common import echo_json, warner


@click.command("cache")
@click.option("--clear", is_flag=True, help="Delete every cached segment and kept plan (renders still work, "
                                            "the next one encodes everything again).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def cache_command(clear, as_json):
    """Show how much the render cache holds (segments of earlier renders, reused when a story
    is edited, and the last plan of each output), or clear it. Its size cap is $WAM_CACHE_MB
    (least recently used segments go first).

    \b
    Example:
        wam cache
        wam cache --clear
        WAM_CACHE_MB=500 wam render story.txt -o out.mp4
    """
    from wam.render.segment_cache import RenderCache

    cache = RenderCache.default()
    stats = cache.clear() if clear else cache.stats()
    if stats.kept:
        warner(False)(f"{stats.kept} file(s) of the render cache could not be deleted ({stats.problem})")
    doc = {"path": stats.path, "segments": stats.segments, "bytes": stats.bytes, "plans": stats.plans,
           "max_bytes": stats.max_bytes, "cleared": clear}
    if as_json:
        echo_json(doc)
        return
    mb = stats.bytes / 2**20
    cap = f"{stats.max_bytes / 2**20:.0f} MB" if stats.max_bytes is not None else "none"
    if clear:
        click.echo(f"cleared {stats.path}: {stats.segments} segments ({mb:.1f} MB) and {stats.plans} plans")
    else:
        click.echo(f"{stats.path}: {stats.segments} segments, "
                   f"{mb:.1f} MB (cap {cap}), {stats.plans} plans kept")
