"""Reading the files a user gives wam — stories, saved plans, manifests, ``--timing``
subtitles, lists of story paths, clip sidecars — with a size limit and one way of decoding.

In ``wam.core`` (layer 1), below every reader (``story``, ``timeline``, the manifest, the
narration aligner, the indexer's sidecars, the CLI), so it imports nothing of wam: the caller
passes the limit (one of ``wam.core.config.MAX_*_BYTES``) and the error class to raise
(``wam.core.errors.InputError``).

A file larger than its limit — a huge file, or an endless stream such as ``/dev/zero`` or
``yes |`` — raises that error after reading at most the limit, and bytes that are not text
(NUL) raise it at once, so no input can take all the memory or hang wam. Text is UTF-8 (a
BOM is dropped), UTF-16 or UTF-32 with a BOM, or UTF-16 without one (told by its NUL bytes,
as ``file`` does, or, for a script other than Latin, by bytes that are plain UTF-16 text but
not plain UTF-8). OSError and UnicodeDecodeError reach the caller, which names the file its own
way.
"""

from __future__ import annotations

import codecs
import json
from contextlib import nullcontext

#: Bytes read at a time: a stream is refused within one chunk of its limit.
CHUNK = 1 << 20


def read_bytes(path: str, *, what: str, limit: int, error: type[Exception], name: str | None = None) -> bytes:
    """At most ``limit`` bytes of ``path`` (``-``: standard input); ``error`` (one line naming
    ``what`` and ``name``, e.g. ``"the story"`` and the path) when there are more, or as soon as
    NUL bytes show that it is not text in an encoding wam reads."""
    import sys

    name = name or ("on standard input" if path == "-" else str(path))
    stream = sys.stdin.buffer if path == "-" and sys.stdin is not None else None
    if path == "-" and stream is None:
        raise OSError(9, "standard input is closed")
    chunks: list[bytes] = []
    size, encoding = 0, None
    with (open(path, "rb") if stream is None else nullcontext(stream)) as f:
        while chunk := f.read(min(CHUNK, limit + 1 - size)):
            if encoding is None:
                encoding = text_encoding(chunk)
            if encoding == "utf-8" and b"\0" in chunk:
                raise error(not_text(what, name))
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise error(f"{what} {name} is larger than {_size(limit)}, the most wam reads of it "
                            "(is it an endless stream?)")
    return b"".join(chunks)


def decode_text(data: bytes, *, what: str, name: str, error: type[Exception]) -> str:
    """``data`` as text (``text_encoding``); ``error`` if it holds NUL characters."""
    text = data.decode(text_encoding(data))
    if "\0" in text:
        raise error(not_text(what, name))
    return text


def read_text(path: str, *, what: str, limit: int, error: type[Exception], name: str | None = None) -> str:
    """The text of ``path`` (``-``: standard input), read with ``read_bytes`` and ``decode_text``."""
    name = name or ("on standard input" if path == "-" else str(path))
    return decode_text(read_bytes(path, what=what, limit=limit, error=error, name=name), what=what, name=name,
                       error=error)


def text_encoding(head: bytes) -> str:
    """The codec of text starting with ``head``: by its byte-order mark, else UTF-16 when
    every other byte is NUL (English text saved as "Unicode" without a BOM), else UTF-8."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if b"\0" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) * 2 >= len(odd) and even.count(0) * 10 < len(even):
            return "utf-16-le"
        if even.count(0) * 2 >= len(even) and odd.count(0) * 10 < len(odd):
            return "utf-16-be"
        # text in another script (Chinese, Russian…) has few NULs (its spaces, line ends, digits,
        # mostly in the high byte of each pair): UTF-16 when the bytes read as plain UTF-16 text
        # and not as plain UTF-8 text (which a UTF-8 text with a stray NUL is)
        if _plain_text(sample, "utf-8") is None:
            codec = "utf-16-le" if odd.count(0) >= even.count(0) else "utf-16-be"
            if (text := _plain_text(sample, codec)) is not None and "\0" not in text:
                return codec
    return "utf-8"


#: Control characters no text holds (all but tab, line ends, form feed and NUL, which is told apart).
_CONTROLS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\v\f\r\0") | {"\x7f"}


def _plain_text(head: bytes, codec: str) -> str | None:
    """``head``, the start of a text, decoded with ``codec`` (a character cut off at its end left
    out), if it is valid there and holds no control characters; else None."""
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return None if _CONTROLS.intersection(text) else text


def parse_json(text: str):
    """``json.loads(text)``; a document nested too deeply for Python to parse (e.g. 100,000
    ``[``) is a ValueError like any other bad JSON, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def not_text(what: str, name: str) -> str:
    return f"{what} {name} is not text: it holds NUL bytes (save it as UTF-8 text)"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n:,} bytes"

