"""The synthesised-sentence cache (``wam.voice``): ``$WAM_HOME/voice/sentences/<key>.wav``
(16-bit mono PCM) with ``<key>.json`` (its word times and engine) beside it, the key a
SHA-256 of the text, the voice's identity and the synthesis settings. Re-planning or
re-rendering a story after an edit synthesises only the sentences that changed.

Files are written to a temp name and renamed, so a killed run never leaves half a sentence;
a damaged entry is synthesised again. A read-only ``$WAM_HOME`` is read, never written.
"""

from __future__ import annotations

import hashlib
import json
import os
import wave
from pathlib import Path

import numpy as np

from wam.voice.engines import Speech

#: Bumped when what is stored changes meaning (then every sentence is synthesised again).
CACHE_FORMAT = 1


def voice_folder(home: Path) -> Path:
    return Path(home) / "voice"


def speech_key(text: str, identity: str, settings: dict) -> str:
    """The cache key of ``text`` spoken by the voice ``identity`` with ``settings``."""
    blob = json.dumps({"format": CACHE_FORMAT, "text": text, "voice": identity, "settings": settings},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """``samples`` (float, mono, [-1, 1]) as 16-bit PCM at ``path``, via a temp file renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    try:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(float32 mono samples, rate) of a 16-bit PCM WAV file."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise wave.Error("not 16-bit PCM")
        rate, channels, raw = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    return (x.reshape(-1, channels).mean(axis=1) if channels > 1 else x), rate


class SpeechCache:
    """Synthesised sentences on disk; counts what it served (``hits``) and stored (``stored``)."""

    def __init__(self, home: Path | None):
        self.folder = voice_folder(home) / "sentences" if home is not None else None
        self.writable = False
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.writable = os.access(self.folder, os.W_OK | os.X_OK)
            except OSError:
                self.writable = False
        self.hits = 0
        self.stored = 0

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.wav", self.folder / f"{key}.json"

    def get(self, key: str) -> Speech | None:
        """The cached speech for ``key``, or None (absent or damaged)."""
        if self.folder is None:
            return None
        wav, meta = self._paths(key)
        try:
            with open(meta, encoding="utf-8") as f:
                info = json.load(f)
            samples, rate = read_wav(wav)
            words = [(str(t), float(a), float(b)) for t, a, b in info["words"]]
            speech = Speech(samples, rate, words, str(info.get("engine", "")))
        except (OSError, ValueError, KeyError, TypeError, wave.Error, EOFError):
            return None
        self.hits += 1
        return speech

    def put(self, key: str, speech: Speech) -> None:
        """Store ``speech`` under ``key`` (quietly nothing when the folder cannot be written)."""
        if not self.writable:
            return
        wav, meta = self._paths(key)
        try:
            write_wav(wav, speech.samples, speech.rate)
            tmp = meta.with_name(f".{meta.name}.{os.getpid()}.part")
            tmp.write_text(json.dumps({"engine": speech.engine, "rate": speech.rate,
                                       "words": [list(w) for w in speech.words]}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, meta)  # the JSON last: an entry without it is not an entry
            self.stored += 1
        except OSError:
            pass
