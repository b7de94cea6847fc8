"""Story text → sentences with paragraphs and durations (the first stage of planning).

Pure: takes a string. Sentences via pysbd (English rules, or Chinese/Japanese rules for
CJK text so that 。！？ split); a blank line starts a new paragraph (a scene change).
Plain text is shown verbatim; only a Markdown story (``.md`` / ``.markdown``, or asked for)
has its headings and bullets read as sentences of their own and its inline markup removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wam.config import DEFAULT_WPS
from wam.errors import StoryError

#: File name endings of Markdown stories (any other story file is plain text).
MARKDOWN_SUFFIXES = (".md", ".markdown")
#: CJK characters read per second (CJK text is counted by characters).
CJK_CHARS_PER_SECOND = 4.5
#: No sentence shows for less than this (seconds).
MIN_SENTENCE_SECONDS = 1.5
#: Extra time at the end of a paragraph (seconds).
PARAGRAPH_PAUSE = 0.6

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_MD_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|>\s?)")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
]


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    paragraph: int
    duration: float  # seconds on screen, before snapping to frames
    paragraph_start: bool
    paragraph_end: bool


def is_cjk(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if _CJK.match(c)) / len(letters) > 0.3


def plain_line(line: str) -> str:
    """A Markdown line as plain text (heading/bullet markers and inline markup removed)."""
    line = _MD_LINE.sub("", line)
    for pattern, repl in _MD_INLINE:
        line = pattern.sub(repl, line)
    return line.strip()


def reading_seconds(text: str, wps: float = DEFAULT_WPS) -> float:
    """Reading time of one sentence: words at ``wps``, CJK characters at their own rate."""
    cjk = len(_CJK.findall(text))
    words = len(re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*", _CJK.sub(" ", text)))
    return words / wps + cjk / (CJK_CHARS_PER_SECOND * wps / DEFAULT_WPS)


def sentence_duration(text: str, *, wps: float = DEFAULT_WPS, paragraph_end: bool = False) -> float:
    """Seconds a sentence stays on screen: reading time with a floor, plus a paragraph pause.

    The one place durations are decided (a voice-over will replace it by the spoken length).
    """
    return max(MIN_SENTENCE_SECONDS, reading_seconds(text, wps)) + (PARAGRAPH_PAUSE if paragraph_end else 0.0)


def split_sentences(paragraph: str, *, markdown: bool = False) -> list[str]:
    """Sentences of one paragraph (in Markdown, lines that are headings or bullets stand alone)."""
    import pysbd

    chunks: list[str] = []
    current: list[str] = []
    for raw in paragraph.splitlines():
        if not raw.strip():
            continue
        standalone = markdown and bool(_MD_LINE.match(raw))
        line = plain_line(raw) if markdown else raw.strip()
        if not line:
            continue
        if standalone:
            if current:
                chunks.append(" ".join(current))
                current = []
            chunks.append(line)
        else:
            current.append(line)
    if current:
        chunks.append(" ".join(current))
    out: list[str] = []
    for chunk in chunks:
        lang = "zh" if is_cjk(chunk) else "en"
        seg = pysbd.Segmenter(language=lang, clean=False)
        for s in seg.segment(chunk):
            s = " ".join(s.split())
            if s and any(ch.isalnum() for ch in s):
                out.append(s)
    return out


def read_story(text: str, *, wps: float = DEFAULT_WPS, markdown: bool = False) -> list[Sentence]:
    """The story's sentences, numbered, with paragraph numbers and durations.

    ``markdown``: read ``text`` as Markdown (headings and bullets are sentences of their
    own, inline markup is removed); otherwise every character is kept."""
    if wps <= 0:
        raise StoryError("--wps must be positive")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    sentences: list[Sentence] = []
    para_no = 0
    for para in paragraphs:
        parts = split_sentences(para, markdown=markdown)
        if not parts:
            continue
        for k, s in enumerate(parts):
            last = k == len(parts) - 1
            sentences.append(
                Sentence(
                    index=len(sentences),
                    text=s,
                    paragraph=para_no,
                    duration=round(sentence_duration(s, wps=wps, paragraph_end=last), 4),
                    paragraph_start=k == 0,
                    paragraph_end=last,
                )
            )
        para_no += 1
    if not sentences:
        raise StoryError("the story is empty: write at least one sentence")
    return sentences


def read_story_file(path: str, *, wps: float = DEFAULT_WPS, markdown: bool | None = None) -> list[Sentence]:
    """Read a UTF-8 story from ``path`` ('-' for stdin).

    ``markdown`` None: Markdown for ``.md`` / ``.markdown`` files, plain text otherwise (stdin too)."""
    import sys

    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
    except OSError as exc:
        raise StoryError(f"cannot read the story {path} ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StoryError(f"the story {path} is not UTF-8 text (bad byte at position {exc.start})") from None
    if markdown is None:
        markdown = path != "-" and path.lower().endswith(MARKDOWN_SUFFIXES)
    return read_story(text, wps=wps, markdown=markdown)
