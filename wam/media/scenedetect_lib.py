"""PySceneDetect as the decode pass uses it (``media/decode.py``, ``media/ffmpeg_stream.py``),
imported without the video back-ends wam never uses: wam decodes through its own ffmpeg stream,
and scenedetect's MoviePy back-end imports MoviePy (and, where it is installed, IPython) and its
PyAV back-end PyAV — ≈ 0.5 s of CPU in every process that decodes, for nothing.

``preload_decoder`` imports it with cv2 ahead of time: the index's forkserver runs it once for
all its workers (``library/pool.py``).
"""

from __future__ import annotations

import sys

#: scenedetect's optional back-ends that wam does not use (scenedetect skips one whose import fails).
UNUSED_BACKENDS = ("scenedetect.backends.moviepy", "scenedetect.backends.pyav")


def scenedetect_module():
    """The ``scenedetect`` package, imported (once per process) without ``UNUSED_BACKENDS``;
    they stay importable afterwards for anyone who asks for them by name."""
    if "scenedetect" in sys.modules:
        return sys.modules["scenedetect"]
    blocked = [name for name in UNUSED_BACKENDS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # makes `import name` raise ImportError, which scenedetect expects
    try:
        import scenedetect
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return scenedetect


def preload_decoder() -> None:
    """Import what the decode pass needs (cv2, scenedetect and its detectors)."""
    import cv2  # noqa: F401

    scenedetect_module()
