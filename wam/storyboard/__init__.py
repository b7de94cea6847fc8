"""The storyboard (``wam storyboard``): a plan as one self-contained HTML page, to look at a
cut before spending a render on it (layer 5: after the plan).

For every sentence: its text, timing and flags; for every cut a thumbnail taken from the
source clip at the middle of the cut's source range, with its source, in/out, score and
cost breakdown; and the sentence's next best shots from the index (``wam.app.alternatives``).
A narrated plan's page plays its narration, each sentence from where it is spoken.
``thumbs`` runs ffmpeg for the pictures, ``sound`` for the narration, ``page`` writes the HTML.
"""

from __future__ import annotations

from collections.abc import Callable

from wam.core.timeline import Timeline


def cut_middle(cut) -> float:
    """Seconds in the source at the middle of the cut's source range."""
    return cut.source_in + (cut.source_out - cut.source_in) / 2


def storyboard_html(timeline: Timeline, *, title: str = "wam storyboard", alternatives: dict | None = None,
                    warn: Callable[[str], None] = lambda m: None) -> str:
    """The page for ``timeline``. ``alternatives``: sentence index → ``Alternative`` list
    (``wam.app.alternatives.next_best``), or None to leave the "next best" rows out."""
    from wam.storyboard.page import page_html
    from wam.storyboard.thumbs import ALT_WIDTH, CUT_WIDTH, thumbnails

    cuts = timeline.cuts()
    alts = [a for rows in (alternatives or {}).values() for a in rows]
    alts = list({a.shot_id: a for a in alts}.values())
    pictures = thumbnails([(c.source, cut_middle(c), CUT_WIDTH) for c in cuts]
                          + [(a.source, a.start + (a.end - a.start) / 2, ALT_WIDTH) for a in alts])
    cut_jpegs, alt_pics = pictures[: len(cuts)], pictures[len(cuts):]
    unreadable = sorted({c.source for c, j in zip(cuts, cut_jpegs) if j is None})
    if unreadable:
        warn(f"no thumbnail for {len(unreadable)} source clip(s) "
             f"(e.g. {unreadable[0]}): missing or unreadable")
    alt_jpegs = {a.shot_id: j for a, j in zip(alts, alt_pics)}
    from wam.storyboard.sound import narration_mp3

    return page_html(timeline, cut_jpegs, alternatives, alt_jpegs, title,
                     narration=narration_mp3(timeline, warn))
