"""Interrupting a wam process at an exact moment of a render, for tests of what it leaves
behind: the environment for ``interrupt_hook/sitecustomize.py`` (see its docstring)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

HOOK = Path(__file__).resolve().parent / "interrupt_hook"


def video_part(stem: str) -> str:
    """A pattern for the temp video a render of ``<stem>.mp4`` renames into place (the name
    before issue 19's fix, and after); ``stem`` is a regular expression."""
    return rf"^\.{stem}(\.mp4\.\d+\.part|\.\d+\.part\.mp4)$"


def srt_part(stem: str) -> str:
    """A pattern for the temp subtitles (``--srt <stem>.srt``), renamed into place after the video."""
    return rf"^\.{stem}\.srt\.[\w.]+\.part$"


def interrupt_env(tmp_path: Path, at: str, sig: str = "SIGTERM", *, slow: float = 0.0,
                  again: str | None = None, to_parent: bool = False) -> dict[str, str]:
    """Environment variables that make a wam process (and its workers) send ``sig`` to its
    process group (``to_parent``: to its parent alone) at the moment ``at`` (``rename:<regex>``,
    ``open:<regex>`` or ``run:<argument>``), wait ``slow`` seconds before each removal of a temp
    file afterwards, and send ``again`` to itself at the first one. Temporary folders go to
    ``tmp_path/tmp``, which a test can check is empty; ``fired_by(tmp_path)`` is the pid of the
    process that sent the signal."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return {"PYTHONPATH": f"{HOOK}{os.pathsep}{REPO}", "WAM_TEST_SIGNAL_AT": at, "WAM_TEST_SIGNAL": sig,
            "WAM_TEST_FIRED": str(tmp_path / "signal-sent"), "WAM_TEST_SLOW_CLEANUP": str(slow),
            "WAM_TEST_SIGNAL_AGAIN": again or "", "TMPDIR": str(tmp),
            "WAM_TEST_SIGNAL_TO": "parent" if to_parent else "group"}


def fired_by(tmp_path: Path) -> int | None:
    """The pid of the process that sent the signal of ``interrupt_env(tmp_path, …)`` (None: not sent)."""
    fired = tmp_path / "signal-sent"
    return int(fired.read_text()) if fired.exists() else None


def run_interrupted(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -m wam ARGS`` with ``env`` added to this environment, in a session of its own:
    the hook signals the process group, which must not include the test."""
    return subprocess.run([sys.executable, "-m", "wam", *map(str, args)], env={**os.environ, **env},
                          capture_output=True, text=True, start_new_session=True)
