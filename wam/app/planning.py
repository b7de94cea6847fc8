"""Use cases that make a plan: a story (a file, stdin, inline text) read and planned with
``PlanSettings`` (the frame shaped to the talk under it, the plan's warnings handed on), the
plan an edited story is re-planned against, a saved plan or a story as one cut, and a plan
written where it was asked for (and kept in the render cache for the next re-plan).

Place in the flow: layer 5, above the stages (story → ``wam.app.planner`` → timeline); the CLI,
``wam.batch`` and ``wam.studio`` call these.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from wam.core.settings import PlanSettings

if TYPE_CHECKING:
    from wam.core.story import Sentence
    from wam.core.timeline import Timeline

#: What a saved plan's file name ends with (any file holding a JSON object is one too).
PLAN_SUFFIXES = (".json",)


def _ignore(message: str) -> None:
    pass


def read_sentences(story: str | None, settings: PlanSettings, *, text: str | None = None,
                   progress: bool = False) -> list[Sentence]:
    """The sentences of the story file ``story`` (``-``: stdin), or of ``text`` when given, read
    at the settings' reading speed (Markdown when ``settings.markdown``; for a file, None
    decides by its suffix). A saved plan given as a story is a ``PlanNotStoryError``."""
    from wam.core.story import read_story, read_story_file

    if text is not None:
        return read_story(text, wps=settings.wps, markdown=bool(settings.markdown))
    return read_story_file(story, wps=settings.wps, markdown=settings.markdown, progress=progress)


def talk_framed(settings: PlanSettings) -> PlanSettings:
    """``settings`` with the frame in the shape of the talk under the cut (``a_roll`` with
    ``talk_shape``: the short side of width × height kept; a phone's upright talk gives an
    upright video); other settings as they are."""
    if not settings.a_roll or not settings.talk_shape:
        return settings
    from wam.render.layout import output_size_like
    from wam.voice.talk import talk_info

    talk = talk_info(settings.a_roll)
    size = output_size_like(f"{settings.width}x{settings.height}", talk.width, talk.height)
    return replace(settings, width=size[0], height=size[1], talk_shape=False)


def story_plan(story: str | None, settings: PlanSettings | None = None, *, text: str | None = None,
               warn: Callable[[str], None] = _ignore, previous: Timeline | None = None,
               progress: bool = False, model_process: bool = False, note=None, home: Path | None = None,
               store=None, encoder=None, vision_encoder=None, bans=None, static_encoder=None) -> Timeline:
    """The plan of the story file ``story`` (or of ``text``) with ``settings`` (default: every
    option at its default); its warnings go to ``warn`` too. ``previous``: the plan the story
    had before an edit (unchanged sentences keep their cuts); ``progress``: bars on stderr for a
    long story; ``model_process``: the text model in a child process that ends after planning;
    ``note`` hears what was synthesised (and when the sentences get static vectors); ``store`` /
    ``encoder`` / ``vision_encoder`` / ``static_encoder``: the open index and models a batch or the
    studio shares (see ``wam.app.planner.plan_story``)."""
    from wam.app.planner import plan_story

    settings = settings if settings is not None else PlanSettings()
    sentences = read_sentences(story, settings, text=text, progress=progress)
    timeline = plan_story(sentences, talk_framed(settings), home=home, progress=progress,
                          model_process=model_process, previous=previous, note=note, store=store,
                          encoder=encoder, vision_encoder=vision_encoder, bans=bans,
                          static_encoder=static_encoder)
    for w in timeline.warnings:
        warn(w)
    return timeline


def is_plan_file(path: str) -> bool:
    """A saved plan: a ``.json`` file, or any file holding a JSON object (a story never starts with ``{``)."""
    if path == "-" or not os.path.isfile(path):
        return False
    if path.lower().endswith(PLAN_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    if not head.startswith(b"{"):
        return False
    from wam.core.config import MAX_JSON_BYTES
    from wam.core.errors import InputError
    from wam.core.textfile import parse_json, read_text

    try:
        text = read_text(path, what="the plan", limit=MAX_JSON_BYTES, error=InputError)
        return isinstance(parse_json(text), dict)
    except (OSError, ValueError, InputError):
        return False


def saved_plan_or_story(source: str, settings: PlanSettings | None = None, *,
                        warn: Callable[[str], None] = _ignore, **planning) -> Timeline:
    """The cut of ``source``: the saved plan it holds (``is_plan_file``), else its story planned
    with ``settings`` (``planning``: more of ``story_plan``'s keywords)."""
    if is_plan_file(source):
        from wam.core.timeline import read_plan

        timeline = read_plan(source)
        for w in timeline.warnings:
            warn(w)
        return timeline
    return story_plan(source, settings, warn=warn, **planning)


def files_read(settings: PlanSettings, *, story: str | None = None, plan: str | None = None,
               timeline: Timeline | None = None) -> tuple[list[str], list[str]]:
    """What planning and rendering read, which no output may overwrite: the inputs (``story``,
    the saved ``plan``, the settings' music, recording, timing and talk, a Piper voice model
    and its ``.json``; the saved plan's (``timeline``) narration track, music and talk) and the
    saved plan's clips (whose sidecars ``wam.app.outputs.check_output`` protects too)."""
    inputs = [p for p in (story, plan, settings.music, settings.narration, settings.timing, settings.a_roll)
              if p]
    if isinstance(settings.voice, str) and os.path.isfile(settings.voice):
        inputs += [settings.voice, settings.voice + ".json"]
    sources: list[str] = []
    if timeline is not None:
        sources = sorted({c.source for c in timeline.cuts()})
        narrated = timeline.narration.file if timeline.narration is not None else None
        for file in (narrated, (timeline.music or {}).get("file"), (timeline.a_roll or {}).get("file")):
            if isinstance(file, str):
                inputs.append(file)
    return inputs, sources


def previous_plan(output, previous_file: str | None = None, fresh: bool = False, *,
                  existing_plan: bool = False) -> Timeline | None:
    """The plan an edited story is re-planned against: ``previous_file``, else the one the
    render cache kept for ``output`` (else, with ``existing_plan``, ``output`` itself if it is a
    plan); None when ``fresh`` or when there is none."""
    from wam.core.errors import UsageError
    from wam.core.timeline import read_plan
    from wam.render.segment_cache import RenderCache

    if fresh:
        if previous_file:
            raise UsageError("--fresh ignores previous plans; give --previous or --fresh, not both")
        return None
    if previous_file:
        return read_plan(previous_file)
    if output is None:
        return None
    found = RenderCache.default().previous_plan(output)
    if found is None and existing_plan and os.path.isfile(output):
        try:
            found = read_plan(output)
        except Exception:  # not a plan (yet): plan from scratch
            found = None
    return found


def write_plan(timeline: Timeline, output: str | os.PathLike) -> None:
    """Write ``timeline`` as wam.timeline/1 JSON to ``output`` (atomically) and keep it in the
    render cache as the plan the next re-plan of that output starts from (not for a device or
    FIFO: ``/dev/stdout`` names another pipe each run)."""
    from wam.core.fileio import is_stream, write_atomic
    from wam.render.segment_cache import RenderCache

    write_atomic(output, timeline.to_json() + "\n")
    if not is_stream(output):
        RenderCache.default().save_plan(output, timeline)
