"""wam: turn a written story into an edited video cut from your own clip library.

The flow runs one way (see ARCHITECTURE.md in the repository): library (scan → shots →
features → descriptions → embeddings → store) → story → candidates → assembler →
timeline → renderer/exporters. This top-level module carries the version and lazy entry
points (``wam.to_moviepy``) that import their layer only when called, so that ``import wam``
and ``wam --help`` stay instant.
"""

__version__ = "0.1.0"


def to_moviepy(plan, **options):
    """The montage of ``plan`` (a ``Timeline``, a plan JSON file or dict) as a moviepy 2.x
    ``VideoClip``: cuts, paragraph cross-fades, fades, subtitles (``subtitles=False`` to
    leave them out), audio (``keep_audio=True``, ``music="bed.mp3"``), at the plan's size
    (``size=(w, h)``) and frame rate. See ``wam.render.moviepy_clip.to_moviepy``.

    Example::

        import wam
        clip = wam.to_moviepy("plan.json", subtitles=False)
        clip.subclipped(0, 5).write_videofile("first5s.mp4")
    """
    from wam.render.moviepy_clip import to_moviepy as make_clip  # lazy: `import wam` stays instant

    return make_clip(plan, **options)
