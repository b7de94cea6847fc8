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
from functools import lru_cache
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
        return f"WAM_FONT={path} is not a readable TrueType/OpenType font; subtitles use the shipped DejaVu Sans Bold"
    return None


@lru_cache(maxsize=None)
def font_paths() -> tuple[str, ...]:
    """The primary font (a usable ``$WAM_FONT``, else the shipped one) followed by available fallbacks."""
    paths = [str(PRIMARY_FONT) if wam_font_problem() else os.environ.get("WAM_FONT") or str(PRIMARY_FONT)]
    home_fonts = [os.path.expanduser("~/.fonts/**/*.tt[cf]"), os.path.expanduser("~/.local/share/fonts/**/*.tt[cf]")]
    for pattern in (*FALLBACK_PATTERNS, *home_fonts):
        for p in sorted(glob.glob(pattern, recursive=True)):
            if p not in paths:
                paths.append(p)
    return tuple(paths)


@lru_cache(maxsize=None)
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
    """Greedy line breaks at spaces (or between characters for text without spaces, e.g. CJK)."""
    words = text.split(" ")
    tokens = words if len(words) > 1 or _text_width(text, size) <= max_width else list(text)
    joiner = " " if len(words) > 1 else ""
    lines: list[str] = []
    current = ""
    for tok in tokens:
        trial = (current + joiner + tok) if current else tok
        if current and _text_width(trial, size) > max_width:
            lines.append(current)
            current = tok
        else:
            current = trial
    if current:
        lines.append(current)
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
            alpha = 255 - self.inv_alpha[..., 0].astype(np.uint32)
            grey = self.rgb.astype(np.uint32).sum(axis=2) // 3  # the text is achromatic: premultiplied grey
            y_pre = (16 * alpha + grey * 219 // 255).astype(np.uint16)  # limited-range luma, premultiplied
            h, w = alpha.shape
            a2 = alpha.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).astype(np.uint16)
            cached = (y_pre, (255 - alpha).astype(np.uint16), (128 * a2).astype(np.uint16), 255 - a2)
            object.__setattr__(self, "_yuv_cache", cached)
        return cached

    def blend_yuv(self, frame: np.ndarray, width: int, height: int) -> None:
        """Draw onto a flat I420 (yuv420p, limited range) frame in place; the text is white/grey/black,
        so its chroma is neutral whatever the colour matrix."""
        y_pre, inv_a, c_pre, inv_c = self._yuv
        h, w = inv_a.shape
        plane = frame[: width * height].reshape(height, width)
        region = plane[self.top : self.top + h, self.left : self.left + w]
        region[...] = ((region * inv_a + y_pre + 127) // 255).astype(np.uint8)
        q = width * height // 4
        for offset in (width * height, width * height + q):
            cplane = frame[offset : offset + q].reshape(height // 2, width // 2)
            creg = cplane[self.top // 2 : (self.top + h) // 2, self.left // 2 : (self.left + w) // 2]
            creg[...] = ((creg * inv_c + c_pre + 127) // 255).astype(np.uint8)


def render_subtitle(text: str, width: int, height: int) -> SubtitleImage | None:
    """The subtitle image for ``text`` on a width×height frame (None for blank text)."""
    from PIL import Image, ImageDraw

    text = " ".join(text.split())
    if not text:
        return None
    safe_w = width * 0.86
    size = max(12, round(min(width, height) * 0.058))
    lines = wrap_text(text, size, safe_w)
    while len(lines) > 3 and size > 12:
        size = max(12, round(size * 0.88))
        lines = wrap_text(text, size, safe_w)
    stroke = max(2, size // 12)
    line_h = round(size * 1.3)
    band_h = line_h * len(lines) + 2 * stroke + size // 3
    img = Image.new("RGBA", (width, band_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    y = stroke
    for line in lines:
        runs = font_runs(line)
        line_w = sum(_pil_font(p, size).getlength(r) for r, p in runs)
        x = (width - line_w) / 2
        for run, path in runs:
            font = _pil_font(path, size)
            shadow = max(1, size // 18)
            draw.text((x + shadow, y + shadow), run, font=font, fill=(0, 0, 0, 140), stroke_width=stroke,
                      stroke_fill=(0, 0, 0, 140))
            draw.text((x, y), run, font=font, fill=(255, 255, 255, 255), stroke_width=stroke,
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
    """The timeline's sentences as a SubRip document (same timings as the burned-in subtitles)."""
    import srt

    def at(frame: int) -> timedelta:
        return timedelta(seconds=frame / timeline.fps)

    subs = [srt.Subtitle(index=i + 1, start=at(s.start_frame), end=at(s.end_frame), content=s.text)
            for i, s in enumerate(timeline.sentences)]
    return srt.compose(subs, reindex=False)
