"""Option groups shared by the commands that plan a story (``plan``, ``render``, ``export``,
``storyboard``), built from the defaults in ``wam.core.config``, and the glue that turns their values
into ``PlanSettings`` (``plan_settings``) for the use cases of ``wam.app``.

Usage: decorate a command with ``@planning_options`` and ``@frame_options`` (and
``@narration_options`` for a narrated cut), turn its keyword arguments into settings with
``plan_settings`` and plan with ``plan_from_options``.
"""

from __future__ import annotations

import click

from wam.core.config import (
    A_ROLL_MODES,
    ASPECTS,
    DEFAULT_A_ROLL_EVERY,
    DEFAULT_A_ROLL_MODE,
    DEFAULT_FPS,
    DEFAULT_K,
    DEFAULT_PACE,
    DEFAULT_RESOLUTION,
    DEFAULT_SENTENCE_VECTORS,
    DEFAULT_VOICE,
    DEFAULT_WPS,
    MAX_FPS,
    MIN_A_ROLL_EVERY,
    MIN_WPS,
    PACE_NAMES,
    SENTENCE_VECTOR_MODES,
    STATIC_VECTORS_FROM,
)
from wam.core.settings import PlanSettings, RenderSettings


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses ``nan`` and ``inf`` (``FloatRange`` lets them through:
    ``nan`` compares false with its bounds)."""

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def _apply(f, options):
    for option in reversed(options):
        f = option(f)
    return f


def planning_options(f):
    """Which footage, how fast and how the story is read: --library --pace --wps --markdown --seed -k
    --model --sentence-vectors."""
    return _apply(f, [
        click.option("--library", "libraries", multiple=True, type=click.Path(file_okay=False),
                     help="Use only shots of this indexed folder (repeatable; default: every library)."),
        click.option("--pace", type=click.Choice(PACE_NAMES), default=DEFAULT_PACE, show_default=True,
                     help="Average shot length: calm ≈ 5.5 s, normal ≈ 3.5 s, fast ≈ 2 s."),
        click.option("--wps", type=FiniteFloatRange(min=MIN_WPS), default=DEFAULT_WPS, show_default=True,
                     help="Reading speed in words per second (sets sentence durations)."),
        click.option("--markdown", is_flag=True,
                     help="Read the story as Markdown (the default for .md/.markdown files; other files and "
                          "stdin are plain text, shown verbatim)."),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Give an alternative cut (a number ≥ 0; same seed, same cut)."),
        click.option("-k", "top", type=click.IntRange(min=1), default=DEFAULT_K, show_default=True,
                     help="Candidate shots per sentence."),
        click.option("--model", default=None, metavar="NAME",
                     help="Refuse to plan unless the index uses this text model."),
        click.option("--sentence-vectors", "sentence_vectors", type=click.Choice(SENTENCE_VECTOR_MODES),
                     default=DEFAULT_SENTENCE_VECTORS, show_default=True,
                     help="Embed the story's sentences with the whole text model (full), or with its static "
                          "token vectors (static: about 20x faster, approximate); auto: static from "
                          f"{STATIC_VECTORS_FROM} sentences ($WAM_STATIC_VECTORS_FROM)."),
    ])


def frame_options(f):
    """The output frame the cut is planned for: --resolution --aspect --fps."""
    return _apply(f, [
        click.option("--resolution", default=DEFAULT_RESOLUTION, show_default=True,
                     help="Output size WxH (16 to 8192 pixels a side, at most 8192x4320 in all: H.264's "
                          "limit)."),
        click.option("--aspect", type=click.Choice(list(ASPECTS)), default=None,
                     help="Output shape (keeps the resolution's short side), e.g. 9:16 for vertical video."),
        click.option("--fps", type=click.IntRange(1, MAX_FPS), default=DEFAULT_FPS, show_default=True,
                     help="Output frame rate (cuts lie on its frame grid)."),
    ])


def narration_options(f):
    """The voice that times the cut: --voice [NAME|PATH], --narration FILE, --timing FILE.srt."""
    return _apply(f, [
        click.option("--voice", is_flag=False, flag_value="default", default=None, metavar="[NAME|PATH]",
                     help=f"Narrate the story with offline neural TTS (Piper) and cut to the voice: alone, "
                          f"the shipped {DEFAULT_VOICE}; or a Piper voice model.onnx (its .onnx.json beside "
                          "it)."),
        click.option("--narration", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Your own recording of the story (wav, mp3, m4a …): sentences start where you say "
                          "them."),
        click.option("--timing", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Exact sentence timings as SubRip (one subtitle per sentence), with or without "
                          "--narration."),
    ])


def a_roll_options(f):
    """The speaker's own video under the cut: --a-roll TALK, --a-roll-mode, --a-roll-every."""
    return _apply(f, [
        click.option("--a-roll", "a_roll", type=click.Path(exists=True, dir_okay=False), default=None,
                     metavar="TALK",
                     help="Your own video of you saying the story (any format ffmpeg reads): its picture "
                          "and sound "
                          "are the base, and library footage covers what the library shows well (B-roll)."),
        click.option("--a-roll-mode", type=click.Choice(A_ROLL_MODES), default=DEFAULT_A_ROLL_MODE,
                     show_default=True,
                     help="While footage covers you: cut away from you, or keep you in a corner (pip)."),
        click.option("--a-roll-every", type=FiniteFloatRange(min=MIN_A_ROLL_EVERY),
                     default=DEFAULT_A_ROLL_EVERY, show_default=True, metavar="SECONDS",
                     help="You are back on screen at least this often (seconds of footage in a row, at "
                          "most)."),
    ])


