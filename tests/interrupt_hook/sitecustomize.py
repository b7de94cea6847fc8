"""A test hook, not part of wam: every Python process started with this folder first on
PYTHONPATH (wam, its fork server, its render workers) imports it at start-up. It interrupts a
render at an exact moment, so that tests of what an interrupted render leaves behind are
deterministic instead of depending on when a signal happens to arrive (tests/test_interrupts.py).

Set in the environment:

* ``WAM_TEST_SIGNAL_AT``: the moment, ``rename:<regex>`` (as a file whose name matches
  ``<regex>`` is renamed into place: the temp file exists and is complete), ``open:<regex>``
  (as such a file is opened, or made) or ``run:<text>`` (as a child process with ``<text>``
  among its arguments is started);
* ``WAM_TEST_SIGNAL``: the signal's name (``SIGTERM``), sent to this process's group, as a
  service manager or a terminal does;
* ``WAM_TEST_SIGNAL_TO``: ``parent`` to send it to this process's parent alone instead (from
  wam's text-model process: ``kill`` of wam's pid while that child works);
* ``WAM_TEST_FIRED``: a path created when the signal is sent, holding the pid of the process
  that sent it, so that it is sent once per test even with several render workers;
* ``WAM_TEST_SLOW_CLEANUP``: seconds to wait before each removal of a temp file (a name with
  ``.part`` in it) once the signal was sent, as on a loaded machine, giving whatever kills a
  process during its clean-up the time to do so;
* ``WAM_TEST_SIGNAL_AGAIN``: the name of a signal sent once more, to this process alone, as the
  first temp file is removed (a second Ctrl-C during the clean-up).

Audit hooks (``sys.addaudithook``) see these moments in any process without changing wam.
"""

import os
import re
import signal
import sys
import time

_AT = os.environ.get("WAM_TEST_SIGNAL_AT", "")
_SLOW = float(os.environ.get("WAM_TEST_SLOW_CLEANUP") or 0)
_AGAIN = os.environ.get("WAM_TEST_SIGNAL_AGAIN", "")
_again_sent = []


def _fire() -> None:
    fired = os.environ["WAM_TEST_FIRED"]
    try:
        fd = os.open(fired, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode("ascii"))
    os.close(fd)
    sig = getattr(signal, os.environ.get("WAM_TEST_SIGNAL", "SIGTERM"))
    if os.environ.get("WAM_TEST_SIGNAL_TO") == "parent":
        os.kill(os.getppid(), sig)
    else:
        os.killpg(os.getpgid(0), sig)


def _name(path) -> str:
    return os.path.basename(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else ""


def _hook(event: str, args: tuple) -> None:
    kind, _, text = _AT.partition(":")
    if event == "os.rename" and kind == "rename" and re.search(text, _name(args[0])):
        _fire()
    elif event == "open" and kind == "open" and re.search(text, _name(args[0])):
        _fire()
    elif event == "subprocess.Popen" and kind == "run" and text in [str(a) for a in args[1]]:
        _fire()
    elif event == "os.remove" and ".part" in _name(args[0]) and os.path.exists(os.environ["WAM_TEST_FIRED"]):
        if _AGAIN and not _again_sent:
            _again_sent.append(True)
            os.kill(os.getpid(), getattr(signal, _AGAIN))
        if _SLOW:
            time.sleep(_SLOW)


if _AT:
    sys.addaudithook(_hook)
