"""The frames of one cut, for the renderer: an ffmpeg process decodes the cut's source range
straight to the output size and pixel format, on the output frame grid, into a small queue
filled by a thread.

Frame-exact: output frame j of a cut shows the source frame on screen at
``source_in + j / fps`` (seek a little early, shift the timestamps, round up onto the grid);
a cut that a cross-fade shows before it starts also decodes the source frames just before
``source_in`` (its *lead*), and a declared ``hold`` shows the last source frame again.
"""

from __future__ import annotations

import math
import queue
import subprocess
import threading
from functools import lru_cache

import numpy as np

from wam.core.errors import WamError
from wam.core.timeline import Cut
from wam.media.ffmpeg_stream import ffmpeg_exe
from wam.render.layout import Placement, fit_picture

#: Decoder threads per cut (the encoder and the next cut run beside it).
DECODER_THREADS = "1"
#: A cut's decoder seeks this much before the cut, so that the source frame on screen at
#: ``source_in`` (which started a little earlier) is not dropped by ffmpeg's exact seek.
SEEK_MARGIN = 0.5
#: Times closer than this to a source frame count as that frame's (plans round times).
FRAME_EPSILON = 0.001


@lru_cache(maxsize=4096)
def source_info(path: str):
    """What ffmpeg says about a source clip (``wam.media.ffmpeg_stream.Probe``), once per path."""
    from wam.core.errors import MediaError
    from wam.media.ffmpeg_stream import probe

    try:
        return probe(path)
    except MediaError as exc:
        raise WamError(f"cannot read the source clip {path}: {exc}") from None


def input_colors(info) -> str:
    """The scale filter's input colour options for a source: as tagged, else as players
    assume for untagged video (BT.709 from 720 lines up, BT.601 below; limited range).

    Naming them also keeps swscale on its fast path: an untagged HD source was otherwise
    taken as BT.601 and converted to BT.709 on every pixel (a colour shift, and ~20 % of the
    decode time)."""
    matrix = info.color_matrix or ("bt709" if min(info.width, info.height) >= 720 else "bt601")
    matrix = {"bt470bg": "bt601", "smpte170m": "bt601"}.get(matrix, matrix)
    options = f":in_color_matrix={matrix}" if matrix in ("bt709", "bt601", "smpte240m", "bt2020") else ""
    return options + f":in_range={info.color_range or 'tv'}"


def cut_filter(place: Placement, out_w: int, out_h: int, fps: int, mode: str, colors: str = "") -> str:
    """The ffmpeg filter that turns a source's frames (already on the output frame grid, see
    ``retime_filter``) into output-ready frames for one cut; ``colors``: ``input_colors``."""
    chain = [f"scale={place.scaled_w}:{place.scaled_h}:flags=bicubic{colors}"
             ":out_color_matrix=bt709:out_range=tv",
             "format=yuv420p", "setsar=1"]
    if mode == "cover":
        chain.append(f"crop={out_w}:{out_h}:{place.crop_x}:{place.crop_y}")
    else:
        chain.append(f"pad={out_w}:{out_h}:{place.pad_x}:{place.pad_y}:black")
    return ",".join(chain)


def fitted_rect(rect, src_w: int, src_h: int, out_w: int, out_h: int,
                mode: str) -> tuple[float, float, float, float]:
    """A move's normalised source rectangle in source pixels, given the output's shape about
    its centre (the plan may be rendered at another aspect): cover takes the largest such
    rectangle inside it, contain the smallest around it (letterboxed)."""
    x, y, w, h = rect[0] * src_w, rect[1] * src_h, rect[2] * src_w, rect[3] * src_h
    cx, cy, shape = x + w / 2, y + h / 2, out_w / out_h
    if (w / h > shape) == (mode == "cover"):
        w = h * shape
    else:
        h = w / shape
    return cx - w / 2, cy - h / 2, w, h


