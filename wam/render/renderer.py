"""Render a timeline to an MP4 (H.264 yuv420p + AAC, faststart), one segment per sentence.

The video is made of segments (``wam.render.segments``, one per sentence) encoded side by
side; segments already in the render cache (an unchanged sentence of an edited story) are
not encoded again. A segment is normally rendered by one ffmpeg process
(``wam.render.segment_graph``: its cuts, cross-fade, subtitles and fades as a filtergraph,
x264 in the same process), which costs about what one filtergraph over the whole timeline
costs. The rest of this module is the frame-by-frame path, for segments the graph cannot
express and for ``wam.to_moviepy``: ``FrameSource`` gives output frame i, each cut decoded by
its own ffmpeg process straight to the output size, frame rate and pixel format
(``wam.render.cutreader``), subtitles, cross-fades and fades applied in numpy on the I420
planes (never through RGB), piped to an x264 process. The segments are joined by stream copy
and the audio track (silence, the cuts' own sound, a music bed, the narration) is muxed
beside them (``wam.render.join``). At most two cuts are open per frame-by-frame segment (the
current one and the next, whose decoder starts early), each with a small frame queue, so
memory stays bounded however long the output is. The file appears under its name only when
complete.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from wam.config import (DEFAULT_CRF, DEFAULT_HEIGHT, DEFAULT_PRESET, DEFAULT_WIDTH, IMAGE_EXTENSIONS, MIN_SIDE,
                        VIDEO_EXTENSIONS)
from wam.errors import WamError, one_line
from wam.render.cutreader import CutReader
from wam.render.layout import crossfade_frames, crossfade_weight, fade_level
from wam.signals import signals_interrupt
from wam.timeline import Timeline


@dataclass(frozen=True)
class RenderOptions:
    """How to render: output size, framing, encoder settings, subtitles, audio, transitions.

    ``RenderOptions.for_plan(timeline)`` gives the options for rendering a timeline at its own size.
    """

    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    fit: str = "cover"  # a FIT_MODES name: "cover" (crop to fill) or "contain" (letterbox)
    preset: str = DEFAULT_PRESET
    crf: int = DEFAULT_CRF
    subtitles: bool = True
    words: bool = False  # highlight the word being spoken (needs a narrated plan)
    keep_audio: bool = False
    music: str | None = None
    crossfade: float = 0.4  # at paragraph boundaries (≤ 0.5 s)
    fade: float = 0.5  # from black at the start, to black at the end
    threads: int | None = None
    progress: bool = False

    @classmethod
    def for_plan(cls, timeline: Timeline, *, size: tuple[int, int] | None = None, preview: bool = False,
                 **settings) -> "RenderOptions":
        """Options to render ``timeline``: at its own size unless ``size`` says otherwise (made
        even for yuv420p); ``preview`` gives a fast draft (half size, ultrafast, crf 30).
        ``settings`` are any other fields (``fit``, ``subtitles``, ``music`` …)."""
        width, height = size or (timeline.width, timeline.height)
        width, height = width - width % 2, height - height % 2
        if preview:  # half size, but never below the smallest output (MIN_SIDE), keeping the shape
            scale = min(1.0, max(0.5, MIN_SIDE / max(1, min(width, height))))
            width, height = (max(MIN_SIDE, int(side * scale) // 2 * 2) for side in (width, height))
            settings.update(preset="ultrafast", crf=30)
        return cls(width=width, height=height, **settings)


@dataclass(frozen=True)
class RenderResult:
    path: str
    frames: int
    duration: float
    seconds: float
    segments: int = 0  # segments the video is made of
    encoded: int = 0  # of which encoded by this render (the others came from the render cache)


class FrameSource:
    """Output frame i of a timeline: picture, cross-fade, the speaker's box (``pip``), subtitle, fade.

    ``end``: the frames asked for stop before this one (a segment), so no decoder is started
    early for a cut at or after it (except the one a cross-fade shows before it starts)."""

    def __init__(self, timeline: Timeline, opts: RenderOptions, end: int | None = None):
        self.tl, self.opts = timeline, opts
        self.fps = timeline.fps
        self.w, self.h = opts.width, opts.height
        self.cuts = timeline.cuts()
        self.cut_starts = [c.start_frame for c in self.cuts]
        self.total = timeline.frames
        self.end = self.total if end is None else end
        sent = timeline.sentences
        self.sentence_starts = [s.start_frame for s in sent]
        first_cut_of = {}
        k = 0
        for si, s in enumerate(sent):
            first_cut_of[si] = k
            k += len(s.cuts)
        self.xfade_into = {  # cut index → frame where it starts, for cuts opening a new paragraph
            first_cut_of[si]: self.sentence_starts[si]
            for si in range(1, len(sent)) if sent[si].paragraph != sent[si - 1].paragraph
        }
        self.xf_frames = crossfade_frames(opts.crossfade, self.fps)
        # the paragraph boundaries in order: a cross-fade fills the xf frames before each,
        # whichever cuts they belong to
        self.boundaries = sorted((b, k) for k, b in self.xfade_into.items())
        self.readers: dict[int, CutReader] = {}
        self.captions = None  # wam.render.captions.Captions, made when the first subtitle is needed
        self.pip = None  # (reader of the talk from its first frame, that frame, box): --a-roll-mode pip

    def _open(self, k: int) -> None:
        if k not in self.readers and k < len(self.cuts):
            lead = self.xf_frames if k in self.xfade_into else 0  # a cross-fade shows it before it starts
            self.readers[k] = CutReader(self.cuts[k], self.w, self.h, self.opts.fit, lead=lead)

    def reader(self, k: int) -> CutReader:
        """The reader of cut k; the next cut's decoder starts now, so it is warm when needed."""
        self._open(k)
        if k + 1 < len(self.cuts) and self.cut_starts[k + 1] < self.end:
            self._open(k + 1)
        for old in [x for x in self.readers if x < k]:
            self.readers.pop(old).close()
        return self.readers[k]

    def frame(self, i: int) -> np.ndarray:
        i = min(max(i, 0), self.total - 1)
        k = bisect_right(self.cut_starts, i) - 1
        frame = self.reader(k).frame(i - self.cut_starts[k])
        at = bisect_right(self.boundaries, (i, len(self.cuts)))  # the first paragraph boundary after frame i
        if self.xf_frames and at < len(self.boundaries) and self.boundaries[at][0] - i <= self.xf_frames:
            b, nxt = self.boundaries[at]
            # in whole frames from the boundary: the same weights wherever the boundary lies
            w = crossfade_weight(float(i - b), 0.0, float(self.xf_frames))
            if w > 0:  # a linear mix is exact in YUV too (an affine image of RGB)
                self._open(nxt)  # not reader(): that would close the current cut
                incoming = self.readers[nxt].frame(i - b)  # the incoming shot plays into its cut
                frame = mixed(frame, incoming, w)
        if not self.cuts[k].a_roll and self.tl.a_roll and self.tl.a_roll.get("mode") == "pip":
            frame = self.speaker_box(frame, i)
        if self.opts.subtitles:
            sub = self.subtitle(i)
            if sub is not None:
                sub.blend_yuv(frame, self.w, self.h)
        level = fade_level((i + 0.5) / self.fps, self.total / self.fps, self.opts.fade)
        if level < 1.0:
            frame = to_black(frame, self.w * self.h, level)
        return frame

    def speaker_box(self, frame: np.ndarray, i: int) -> np.ndarray:
        """``frame`` with the talk at output frame i in the speaker's box (``wam.render.pip``)."""
        from wam.render.cutreader import source_info
        from wam.render.pip import paste, pip_rect, talk_cut

        if self.pip is None or i < self.pip[1]:
            if self.pip is not None:
                self.pip[0].close()
            info = source_info(self.tl.a_roll["file"])
            rect = pip_rect(self.w, self.h, info.width, info.height)
            reader = CutReader(talk_cut(self.tl, i, self.total - i), rect[2], rect[3], "cover")
            self.pip = (reader, i, rect)
        reader, first, rect = self.pip
        return paste(frame, reader.frame(i - first), rect, self.w, self.h)

    def subtitle(self, i: int):
        """The subtitle image over output frame i (``wam.render.captions``: its sentence's page
        for that moment, only while it is spoken when the plan is narrated)."""
        if self.captions is None:
            from wam.render.captions import Captions

            self.captions = Captions(self.tl, self.w, self.h, words=self.opts.words)
        return self.captions.image(i)

    def close(self) -> None:
        for r in self.readers.values():
            r.close()
        self.readers.clear()
        if self.pip is not None:
            self.pip[0].close()
            self.pip = None


