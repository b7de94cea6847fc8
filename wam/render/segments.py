"""The segments of a render: one per sentence, each encoded on its own (a closed H.264
stream starting with an IDR frame) and keyed by a hash of everything that decides its
pixels, so that an edited story re-encodes only the sentences whose pictures changed.

Place in the flow: ``renderer.render_timeline`` splits a timeline with ``plan_segments``,
takes the segments it finds in the render cache (``wam.render.segment_cache``), encodes the others
with ``encode_segment`` (several at a time) and joins them (``wam.render.join``). A segment
is encoded by one ffmpeg process running its filtergraph (``wam.render.segment_graph``), or
frame by frame from ``frames.FrameSource`` when the graph cannot express it.

A segment's pixels depend only on things *relative* to its first frame (its cuts, its
subtitle, the cross-fade into the next paragraph at its end), plus its distance from the
start and the end of the video while it lies within the fade from/to black, so a sentence
that merely moved (a sentence inserted or deleted before it) is found in the cache again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wam.core.errors import WamError
from wam.core.timeline import Cut, Timeline
from wam.media.ffmpeg_stream import ffmpeg_exe
from wam.render.layout import crossfade_frames

log = logging.getLogger(__name__)

#: Bump whenever rendering code changes the pixels or the encoding of a segment: every
#: cached segment is then rebuilt.
SEGMENT_FORMAT = 3
#: x264 threads per segment encoder (segments are encoded side by side instead); part of
#: the key, since x264's output depends on it.
ENCODER_THREADS = 1
#: RenderOptions fields that never change the picture (audio, progress, parallelism).
NOT_PICTURE = frozenset({"keep_audio", "music", "progress", "threads"})


@dataclass(frozen=True)
class Segment:
    """Output frames [first, first + frames) (sentence ``sentence``), encoded as ``key``."""

    sentence: int
    first: int
    frames: int
    key: str


@lru_cache(maxsize=4096)
def _file_identity(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> tuple:
    from wam.library.scan import content_hash

    try:
        fingerprint = content_hash(path, size)
    except OSError:
        fingerprint = None
    return (os.path.realpath(path), size, mtime_ns, fingerprint)


def file_identity(path: str) -> tuple:
    """What tells a file's content apart cheaply: real path, size, modification time and a
    fingerprint of its bytes (``wam.library.scan.content_hash``: its first, middle and last
    MiB), so that a clip replaced by other footage of the same size and mtime is not taken
    for the old one. Read once per process until the file's inode changes."""
    try:
        st = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return _file_identity(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def cut_identity(cut: Cut) -> list:
    """Everything about a cut that decides its pixels (not where it sits on the timeline)."""
    return [file_identity(cut.source), round(cut.source_in, 6), round(cut.source_out, 6), cut.frames,
            round(cut.hold, 6), list(cut.focus) if cut.focus else None] + ([cut.move] if cut.move else [])


def picture_settings(opts) -> dict:
    """The render options that decide pixels, with the encoder and the code that make them."""
    from dataclasses import asdict

    import wam

    settings = {k: v for k, v in asdict(opts).items() if k not in NOT_PICTURE}
    settings.update(format=SEGMENT_FORMAT, wam=wam.__version__, ffmpeg=file_identity(ffmpeg_exe()),
                    encoder_threads=ENCODER_THREADS)
    if opts.subtitles:
        from wam.render.subtitles import font_paths

        settings["fonts"] = [file_identity(p) for p in font_paths()[:1]] + list(font_paths()[1:])
    return settings


def plan_segments(timeline: Timeline, opts) -> list[Segment]:
    """One segment per sentence, with its key."""
    base = picture_settings(opts)
    fps, total = timeline.fps, timeline.frames
    fade_frames = int(opts.fade * fps) + 2 if opts.fade > 0 else 0
    xf = crossfade_frames(opts.crossfade, fps)
    sents = timeline.sentences
    captions = _captions(timeline) if opts.subtitles else []
    out = []
    for i, s in enumerate(sents):
        desc = {"base": base, "w": opts.width, "h": opts.height, "fps": fps, "frames": s.frames,
                "cuts": [cut_identity(c) for c in s.cuts]}
        # the talk in a box over footage, by place
        if timeline.a_roll and timeline.a_roll.get("mode") == "pip":
            from wam.render.pip import footage_ranges

            shown = footage_ranges(timeline, s.start_frame, s.end_frame)
            if shown:
                desc["pip"] = [file_identity(timeline.a_roll["file"]), s.start_frame,
                               [[a - s.start_frame, b - s.start_frame] for a, b in shown]]
        if opts.subtitles:  # every subtitle seen in the segment, where it shows (and its words, narrated)
            desc["text"] = [[text, a - s.start_frame, b - s.start_frame,
                             words and [w - s.start_frame for w in words]]
                            for text, a, b, words in captions if a < s.end_frame and s.start_frame < b]
        if xf and i + 1 < len(sents) and sents[i + 1].paragraph != s.paragraph:
            desc["crossfade_into"] = [xf, cut_identity(sents[i + 1].cuts[0])]
        if fade_frames and s.start_frame < fade_frames:
            desc["fade_in_at"] = s.start_frame
        if fade_frames and total - s.end_frame < fade_frames:
            desc["fade_out_at"] = total - s.end_frame
        key = hashlib.sha256(json.dumps(desc, sort_keys=True, default=str).encode()).hexdigest()[:40]
        out.append(Segment(i, s.start_frame, s.frames, key))
    return out


def _captions(timeline: Timeline) -> list[tuple[str, int, int, list[int] | None]]:
    """Each sentence's subtitle: its text, the output frames [a, b) it shows and its word starts."""
    from wam.render.captions import caption_frames, word_frames

    return [(s.text, a, b, w) for s, (a, b), w in zip(timeline.sentences, caption_frames(timeline),
                                                       word_frames(timeline))]


def encoder_output_args(opts, target: Path) -> list[str]:
    """ffmpeg output arguments of every segment: one H.264 stream in an MP4, no audio.

    Every segment gets the same parameters (and the same BT.709 limited-range tags), however
    its frames were made, so their streams join by stream copy."""
    return ["-an", "-c:v", "libx264", "-preset", opts.preset, "-crf", str(opts.crf), "-pix_fmt", "yuv420p",
            "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-threads", str(ENCODER_THREADS), "-f", "mp4", str(target)]


def segment_encoder_command(target: Path, width: int, height: int, fps: int, opts) -> list[str]:
    """ffmpeg arguments: raw I420 frames on stdin → the segment (``encoder_output_args``)."""
    return [ffmpeg_exe(), "-y", "-nostdin", "-v", "error",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(fps),
            "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-i", "-",
            # square pixels, as the graph tags them
            "-map", "0:v:0", "-vf", "setsar=1", *encoder_output_args(opts, target)]


def graph_command(plan, frames: int, target: Path, opts) -> list[str]:
    """ffmpeg arguments: the segment rendered and encoded in one process (``segment_graph``),
    reporting its progress (``frame=N`` lines) on stdout."""
    return [ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1",
            "-stats_period", "0.25",
            "-filter_complex_threads", "1", *plan.inputs, "-filter_complex", plan.graph, "-map", "[out]",
            "-frames:v", str(frames), *encoder_output_args(opts, target)]


class Cancelled(Exception):
    """The render was interrupted while this segment was being encoded."""


def encode_segment(timeline: Timeline, opts, seg: Segment, target: Path, cancel: threading.Event,
                   advance: Callable[[int], None] = lambda n: None, scratch: Path | None = None) -> None:
    """Encode segment ``seg`` of ``timeline`` to ``target``: in one ffmpeg process when
    ``segment_graph`` can express it (its subtitle images written to ``scratch``), else — or
    when that fails, e.g. a source that does not decode — frame by frame from
    ``frames.FrameSource``. ``advance(n)`` as frames are done; ``Cancelled`` when ``cancel`` is set."""
    from wam.render.segment_graph import graph_plan

    scratch = scratch if scratch is not None else target.parent
    name = target.stem.lstrip(".")
    plan = graph_plan(timeline, opts, seg.sentence, scratch, name)
    if plan is not None:
        errors: list[str] = []
        try:
            done, ok = _encode_graph(graph_command(plan, seg.frames, target, opts), seg.frames, cancel,
                                     advance, errors)
        finally:
            for p in scratch.glob(f"{name}-sub*.yuv"):
                p.unlink(missing_ok=True)
        if ok and done == seg.frames:
            return
        log.debug("sentence %d: the one-process render made %d of %d frames (%s); drawing it frame by frame",
                  seg.sentence + 1, done, seg.frames, errors[-1] if errors else "no error")
        advance(-done)  # drawn again below, frame by frame
    _encode_frames(timeline, opts, seg, target, cancel, advance)


def _encode_graph(command: list[str], frames: int, cancel: threading.Event, advance: Callable[[int], None],
                  errors: list[str] | None = None) -> tuple[int, bool]:
    """Run a one-process segment render: the frames it reported (fewer than ``frames`` when a
    source ran dry) and whether ffmpeg succeeded; ffmpeg's last error lines are added to
    ``errors``. ``Cancelled`` when ``cancel`` is set."""
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    tail: list[str] = []
    drain = threading.Thread(target=lambda: tail.extend(line.strip()
                                                        for line in proc.stderr.readlines()[-5:]),
                             daemon=True)
    drain.start()

    def watch() -> None:
        while proc.poll() is None:
            if cancel.wait(0.1):
                proc.kill()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    done = 0
    try:
        for line in proc.stdout:
            if line.startswith("frame="):
                try:
                    n = min(frames, int(line[6:]))
                except ValueError:
                    continue
                if n > done:
                    advance(n - done)
                    done = n
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        watcher.join()
        drain.join()
        proc.stderr.close()
        if errors is not None:
            errors.extend(t for t in tail if t)
    if cancel.is_set():
        raise Cancelled()
    return done, code == 0


def _encode_frames(timeline: Timeline, opts, seg: Segment, target: Path, cancel: threading.Event,
                   advance: Callable[[int], None]) -> None:
    """Encode segment ``seg`` frame by frame: its frames from ``wam.render.frames.FrameSource``
    piped to an x264 process (``segment_encoder_command``)."""
    from wam.render.cutreader import widen_pipe
    from wam.render.frames import FrameSource

    source = FrameSource(timeline, opts, end=seg.first + seg.frames)
    encoder = subprocess.Popen(segment_encoder_command(target, opts.width, opts.height, timeline.fps, opts),
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    widen_pipe(encoder.stdin)
    err_lines: list[bytes] = []
    drain = threading.Thread(target=lambda: err_lines.extend(encoder.stderr.readlines()[-5:]), daemon=True)
    drain.start()
    try:
        try:
            for i in range(seg.first, seg.first + seg.frames):
                if cancel.is_set():
                    raise Cancelled()
                encoder.stdin.write(memoryview(source.frame(i)))
                advance(1)
            encoder.stdin.close()
        except BrokenPipeError:
            pass
        code = encoder.wait()
        drain.join()
        if code != 0:
            err = b"".join(err_lines).decode(errors="replace").strip()
            raise WamError(f"the encoder failed on sentence {seg.sentence + 1}"
                           + (f": {err.splitlines()[-1][:200]}" if err else ""))
    finally:
        source.close()
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait()
        for s in (encoder.stdin, encoder.stderr):
            try:
                s.close()
            except (OSError, ValueError):
                pass


def _link(src: Path, dst: Path) -> None:
    """``dst`` becomes a hard link of ``src`` (a copy where links are impossible)."""
    import shutil

    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def encode_segments(timeline: Timeline, opts, segments: list[Segment], cache, work: Path, *,
                    workers: int = 1, progress: bool = False, report: Callable[[int, int],
                                                                               None] | None = None
                    ) -> tuple[list[Path], list[int]]:
    """Every segment as a file in ``work`` (in order), and the indices of those that had to be
    encoded: segments found in ``cache`` are taken as they are, the others are encoded
    ``workers`` at a time and added to it. ``report(done, total)`` hears the frames encoded so
    far (from any thread). An interrupt stops every encoder and re-raises."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    from tqdm import tqdm

    paths = [work / f"{i:05d}.mp4" for i in range(len(segments))]
    todo: dict[str, list[int]] = {}
    for i, seg in enumerate(segments):
        if seg.key in todo:
            todo[seg.key].append(i)
            continue
        found = cache.segment(seg.key, seg.frames)
        if found is not None:
            _link(found, paths[i])
        else:
            todo[seg.key] = [i]
    encoded = sorted(i for group in todo.values() for i in group)
    if not todo:
        return paths, encoded
    total = sum(segments[g[0]].frames for g in todo.values())
    bar = tqdm(total=total, unit="frame", desc="rendering", disable=not progress, leave=False,
               dynamic_ncols=True)
    lock = threading.Lock()
    cancel = threading.Event()
    done = [0]

    def advance(n: int) -> None:
        with lock:
            bar.update(n)
            done[0] += n
            if report is not None:
                report(max(0, min(done[0], total)), total)

    def job(group: list[int]) -> None:
        seg = segments[group[0]]
        part = cache.part_path(seg.key)
        try:
            encode_segment(timeline, opts, seg, part, cancel, advance, scratch=work)
            kept = cache.add_segment(seg.key, part, seg.frames)
        finally:
            try:
                part.unlink()
            except OSError:
                pass
        for i in group:
            _link(kept, paths[i])

    # the longest first, so that the last ones to finish are short
    groups = sorted(todo.values(), key=lambda g: -segments[g[0]].frames)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="wam-segment")
    try:
        futures = [pool.submit(job, g) for g in groups]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                raise f.exception()
    except BaseException:
        cancel.set()
        raise
    finally:
        from wam.core.signals import signals_deferred

        with signals_deferred():  # the encoders are told to stop; a further Ctrl-C waits for them to go
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return paths, encoded
