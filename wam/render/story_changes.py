"""``wam render --watch``: noticing that the story file changed, and saying what an edit
changed in the cut. Pure helpers for the CLI's watch loop (it plans and renders).

Place in the flow: around the renderer; it reads the story file's bytes only.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import time
from collections.abc import Callable, Iterator

from wam.core.config import WATCH_POLL_SECONDS


def file_fingerprint(path: str) -> str | None:
    """A hash of the file's content (None while it cannot be read, e.g. mid-save)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()  # read in chunks: a huge file takes no memory
    except OSError:
        return None


def file_changes(path: str, poll: float = WATCH_POLL_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """Yield each time ``path``'s content has changed and then stayed the same for one more
    poll (an editor may write a file in several steps); runs until the caller stops."""
    last = file_fingerprint(path)
    stamp = _stamp(path)
    while True:
        sleep(poll)
        now_stamp = _stamp(path)
        if now_stamp == stamp:
            continue
        stamp = now_stamp
        now = file_fingerprint(path)
        if now is None or now == last:
            continue
        sleep(poll)
        if file_fingerprint(path) != now:  # still being written: look again next time
            stamp = None
            continue
        last = now
        yield


def _stamp(path: str):
    try:
        st = os.stat(path)
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return None


def _cut_keys(sentence) -> tuple:
    return tuple((c.source, round(c.source_in, 3), round(c.source_out, 3), c.frames, round(c.hold, 3))
                 for c in sentence.cuts)


def recut_sentences(old, new) -> list[int]:
    """Indices of ``new``'s sentences whose cuts are not those of the same sentence in ``old``
    (matched by text with difflib: inserted, reworded and re-cut sentences)."""
    if old is None:
        return list(range(len(new.sentences)))
    a = [s.text for s in old.sentences]
    b = [s.text for s in new.sentences]
    same: dict[int, int] = {}
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            same[block.b + k] = block.a + k
    return [j for j, s in enumerate(new.sentences)
            if j not in same or _cut_keys(old.sentences[same[j]]) != _cut_keys(s)]


def describe_recut(indices: list[int], total: int) -> str:
    """``sentences 3, 4 re-cut`` style summary (1-based), shortened for long lists."""
    if not indices:
        return "no sentence re-cut"
    names = ", ".join(str(i + 1) for i in indices[:8]) + (f" … ({len(indices)} in all)" if len(indices) > 8
                                                          else "")
    return f"sentence{'s' if len(indices) > 1 else ''} {names} of {total} re-cut"
