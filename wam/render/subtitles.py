"""Subtitles: each sentence drawn as an RGBA image (shipped DejaVu Sans Bold, with system
fonts as fallback for scripts it lacks, e.g. CJK), wrapped inside the title-safe area,
white with a dark outline and shadow; and the same timings as SubRip (the ``srt`` package).

Text is drawn with Pillow, never passed to ffmpeg, so braces, percent signs, quotes or
backslashes are shown verbatim and can never act as markup or filter arguments.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

FONT_DIR = Path(__file__).parent / "fonts"
PRIMARY_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
#: System fonts tried, in order, for characters the primary font lacks.
FALLBACK_PATTERNS = (
    "/usr/share/fonts/**/NotoSansCJK*-Bold.tt[cf]", "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSerifCJK*.tt[cf]", "/usr/share/fonts/**/wqy-*.tt[cf]",
    "/usr/share/fonts/**/DroidSansFallback*.ttf", "/usr/share/fonts/**/NotoSans*-Bold.ttf",
    "/usr/share/fonts/**/NotoSans-*.ttf", "/usr/share/fonts/**/DejaVuSans.ttf",
    "/usr/share/fonts/**/FreeSans*.ttf", "/usr/share/fonts/**/unifont*.ttf",
    "/usr/share/fonts/**/NotoEmoji*.ttf",
)


def wam_font_problem() -> str | None:
    """Why ``$WAM_FONT`` cannot be used (None: unset, or a usable font); the shipped font stands in."""
    path = os.environ.get("WAM_FONT")
    if not path:
        return None
    if not os.path.isfile(path):
        return f"WAM_FONT={path} is not a file; subtitles use the shipped DejaVu Sans Bold"
    if not _codepoints(path):
        return (f"WAM_FONT={path} is not a readable TrueType/OpenType font; "
                "subtitles use the shipped DejaVu Sans Bold")
    return None


@cache
def font_paths() -> tuple[str, ...]:
    """The primary font (a usable ``$WAM_FONT``, else the shipped one) followed by available fallbacks."""
    paths = [str(PRIMARY_FONT) if wam_font_problem() else os.environ.get("WAM_FONT") or str(PRIMARY_FONT)]
    home_fonts = [os.path.expanduser("~/.fonts/**/*.tt[cf]"),
                  os.path.expanduser("~/.local/share/fonts/**/*.tt[cf]")]
    for pattern in (*FALLBACK_PATTERNS, *home_fonts):
        for p in sorted(glob.glob(pattern, recursive=True)):
            if p not in paths:
                paths.append(p)
    return tuple(paths)


@cache
def _codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, fontNumber=0, lazy=True)
        return frozenset(font.getBestCmap() or {})
    except Exception:  # an unreadable font simply covers nothing
        return frozenset()


@lru_cache(maxsize=64)
def _pil_font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def font_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (run, font path) so each character uses the first font that has it."""
    paths = font_paths()
    runs: list[tuple[str, str]] = []
    for ch in text:
        chosen = paths[0]
        if not ch.isspace() and ord(ch) not in _codepoints(paths[0]):
            chosen = next((p for p in paths[1:] if ord(ch) in _codepoints(p)), paths[0])
        if runs and (runs[-1][1] == chosen or ch.isspace()):
            runs[-1] = (runs[-1][0] + ch, runs[-1][1])
        else:
            runs.append((ch, chosen))
    return runs


def missing_glyphs(text: str) -> str:
    """The characters of ``text`` that no available font can draw."""
    paths = font_paths()
    return "".join(
        dict.fromkeys(
            ch for ch in text
            if not ch.isspace() and ord(ch) >= 0x20 and not any(ord(ch) in _codepoints(p) for p in paths)
            and ch not in "\u200b\u200c\u200d\ufe0f"
        )
    )


def _text_width(text: str, size: int) -> float:
    return sum(_pil_font(path, size).getlength(run) for run, path in font_runs(text))


