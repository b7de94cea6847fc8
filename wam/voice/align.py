"""Where each sentence starts in the user's own recording (``wam.voice``, for ``--narration``).

The recording is decoded by ffmpeg to 16 kHz mono; its energy envelope (30 ms windows
every 10 ms) splits into speech and pauses at a level between its noise floor and its
speech level. Sentence boundaries are assigned to pauses by a dynamic program: sentence i
should last about its share of the letters times the speaking rate, and long pauses are
likelier sentence ends than short ones. The fit gives a confidence in [0, 1].

``--timing FILE.srt`` gives exact spans instead (one subtitle per sentence, in order).
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass, field

import numpy as np

from wam.core.errors import MediaError, UsageError, VoiceError, one_line

#: Decoding rate for analysis (Hz) and the envelope's hop and window (seconds).
RATE = 16000
HOP, WINDOW = 0.01, 0.03
#: A recording whose loud parts are quieter than this (dBFS) is silent.
SILENT_DB = -60.0
#: Silences shorter than this are gaps inside a word or phrase, not pauses (seconds).
MIN_PAUSE = 0.12
#: Speech shorter than this between two pauses is a click or a breath (seconds).
MIN_SOUND = 0.06
#: Weight of a pause's length against a sentence's length fit in the DP (per second, capped at 1 s).
PAUSE_WEIGHT = 1.5
#: A sentence boundary at a pause this long or longer is called certain (seconds).
CLEAR_PAUSE = 0.35
#: Recording's speech vs the text's reading time: outside this ratio the file is probably not the story's.
PLAUSIBLE_RATIO = (0.4, 2.5)


@dataclass(frozen=True)
class Alignment:
    """Speech spans (start, end) in seconds, one per sentence, and how sure the fit is."""

    spans: list[tuple[float, float]]
    confidence: float
    duration: float  # of the whole recording
    warnings: list[str] = field(default_factory=list)


def decode(path: str) -> tuple[np.ndarray, float]:
    """(16 kHz mono float32 samples, duration in seconds) of a sound or video file; one-line errors."""
    from wam.media.ffmpeg_stream import ffmpeg_exe, ffmpeg_reason, probe_audio

    try:
        probe_audio(path)
    except MediaError as exc:
        raise VoiceError(f"cannot use the narration {path}: {exc}") from None
    try:
        out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar",
                              str(RATE), "-f", "f32le", "-"], capture_output=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VoiceError(f"cannot read the narration {path} ({one_line(exc)})") from None
    if out.returncode != 0:
        raise VoiceError(f"cannot read the narration {path} "
                         f"({ffmpeg_reason(out.stderr.decode(errors='replace'))})")
    x = np.frombuffer(out.stdout, "<f4").astype(np.float32)
    if len(x) < RATE * 0.1:
        raise VoiceError(f"the narration {path} is empty (no sound to align the story with)")
    return x, len(x) / RATE


def envelope_db(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Energy in dB (re full scale) of ``WINDOW`` windows every ``HOP`` seconds."""
    hop, win = round(HOP * rate), round(WINDOW * rate)
    n = max(1, 1 + (len(x) - win) // hop) if len(x) >= win else 1
    c = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    a = np.arange(n) * hop
    b = np.minimum(a + win, len(x))
    power = (c[b] - c[a]) / np.maximum(b - a, 1)
    return 10 * np.log10(power + 1e-12)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where ``mask`` is true."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist()))


def speech_and_pauses(db: np.ndarray) -> tuple[tuple[float, float] | None, list[tuple[float, float]], float]:
    """(speech extent, pauses inside it, speech level in dB) from an envelope; extent None if silent."""
    floor, level = float(np.percentile(db, 10)), float(np.percentile(db, 95))
    if level < SILENT_DB:
        return None, [], level
    if level - floor < 10:  # sound all through: no pauses to find
        return (0.0, len(db) * HOP + WINDOW - HOP), [], level
    loud = db > floor + max(6.0, 0.3 * (level - floor))
    for a, b in _runs(loud):  # clicks are not speech
        if (b - a) * HOP < MIN_SOUND:
            loud[a:b] = False
    sounds = _runs(loud)
    if not sounds:
        return None, [], level
    def at(k: int) -> float:  # the edge between envelope windows k - 1 and k, in seconds
        return max(0.0, (k - 0.5) * HOP + WINDOW / 2)

    pauses = [(at(a), at(b)) for (_, a), (b, _) in zip(sounds, sounds[1:]) if (b - a) * HOP >= MIN_PAUSE]
    return (at(sounds[0][0]), at(sounds[-1][1])), pauses, level


def letters(text: str) -> int:
    return max(1, sum(1 for ch in text if ch.isalnum()))


def boundaries(lengths: list[int], extent: tuple[float, float],
               pauses: list[tuple[float, float]]) -> tuple[list[int], float]:
    """Which pauses end sentences (indices into ``pauses``, one fewer than ``lengths``) and the
    confidence of the fit, by a DP over (sentence, pause): each sentence's speech should last
    its share of the letters times the speaking rate; longer pauses are preferred.

    With fewer pauses than boundaries, points spaced evenly through the speech stand in."""
    n, p = len(lengths), len(pauses)
    if n == 1:
        return [], 1.0
    start, end = extent
    if p < n - 1:
        raise ValueError("fewer pauses than sentence boundaries")
    gaps = np.array([b - a for a, b in pauses])
    spoken = (end - start) - np.sort(gaps)[::-1][: n - 1].sum()
    rate = max(spoken, 1e-3) / sum(lengths)  # seconds per letter
    # where a sentence may start: speech start, pause ends
    onsets = np.array([start] + [b for _, b in pauses])
    offsets = np.array([a for a, _ in pauses] + [end])  # where it may end: pause starts, speech end
    reward = PAUSE_WEIGHT * np.minimum(gaps, 1.0)

    def fit(i: int, on: np.ndarray, off: np.ndarray) -> np.ndarray:
        d = np.maximum(off - on, 0.02)
        return np.log(d / (rate * lengths[i])) ** 2

    inf = np.inf
    # cost[j]: best cost with the current sentence ending at pause j (offset j); sentence 0 starts at onset 0
    cost = fit(0, onsets[0], offsets[:p]) - reward
    back = []
    for i in range(1, n - 1):
        # sentence i starts at onset k+1 (after pause k) and ends at pause j > k
        m = cost[:, None] + fit(i, onsets[1 : p + 1][:, None], offsets[None, :p])
        m[np.tril_indices(p)] = inf  # j must come after k
        k = np.argmin(m, axis=0)
        back.append(k)
        cost = m[k, np.arange(p)] - reward
    total = cost + fit(n - 1, onsets[1 : p + 1], offsets[p])
    j = int(np.argmin(total))
    chosen = [j]
    for k in reversed(back):
        j = int(k[j])
        chosen.append(j)
    chosen.reverse()
    # confidence: clear pauses at the boundaries, and sentence lengths near what the text predicts
    ons = [start] + [pauses[j][1] for j in chosen]
    offs = [pauses[j][0] for j in chosen] + [end]
    ratios = [math.log(max(b - a, 0.02) / (rate * L)) for a, b, L in zip(ons, offs, lengths)]
    clear = np.mean([min(1.0, gaps[j] / CLEAR_PAUSE) for j in chosen])
    fits = np.mean([math.exp(-(r ** 2) / (2 * 0.35 ** 2)) for r in ratios])
    return chosen, float(round(clear * fits, 3))


def align(x: np.ndarray, texts: list[str], *, reading_seconds: float,
          name: str = "the narration") -> Alignment:
    """The speech span of each of ``texts`` in the recording ``x`` (16 kHz mono)."""
    duration = len(x) / RATE
    extent, pauses, _ = speech_and_pauses(envelope_db(x))
    if extent is None:
        raise VoiceError(f"{name} is silent: no speech found to align the story with")
    warnings = []
    speech = extent[1] - extent[0]
    ratio = speech / max(reading_seconds, 1e-3)
    if not PLAUSIBLE_RATIO[0] <= ratio <= PLAUSIBLE_RATIO[1]:
        warnings.append(f"{name} has {speech:.1f} s of speech but the story reads in about "
                        f"{reading_seconds:.0f} s: is it the recording of this story?")
    lengths = [letters(t) for t in texts]
    n = len(texts)
    if len(pauses) < n - 1:  # too few pauses: stand-in boundaries spread by letters
        warnings.append(f"{name} has {len(pauses)} pause(s) for {n} sentences; some sentence starts are "
                        "estimated (pass --timing FILE.srt for exact ones)")
        cum = np.cumsum([0] + lengths) / sum(lengths)
        known = [(a + b) / 2 for a, b in pauses]
        for f in cum[1:-1]:
            t = extent[0] + f * speech
            if len(pauses) < n - 1 and all(abs(t - k) > 0.2 for k in known):
                pauses.append((t, t))
        pauses.sort()
        while len(pauses) < n - 1:  # degenerate: sentences shorter than the gaps we could place
            t = extent[0] + speech * (len(pauses) + 1) / n
            pauses = sorted(pauses + [(t, t)])
    chosen, confidence = boundaries(lengths, extent, pauses)
    ons = [extent[0]] + [pauses[j][1] for j in chosen]
    offs = [pauses[j][0] for j in chosen] + [extent[1]]
    spans = [(round(a, 3), round(max(a, b), 3)) for a, b in zip(ons, offs)]
    return Alignment(spans, confidence, duration, warnings)


def srt_spans(path: str, texts: list[str]) -> list[tuple[float, float]]:
    """Speech spans from a SubRip file with one subtitle per sentence, in order (UsageError if not)."""
    import srt

    from wam.core.config import MAX_TEXT_BYTES
    from wam.core.errors import InputError
    from wam.core.textfile import read_text

    try:
        subs = list(srt.parse(read_text(path, what="--timing", limit=MAX_TEXT_BYTES, error=InputError)))
    except (OSError, UnicodeDecodeError, srt.SRTParseError, ValueError) as exc:
        raise UsageError(f"--timing {path} is not a readable SubRip file ({one_line(exc, 100)})") from None
    if len(subs) != len(texts):
        raise UsageError(f"--timing {path} has {len(subs)} subtitle(s) but the story has {len(texts)} "
                         "sentence(s); give one subtitle per sentence")
    spans = [(s.start.total_seconds(), s.end.total_seconds()) for s in subs]
    for i, (a, b) in enumerate(spans):
        if b <= a or (i and a < spans[i - 1][0]):
            raise UsageError(f"--timing {path}: subtitle {i + 1} ({a:.2f}-{b:.2f} s) "
                             "is empty or out of order")
    return spans


def speech_gain_db(x: np.ndarray, target_db: float = -20.0, peak_db: float = -1.0) -> float:
    """Gain (dB) that brings the speech in ``x`` to ``target_db`` RMS (over its loud windows)
    without its peak passing ``peak_db``."""
    db = envelope_db(x)
    loud = db[db > np.percentile(db, 95) - 20]
    if not len(loud):
        return 0.0
    rms_db = 10 * math.log10(float(np.mean(10 ** (loud / 10))) + 1e-12)
    peak = float(np.abs(x).max()) if len(x) else 0.0
    room = peak_db - 20 * math.log10(peak) if peak > 0 else 0.0
    return round(min(target_db - rms_db, room), 2)
