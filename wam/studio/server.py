"""Running the studio: open the story (``session``), bind 127.0.0.1 (the port asked for, or
another free one when it is taken and none was asked for), print the address with its access
token as the first line on stdout, open it in the browser and serve the application
(``app``) with uvicorn until Ctrl-C (exit 0), SIGTERM or SIGHUP (which exit 143 / 129, as every
command does).
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from wam.core.errors import UsageError
from wam.core.signals import Interrupted
from wam.studio.background import MediaJobs
from wam.studio.session import StudioSession


class Studio:
    """A story's session and its media jobs, and the state the page shows of them."""

    def __init__(self, story: str | os.PathLike, *, libraries=None, music=(), home: Path | None = None,
                 warn: Callable[[str], None] = lambda m: None, talk: dict | None = None):
        self.session = StudioSession(story, libraries=libraries, music=music, home=home, **(talk or {}))
        self.jobs = MediaJobs(self.session.story, warn)
        try:
            self.session.run(self.session.open).result()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.jobs.close()
        self.session.close()

    def save_and_snapshot(self):
        """Save the story and its plan (a render or an export shows what is saved); the plan."""
        self.session.save()
        return self.session.snapshot()

    def state(self) -> dict:
        """Everything the page shows (on the planning thread)."""
        from wam.core.config import ASPECTS, PACE_NAMES
        from wam.studio.views import plan_view

        s = self.session
        t = s.timeline
        keys = self.jobs.segment_keys(t) if t is not None else []
        st = s.settings
        return {
            "story": {"name": s.story.name, "path": str(s.story), "text": s.text},
            "plan": plan_view(t, s.alternatives, keys) if t is not None else None,
            "error": s.error,
            "saved": s.is_saved(),
            "settings": {"pace": st.pace, "aspect": st.aspect(), "size": list(st.size), "fps": st.fps,
                         "voice": st.voice, "a_roll": st.a_roll and os.path.basename(st.a_roll),
                         "music": s.choices.music.index(st.music) if st.music in s.choices.music else None},
            "choices": {"pace": list(PACE_NAMES), "aspect": list(ASPECTS), "voice": list(s.choices.voices),
                        "music": [os.path.basename(m) for m in s.choices.music]},
            "render": self.jobs.render.to_dict(),
        }


def bind(port: int, explicit: bool) -> socket.socket:
    """A listening socket on 127.0.0.1:``port``; when that port is taken and was not asked for
    explicitly, on a free one (UsageError when an explicit port is taken)."""
    for attempt in (port, 0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", attempt))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or explicit or attempt == 0:
                raise UsageError(f"cannot listen on 127.0.0.1:{attempt} ({exc.strerror or exc}); "
                                 "give another --port (0: any free one)") from None
            continue
        sock.listen(64)
        sock.set_inheritable(True)
        return sock
    raise AssertionError("unreachable")


def run_studio(story: str, *, port: int, explicit_port: bool = False, open_browser: bool = True,
               libraries=None, music=(), note: Callable[[str], None] = lambda m: None,
               warn: Callable[[str], None] = lambda m: None, talk: dict | None = None) -> None:
    """Serve the studio for ``story`` until interrupted (the address on stdout first); ``talk``:
    the speaker's talk to cut over (``StudioSession``'s ``a_roll``, ``a_roll_mode``, ``a_roll_every``)."""
    import threading
    import webbrowser

    import uvicorn

    from wam.studio.app import studio_app

    sock = bind(port, explicit_port)
    try:
        note(f"opening {story} (the index and the text model)…")
        studio = Studio(story, libraries=libraries, music=music, warn=warn, talk=talk)
    except BaseException:
        sock.close()
        raise
    try:
        actual = sock.getsockname()[1]
        token = secrets.token_urlsafe(24)
        url = f"http://127.0.0.1:{actual}/?token={token}"
        print(url, flush=True)
        note(f"the studio for {studio.session.story.name} is at the address above; Ctrl-C stops it")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        server = uvicorn.Server(uvicorn.Config(studio_app(studio, token, actual), log_level="warning",
                                               access_log=False, lifespan="off"))
        stopped_by = None
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt as exc:  # Ctrl-C is how the studio is stopped: not a failure
            stopped_by = exc if isinstance(exc, Interrupted) else None  # SIGTERM, SIGHUP: 143, 129
        if not studio.session.is_saved():
            warn(f"the studio stopped with unsaved changes to {studio.session.story.name}")
        note("wam studio stopped")
        if stopped_by is not None:
            raise stopped_by
    finally:
        sock.close()
        studio.close()
        sys.stdout.flush()
