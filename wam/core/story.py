"""Story text → sentences with paragraphs and durations (the first stage of planning).

Pure: takes a string. Sentences via pysbd (English rules, or Chinese/Japanese rules for
CJK text so that 。！？ split); a blank line starts a new paragraph (a scene change).
Plain text is shown verbatim; only a Markdown story (``.md`` / ``.markdown``, or asked for)
has its headings and bullets read as sentences of their own and its inline markup removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from wam.core.config import DEFAULT_WPS
from wam.core.errors import PlanNotStoryError, StoryError

#: File name endings of Markdown stories (any other story file is plain text).
MARKDOWN_SUFFIXES = (".md", ".markdown")
#: CJK characters read per second (CJK text is counted by characters).
CJK_CHARS_PER_SECOND = 4.5
#: No sentence shows for less than this (seconds).
MIN_SENTENCE_SECONDS = 1.5
#: Extra time at the end of a paragraph (seconds).
PARAGRAPH_PAUSE = 0.6
#: With a synthesised voice: silence after a sentence inside a paragraph, and at a paragraph's
#: end (long enough for the music to come back up between scenes).
VOICE_SENTENCE_PAUSE = 0.25
VOICE_PARAGRAPH_PAUSE = 1.0
#: Stories longer than this (characters) show progress while they are read.
LONG_STORY_CHARS = 200_000

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
    """Whether more than 30 % of the text's letters are Chinese, Japanese or Korean."""
    letters = sum(map(str.isalpha, text))
    return bool(letters) and sum(map(str.isalpha, _CJK.findall(text))) / letters > 0.3


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


def sentence_duration(text: str, *, wps: float = DEFAULT_WPS, paragraph_end: bool = False,
                      spoken: float | None = None, pause: float | None = None) -> float:
    """Seconds a sentence stays on screen. The one place durations are decided.

    Without narration: its reading time at ``wps`` with a floor, plus a pause at a paragraph
    end. With narration the voice is the clock: ``spoken`` seconds of speech, plus ``pause``
    (default: a short breath, or a longer pause at a paragraph end; a recording's spans
    already hold their pauses and pass 0).
    """
    if spoken is not None:
        if pause is None:
            pause = VOICE_PARAGRAPH_PAUSE if paragraph_end else VOICE_SENTENCE_PAUSE
        return max(0.0, spoken) + pause
    return max(MIN_SENTENCE_SECONDS, reading_seconds(text, wps)) + (PARAGRAPH_PAUSE if paragraph_end else 0.0)


def spoken_sentences(sentences: list[Sentence], spoken: list[float], *,
                     pauses: bool = True) -> list[Sentence]:
    """``sentences`` timed by their narration: ``spoken`` seconds each (through ``sentence_duration``),
    plus the voice's pauses when ``pauses`` (a recording's spans hold their own: ``pauses=False``)."""
    from dataclasses import replace

    if len(spoken) != len(sentences):
        raise ValueError(f"{len(spoken)} spoken lengths for {len(sentences)} sentences")
    return [replace(s, duration=round(sentence_duration(s.text, paragraph_end=s.paragraph_end, spoken=t,
                                                        pause=None if pauses else 0.0), 4))
            for s, t in zip(sentences, spoken)]


def split_sentences(paragraph: str, *, markdown: bool = False) -> list[str]:
    """Sentences of one paragraph (in Markdown, lines that are headings or bullets stand alone)."""
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
        for s in segment(chunk, "zh" if is_cjk(chunk) else "en"):
            s = " ".join(s.split())
            if s and any(ch.isalnum() for ch in s):
                out.extend(short_parts(s))
    return out


#: A sentence that takes longer than this to read (seconds at the default pace) is shown as
#: several: split after its commas, semicolons, colons and dashes, and a clause still too
#: long into equal runs of words (of characters in CJK text without spaces). Each part is a
#: sentence of the plan (its own cuts and subtitle); the split depends on the text alone.
MAX_SENTENCE_SECONDS = 15.0
_CLAUSE_END = re.compile(r"(?<=[,;:–—])\s+|(?<=[，、；：])\s*")


def short_parts(sentence: str) -> list[str]:
    """``sentence`` as parts that each take at most ``MAX_SENTENCE_SECONDS`` to read (itself if it does)."""
    if reading_seconds(sentence) <= MAX_SENTENCE_SECONDS:
        return [sentence]
    out: list[str] = []
    current, seconds = [], 0.0
    for clause in (c for c in _CLAUSE_END.split(sentence) if c.strip()):
        t = reading_seconds(clause)
        if current and seconds + t > MAX_SENTENCE_SECONDS:
            out.append(" ".join(current))
            current, seconds = [], 0.0
        if t > MAX_SENTENCE_SECONDS:
            out.extend(_equal_runs(clause, t))
        else:
            current.append(clause)
            seconds += t
    if current:
        out.append(" ".join(current))
    return [p for p in out if any(ch.isalnum() for ch in p)]


