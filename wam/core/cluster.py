"""Ray, for runs that outgrow one machine (``pip install 'wam[ray]'``): connecting to a
cluster (or starting a local one), and telling whether every node can read the media at
the paths this machine sees (a shared file system) or must be sent the bytes.

Used by ``wam index --ray`` (``wam.library.ray_analysis``) and ``wam render --ray``
(``wam.batch.ray_render``). Ray is imported inside the functions only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from wam.core.errors import UsageError, WamError, one_line

#: Retries of a task whose node died (its worker process or machine was lost).
TASK_RETRIES = 3


def connect(address: str | None) -> bool:
    """Connect this process to Ray: the cluster at ``address``; without one, ``$RAY_ADDRESS``
    or a cluster running on this machine, else a new local one. True when this call
    connected (the caller then calls ``disconnect``), False when already connected."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"at {address}" if address else "($RAY_ADDRESS, or a local one)"
        raise WamError(f"cannot connect to a Ray cluster {where} ({one_line(exc)}); start one with "
                       "`ray start --head`, or check the address") from None
    return True


def disconnect(connected: bool) -> None:
    if connected:
        ray_module().shutdown()


def ray_module():
    """The ``ray`` package, or a UsageError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError("--ray needs Ray: pip install 'wam[ray]'") from None
    return ray


def cluster_cpus() -> int:
    """CPUs of the cluster this process is connected to (at least 1)."""
    return max(1, int(ray_module().cluster_resources().get("CPU", 1)))


def readable_everywhere(paths: Iterable[str]) -> bool:
    """Whether every live node of the cluster can read every one of ``paths`` (same size as
    here): media on a shared path is then read where it is, else it is sent as object refs."""
    ray = ray_module()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    wanted = sorted({(p, os.path.getsize(p)) for p in paths})
    probe = ray.remote(num_cpus=0, max_retries=TASK_RETRIES)(files_present)
    refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
            .remote(wanted) for n in ray.nodes() if n.get("Alive")]
    return all(ray.get(refs))


def files_present(wanted: list[tuple[str, int]]) -> bool:
    """Task: whether this node has each (path, size)."""
    for path, size in wanted:
        try:
            if os.path.getsize(path) != size:
                return False
        except OSError:
            return False
    return True