def given_options(ctx: click.Context, names=("resolution", "aspect", "fps")) -> set[str]:
    """Which of ``names`` were given on the command line (not left at their defaults)."""
    from click.core import ParameterSource

    return {n for n in names if ctx.get_parameter_source(n) not in (ParameterSource.DEFAULT, None)}


def plan_settings(values, explicit=frozenset()) -> PlanSettings:
    """The ``PlanSettings`` of a planning command's option values by parameter name (the command
    line's, or a batch job's): ``planning_options``, ``frame_options`` (``explicit``: which of
    them were given; over a talk, the frame takes its shape unless --resolution or --aspect
    was), and those of ``narration_options``, ``a_roll_options``, ``--music`` and ``--explain``
    the command has."""
    from wam.render.layout import output_size

    width, height = output_size(values["resolution"], values.get("aspect"))
    return PlanSettings(libraries=tuple(values.get("libraries") or ()), pace=values["pace"],
                        fps=values["fps"],
                        width=width, height=height, k=values["top"], seed=values.get("seed"),
                        model=values.get("model"), wps=values["wps"],
                        markdown=True if values.get("markdown") else None,
                        explain=bool(values.get("explain")),
                        voice=values.get("voice"), narration=values.get("narration"),
                        timing=values.get("timing"), music=values.get("music"), a_roll=values.get("a_roll"),
                        a_roll_mode=values.get("a_roll_mode") or DEFAULT_A_ROLL_MODE,
                        a_roll_every=values.get("a_roll_every") or DEFAULT_A_ROLL_EVERY,
                        talk_shape=not {"resolution", "aspect"} & set(explicit),
                        sentence_vectors=values.get("sentence_vectors") or DEFAULT_SENTENCE_VECTORS)