def mixed(outgoing: np.ndarray, incoming: np.ndarray, weight: float) -> np.ndarray:
    """``outgoing`` × (1 − weight) + ``incoming`` × weight, rounded, in 8-bit fixed point
    (weight in 1/256 steps): integer arithmetic, several times faster than floats per frame."""
    k = round(min(1.0, max(0.0, weight)) * 256)
    mix = outgoing.astype(np.uint16)
    mix *= 256 - k
    mix += incoming.astype(np.uint16) * np.uint16(k)
    mix += 128
    mix >>= 8
    return mix.astype(np.uint8)


@lru_cache(maxsize=256)
def _black_tables(level: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.arange(256, dtype=np.float64)
    luma = np.clip(np.floor(16 + (values - 16) * level + 0.5), 0, 255).astype(np.uint8)
    chroma = np.clip(np.floor(128 + (values - 128) * level + 0.5), 0, 255).astype(np.uint8)
    return luma, chroma


def to_black(frame: np.ndarray, luma_size: int, level: float) -> np.ndarray:
    """An I420 frame faded towards limited-range black (Y 16, U/V 128) by ``level`` (1: unchanged),
    through a lookup table per plane (the same value for the same level and pixel everywhere)."""
    luma, chroma = _black_tables(round(float(level), 6))
    out = np.empty_like(frame)
    np.take(luma, frame[:luma_size], out=out[:luma_size])
    np.take(chroma, frame[luma_size:], out=out[luma_size:])
    return out


def missing_sources(timeline: Timeline) -> list[str]:
    return sorted({c.source for c in timeline.cuts() if not os.path.isfile(c.source)})


def not_video_sources(timeline: Timeline) -> list[str]:
    """Sources without a video or picture file name ending (ffmpeg would show a text file as a
    picture of its text); the speaker's talk (``--a-roll``) may have any name: it was probed
    as a video when it was planned."""
    media = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS
    return sorted({c.source for c in timeline.cuts() if Path(c.source).suffix.lower() not in media and not c.a_roll})


#: Renders without a render cache keep their segments in ``<temp folder>/wam-render-<pid>-…``.
SCRATCH_PREFIX = "wam-render-"


def remove_leftovers(*outputs: str | Path | None) -> None:
    """Delete what renders of ``outputs`` (a video, its subtitles) that were killed outright, or
    stopped before their clean-up ran (a batch's render workers), left: the temp files beside
    the outputs and the scratch folders of renders without a cache, of processes that are gone
    (``wam.fileio.remove_dead_parts``). Those of renders still running are kept."""
    import shutil
    import tempfile

    from wam.fileio import remove_dead_parts
    from wam.signals import is_running

    for path in outputs:
        if path is not None:
            remove_dead_parts(path)
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not is_running(int(pid)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


@signals_interrupt()  # SIGTERM/SIGHUP stop a render like Ctrl-C: temp files removed, decoders stopped
def render_timeline(timeline: Timeline, out: str | Path, opts: RenderOptions | None = None,
                    warn: Callable[[str], None] = lambda m: None, cache=None,
                    srt: str | Path | None = None, report: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``timeline`` to ``out`` (MP4). Written to a temp file beside ``out`` (beside the
    file a symlink points to) and renamed on success; a FIFO or a device is written through once
    the video is complete. Temp files left by killed earlier renders of ``out`` are removed.

    ``srt``: also write the subtitles there (SubRip), only once the video succeeded and together
    with it (``wam.fileio.output_lock``): an interrupted or failed render leaves neither.

    ``cache``: a ``wam.render.cache.RenderCache`` whose segments are reused and which keeps the
    new ones (None: every segment is encoded, in a temporary folder removed afterwards).
    ``report(done, total)`` hears the frames encoded so far (``wam studio``'s progress bar).

    ``opts`` defaults to ``RenderOptions.for_plan(timeline)``: the plan's own size and frame rate."""
    from wam.config import VIDEO_OUTPUT_EXTENSIONS
    from wam.render.audio import write_audio_track
    from wam.render.subtitles import missing_glyphs, wam_font_problem

    opts = opts if opts is not None else RenderOptions.for_plan(timeline)
    started = time.perf_counter()
    out = Path(out)
    if out.suffix.lower() not in VIDEO_OUTPUT_EXTENSIONS:
        raise WamError(f"the output must be an .mp4 file, not {out.name}")
    if not out.parent.exists():
        raise WamError(f"the folder of {out} does not exist")
    if not timeline.sentences:
        raise WamError("the plan has no sentences: nothing to render")
    if odd := not_video_sources(timeline):
        more = f" (and {len(odd) - 1} more)" if len(odd) > 1 else ""
        raise WamError(f"the plan's source {odd[0]}{more} is not a video file (its name must end in a video "
                       "or picture extension such as .mp4, .mov or .jpg)")
    talk = (timeline.a_roll or {}).get("file")
    if talk and not os.path.isfile(talk):
        raise WamError(f"the plan's talk {talk} no longer exists (put it back, or re-plan with --a-roll)")
    gone = missing_sources(timeline)
    if gone:
        raise WamError(f"source clip missing since indexing: {gone[0]}" + (f" (and {len(gone) - 1} more)" if len(gone) > 1 else "")
                       + "; run `wam index` again and re-plan")
    if opts.width % 2 or opts.height % 2:
        raise WamError("output width and height must be even")
    if opts.subtitles:
        if problem := wam_font_problem():
            warn(problem)
        lost = missing_glyphs(" ".join(s.text for s in timeline.sentences))
        if lost:
            warn(f"no installed font can draw {lost!r}; they show as boxes (install e.g. fonts-noto-cjk, or set WAM_FONT)")
    from wam.config import default_workers
    from wam.fileio import discard, is_stream, part_path, staged
    from wam.render.cache import RenderCache
    from wam.render.join import join_segments
    from wam.render.segments import encode_segments, plan_segments
    from wam.render.subtitles import srt_text
    from wam.signals import signals_deferred

    fps = timeline.fps
    total = timeline.frames
    segments = plan_segments(timeline, opts)
    stream = is_stream(out)
    remove_leftovers(out, srt)
    # Every temp file and folder is named before it is made, and removed in the ``finally`` below,
    # which no further signal cuts short; what a render killed outright leaves, ``remove_leftovers``
    # finds by its process id. Beside the output only the video itself, renamed into place (a device
    # or FIFO, which cannot take a temp file beside it, gets it from the work folder).
    scratch, work, tmp, tmp_srt, opened = None, None, None, None, []
    try:
        if cache is None:  # no cache: the segments live in a temporary folder for this render only
            import tempfile

            with signals_deferred():
                scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
            cache = RenderCache(scratch)
        cache.ensure()
        cache.remove_stale()
        work = cache.work_path()
        cache.make_work_dir()
        tmp = work / f"output{out.suffix}" if stream else part_path(out)
        opened = write_audio_track(timeline, work / "audio.m4a", keep_audio=opts.keep_audio, music=opts.music,
                                   warn=warn)
        paths, encoded = encode_segments(timeline, opts, segments, cache, work,
                                         workers=opts.threads or default_workers(), progress=opts.progress,
                                         report=report)
        join_segments(paths, [s.frames for s in segments], fps, work / "audio.m4a", tmp, work)
        if srt is not None:
            with signals_deferred():
                tmp_srt = staged(srt, srt_text(timeline).encode("utf-8"))
        _put_in_place(tmp, out, tmp_srt, srt)
    except WamError:
        raise
    except OSError as exc:
        raise WamError(f"rendering {out.name} failed ({one_line(exc, 200)})") from None
    finally:
        with signals_deferred():  # a further Ctrl-C or signal waits for the clean-up
            for c in opened:
                c.close()
            for leftover in (tmp, tmp_srt):
                discard(leftover)
            import shutil

            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
    cache.evict()
    return RenderResult(str(out), total, total / fps, time.perf_counter() - started, len(segments), len(encoded))


def _put_in_place(tmp: Path, out: Path, tmp_srt: Path | None, srt: str | Path | None) -> None:
    """Install the finished video ``tmp`` as ``out`` and the subtitles ``tmp_srt`` as ``srt``
    together: under the outputs' lock (another render of them waits), and with a signal held
    between the two renames, so that an interrupt never leaves the new video with old subtitles
    (not while written through a FIFO or device, which may block)."""
    from contextlib import nullcontext

    from wam.fileio import install, is_stream, output_lock
    from wam.signals import signals_deferred

    through = is_stream(out) or (srt is not None and is_stream(srt))
    with output_lock(out, srt), nullcontext() if through else signals_deferred():
        install(tmp, out)
        if tmp_srt is not None:
            install(tmp_srt, srt)
