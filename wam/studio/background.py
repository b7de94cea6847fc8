"""The studio's media work, on a snapshot of the plan and one thread of its own: a sentence's
preview (``wam.render.preview``), the final render with its progress, and the exports for the
four editor formats. Outputs go beside the story (``story.mp4``, ``story.otio`` …, with the
subtitles as ``story.srt``), each checked by ``wam.app.outputs.check_output`` first.

Renders and previews use the settings ``wam render STORY`` uses by default (``RenderSettings()``,
through ``wam.app`` as the CLI and batches do), so that the render cache's segments are shared:
a sentence played in the studio is not encoded again by the render, nor by a later
``wam render story.txt -o story.mp4``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from wam.core.config import EXPORT_FORMATS
from wam.core.errors import UsageError, WamError, one_line
from wam.core.settings import RenderSettings
from wam.core.timeline import Timeline


@dataclass
class RenderState:
    """Where the final render is: ``idle``, ``running``, ``done`` or ``failed``."""

    state: str = "idle"
    done: int = 0  # frames encoded so far
    total: int = 0  # frames to encode (segments in the render cache are not encoded again)
    output: str | None = None
    error: str | None = None
    encoded: int = 0
    segments: int = 0
    seconds: float = 0.0
    version: int = 0  # bumped by every render (the page's link to the video changes with it)

    def to_dict(self) -> dict:
        return asdict(self)


def render_options(timeline: Timeline):
    """The options of every studio preview and render: ``wam render``'s defaults, at the plan's size."""
    from wam.app import render_options as options_for

    return options_for(timeline, RenderSettings())


class MediaJobs:
    """Previews, the render and exports of the story at ``story``."""

    def __init__(self, story: Path, warn: Callable[[str], None] = lambda m: None):
        from wam.render.segment_cache import RenderCache

        self.story = story
        self.warn = warn
        self.folder = Path(tempfile.mkdtemp(prefix="wam-studio-"))
        try:
            self.cache = RenderCache.default().ensure()
        except WamError as exc:
            warn(f"{exc}; the studio keeps its segments for this session only")
            self.cache = RenderCache(self.folder / "cache").ensure()
        self.render = RenderState()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wam-studio-media")
        self._lock = threading.Lock()

    def run(self, fn, *args, **kwargs) -> Future:
        return self._thread.submit(fn, *args, **kwargs)

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def segment_keys(self, timeline: Timeline) -> list[str]:
        from wam.render.segments import plan_segments

        return [s.key for s in plan_segments(timeline, render_options(timeline))]

    def preview(self, timeline: Timeline, index: int) -> Path:
        """The playable MP4 of sentence ``index`` (made now if needed)."""
        from wam.render.preview import sentence_preview

        return sentence_preview(timeline, render_options(timeline), index, self.cache, self.folder, self.warn)

    def outputs(self, timeline: Timeline, suffix: str) -> Path:
        """The file beside the story with ``suffix``, checked (never an input, a clip, a library file)."""
        from wam.app.outputs import check_output
        from wam.studio.saved import saved_plan_path

        inputs = [self.story, saved_plan_path(self.story), (timeline.music or {}).get("file"),
                  *sorted({c.source for c in timeline.cuts()})]
        return check_output(self.story.with_name(self.story.stem + suffix), inputs=inputs)

    def start_render(self, timeline: Timeline) -> None:
        """Render ``timeline`` to the MP4 beside the story, in the background (``render`` says how far)."""
        with self._lock:
            if self.render.state == "running":
                raise UsageError("a render is already running")
            target = self.outputs(timeline, ".mp4")
            self.render = RenderState("running", output=str(target), version=self.render.version + 1)
        self.run(self._render, timeline, target, self.render)

    def _render(self, timeline: Timeline, target: Path, state: RenderState) -> None:
        from wam.app import render_plan

        def report(done: int, total: int) -> None:
            state.done, state.total = done, total

        started = time.perf_counter()
        try:
            result = render_plan(timeline, target, RenderSettings(), warn=self.warn, cache=self.cache,
                                 report=report)  # the plan kept as the video's previous plan
        except WamError as exc:
            state.error, state.state = str(exc), "failed"
            return
        except Exception as exc:  # the server goes on; the page says what failed
            state.error, state.state = f"unexpected {type(exc).__name__}: {one_line(exc)}", "failed"
            return
        state.encoded, state.segments = result.encoded, result.segments
        state.seconds = round(time.perf_counter() - started, 2)
        state.done = state.total
        state.state = "done"

    def export(self, timeline: Timeline, fmt: str) -> dict:
        """Write the cut for an editor in ``fmt`` (an ``EXPORT_FORMATS`` name) and the subtitles
        beside the story; the files written and the warnings."""
        from wam.app import export_cut

        if fmt not in EXPORT_FORMATS:
            raise UsageError(f"the format must be one of {', '.join(EXPORT_FORMATS)}")
        target = self.outputs(timeline, f".{fmt}")
        srt = self.outputs(timeline, ".srt")
        warnings: list[str] = []
        result = export_cut(timeline, target, fmt, srt=srt, inputs=[self.story], warn=warnings.append)
        return {"files": [str(result.path), str(srt)] + ([result.narration] if result.narration else []),
                "warnings": warnings, "clips": result.clips}
