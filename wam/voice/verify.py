"""Whether a script is what a talk says (``--a-roll``; ``wam.voice``, used by ``talk.py``).

The recording aligner (``align.py``) places sentences by pauses and lengths alone, so any
script of about the right shape fits any talk. This check listens: every sentence is spoken
by a synthetic voice (espeak-ng when it is installed, which takes milliseconds; else the
shipped Piper voice) and compared with the stretch of the talk the aligner gave it, by
dynamic time warping of cepstral features (``cepstra``: 13 MFCCs normalised per stretch, so
that the voice and the microphone matter less than what is said). Every other voice's
speech is first stretched to the stretch's length, so that only its content is compared.

A sentence *sounds like* its text when its own speech fits its stretch better than most
other speech does — other sentences of the script and a few unrelated decoys. The script
matches the talk when its sentences sound like their text on average (``SCRIPT_MATCH``). On
espeak-ng talks in two voices the right script scores 1.0 and a wrong one about 0.5 (its
sentences fit no better than anything else); the same sentences in another order, 0.5–0.75.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Feature frames per second, and the analysis window (seconds).
FRAME_RATE, WINDOW = 50, 0.025
#: Mel bands and cepstral coefficients (the 0th, loudness, is left out).
BANDS, COEFFICIENTS = 26, 13
#: Unrelated sentences every stretch is also compared with.
DECOYS = ("The committee approved the new budget for the hospital last winter.",
          "Please remember to water the plants twice a week in summer.",
          "Seventeen yellow kites were flying above the harbour this morning.",
          "Our neighbour fixed his old motorbike in the garage yesterday.")
#: Other sentences of the script each stretch is compared with, at most; sentences checked, at most.
OTHERS, CHECKED = 6, 40
#: The script matches when its sentences' own speech fits better than this share of the others, on average.
SCRIPT_MATCH = 0.8


@dataclass(frozen=True)
class ScriptCheck:
    """How well the script sounds like the talk: per checked sentence, the share of other
    speech its own speech fits better than (0 … 1), and their mean."""

    sentences: dict[int, float]
    score: float

    @property
    def matches(self) -> bool:
        return self.score >= SCRIPT_MATCH


@lru_cache(maxsize=8)
def mel_filters(rate: int, n_fft: int, bands: int = BANDS, low: float = 80.0,
                high: float = 7600.0) -> np.ndarray:
    """(bands, n_fft // 2 + 1) triangular mel filters."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(low), mel(min(high, rate / 2)), bands + 2))
    freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    out = np.zeros((bands, len(freqs)))
    for k in range(bands):
        a, b, c = edges[k : k + 3]
        out[k] = np.clip(np.minimum((freqs - a) / (b - a), (c - freqs) / (c - b)), 0.0, None)
    return out


def cepstra(x: np.ndarray, rate: int) -> np.ndarray:
    """(frames, COEFFICIENTS) MFCCs of ``x`` at ``FRAME_RATE``, each normalised to zero mean and
    unit variance over the stretch."""
    from scipy.fft import dct

    hop, win = round(rate / FRAME_RATE), round(WINDOW * rate)
    n_fft = 1 << (win - 1).bit_length()
    x = np.asarray(x, np.float64)
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    n = 1 + (len(x) - win) // hop
    frames = x[np.arange(win)[None, :] + hop * np.arange(n)[:, None]] * np.hanning(win)
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
    c = dct(np.log(power @ mel_filters(rate, n_fft).T + 1e-10), type=2, axis=1,
            norm="ortho")[:, 1 : COEFFICIENTS + 1]
    return (c - c.mean(axis=0)) / (c.std(axis=0) + 1e-6)


def stretched(features: np.ndarray, frames: int) -> np.ndarray:
    """``features`` linearly resampled to ``frames`` frames."""
    if len(features) == frames:
        return features
    pos = np.linspace(0, len(features) - 1, max(1, frames))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(features) - 1)
    w = (pos - lo)[:, None]
    return features[lo] * (1 - w) + features[hi] * w


def dtw_cost(a: np.ndarray, b: np.ndarray) -> float:
    """The cost of the best monotone alignment of feature sequences ``a`` and ``b`` (steps
    diagonal, down, right; Euclidean frame distances per dimension), per step of a path."""
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2) / a.shape[1])
    n, m = d.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for k in range(2, n + m + 1):  # one anti-diagonal i + j = k at a time
        i = np.arange(max(1, k - m), min(n, k - 1) + 1)
        j = k - i
        acc[i, j] = d[i - 1, j - 1] + np.minimum(np.minimum(acc[i - 1, j - 1], acc[i - 1, j]), acc[i, j - 1])
    return float(acc[n, m] / (n + m))


def fit_shares(talk: list[np.ndarray], own: list[np.ndarray], decoys: list[np.ndarray]) -> dict[int, float]:
    """Per stretch of ``talk`` (features), the share of comparisons — with up to ``OTHERS`` other
    sentences' speech and every decoy, each stretched to the stretch's length — that fit
    worse than its own speech ``own`` (ties count half); at most ``CHECKED`` stretches,
    spread over the script."""
    n = len(talk)
    checked = sorted({round(x) for x in np.linspace(0, n - 1, min(n, CHECKED))}) if n else []
    out = {}
    for i in checked:
        frames = len(talk[i])
        spread = {round(x) for x in np.linspace(0, n - 1, min(n, OTHERS + 1))}
        others = [own[j] for j in sorted(spread - {i})[:OTHERS]]
        mine = dtw_cost(talk[i], stretched(own[i], frames))
        costs = [dtw_cost(talk[i], stretched(f, frames)) for f in others + decoys]
        fits = [1.0 if c > mine else 0.5 if c == mine else 0.0 for c in costs]
        out[i] = float(np.mean(fits)) if costs else 1.0
    return out


def check_script(samples: np.ndarray, rate: int, spans: list[tuple[float, float]], texts: list[str],
                 speak) -> ScriptCheck:
    """How well ``texts`` sound like their ``spans`` (seconds) of the talk ``samples`` (mono at
    ``rate``); ``speak(texts)`` gives each text spoken as (mono samples, rate)."""
    from scipy.signal import resample_poly

    spoken = speak(list(texts) + list(DECOYS))
    refs = []
    for x, r in spoken:
        x = np.asarray(x, np.float64)
        refs.append(cepstra(x if r == rate else resample_poly(x, rate, r), rate))
    talk = [cepstra(samples[round(a * rate) : max(round(a * rate) + 1, round(b * rate))], rate) for a,
            b in spans]
    shares = fit_shares(talk, refs[: len(texts)], refs[len(texts):])
    return ScriptCheck(shares, float(np.mean(list(shares.values()))) if shares else 1.0)