def _equal_runs(text: str, seconds: float) -> list[str]:
    """``text`` cut into as few runs of equal length (in words, or characters without spaces)
    as keep each under ``MAX_SENTENCE_SECONDS``."""
    words = text.split()
    join = " ".join
    if len(words) < 2:  # CJK without spaces
        words, join = list(text), "".join
    n = -(-len(words) // max(1, int(len(words) * MAX_SENTENCE_SECONDS / seconds)))  # runs needed
    size = -(-len(words) // n)
    return [join(words[i : i + size]) for i in range(0, len(words), size)]


#: Characters given to pysbd at a time. pysbd's cost grows faster than the text's length
#: (its rules run over the whole text, and it re-finds every sentence from the start), so a
#: long paragraph is segmented in windows: linear time, a few µs per character.
SEGMENT_WINDOW = 800
#: A window grows (doubling) up to this while it holds a single unfinished sentence.
SEGMENT_WINDOW_MAX = 25_600


@lru_cache(maxsize=4)
def _processor_for(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False).processor


def _pysbd_pieces(text: str, language: str) -> list[str]:
    """``text`` cut where pysbd ends a sentence; the pieces concatenate back to ``text``."""
    pieces: list[str] = []
    pos = 0
    for sent in _processor_for(language)(text).process():
        sent = sent.strip()
        if not sent:
            continue
        at = text.find(sent, pos)
        if at < 0:  # pysbd changed this sentence's text: it stays joined to the next one
            continue
        end = at + len(sent)
        while end < len(text) and text[end].isspace():
            end += 1
        pieces.append(text[pos:end])
        pos = end
    if pos < len(text):
        if pieces and not text[pos:].strip():
            pieces[-1] += text[pos:]
        else:
            pieces.append(text[pos:])
    return pieces


def segment(text: str, language: str = "en") -> list[str]:
    """pysbd's sentences of ``text`` (whitespace kept; they concatenate back to ``text``), in linear time.

    pysbd runs on a window of text; all but the window's last sentence are kept (the last
    one may continue past the window) and the next window starts where they end.
    """
    out: list[str] = []
    pos, n = 0, len(text)
    window = SEGMENT_WINDOW
    while pos < n:
        end = n if n - pos <= window * 3 // 2 else _window_end(text, pos + window, pos + 2 * window)
        pieces = _pysbd_pieces(text[pos:end], language)
        if end < n:
            if len(pieces) < 2 and window < SEGMENT_WINDOW_MAX:
                window *= 2  # one long sentence so far: look further before deciding
                continue
            if len(pieces) > 1:
                pieces.pop()
        out.extend(pieces)
        pos += sum(len(p) for p in pieces)
        window = SEGMENT_WINDOW
    return out


def _window_end(text: str, at: int, limit: int) -> int:
    """A cut near ``at``: the first whitespace after it (or ``at`` itself, e.g. in CJK text)."""
    m = _SPACE.search(text, at, limit)
    return m.start() if m else at


_SPACE = re.compile(r"\s")


def read_story(text: str, *, wps: float = DEFAULT_WPS, markdown: bool = False,
               progress: bool = False) -> list[Sentence]:
    """The story's sentences, numbered, with paragraph numbers and durations (a progress bar
    on stderr for a long story when ``progress``).

    ``markdown``: read ``text`` as Markdown (headings and bullets are sentences of their
    own, inline markup is removed); otherwise every character is kept."""
    if wps <= 0:
        raise StoryError("--wps must be positive")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    sentences: list[Sentence] = []
    para_no = 0
    from tqdm import tqdm

    bar = tqdm(total=len(text), unit="char", unit_scale=True, desc="reading the story", leave=False,
               dynamic_ncols=True, disable=not progress or len(text) < LONG_STORY_CHARS)
    for para in paragraphs:
        bar.update(len(para))
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
    bar.close()
    if not sentences:
        if text.strip():  # e.g. only emoji or punctuation: pysbd's sentences need a letter or digit
            raise StoryError("the story has no words to match footage to (only symbols or emoji): "
                             "write at least one sentence with words")
        raise StoryError("the story is empty: write at least one sentence")
    return sentences


def read_story_file(path: str, *, wps: float = DEFAULT_WPS, markdown: bool | None = None,
                    progress: bool = False) -> list[Sentence]:
    """Read a story from ``path`` ('-' for stdin): UTF-8 (or UTF-16 with or without a BOM), at
    most ``MAX_TEXT_BYTES`` (InputError beyond); a JSON document (a saved plan) is refused
    with PlanNotStoryError.

    ``markdown`` None: Markdown for ``.md`` / ``.markdown`` files, plain text otherwise (stdin too)."""
    from wam.core.config import MAX_TEXT_BYTES
    from wam.core.errors import InputError
    from wam.core.textfile import read_text

    try:
        text = read_text(path, what="the story", limit=MAX_TEXT_BYTES, error=InputError)
    except OSError as exc:
        raise StoryError(f"cannot read the story {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise StoryError(f"the story {path} is not UTF-8 text (bad byte at position {exc.start})") from None
    if kind := _json_document_kind(text):
        where = "standard input holds" if path == "-" else f"{path} is"
        raise PlanNotStoryError(f"{where} {kind}, not a story")
    if markdown is None:
        markdown = path != "-" and path.lower().endswith(MARKDOWN_SUFFIXES)
    return read_story(text, wps=wps, markdown=markdown, progress=progress)


def _json_document_kind(text: str) -> str | None:
    """"a wam plan" or "a JSON document" when ``text`` is a JSON object or array (given as a
    story by mistake), else None: a story that merely starts with ``[`` or ``{`` is not JSON."""
    from wam.core.textfile import parse_json

    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        doc = parse_json(text)
    except ValueError:
        return None
    if isinstance(doc, dict) and str(doc.get("schema", "")).startswith("wam.timeline/"):
        return "a wam plan"
    return "a JSON document" if isinstance(doc, (dict, list)) else None
