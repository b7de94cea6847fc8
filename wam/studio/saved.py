"""The plan ``wam studio`` saves beside its story: ``story.txt`` → ``story.wam.json``, a plain
``wam.timeline/1`` document (its pins and bans included), written atomically together with
the story's text.

``wam plan STORY`` and ``wam render STORY`` re-plan against it when it is there (unless
``--fresh`` or ``--previous``): the sentences whose text is unchanged keep its cuts, its pins
and bans hold, and the settings it was made with (pace, frame rate, size, voice, music, the
talk under it) are the defaults of the options not given on the command line — so that the
CLI renders what the studio showed. ``wam render --plan story.wam.json`` and ``wam export
story.wam.json`` use it as it is. Pure file handling: no planning here.
"""

from __future__ import annotations

import os
from pathlib import Path

from wam.core.config import DEFAULT_A_ROLL_EVERY, DEFAULT_A_ROLL_MODE
from wam.core.errors import WamError
from wam.core.timeline import Timeline

#: What the studio's plan file is called beside ``story.txt`` (``story`` + this).
SUFFIX = ".wam.json"


def saved_plan_path(story: str | os.PathLike) -> Path:
    """Where the studio keeps the plan of ``story`` (its name without extension + ``.wam.json``)."""
    story = Path(story)
    return story.with_name(story.stem + SUFFIX)


def read_saved_plan(story: str | os.PathLike) -> Timeline | None:
    """The plan the studio saved for ``story``; None when there is none. A file that is not a
    valid plan is a WamError naming it."""
    from wam.core.timeline import read_plan

    if story in (None, "-"):
        return None
    path = saved_plan_path(story)
    if not path.is_file():
        return None
    try:
        return read_plan(path)
    except WamError as exc:
        raise WamError(f"the studio plan {path}: {exc} (move it away, or give --fresh)") from None


def saved_settings(plan: Timeline) -> dict:
    """The option values a saved plan was made with, by the CLI's option names: ``pace``,
    ``fps``, ``resolution``, and ``voice`` / ``music`` / the talk under it (``a_roll``,
    ``a_roll_mode``, ``a_roll_every``) when it had them (a file that has gone is left out)."""
    out = {"pace": plan.pace, "fps": plan.fps, "resolution": f"{plan.width}x{plan.height}"}
    narration = plan.narration
    if narration is not None and narration.kind == "voice" and narration.voice is not None:
        out["voice"] = narration.voice
    music = (plan.music or {}).get("file")
    if isinstance(music, str) and os.path.isfile(music):
        out["music"] = music
    talk = plan.a_roll or {}
    if isinstance(talk.get("file"), str) and os.path.isfile(talk["file"]):
        out.update(
            a_roll=talk["file"],
            a_roll_mode=talk.get("mode", DEFAULT_A_ROLL_MODE),
            a_roll_every=float(talk.get("every", DEFAULT_A_ROLL_EVERY)),
        )
    return out


def save_story(story: str | os.PathLike, text: str, plan: Timeline) -> tuple[Path, Path]:
    """Write ``plan`` beside ``story`` and ``text`` to ``story`` (each atomically, each checked
    first by ``wam.app.outputs.check_output``: never into a library or the index, never over a clip
    or the music); the two paths written."""
    from wam.app.outputs import check_output
    from wam.core.fileio import write_atomic

    inputs = sorted({c.source for c in plan.cuts()}) + [(plan.music or {}).get("file")]
    plan_path = check_output(saved_plan_path(story), inputs=[story, *inputs])
    story_path = check_output(story, inputs=[plan_path, *inputs])
    write_atomic(plan_path, plan.to_json() + "\n")
    write_atomic(story_path, text if text.endswith("\n") or not text else text + "\n")
    return story_path, plan_path
