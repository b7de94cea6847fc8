"""Typed errors raised by the library; only the CLI turns them into messages and exit codes.

Every message is one line a user can act on: what went wrong, where, and what to do.
``one_line`` quotes a foreign exception inside such a message.
"""


class WamError(Exception):
    """Base class of every error wam raises on purpose."""


class UsageError(WamError):
    """A bad argument or option value (the CLI exits 2, like click's own usage errors)."""


class UnsafeOutputError(UsageError):
    """An output path would overwrite an input of the run, a library file or the index."""


class OutputError(WamError):
    """An output file could not be written (a missing or read-only folder, a full disk)."""


class ClosedPipeError(OutputError):
    """An output written through a pipe (``-o /dev/stdout | head``, a FIFO) whose reader closed
    it before the end. ``path`` is the output as given: the CLI is silent about its own
    standard output, as it is when printing there fails the same way."""

    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.path = path


class MediaError(WamError):
    """A file could not be read as video (empty, corrupt, audio-only, too short, …)."""


class BeatTrackerMissing(MediaError):
    """``--music`` cannot be cut on: its beat tracker (librosa, ``wam[music]``) is not installed."""


class StoreError(WamError):
    """The index database is unusable (corrupt, newer schema, unwritable home)."""


class IndexBusyError(StoreError):
    """Another ``wam index`` holds the index lock."""


class NothingIndexedError(WamError):
    """A command needs shots but the index (or the chosen libraries) holds none."""


class LibraryNotIndexedError(WamError):
    """``--library DIR`` names a folder that was never indexed."""


class ClipNotIndexedError(WamError):
    """A command names a clip that is not in the index."""


class ModelError(WamError):
    """An embedding or tagging model could not be loaded."""


class ModelMismatchError(WamError):
    """The index was embedded with a different model than the one requested."""


class InputError(WamError):
    """A file given to wam is not what it can read: larger than its limit (or an endless
    stream such as /dev/zero), or not text at all (NUL bytes)."""


class PlanNotStoryError(UsageError):
    """A JSON document (e.g. a saved plan) was given where a story was expected."""


class StoryError(WamError):
    """The story text is empty or unreadable."""


class VoiceError(WamError):
    """Narration failed: a voice that cannot speak the text, a recording that cannot be read or aligned."""


class VoiceEngineMissing(UsageError):
    """``--voice`` needs the Piper engine and the shipped voice (the ``wam[voice]`` extra: piper-tts is
    GPL-licensed, so the core install leaves it out), and they are not installed (exit 2)."""


def one_line(value: object, limit: int = 160) -> str:
    """``value`` (an exception, or a tool's message) squeezed onto one line of at most ``limit``
    characters, to quote inside a WamError message; an empty exception gives its type name."""
    text = " ".join(str(value).split())
    if not text and isinstance(value, BaseException):
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
