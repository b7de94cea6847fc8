"""moviepy's parser of ffmpeg's ``-i`` output, as the probe (``media/ffmpeg_stream.probe``) uses it,
imported without IPython: moviepy's package imports its notebook display, which imports IPython
where it is installed (≈ 0.4 s of CPU in every process that probes a clip, for nothing: no
notebook runs in wam's processes). In a process that has imported IPython already (a notebook),
moviepy imports it as usual.

``preload_probe`` imports it ahead of time: the index's forkserver runs it once for all its
workers (``library/worker_preload.py``).
"""

from __future__ import annotations

import sys

#: What moviepy imports only for its notebook display.
NOTEBOOK_MODULES = ("IPython",)


def ffmpeg_infos_parser():
    """moviepy's ``FFmpegInfosParser`` class, moviepy imported (once per process) without
    ``NOTEBOOK_MODULES`` unless they are imported already; they stay importable afterwards."""
    if "moviepy.video.io.ffmpeg_reader" not in sys.modules:
        blocked = [name for name in NOTEBOOK_MODULES if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # `import IPython` raises ImportError, which moviepy expects
        try:
            import moviepy.video.io.ffmpeg_reader  # noqa: F401
        finally:
            for name in blocked:
                if name in sys.modules and sys.modules[name] is None:
                    del sys.modules[name]
    return sys.modules["moviepy.video.io.ffmpeg_reader"].FFmpegInfosParser


def preload_probe() -> None:
    """Import what ``probe`` needs (moviepy's parser)."""
    ffmpeg_infos_parser()
