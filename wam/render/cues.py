"""When each sentence's subtitle shows, in output frames (``wam.render``): the timing shared by
the burned-in subtitles (``render/captions.py``) and the SubRip file (``subtitles.srt_text``).

Without narration a sentence's subtitle shows for its whole span. With narration it shows
exactly while the sentence is spoken (the plan's ``narration`` spans, on the frame grid),
never two at once; its words start where the narration says they are spoken.
"""

from __future__ import annotations

from wam.core.timeline import Timeline


def caption_frames(timeline: Timeline) -> list[tuple[int, int]]:
    """Each sentence's subtitle as output frames [first, end): its span, or where it is spoken."""
    n = timeline.narration
    if n is None:
        return [(s.start_frame, s.end_frame) for s in timeline.sentences]
    fps, total = timeline.fps, timeline.frames
    out = []
    for s in n.sentences:
        a = min(max(round(s.start * fps), 0), total - 1)
        out.append((a, min(max(a + 1, round(s.end * fps)), total)))
    for k in range(len(out) - 1):  # never two at once
        if out[k][1] > out[k + 1][0]:
            out[k] = (out[k][0], max(out[k][0] + 1, out[k + 1][0]))
    return out


def word_frames(timeline: Timeline) -> list[list[int] | None]:
    """Per sentence, the output frame where each of its words starts (None: no word times)."""
    n = timeline.narration
    if n is None:
        return [None] * len(timeline.sentences)
    return [[round(a * timeline.fps) for _, a, _ in s.words] if s.words else None for s in n.sentences]