def render_settings(values, explicit=frozenset(), *, saved_plan: bool = False,
                    progress: bool = False) -> RenderSettings:
    """The ``RenderSettings`` of ``wam render``'s option values by parameter name (the command
    line's, or a batch job's; ``explicit``: which were given). A story renders at its plan's
    size; a saved plan (``saved_plan``) too unless --resolution / --aspect were given, and
    with its speaker shown the --a-roll-mode way when that was given."""
    from wam.render.layout import output_size

    given = set(explicit)
    return RenderSettings(size=(output_size(values["resolution"], values.get("aspect"))
                                if saved_plan and given & {"resolution", "aspect"} else None),
                          fit=values["fit"], preset=values["preset"], crf=values["crf"],
                          subtitles="none" if values.get("no_subtitles") else values["subtitle_mode"],
                          keep_audio=bool(values.get("keep_audio")), music=values.get("music"),
                          preview=bool(values.get("preview")), threads=values.get("threads"),
                          progress=progress, a_roll_mode=(values.get("a_roll_mode")
                                                          if saved_plan and "a_roll_mode" in given else None))


def plan_from_options(story: str, settings: PlanSettings, *, warn, **planning):
    """STORY planned with ``settings`` (``wam.app.story_plan``; ``planning``: its other keywords),
    a saved plan given as a story answered with what to do instead for the command running."""
    from wam.app import story_plan
    from wam.core.errors import PlanNotStoryError

    try:
        return story_plan(story, settings, warn=warn, **planning)
    except PlanNotStoryError as exc:
        raise PlanNotStoryError(f"{exc}{_saved_plan_hint(story, str(exc))}") from None


def _saved_plan_hint(path: str, message: str) -> str:
    """What to do with a saved plan given as a story, for the command running (one read from
    standard input is saved first: --plan and --previous read a file)."""
    ctx = click.get_current_context(silent=True)
    command = ctx.info_name if ctx is not None else None
    if "a wam plan" not in message or command not in ("render", "plan"):
        return ""
    saved, path = ("save it as PLAN.json, then ", "PLAN.json") if path == "-" else ("", path)
    if command == "render":
        return f"; {saved}render a saved plan with --plan {path}"
    return (f"; {saved}render it with `wam render --plan {path} -o OUT.mp4`, or keep its cuts while "
            f"re-planning its story with --previous {path}")


def replan_options(f):
    """Stable re-planning: --previous PLAN.json and --fresh."""
    return _apply(f, [
        click.option("--previous", "previous_file", type=click.Path(exists=True, dir_okay=False),
                     default=None,
                     help="Keep the cuts of this earlier plan (wam plan -o) for the sentences whose text is "
                          "unchanged (default: the last plan made for the same output, kept in the render "
                          "cache)."),
        click.option("--fresh", is_flag=True,
                     help="Plan from scratch, ignoring any previous plan of the output."),
    ])


def studio_plan_options(story, values: dict, *, fresh: bool = False, previous_file=None,
                        note=lambda m: None):
    """The plan ``wam studio`` saved beside STORY (``wam.studio.saved``), re-planned against
    instead of the render cache's (None: there is none, or --fresh / --previous was given).
    ``values`` holds the command's option values by name (``pace``, ``fps``, ``resolution``,
    ``voice``, ``music``, and ``narration`` / ``timing`` / ``a_roll`` to tell a recording apart); those the
    command line did not give take the saved plan's settings, so that the command cuts what
    the studio showed."""
    if fresh or previous_file or not story or story == "-":
        return None
    from click.core import ParameterSource

    from wam.studio.saved import read_saved_plan, saved_plan_path, saved_settings

    plan = read_saved_plan(story)
    if plan is None:
        return None
    ctx = click.get_current_context()
    recorded = values.get("narration") or values.get("timing") or values.get("a_roll")  # not a voice
    voiced = values.get("voice") is not None or values.get("narration")  # not a talk
    for name, value in saved_settings(plan).items():
        if name in values and not (name == "voice" and recorded) and not (name.startswith("a_roll")
                                                                          and voiced) \
                and ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None):
            values[name] = value
    note(f"following the studio's plan {saved_plan_path(story)} (its cuts, pins, bans and settings; "
         "--fresh ignores it)")
    return plan