def wrap_text(text: str, size: int, max_width: float) -> list[str]:
    """Greedy line breaks at spaces (or between characters for text without spaces, e.g. CJK).

    Each word is measured once, so wrapping is linear in the text's length."""
    words = text.split(" ")
    tokens = words if len(words) > 1 or _text_width(text, size) <= max_width else list(text)
    joiner = " " if len(words) > 1 else ""
    gap = _text_width(joiner, size) if joiner else 0.0
    widths: dict[str, float] = {}
    lines: list[str] = []
    current: list[str] = []
    current_w = 0.0
    for tok in tokens:
        w = widths.get(tok)
        if w is None:
            w = widths[tok] = _text_width(tok, size)
        if current and current_w + gap + w > max_width:
            lines.append(joiner.join(current))
            current, current_w = [tok], w
        else:
            current_w = current_w + gap + w if current else w
            current.append(tok)
    if current:
        lines.append(joiner.join(current))
    return lines


@dataclass(frozen=True)
class SubtitleImage:
    """A sentence's subtitle: RGB and alpha of a band, placed at (``left``, ``top``) of the
    frame (both even, so the band lines up with 4:2:0 chroma)."""

    top: int
    left: int
    rgb: np.ndarray  # uint16 (h, w, 3), premultiplied by alpha
    inv_alpha: np.ndarray  # uint16 (h, w, 1): 255 − alpha

    @property
    def _yuv(self):
        cached = self.__dict__.get("_yuv_cache")
        if cached is None:
            alpha = 255 - self.inv_alpha[..., 0].astype(np.float32)
            r, g, b = (self.rgb[..., k].astype(np.float32) for k in range(3))  # premultiplied by alpha
            # BT.709 limited range, premultiplied (the text is white/grey/black, a highlighted word coloured)
            y_pre = 16 * alpha + (0.2126 * r + 0.7152 * g + 0.0722 * b) * (219 / 255)
            u_pre = 128 * alpha + (-0.114572 * r - 0.385428 * g + 0.5 * b) * (224 / 255)
            v_pre = 128 * alpha + (0.5 * r - 0.454153 * g - 0.045847 * b) * (224 / 255)
            h, w = alpha.shape

            def quarter(p):
                return p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

            a2 = quarter(alpha)
            cached = (np.round(y_pre).astype(np.uint16), (255 - alpha).astype(np.uint16),
                      [np.round(quarter(p)).astype(np.uint16) for p in (u_pre, v_pre)],
                      np.round(255 - a2).astype(np.uint16))
            object.__setattr__(self, "_yuv_cache", cached)
        return cached

    def yuva420p(self) -> bytes:
        """The band as one raw yuva420p picture (straight alpha, BT.709 limited range), for
        ffmpeg's ``overlay`` filter: drawn over a frame it gives what ``blend_yuv`` draws, but
        for the colour of a few chroma samples at glyph edges (ffmpeg weighs them by its own
        reading of the 2×2 alphas, ``blend_yuv`` by their mean)."""
        y_pre, inv_a, c_pres, inv_c = self._yuv
        alpha = 255 - inv_a.astype(np.float32)
        alpha_c = 255 - inv_c.astype(np.float32)
        y = np.where(alpha > 0, y_pre / np.maximum(alpha, 1), 16)
        planes = [y] + [np.where(alpha_c > 0, c / np.maximum(alpha_c, 1), 128) for c in c_pres] + [alpha]
        return b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in planes)

    def blend_yuv(self, frame: np.ndarray, width: int, height: int) -> None:
        """Draw onto a flat I420 (yuv420p, BT.709 limited range) frame in place."""
        y_pre, inv_a, c_pres, inv_c = self._yuv
        h, w = inv_a.shape
        plane = frame[: width * height].reshape(height, width)
        region = plane[self.top : self.top + h, self.left : self.left + w]
        region[...] = ((region * inv_a + y_pre + 127) // 255).astype(np.uint8)
        q = width * height // 4
        for offset, c_pre in zip((width * height, width * height + q), c_pres):
            cplane = frame[offset : offset + q].reshape(height // 2, width // 2)
            creg = cplane[self.top // 2 : (self.top + h) // 2, self.left // 2 : (self.left + w) // 2]
            creg[...] = ((creg * inv_c + c_pre + 127) // 255).astype(np.uint8)


#: At most this many lines show at once; a longer sentence is shown in pages.
MAX_LINES = 3
#: Text size: start at this fraction of the frame's short side …
SIZE_FRACTION = 0.058
#: … and shrink (to keep a sentence on one page) no further than this fraction.
MIN_SIZE_FRACTION = 0.04
#: No text is drawn smaller than this (pixels), unless the frame is too small for it.
MIN_SIZE = 12


@dataclass(frozen=True)
class SubtitlePage:
    """Lines of a sentence's subtitle shown together, from ``start`` (a fraction of the
    sentence's span). Drawn on demand: a very long sentence has many pages."""

    start: float
    lines: tuple[str, ...]
    size: int

    def image(self, width: int, height: int, highlight: int | None = None) -> SubtitleImage | None:
        """The page drawn; ``highlight``: the index of a word of the page shown in ``HIGHLIGHT`` colour."""
        return _draw_lines(list(self.lines), self.size, width, height, highlight)

    @property
    def words(self) -> int:
        """How many words (space-separated tokens) the page shows."""
        return sum(len(line.split(" ")) for line in self.lines)


def _line_height(size: int) -> int:
    return round(size * 1.3)


def _band_height(size: int, lines: int) -> int:
    return _line_height(size) * lines + 2 * max(2, size // 12) + size // 3


def subtitle_pages(text: str, width: int, height: int) -> list[SubtitlePage]:
    """The subtitle of ``text`` on a width×height frame, as one or more pages of at most
    ``MAX_LINES`` lines, each inside the frame (empty for blank text or a frame too small to
    hold a line).

    The text is wrapped inside the title-safe width and shrunk (down to ``MIN_SIZE_FRACTION``
    of the short side) to fit on one page; a sentence still longer is split into pages of
    even length, each shown for a share of the sentence's time proportional to its text."""
    text = " ".join(text.split())
    if not text:
        return []
    safe_w = width * 0.86
    room = height - round(height * 0.07) - round(height * 0.05)  # inside the bottom and top margins
    size = max(MIN_SIZE, round(min(width, height) * SIZE_FRACTION))
    floor = max(MIN_SIZE, round(min(width, height) * MIN_SIZE_FRACTION))
    while size > 4 and _band_height(size, 1) > room:  # a tiny frame: one line must fit
        size -= 1
        floor = size
    if _band_height(size, 1) > room:
        return []
    lines = wrap_text(text, size, safe_w)
    while len(lines) > MAX_LINES and size > floor:
        size = max(floor, round(size * 0.88))
        lines = wrap_text(text, size, safe_w)
    per_page = MAX_LINES
    while per_page > 1 and _band_height(size, per_page) > room:
        per_page -= 1
    n_pages = -(-len(lines) // per_page)
    per_page = -(-len(lines) // n_pages)  # even pages: 4 lines make 2 + 2, not 3 + 1
    total = sum(len(line) for line in lines) or 1
    pages, done = [], 0
    for i in range(0, len(lines), per_page):
        group = tuple(lines[i : i + per_page])
        pages.append(SubtitlePage(done / total, group, size))
        done += sum(len(line) for line in group)
    return pages


def render_subtitle(text: str, width: int, height: int) -> SubtitleImage | None:
    """The subtitle image for ``text`` on a width×height frame (its first page; None for blank text)."""
    pages = subtitle_pages(text, width, height)
    return pages[0].image(width, height) if pages else None


#: Colour of the word being spoken (``--subtitles words``).
HIGHLIGHT = (255, 210, 0)


def _line_parts(lines: list[str], highlight: int | None) -> list[list[tuple[str, tuple[int, int, int]]]]:
    """Each line as (text, colour) parts: white, with word number ``highlight`` of the page in colour."""
    white = (255, 255, 255)
    out, k = [], 0
    for line in lines:
        words = line.split(" ")
        if highlight is None or not k <= highlight < k + len(words):
            out.append([(line, white)])
        else:
            j = highlight - k
            before, after = " ".join(words[:j]), " ".join(words[j + 1:])
            out.append([p for p in ((before + " " if before else "", white), (words[j], HIGHLIGHT),
                                    (" " + after if after else "", white)) if p[0]])
        k += len(words)
    return out


def _draw_lines(lines: list[str], size: int, width: int, height: int,
                highlight: int | None = None) -> SubtitleImage | None:
    """``lines`` drawn white with a dark outline and shadow, centred above the bottom margin
    (word number ``highlight`` of them in ``HIGHLIGHT`` colour)."""
    from PIL import Image, ImageDraw

    stroke = max(2, size // 12)
    line_h = _line_height(size)
    band_h = _band_height(size, len(lines))
    img = Image.new("RGBA", (width, band_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    y = stroke
    for parts in _line_parts(lines, highlight):
        runs = [(run, path, colour) for text, colour in parts for run, path in font_runs(text)]
        line_w = sum(_pil_font(p, size).getlength(r) for r, p, _ in runs)
        x = (width - line_w) / 2
        for run, path, colour in runs:
            font = _pil_font(path, size)
            shadow = max(1, size // 18)
            draw.text((x + shadow, y + shadow), run, font=font, fill=(0, 0, 0, 140), stroke_width=stroke,
                      stroke_fill=(0, 0, 0, 140))
            draw.text((x, y), run, font=font, fill=(*colour, 255), stroke_width=stroke,
                      stroke_fill=(0, 0, 0, 255))
            x += font.getlength(run)
        y += line_h
    rgba = np.asarray(img)
    rows = np.nonzero(rgba[..., 3].any(axis=1))[0]
    cols = np.nonzero(rgba[..., 3].any(axis=0))[0]
    if len(rows) == 0:
        return None
    left = int(cols[0]) - int(cols[0]) % 2
    right = min(width, int(cols[-1]) + 1 + (int(cols[-1]) + 1 - left) % 2)
    rgba = rgba[rows[0] : rows[-1] + 1, left:right]
    if rgba.shape[0] % 2:
        rgba = np.concatenate([rgba, np.zeros((1,) + rgba.shape[1:], rgba.dtype)])
    if rgba.shape[1] % 2:
        rgba = np.concatenate([rgba, np.zeros((rgba.shape[0], 1, 4), rgba.dtype)], axis=1)
    alpha = rgba[..., 3:4].astype(np.uint16)
    margin = round(height * 0.07)  # title-safe bottom margin
    top = max(0, height - margin - rgba.shape[0])
    top -= top % 2
    return SubtitleImage(
        top=top,
        left=left,
        rgb=(rgba[..., :3].astype(np.uint16) * alpha),
        inv_alpha=255 - alpha,
    )


def srt_text(timeline) -> str:
    """The timeline's sentences as a SubRip document (same timings as the burned-in subtitles:
    each sentence's span, or with narration the frames where it is spoken)."""
    import srt

    from wam.render.cues import caption_frames

    def at(frame: int) -> timedelta:
        return timedelta(seconds=frame / timeline.fps)

    subs = [srt.Subtitle(index=i + 1, start=at(a), end=at(b), content=s.text)
            for i, (s, (a, b)) in enumerate(zip(timeline.sentences, caption_frames(timeline)))]
    return srt.compose(subs, reindex=False)
