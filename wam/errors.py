"""Typed errors raised by the library; only the CLI turns them into messages and exit codes.

Every message is one line a user can act on: what went wrong, where, and what to do.
"""


class WamError(Exception):
    """Base class of every error wam raises on purpose."""


class MediaError(WamError):
    """A file could not be read as video (empty, corrupt, audio-only, too short, …)."""


class StoreError(WamError):
    """The index database is unusable (corrupt, newer schema, unwritable home)."""


class IndexBusyError(StoreError):
    """Another ``wam index`` holds the index lock."""


class NothingIndexedError(WamError):
    """A command needs shots but the index (or the chosen libraries) holds none."""


class LibraryNotIndexedError(WamError):
    """``--library DIR`` names a folder that was never indexed."""


class ModelError(WamError):
    """An embedding or tagging model could not be loaded."""


class ModelMismatchError(WamError):
    """The index was embedded with a different model than the one requested."""


class StoryError(WamError):
    """The story text is empty or unreadable."""


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP) while doing work that
    cleans up after itself; handled like Ctrl-C, with exit code 128 + the signal number."""

    def __init__(self, signum: int):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum
