"""Render a timeline to an MP4 (H.264 yuv420p + AAC, faststart), one segment per sentence.

The video is made of segments (``wam.render.segments``, one per sentence) encoded side by
side; segments already in the render cache (an unchanged sentence of an edited story) are
not encoded again. A segment is normally rendered by one ffmpeg process
(``wam.render.segment_graph``: its cuts, cross-fade, subtitles and fades as a filtergraph,
x264 in the same process), which costs about what one filtergraph over the whole timeline
costs; one the graph cannot express is drawn frame by frame (``wam.render.frames``) and piped
to x264. The segments are joined by stream copy and the audio track (silence, the cuts' own
sound, a music bed, the narration) is muxed beside them (``wam.render.join``). The file
appears under its name only when complete, with its ``--srt`` subtitles; an interrupted or
failed render leaves no temp file (``remove_leftovers`` removes what a killed one left).

Place in the flow: the last step of ``wam render`` (the CLI, a batch's workers, the studio),
after planning; how to render is a ``wam.render.options.RenderOptions``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wam.core.config import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from wam.core.errors import WamError, one_line
from wam.core.signals import signals_interrupt
from wam.core.timeline import Timeline
from wam.render.options import RenderOptions


@dataclass(frozen=True)
class RenderResult:
    """What a render made: the file, its length (frames, seconds), how long it took."""

    path: str
    frames: int
    duration: float
    seconds: float
    segments: int = 0  # segments the video is made of
    encoded: int = 0  # of which encoded by this render (the others came from the render cache)


def missing_sources(timeline: Timeline) -> list[str]:
    return sorted({c.source for c in timeline.cuts() if not os.path.isfile(c.source)})


def not_video_sources(timeline: Timeline) -> list[str]:
    """Sources without a video or picture file name ending (ffmpeg would show a text file as a
    picture of its text); the speaker's talk (``--a-roll``) may have any name: it was probed
    as a video when it was planned."""
    media = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS
    return sorted({c.source for c in timeline.cuts()
                   if Path(c.source).suffix.lower() not in media and not c.a_roll})


#: Renders without a render cache keep their segments in ``<temp folder>/wam-render-<pid>-…``.
SCRATCH_PREFIX = "wam-render-"


def remove_leftovers(*outputs: str | Path | None) -> None:
    """Delete what renders of ``outputs`` (a video, its subtitles) that were killed outright, or
    stopped before their clean-up ran (a batch's render workers), left: the temp files beside
    the outputs and the scratch folders of renders without a cache, of processes that are gone
    (``wam.core.fileio.remove_dead_parts``). Those of renders still running are kept."""
    import shutil
    import tempfile

    from wam.core.fileio import remove_dead_parts
    from wam.core.signals import is_running

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
                    srt: str | Path | None = None,
                    report: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``timeline`` to ``out`` (MP4). Written to a temp file beside ``out`` (beside the
    file a symlink points to) and renamed on success; a FIFO or a device is written through once
    the video is complete. Temp files left by killed earlier renders of ``out`` are removed.

    ``srt``: also write the subtitles there (SubRip), only once the video succeeded and together
    with it (``wam.core.fileio.install_together``): an interrupted or failed render leaves neither.

    ``cache``: a ``wam.render.segment_cache.RenderCache`` whose segments are reused and which keeps the
    new ones (None: every segment is encoded, in a temporary folder removed afterwards).
    ``report(done, total)`` hears the frames encoded so far (``wam studio``'s progress bar).

    ``opts`` defaults to ``RenderOptions.for_plan(timeline)``: the plan's own size and frame rate."""
    from wam.core.config import VIDEO_OUTPUT_EXTENSIONS
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
        more = f" (and {len(gone) - 1} more)" if len(gone) > 1 else ""
        raise WamError(f"source clip missing since indexing: {gone[0]}{more}; "
                       "run `wam index` again and re-plan")
    if opts.width % 2 or opts.height % 2:
        raise WamError("output width and height must be even")
    if opts.subtitles:
        if problem := wam_font_problem():
            warn(problem)
        lost = missing_glyphs(" ".join(s.text for s in timeline.sentences))
        if lost:
            warn(f"no installed font can draw {lost!r}; they show as boxes (install e.g. fonts-noto-cjk, "
                 "or set WAM_FONT)")
    from wam.core.config import default_workers
    from wam.core.fileio import discard, install_together, is_stream, part_path, staged
    from wam.core.signals import signals_deferred
    from wam.render.join import join_segments
    from wam.render.segment_cache import RenderCache
    from wam.render.segments import encode_segments, plan_segments
    from wam.render.subtitles import srt_text

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
        install_together((tmp, out), (tmp_srt, srt))  # a --srt device or FIFO first: if it fails, no video
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
    return RenderResult(str(out), total, total / fps, time.perf_counter() - started, len(segments),
                        len(encoded))