def move_filter(move: dict, frames: int, src_w: int, src_h: int, out_w: int, out_h: int, mode: str,
                colors: str = "") -> str:
    """The filters that turn a still's one source frame into the ``frames`` frames of its move
    (``assemble/moves.py``): the part of the picture both rectangles lie in is scaled to the
    output size once, the frame is repeated, and ``perspective`` sends each frame's rectangle
    (centre linear, size geometric in the frame index) to the output's corners at sub-pixel
    precision — no rounding to whole pixels, so the motion is smooth."""
    a, b = (fitted_rect(move[k], src_w, src_h, out_w, out_h, mode) for k in ("from", "to"))
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    if (x1 - x0) / (y1 - y0) < out_w / out_h:  # the working area takes the output's shape too
        x0, x1 = (x0 + x1) / 2 - (y1 - y0) * out_w / out_h / 2, (x0 + x1) / 2 + (y1 - y0) * out_w / out_h / 2
    else:
        y0, y1 = (y0 + y1) / 2 - (x1 - x0) * out_h / out_w / 2, (y0 + y1) / 2 + (x1 - x0) * out_h / out_w / 2
    x0, x1 = _inside(x0, x1, src_w)
    y0, y1 = _inside(y0, y1, src_h)
    f = out_w / (x1 - x0)  # source pixels → working pixels
    sw, sh = max(2, round(src_w * f / 2) * 2), max(2, round(src_h * f / 2) * 2)  # even, for yuv420p
    fx, fy = sw / src_w, sh / src_h
    cx, cy = math.floor(x0 * fx / 2) * 2, math.floor(y0 * fy / 2) * 2  # even: chroma planes crop alike
    left, top = max(0, -cx), max(0, -cy)
    right, bottom = max(0, cx + out_w - sw), max(0, cy + out_h - sh)
    chain = [f"scale={sw}:{sh}:flags=bicubic{colors}:out_color_matrix=bt709:out_range=tv", "format=yuv420p",
             "setsar=1"]
    if left or top or right or bottom:
        chain.append(f"pad={sw + left + right + (left + right) % 2}:{sh + top + bottom + (top + bottom) % 2}:"
                     f"{left}:{top}:black")
    chain.append(f"crop={out_w}:{out_h}:{cx + left}:{cy + top}")
    if frames > 1:
        chain.append(f"tpad=stop_mode=clone:stop={frames - 1}")

    def at(r):  # centre and size in working pixels
        return ((r[0] + r[2] / 2) * fx - cx, (r[1] + r[3] / 2) * fy - cy, r[2] * fx, r[3] * fy)

    (ax, ay, aw, ah), (bx, by, bw, bh) = at(a), at(b)
    p = f"(in-1)/{frames}"  # perspective counts its frames from 1
    x = f"({ax:.6f}+{bx - ax:.6f}*{p})"
    y = f"({ay:.6f}+{by - ay:.6f}*{p})"
    hw = f"({aw / 2:.6f}*pow({bw / aw:.9f},{p}))"
    hh = f"({ah / 2:.6f}*pow({bh / ah:.9f},{p}))"
    left_x, right_x, top_y, bottom_y = f"{x}-{hw}", f"{x}+{hw}", f"{y}-{hh}", f"{y}+{hh}"
    chain.append(f"perspective=x0='{left_x}':y0='{top_y}':x1='{right_x}':y1='{top_y}':x2='{left_x}':"
                 f"y2='{bottom_y}':x3='{right_x}':y3='{bottom_y}':interpolation=linear:eval=frame")
    return ",".join(chain)


def _inside(lo: float, hi: float, size: float) -> tuple[float, float]:
    """The span [lo, hi) moved to lie within [0, size) where it fits (else left as it is)."""
    if hi - lo > size:
        return lo, hi
    shift = min(max(lo, 0.0), size - (hi - lo)) - lo
    return lo + shift, hi + shift


def picture_filter(cut: Cut, info, out_w: int, out_h: int, mode: str) -> str:
    """A cut's filters after ``retime_filter``: its source frames fitted to the output (a
    still's move: its first frame, moved over for the whole cut, ``move_filter``)."""
    if cut.move is not None:
        return "trim=end_frame=1," + move_filter(cut.move, cut.frames, info.width, info.height, out_w, out_h,
                                                 mode,
                                                  input_colors(info))
    focus = tuple(cut.focus) if cut.focus else None
    return cut_filter(fit_picture(info.width, info.height, out_w, out_h, mode, focus), out_w, out_h, cut.fps,
                      mode, input_colors(info))


def retime_filter(seek: float, start: float, fps: int) -> str:
    """Filters that put a stream decoded from ``seek`` onto the output frame grid starting at
    source time ``start``: output frame j is the source frame on screen at ``start + j / fps``
    (the last one whose timestamp is ≤ that time).

    ffmpeg's ``fps`` filter alone picks the *nearest* source frame, which is often the next
    one — 24/25/30 fps sources then ran up to a frame early — and an exact ``-ss`` drops the
    frame on screen at ``start`` when it began before it. Hence: seek early, shift the
    timestamps so ``start`` is 0, and round up onto the grid."""
    return f"setpts=PTS-{start - seek + FRAME_EPSILON:.6f}/TB,fps={fps}:round=up:start_time=0"


