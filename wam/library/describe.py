"""Descriptions of shots: sidecar text, words of file/folder names, tagger labels and visual
words.

Each part is kept separately (human description, name words, machine labels, visual words)
so that matching can trust a person's words more than a classifier's; ``ShotDescription.text``
joins the first three for the text encoder (visual words go into the shot's visual vector
instead, ``library/concepts.py``). Only ``read_sidecars`` touches files (small text files).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from wam.core.config import MAX_SIDECAR_BYTES
from wam.core.errors import InputError
from wam.core.textfile import decode_text, parse_json, read_bytes
from wam.library.visual_words import keyword_text
from wam.text.keywords import content_words

#: Tokens that say nothing about the picture: camera/stock-site prefixes, formats, takes.
NOISE_WORDS = frozenset(
    """
    img dsc dscn dscf mvi vid video videos clip clips gopr gx gh pxl pexels pixabay
    shutterstock pond5 storyblocks videoblocks envato istock getty adobestock stock footage
    mp4 mov mkv webm avi mpg mpeg m4v hd uhd fhd sd hq lq fps final edit edited copy render
    export take v raw proxy cc0 cc by sa licensed free download
    """.split()
)

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^\w]+|_+", re.UNICODE)


def name_words(text: str) -> list[str]:
    """Words of a file or folder name: snake, kebab, dot and camel case split, ids dropped.

    >>> name_words("pexels-12345_NightCity-4K.mp4")
    ['night', 'city']
    """
    words: list[str] = []
    for chunk in _SPLIT.split(text):
        for part in _CAMEL.split(chunk):
            w = part.lower()
            if not w or any(ch.isdigit() for ch in w) or w in NOISE_WORDS:
                continue
            if len(w) == 1 and w.isascii():
                continue
            if _looks_like_hash(w):
                continue
            words.append(w)
    return words


def _looks_like_hash(w: str) -> bool:
    return len(w) >= 8 and all(c in "0123456789abcdef" for c in w)


def path_words(path: Path, root: Path) -> list[str]:
    """Words of the folders between ``root`` and the file, then of the file's stem (deduplicated)."""
    try:
        parts = list(path.relative_to(root).parts)
    except ValueError:
        parts = [path.name]
    parts[-1] = Path(parts[-1]).stem
    seen: list[str] = []
    for part in parts:
        for w in name_words(part):
            if w not in seen:
                seen.append(w)
    return seen


@dataclass(frozen=True)
class Sidecar:
    """What the sidecar files beside a clip say, plus problems found reading them."""

    description: str = ""
    tags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    signature: str = "none"  # changes whenever a sidecar file's bytes change


def sidecar_paths(video: Path) -> tuple[Path, Path]:
    """The two sidecar files that may sit beside ``video``: foo.txt and foo.json."""
    return video.with_suffix(".txt"), video.with_suffix(".json")


def read_sidecars(video: Path) -> Sidecar:
    """Read ``foo.txt`` / ``foo.json`` beside ``foo.mp4``; broken files give warnings, never errors."""
    digest = hashlib.blake2b(digest_size=12)
    texts: list[str] = []
    tags: list[str] = []
    warnings: list[str] = []
    found = False
    for side in sidecar_paths(video):
        try:
            data = read_bytes(str(side), what="the sidecar", name=side.name, limit=MAX_SIDECAR_BYTES,
                              error=InputError)
        except FileNotFoundError:
            continue
        except OSError as exc:
            warnings.append(f"{side.name}: unreadable ({exc.strerror or exc}); ignored")
            continue
        except InputError as exc:  # larger than a description can be, or not text
            warnings.append(f"{exc}; ignored")
            continue
        found = True
        digest.update(side.suffix.encode() + b"\0" + data + b"\0")
        try:
            text = decode_text(data, what="the sidecar", name=side.name, error=InputError)
        except InputError as exc:
            warnings.append(f"{exc}; ignored")
            continue
        except UnicodeDecodeError:
            warnings.append(f"{side.name}: not valid UTF-8; undecodable bytes replaced")
            text = data.decode("utf-8", errors="replace")
        if side.suffix == ".txt":
            if text.strip():
                texts.append(" ".join(text.split()))
            continue
        try:
            obj = parse_json(text)
        except json.JSONDecodeError as exc:
            warnings.append(f"{side.name}: invalid JSON (line {exc.lineno}: {exc.msg}); ignored")
            continue
        except ValueError as exc:  # nested too deeply
            warnings.append(f"{side.name}: invalid JSON ({exc}); ignored")
            continue
        if not isinstance(obj, dict):
            warnings.append(f"{side.name}: expected an object with 'description' and 'tags'; ignored")
            continue
        desc = obj.get("description", "")
        if isinstance(desc, str) and desc.strip():
            texts.insert(0, " ".join(desc.split()))
        elif desc not in ("", None):
            warnings.append(f"{side.name}: 'description' is not a string; ignored")
        raw_tags = obj.get("tags", [])
        if isinstance(raw_tags, str):
            raw_tags = [raw_tags]
        if isinstance(raw_tags, list):
            tags.extend(" ".join(str(t).split()) for t in raw_tags if isinstance(t, (str, int, float))
                        and str(t).strip())
        else:
            warnings.append(f"{side.name}: 'tags' is not a list; ignored")
    return Sidecar(
        description=" ".join(dict.fromkeys(texts)),
        tags=tuple(dict.fromkeys(tags)),
        warnings=tuple(warnings),
        signature=digest.hexdigest() if found else "none",
    )


@dataclass(frozen=True)
class ShotDescription:
    """The parts of a shot's description, kept apart."""

    human: str = ""  # sidecar description + tags
    names: tuple[str, ...] = ()  # folder/file name words
    labels: tuple[tuple[str, float], ...] = field(default=())  # tagger labels with confidence
    # visual words with confidence (library/visual_words.py)
    seen: tuple[tuple[str, float], ...] = field(default=())

    def text(self) -> str:
        """One text for the encoder: the person's words first, then names, then labels."""
        parts = []
        if self.human:
            parts.append(self.human.rstrip(". ") + ".")
        if self.names:
            parts.append(" ".join(self.names) + ".")
        if self.labels:
            parts.append(", ".join(label for label, _ in self.labels) + ".")
        return " ".join(parts)

    def human_words(self) -> frozenset[str]:
        return frozenset(content_words(self.human))

    def machine_words(self) -> frozenset[str]:
        """Words of the names, the labels and the confident visual words."""
        parts = list(self.names) + [label for label, _ in self.labels] + [keyword_text(self.seen)]
        return frozenset(content_words(" ".join(parts)))

    def worded(self) -> bool:
        """Whether a person's words (a sidecar, or file and folder names) say what the shot shows."""
        return bool(self.human.strip() or self.names)


def human_text(sidecar: Sidecar) -> str:
    """The sidecar description followed by its tags."""
    text = sidecar.description
    if sidecar.tags:
        text = (text.rstrip(". ") + ". " if text else "") + ", ".join(sidecar.tags)
    return text
