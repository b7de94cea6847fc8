"""One segment rendered by one ffmpeg process: every cut of the sentence is an input of a
filtergraph (decoded, retimed and fitted exactly as ``cutreader.CutReader`` does it), the
cuts are concatenated, the cross-fade into the next paragraph is an ``xfade``, the speaker's
box (``--a-roll-mode pip``, ``pip.py``) is an overlay of the talk, subtitles are overlaid from
images written beside the segment, fades are ``fade`` filters, and x264 encodes the result
in the same process.

Place in the flow: ``segments.encode_segment`` asks ``graph_plan`` for each segment and runs
the command when there is one. No frame passes through Python and no raw video through a
pipe, so a render costs about what one ffmpeg filtergraph over the whole timeline costs
(bench/render_speed.py). A segment the graph cannot express — a fade or a cross-fade that
crosses the segment's edge (a sentence shorter than the fade) — or that has more than
``MAX_CUTS`` cuts (memory) has no plan and is drawn frame by frame by
``frames.FrameSource`` instead; so is one whose sources fail to decode, which then gets the frame
path's precise error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from wam.core.timeline import Cut, Timeline
from wam.render.cutreader import (
    FRAME_EPSILON,
    SEEK_MARGIN,
    picture_filter,
    retime_filter,
    source_args,
    source_info,
)
from wam.render.layout import crossfade_frames

#: A sentence with more cuts than this is drawn frame by frame: the graph holds every cut's
#: decoder at once (about 24 MB each at 1080p), the frame path two at a time.
MAX_CUTS = 8
#: Every picture in the graph is BT.709, limited range (as ``cutreader.cut_filter`` makes them).
TAGS = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"


@dataclass(frozen=True)
class GraphPlan:
    """The ffmpeg input arguments and the filtergraph (its output labelled ``[out]``) of one segment."""

    inputs: list[str]
    graph: str


def fade_frames(fade: float, fps: int) -> int:
    """How many frames at each end of the video are darkened by a fade of ``fade`` seconds
    (``layout.fade_level`` < 1 at the frame's middle)."""
    return max(0, math.ceil(fade * fps - 0.5)) if fade > 0 else 0


def _cut_input(cut: Cut, start: float, opts) -> tuple[list[str], str]:
    """Input arguments for decoding ``cut``'s source from source time ``start``, and its
    filter chain (onto the output grid, fitted; a still's move, ``cutreader.move_filter``)."""
    info = source_info(cut.source)
    seek = max(0.0, start - SEEK_MARGIN)
    fitted = picture_filter(cut, info, opts.width, opts.height, opts.fit)
    return (["-threads", "1", "-ss", f"{seek:.6f}", *source_args(cut.source, cut.fps), "-i", cut.source],
            retime_filter(seek, start, cut.fps) + "," + fitted)


def _cut_chain(cut: Cut, k: int, opts) -> tuple[list[str], str]:
    """Input ``k`` and its chain ``[ck]``: the cut's ``frames`` frames — its source frames,
    then the last one held (a declared hold, or a source that ends early; a still's move
    goes on over its hold)."""
    args, chain = _cut_input(cut, cut.source_in, opts)
    source_frames = cut.frames if cut.move else max(1, cut.frames - round(cut.hold * cut.fps))
    return args, (f"[{k}:v:0]{chain},trim=end_frame={source_frames},"
                  f"tpad=stop_mode=clone:stop={cut.frames},trim=end_frame={cut.frames},setpts=PTS-STARTPTS[c{k}]")


def _incoming_chain(cut: Cut, k: int, xf: int, opts) -> tuple[list[str], str]:
    """Input ``k`` and its chain ``[in]``: the ``xf`` frames a cross-fade shows of the next
    paragraph's first cut before it starts (the source frames just before ``source_in``; the
    first of them repeated where the source has none; a still's first framing), as
    ``FrameSource`` shows them."""
    lead = 0 if cut.move else max(0, min(xf, math.floor(cut.source_in * cut.fps + FRAME_EPSILON * cut.fps)))
    args, chain = _cut_input(cut, cut.source_in - lead / cut.fps, opts)
    if lead:
        pad = f"trim=end_frame={lead},tpad=start_mode=clone:start={xf - lead}:stop_mode=clone:stop={xf}"
    else:
        pad = f"trim=end_frame=1,tpad=stop_mode=clone:stop={xf}"
    return args, f"[{k}:v:0]{chain},{pad},trim=end_frame={xf},setpts=PTS-STARTPTS[in]"


def _runs(images: list) -> list[tuple[object, int, int]]:
    """(image, first, end) for each run of frames showing the same subtitle image (None: none)."""
    runs: list[tuple[object, int, int]] = []
    for i, img in enumerate(images):
        if runs and runs[-1][0] is img:
            runs[-1] = (img, runs[-1][1], i + 1)
        else:
            runs.append((img, i, i + 1))
    return [r for r in runs if r[0] is not None]


def _pip_chain(timeline: Timeline, first: int, end: int, k: int, opts) -> tuple[list[str], str, str] | None:
    """Input ``k`` decoding the talk over output frames [first, end) into the speaker's box
    (``pip``), its chain ``[pip]``, and the overlay filter that shows it over the library
    footage of those frames; None when there is none to show it over."""
    from dataclasses import replace

    from wam.render.pip import footage_ranges, pip_on, pip_rect, talk_cut

    ranges = footage_ranges(timeline, first, end) if pip_on(timeline) else []
    if not ranges:
        return None
    cut = talk_cut(timeline, first, end - first)
    info = source_info(cut.source)
    x, y, w, h = pip_rect(opts.width, opts.height, info.width, info.height)
    args, chain = _cut_input(cut, cut.source_in, replace(opts, width=w, height=h, fit="cover"))
    frames = end - first
    chain = (f"[{k}:v:0]{chain},trim=end_frame={frames},tpad=stop_mode=clone:stop={frames},"
             f"trim=end_frame={frames},setpts=PTS-STARTPTS[pip]")
    enable = "+".join(f"between(n,{a - first},{b - first - 1})" for a, b in ranges)
    return args, chain, f"[pip]overlay=x={x}:y={y}:format=yuv420:eof_action=repeat:enable='{enable}'"


def graph_plan(timeline: Timeline, opts, sentence: int, work: Path, name: str) -> GraphPlan | None:
    """The one-process render of sentence ``sentence``'s frames, or None when the graph cannot
    express it (see the module's docstring). Subtitle images are written to ``work`` as
    ``{name}-sub{n}.yuv``."""
    fps, total = timeline.fps, timeline.frames
    s = timeline.sentences[sentence]
    first, frames = s.start_frame, s.frames
    end = first + frames
    if not s.cuts or len(s.cuts) > MAX_CUTS:
        return None
    if sum(c.frames for c in s.cuts) != frames or s.cuts[0].start_frame != first:
        return None
    if any(c.fps != fps for c in s.cuts):
        return None
    # the fades: each wholly inside the segment, or not in it at all (and never overlapping)
    nf = fade_frames(opts.fade, fps)
    fade_in = nf > 0 and first < nf
    fade_out = nf > 0 and end > total - nf
    if (fade_in and (first != 0 or frames < nf)) or 2 * nf > total or (
            fade_out and (end != total or frames < nf or frames < opts.fade * fps)):
        return None
    # the cross-fades: only the one into the next paragraph, wholly inside this segment
    xf = crossfade_frames(opts.crossfade, fps)
    sents = timeline.sentences
    crossfade = None
    if xf:
        for j in range(1, len(sents)):
            if sents[j].paragraph == sents[j - 1].paragraph:
                continue
            b = sents[j].start_frame
            if b - xf < end and first < b:  # this cross-fade shows in the segment
                if b != end or frames < xf or not sents[j].cuts or sents[j].cuts[0].fps != fps:
                    return None
                crossfade = sents[j].cuts[0]

    inputs: list[str] = []
    chains: list[str] = []
    for k, cut in enumerate(s.cuts):
        args, chain = _cut_chain(cut, k, opts)
        inputs += args
        chains.append(chain)
    n = len(s.cuts)
    labels = "".join(f"[c{k}]" for k in range(n))
    # (concat counts in microseconds: back onto the frame grid, as xfade and the fades expect)
    chains.append(f"{labels}concat=n={n}:v=1:a=0,settb=1/{fps},setpts=N[base]" if n > 1
                  else f"{labels}null[base]")
    last = "base"
    if crossfade is not None:
        args, chain = _incoming_chain(crossfade, n, xf, opts)
        inputs += args
        chains.append(chain)
        # xfade weighs the incoming picture k/xf on the k-th frame of the transition, as FrameSource does
        chains.append(f"[base][in]xfade=transition=fade:duration={xf / fps:.9f}"
                      f":offset={(frames - xf) / fps:.9f}[xf]")
        last = "xf"
        n += 1
    box = _pip_chain(timeline, first, end, n, opts)
    if box is not None:  # the speaker in a corner over library footage
        args, chain, overlay = box
        inputs += args
        chains += [chain, f"[{last}]{overlay}[pp]"]
        last, n = "pp", n + 1
    if opts.subtitles:
        from wam.render.captions import Captions

        captions = Captions(timeline, opts.width, opts.height, words=opts.words)
        for m, (img, a, b) in enumerate(_runs([captions.image(i) for i in range(first, end)])):
            path = work / f"{name}-sub{m}.yuv"
            path.write_bytes(img.yuva420p())
            h, w = img.inv_alpha.shape[:2]
            inputs += ["-f", "rawvideo", "-pix_fmt", "yuva420p", "-s", f"{w}x{h}", "-i", str(path)]
            # tagged as the picture is, or the graph would convert one of them to the other's colours
            chains.append(f"[{n}:v:0]{TAGS}[t{m}]")
            chains.append(f"[{last}][t{m}]overlay=x={img.left}:y={img.top}:format=yuv420:eof_action=repeat:"
                          f"enable='between(n,{a},{b - 1})'[s{m}]")
            last, n = f"s{m}", n + 1
    tail = []
    if fade_in or fade_out:
        # layout.fade_level at each frame's middle: the fades run on timestamps half a frame late
        tail.append(f"settb=1/{2 * fps},setpts=PTS+1")
        if fade_in:
            tail.append(f"fade=type=in:start_time=0:duration={opts.fade:.9f}")
        if fade_out:
            tail.append(f"fade=type=out:start_time={frames / fps - opts.fade:.9f}:duration={opts.fade:.9f}")
        tail.append(f"setpts=PTS-1,settb=1/{fps}")
    tail.append(TAGS)
    chains.append(f"[{last}]" + ",".join(tail) + "[out]")
    return GraphPlan(inputs, ";".join(chains))