def source_args(path: str, fps: int) -> list[str]:
    """ffmpeg input options for a cut's source: a picture file is read as an endless video
    of itself at ``fps`` (so it seeks, retimes and lasts like a clip); a video needs none."""
    from pathlib import Path

    from wam.core.config import IMAGE_EXTENSIONS

    return ["-loop", "1", "-framerate", str(fps)] if Path(path).suffix.lower() in IMAGE_EXTENSIONS else []


def widen_pipe(stream) -> None:
    """Let a pipe hold a whole frame (1 MB instead of 64 kB): far fewer wake-ups per frame."""
    import fcntl

    try:
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ValueError, AttributeError):
        pass


class CutReader:
    """Frames of one cut, decoded by an ffmpeg process into a small queue by a thread.

    ``lead``: frames before the cut's first one to make available (a cross-fade shows the
    incoming shot playing before its cut starts), as far as the source has them."""

    QUEUE = 6

    def __init__(self, cut: Cut, out_w: int, out_h: int, mode: str, lead: int = 0):
        self.cut, self.fps = cut, cut.fps
        # a declared hold shows the last source frame for its final frames (a still's move goes on over it)
        self.source_frames = cut.frames if cut.move else max(1, cut.frames - round(cut.hold * cut.fps))
        self.w, self.h, self.mode = out_w, out_h, mode
        self.filter = picture_filter(cut, source_info(cut.source), out_w, out_h, mode)
        # a cross-fade shows a still's first framing before its cut starts
        lead = 0 if cut.move else lead
        self.lead = max(0, min(lead, math.floor(cut.source_in * self.fps + FRAME_EPSILON * self.fps)))
        self._start(0)

    def _start(self, first: int) -> None:
        """(Re)start decoding at internal frame ``first`` (0 is the first lead frame; a still's
        move always starts from its first frame)."""
        first = 0 if self.cut.move else first
        self.next_index = first
        self.last: np.ndarray | None = None
        start = self.cut.source_in + (first - self.lead) / self.fps
        seek = max(0.0, start - SEEK_MARGIN)
        vf = retime_filter(seek, start, self.fps) + "," + self.filter
        cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-threads", DECODER_THREADS, "-ss", f"{seek:.6f}",
               *source_args(self.cut.source, self.fps), "-i", self.cut.source, "-map", "0:v:0", "-an", "-sn",
               "-vf", vf, "-frames:v", str(self.source_frames + self.lead - first), "-pix_fmt", "yuv420p",
               "-f", "rawvideo", "-"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        widen_pipe(self.proc.stdout)
        self.queue: queue.Queue = queue.Queue(self.QUEUE)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        size = self.w * self.h * 3 // 2
        out = self.proc.stdout
        try:
            while not self._stop.is_set():
                buf = bytearray(size)  # writable: subtitles and fades draw in place, no copy
                view, got = memoryview(buf), 0
                while got < size:
                    n = out.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got < size:
                    break
                self.queue.put(np.frombuffer(buf, np.uint8))
        finally:
            self.queue.put(None)

    def frame(self, j: int) -> np.ndarray:
        """Frame j of the cut (j counts from the cut's first frame; negative j, down to
        ``-lead``, are the source frames before it); past the source's end (or a declared
        hold) the last frame holds, and before its start the first one.

        A freshly decoded frame is handed over to be drawn on in place; a frame served again
        (held, or asked for twice) is a copy, so the kept one stays pristine."""
        held = j >= self.source_frames - 1  # the declared last source frame is shown again: keep it clean
        j = max(0, min(j, self.source_frames - 1) + self.lead)  # internal index
        if j < self.next_index - 1 or (j == self.next_index - 1 and self.last is None):
            self.close()
            self._start(j)
        if self.next_index > j:
            return self.last.copy()
        while self.next_index <= j:
            item = self.queue.get() if self.queue is not None else None
            if item is None:  # source ended early: hold the last frame
                self.queue = None
                if self.last is None:
                    err = []
                    if self.proc.stderr:
                        err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
                    raise WamError(f"could not decode {self.cut.source} at {self.cut.source_in:.2f} s"
                                   + (f" ({err[-1][:120]})" if err else ""))
                self.next_index = j + 1
                return self.last.copy()
            self.last = item
            self.next_index += 1
        return self.last.copy() if held and self.source_frames < self.cut.frames else self.last

    def close(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.kill()
        while self.queue is not None:  # unblock the pump thread
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        self.proc.wait()
        for s in (self.proc.stdout, self.proc.stderr):
            if s:
                s.close()
