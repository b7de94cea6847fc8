"""Termination signals handled like Ctrl-C, so that work in progress cleans up (temp files
removed, child processes stopped) when a user, a service manager or a closing terminal
stops wam with SIGTERM or SIGHUP."""

from __future__ import annotations

import contextlib
import signal
import threading

from wam.errors import Interrupted

#: Signals turned into :class:`wam.errors.Interrupted` (a KeyboardInterrupt).
HANDLED = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_interrupt():
    """Inside this block, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread
    (once: a repeated signal during the clean-up is ignored). Previous handlers come back
    afterwards. Outside the main thread this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    previous = {}
    try:
        for sig in HANDLED:
            previous[sig] = signal.signal(sig, handler)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
