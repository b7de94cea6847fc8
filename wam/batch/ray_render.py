"""Renders of a batch as Ray tasks (``wam render --manifest jobs.jsonl --ray [ADDRESS]``):
this process plans every job (it has the index and the text model) and sends each plan to
the cluster; a task renders it on whichever node runs it and sends the video back, which
is written here to the requested path (atomically). Source clips and music on a path every
node can read are read there; otherwise they are sent once as object refs. A task whose
node dies is retried by Ray.

``RenderRequest`` → ``RayExecutor.submit`` → ``render_task`` on a node → reply + video bytes → output file.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future
from pathlib import Path

from wam.batch.work import RenderRequest, render_request
from wam.core.cluster import TASK_RETRIES, cluster_cpus, connect, disconnect, ray_module, readable_everywhere
from wam.core.errors import WamError, one_line


class RayExecutor:
    """Submits renders to a Ray cluster (connected on creation, disconnected by ``close`` or
    ``stop`` when this executor connected). ``send_media``: None decides by probing the
    nodes; True always sends the media (as when no path is shared)."""

    def __init__(self, address: str | None, *, send_media: bool | None = None):
        self._connected = connect(address)
        ray = ray_module()
        self.capacity = 2 * cluster_cpus()  # a few queued per CPU keep every node busy
        self._task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(render_task)
        self._send = send_media
        self._known: set[str] = set()  # media checked (readable everywhere, or sent)
        self._refs: dict[str, object] = {}  # media sent: path → object ref
        self._running: list = []

    def _media_for(self, request: RenderRequest) -> dict:
        """Object refs of the request's media that the nodes cannot read where they are."""
        ray = ray_module()
        plan = json.loads(request.plan_json)
        paths = {c["source"] for s in plan["sentences"] for c in s["cuts"]}
        if request.settings.get("music"):
            paths.add(request.settings["music"])
        new = sorted(p for p in paths - self._known if os.path.isfile(p))
        if new and (self._send or (self._send is None and not readable_everywhere(new))):
            for p in new:
                self._refs[p] = ray.put(Path(p).read_bytes())
        self._known.update(new)
        return {p: self._refs[p] for p in paths if p in self._refs}

    def submit(self, request: RenderRequest) -> Future:
        ref = self._task.remote(request.plan_json, request.settings, Path(request.output).name,
                                self._media_for(request))
        self._running.append(ref)
        out: Future = Future()

        def done(f: Future) -> None:
            try:
                reply = f.result()
                if "data" in reply:
                    _write_video(request, reply.pop("data"))
            except WamError as exc:
                reply = {"error": str(exc)}
            except Exception as exc:  # the task could not run (its retries used up, cancelled)
                reply = {"error": f"the Ray render task failed ({type(exc).__name__}: {one_line(exc)})"}
            out.set_result(reply)

        ref.future().add_done_callback(done)
        return out

    def stop(self) -> None:
        ray = ray_module()
        for ref in self._running:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # finished already
                pass
        self.close()

    def close(self) -> None:
        self._running.clear()
        self._refs.clear()
        connected, self._connected = self._connected, False
        disconnect(connected)


def _write_video(request: RenderRequest, data: bytes) -> None:
    """The video a task sent back, and then its subtitles, put in place together."""
    from wam.core.fileio import discard, install_together, staged
    from wam.core.timeline import timeline_from_dict
    from wam.render.subtitles import srt_text

    video = staged(request.output, data)
    subtitles = None
    try:
        if request.srt:
            subtitles = staged(request.srt,
                               srt_text(timeline_from_dict(json.loads(request.plan_json))).encode("utf-8"))
        install_together((video, request.output), (subtitles, request.srt))
    finally:
        discard(video)
        discard(subtitles)


def render_task(plan_json: str, settings: dict, name: str, media: dict) -> dict:
    """Task: render the plan in a temp folder on this node (``media``: path → object ref of
    the files sent over) and reply with the video as ``data`` (or the ``error``)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="wam-ray-render-") as tmp:
        if media:
            ray = ray_module()
            local = {}
            for k, (path, ref) in enumerate(sorted(media.items())):
                local[path] = os.path.join(tmp, f"media{k}{Path(path).suffix}")
                Path(local[path]).write_bytes(ray.get(ref))
            plan = json.loads(plan_json)
            for s in plan["sentences"]:
                for c in s["cuts"]:
                    c["source"] = local.get(c["source"], c["source"])
            plan_json = json.dumps(plan)
            if settings.get("music") in local:
                settings = dict(settings, music=local[settings["music"]])
        out = os.path.join(tmp, name)
        reply = render_request(plan_json, settings, out)
        if not reply.get("error"):
            reply["data"] = Path(out).read_bytes()
    return reply
