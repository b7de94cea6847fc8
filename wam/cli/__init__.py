"""The ``wam`` command line: a thin click layer over the library.

Glue only: parse options, call the library, print results. WamError becomes a one-line
message on stderr and exit code 1 (a traceback only with ``--debug``); click's usage
errors exit 2. Command modules import heavy code inside their functions so that
``wam --help`` answers instantly.
"""

from __future__ import annotations

import click

from wam import __version__
from wam.cli.export_cmd import export_command
from wam.cli.index_cmd import index_command
from wam.cli.libraries_cmd import libraries_command
from wam.cli.plan_cmd import plan_command
from wam.cli.render_cmd import render_command
from wam.cli.search_cmd import search_command
from wam.cli.storyboard_cmd import storyboard_command


class WamGroup(click.Group):
    """A click group that turns WamError into ``wam: error: …`` and exit code 1."""

    def invoke(self, ctx: click.Context):
        from wam.errors import WamError

        try:
            return super().invoke(ctx)
        except WamError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"wam: error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("wam: interrupted; finished work is saved, run the command again to resume", err=True)
            ctx.exit(130)


@click.group(cls=WamGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="wam")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors, and debug messages.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """wam turns a written story into an edited video cut from your own clip library.

    \b
    Example:
        wam index ./clips                    # shots + features + embeddings, incremental
        wam search "a cat on a sofa"         # check what the index finds
        wam libraries                        # what is indexed
        wam plan story.txt --json            # the cut list for a story
        wam render story.txt -o out.mp4      # plan + render in one go
        wam storyboard story.txt -o board.html   # look at the cut before rendering
        wam export plan.json -o cut.otio     # hand the cut to an editor (.edl .xml .fcpxml)

    The index lives in $WAM_HOME (default: your user data folder).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if debug:  # the library's debug log (e.g. a failed model preload) on stderr
        import logging

        log = logging.getLogger("wam")
        if not log.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("wam: debug: %(name)s: %(message)s"))
            log.addHandler(handler)
        log.setLevel(logging.DEBUG)


cli.add_command(index_command)
cli.add_command(search_command)
cli.add_command(libraries_command)
cli.add_command(plan_command)
cli.add_command(render_command)
cli.add_command(export_command)
cli.add_command(storyboard_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="wam")
