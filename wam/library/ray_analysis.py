"""``wam index DIR --ray [ADDRESS]``: clips analysed as Ray tasks on a cluster, while this
process alone describes, embeds and writes the SQLite index (so the index stays
incremental and resumable exactly as with local workers). Clips on a path every node can
read are read there; otherwise each clip's bytes are sent as an object ref. A task whose
node dies is retried by Ray; a clip that cannot be analysed is reported like any bad file.

indexer jobs → ``analyse_on_ray`` (tasks: ``analyse_task`` → ``ClipAnalysis`` or a reason)
→ ``finish`` per clip.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from wam.core.cluster import TASK_RETRIES, cluster_cpus, connect, disconnect, ray_module, readable_everywhere
from wam.core.errors import one_line
from wam.core.types import ClipAnalysis


def analyse_on_ray(address: str | None, jobs: list, finish: Callable[[object, ClipAnalysis | str], None], *,
                   send_media: bool | None = None) -> None:
    """Analyse the clip of each job (``job.file.path``) on Ray and call ``finish(job, result)``
    here as each completes. ``send_media``: None probes whether every node reads the clips."""
    connected = connect(address)
    ray = ray_module()
    running: dict = {}
    try:
        task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(analyse_task)
        send = send_media if send_media is not None else not readable_everywhere(j.file.path for j in jobs)
        limit = 2 * cluster_cpus()
        pending = list(reversed(jobs))
        while pending or running:
            while pending and len(running) < limit:
                job = pending.pop()
                try:
                    data = ray.put(Path(job.file.path).read_bytes()) if send else None
                except OSError as exc:
                    finish(job, f"cannot read file ({exc.strerror or exc})")
                    continue
                running[task.remote(job.file.path, data)] = job
            if not running:
                continue
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                job = running.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # retries used up: this clip fails, the others go on
                    result = f"the Ray task failed ({type(exc).__name__}: {one_line(exc)})"
                finish(job, result)
    except BaseException:
        for ref in running:
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        raise
    finally:
        disconnect(connected)


def analyse_task(path: str, data: bytes | None) -> ClipAnalysis | str:
    """Task: the analysis of the clip at ``path`` (or of ``data``, its bytes, when this node
    cannot read it), or the reason it is unusable."""
    from wam.library.analyse import analyse_in_worker

    if data is None:
        return analyse_in_worker(path)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="wam-ray-index-") as tmp:
        local = os.path.join(tmp, "clip" + Path(path).suffix)
        Path(local).write_bytes(data)
        result = analyse_in_worker(local)
    return result if isinstance(result, str) else dataclasses.replace(result, path=path)
