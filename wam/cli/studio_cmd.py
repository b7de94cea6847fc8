"""``wam studio STORY``: the interactive editor in the browser. Glue only: the studio itself
is ``wam.studio`` (imported when the command runs, so ``wam --help`` stays instant)."""

from __future__ import annotations

import click
from click.core import ParameterSource

from wam.cli.common import noter, quiet_option, warner
from wam.cli.shared_options import a_roll_options
from wam.core.config import DEFAULT_STUDIO_PORT


@click.command("studio")
@click.argument("story", type=click.Path(exists=True, dir_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_STUDIO_PORT, show_default=True,
              help="Listen on this port of 127.0.0.1 (0: any free "
                   "one; the default moves to a free one when taken).")
@click.option("--no-browser", is_flag=True,
              help="Do not open the browser; open the printed address yourself.")
@click.option("--library", "libraries", multiple=True, type=click.Path(file_okay=False),
              help="Use only shots of this indexed folder (repeatable; default: every library).")
@click.option("--music", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Offer this sound file in the page's music menu (repeatable; sound files beside the story "
                   "are offered too).")
@a_roll_options
@quiet_option
def studio_command(story, port, no_browser, libraries, music, a_roll, a_roll_mode, a_roll_every, quiet):
    """Edit STORY in your browser: its text beside the storyboard, re-planned as you type
    (unchanged sentences keep their cuts). Swap a cut for one of the next best shots, pin a
    cut so that every later plan keeps it, ban a shot or a clip, play a sentence or the
    whole cut, choose pace, shape, voice and music, render the MP4 and export for an editor.

    \b
    The first line printed is the address with a private access token; the server listens
    on 127.0.0.1 only. Saving writes STORY and its plan beside it (story.wam.json, with the
    pins and bans), which `wam render STORY` and `wam plan STORY` then follow.

    \b
    Example:
        wam studio examples/story.txt
        wam studio story.txt --port 9000 --no-browser --music bed.mp3
        wam studio script.txt --a-roll talk.mp4    # B-roll over your own video
    """
    from wam.studio.server import run_studio

    ctx = click.get_current_context()
    given = {n for n in ("port", "a_roll_mode", "a_roll_every")
             if ctx.get_parameter_source(n) not in (ParameterSource.DEFAULT, None)}
    talk = {"a_roll": a_roll, "a_roll_mode": a_roll_mode if "a_roll_mode" in given else None,
            "a_roll_every": a_roll_every if "a_roll_every" in given else None}  # else the saved plan's
    run_studio(story, port=port, explicit_port="port" in given, open_browser=not no_browser,
               libraries=list(libraries), music=list(music), note=noter(quiet), warn=warner(quiet), talk=talk)
