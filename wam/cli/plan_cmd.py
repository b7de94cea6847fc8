"""``wam plan STORY``: the cut list for a story, as a table or as wam.timeline/1 JSON. Glue only:
options become ``PlanSettings`` and ``wam.app`` plans (and writes the plan)."""

from __future__ import annotations

import click

from wam.cli.batch import build_jobs, force_option, is_batch, manifest_option, report_batch
from wam.cli.common import noter, quiet_option, show_progress, warner
from wam.cli.shared_options import (
    a_roll_options,
    frame_options,
    given_options,
    narration_options,
    plan_from_options,
    plan_settings,
    planning_options,
    replan_options,
    studio_plan_options,
)


@click.command("plan")
@click.argument("stories", metavar="STORY...", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@planning_options
@frame_options
@narration_options
@a_roll_options
@click.option("--json", "as_json", is_flag=True,
              help="Print the wam.timeline/1 JSON document on stdout (in a batch: one JSON line per "
                   "finished job).")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Write the JSON plan to this file; for several stories a folder (OUTDIR/<story>.json "
                   "each).")
@click.option("--music", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Cut on the beats of this music (needs pip install 'wam[music]'); the plan records it "
                   "and its "
                   "beats, and wam render --plan lays it under the video.")
@click.option("--explain", is_flag=True,
              help="Say per sentence why its cuts beat the runner-up (the best plan without its shots), "
                   "term by term; in --json as each sentence's \"explain\".")
@replan_options
@manifest_option
@force_option
@quiet_option
def plan_command(stories, as_json, output, music, explain, manifest, force, quiet, resolution, aspect, fps,
                 previous_file, fresh, **planning):
    """Choose the shots for every sentence of STORY (a UTF-8 text file, or - for stdin).

    Several stories (files, folders of .txt/.md stories, or - to read story paths from
    stdin) or --manifest jobs.jsonl are planned in one run, each to OUTDIR/<story>.json
    (-o OUTDIR/), loading the index and the text model once; plans newer than their story
    are kept unless --force.

    \b
    Example:
        wam plan examples/story.txt
        wam plan story.txt --pace fast --json > plan.json
        cat story.txt | wam plan - -o plan.json
        wam plan story.md --aspect 9:16 -o vertical.json
        wam plan story.txt --explain
        wam plan story.txt --voice -o narrated.json
        wam plan story.txt --music song.mp3 -o on-the-beat.json
        wam plan script.txt --a-roll talk.mp4 -o talk.json   # your video, with B-roll over it
        wam plan story.txt -o plan.json      # again after an edit: unchanged sentences keep their cuts
        wam plan stories/*.txt -o plans/
    """
    from wam.app import files_read, previous_plan, write_plan
    from wam.app.outputs import check_output

    if is_batch(stories, output, manifest):
        from wam.batch.work import PlanWork, Session

        if previous_file:
            raise click.UsageError("--previous plans one story, not a batch")
        jobs = build_jobs(click.get_current_context(), stories, output, manifest, ".json", plans=False)
        report_batch(PlanWork(Session(), fresh=fresh), jobs, None, force=force, quiet=quiet, as_json=as_json,
                     verb="planned")
        return
    if len(stories) != 1:
        raise click.UsageError("give a STORY to plan (or several with -o OUTDIR/, or --manifest)")
    story = stories[0]
    values = dict(planning, fps=fps, resolution=resolution, aspect=aspect, music=music, explain=explain)
    studio = studio_plan_options(story, values, fresh=fresh, previous_file=previous_file, note=noter(quiet))
    # a story edited in wam studio
    settings = plan_settings(values, given_options(click.get_current_context()))
    target = None
    if output:  # before planning: refuse to overwrite the story, a clip or the index (or the studio's plan)
        from wam.studio.saved import saved_plan_path

        inputs, _ = files_read(settings, story=story)
        target = check_output(output, inputs=[*inputs,
                                              saved_plan_path(story) if studio is not None else None])
    previous = studio or previous_plan(target, previous_file, fresh, existing_plan=True)
    timeline = plan_from_options(story, settings, warn=warner(quiet), progress=show_progress(quiet, None),
                                 note=noter(quiet), previous=previous)
    if output:
        write_plan(timeline, output)
    if as_json:
        click.echo(timeline.to_json())
    elif not output or not (quiet or _is_stdout(output)):  # -o /dev/stdout: the JSON alone, for a pipe
        _print_table(timeline)


def _is_stdout(path: str) -> bool:
    """Whether ``path`` is this process's standard output (``/dev/stdout``, or the terminal it shows on)."""
    import os
    import sys

    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def _print_table(t) -> None:
    import os

    for s in t.sentences:
        flags = [f for f, on in (("weak match", s.weak_match), ("reused", s.reused)) if on]
        click.echo(f"{s.index + 1:3d}. {s.start:7.2f}-{s.end:7.2f}  {s.text}" + "".join(f"  [{f}]"
                                                                                        for f in flags))
        for c in s.cuts:
            if c.a_roll:
                click.echo(f"       {c.start:7.2f}-{c.end:7.2f}  speaker ({os.path.basename(c.source)})")
                continue
            marks = "".join(f"  {m}" for m, on in (("(continues)", c.continues), ("(still, moving)",
                                                                                  c.move is not None),
                                                   (f"(holds {c.hold:.2f} s)",
                                                    c.hold > 0 and c.move is None),
                                                   ("[last resort]", c.last_resort)) if on)
            click.echo(
                f"       {c.start:7.2f}-{c.end:7.2f}  {os.path.basename(c.source)} "
                f"[{c.source_in:.2f}-{c.source_out:.2f}]  score {c.score:.2f}{marks}"
            )
        if s.explain is not None:
            _print_explanation(s.explain)
    n = sum(1 for c in t.cuts() if not c.continues)
    average = t.duration / max(n, 1)
    click.echo(f"{len(t.sentences)} sentences, {n} cuts, {t.duration:.2f} s, average shot {average:.2f} s")
    if t.a_roll:
        footage = sum(c.duration for c in t.cuts() if not c.a_roll)
        share = 100 * footage / max(t.duration, 1e-9)
        click.echo(f"library footage over the talk: {footage:.2f} s ({share:.0f} %)")


def _print_explanation(e: dict) -> None:
    import os

    if e.get("total") is None:
        click.echo(f"       why: {e.get('note', 'no runner-up')}")
        return
    alt = ", ".join(f"{os.path.basename(c['source'])} {c['seconds']:.1f} s" for c in e["runner_up"])
    parts = ", ".join(f"{k} {v:+.2f}" for k, v in sorted(e["delta"].items(),
                                                         key=lambda kv: -abs(kv[1])) if abs(v) >= 0.005)
    click.echo(f"       runner-up: {alt}")
    click.echo(f"       why: it costs {e['total']:+.2f} more ({parts or 'no difference'})")
