"""Word times inside one spoken sentence (``wam.voice``): from the phoneme alignment Piper
gives (exact to the model's frames), or estimated from letter counts over a span.

Words are the sentence's whitespace-separated tokens (``tokens``), the same tokens the
subtitles wrap, so a highlighted word is always a whole token on screen. Pure: lists in,
lists out.
"""

from __future__ import annotations

from wam.core.narration import Word  # (token, start, end) in seconds


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the subtitles see them (split at whitespace)."""
    return text.split()


def _letters(token: str) -> int:
    return sum(1 for ch in token if ch.isalnum())


def estimated_word_times(text: str, start: float, end: float) -> list[Word]:
    """Each token of ``text`` spread over [start, end] in proportion to its letters."""
    toks = tokens(text)
    weights = [max(_letters(t), 0) for t in toks]
    total = sum(weights) or 1
    out, at = [], 0
    for tok, w in zip(toks, weights):
        a = start + (end - start) * at / total
        at += w
        out.append((tok, round(a, 4), round(start + (end - start) * at / total, 4)))
    return out


def spoken_words(phonemes: list[tuple[str, float, float]]) -> list[tuple[float, float, int]]:
    """Words heard in a phoneme alignment [(phoneme, start, end)]: runs of phonemes between
    spaces, each as (start, end, sounding phonemes). Punctuation and the start/end markers
    sound like nothing and are left out of the words' times."""
    out: list[tuple[float, float, int]] = []
    run: list[tuple[float, float]] = []
    for ph, a, b in [*phonemes, (" ", 0.0, 0.0)]:
        if ph == " ":
            if run:
                out.append((run[0][0], run[-1][1], len(run)))
            run = []
        elif any(ch.isalpha() for ch in ph):
            run.append((a, b))
    return out


def word_times(text: str, phonemes: list[tuple[str, float, float]]) -> list[Word]:
    """Word times of ``text`` from its phoneme alignment: one spoken word per token when the
    counts agree; otherwise each token at the place its letters take in the phoneme stream
    (espeak joins or splits words now and then: "of the", numbers, abbreviations)."""
    toks = tokens(text)
    heard = spoken_words(phonemes)
    if not heard:
        return []
    if len(heard) == len(toks):
        return [(t, round(a, 4), round(b, 4)) for t, (a, b, _) in zip(toks, heard)]
    # a piecewise-linear clock: phoneme count → time, through each heard word
    counts = [n for _, _, n in heard]
    total_ph = sum(counts)
    weights = [_letters(t) for t in toks]
    total = sum(weights) or 1

    def time_at(fraction: float, starting: bool) -> float:
        pos = fraction * total_ph
        for (a, b, n) in heard:
            if pos < n or (pos <= n and not starting):
                return a + (b - a) * pos / n
            pos -= n
        return heard[-1][1]

    out, at = [], 0
    for tok, w in zip(toks, weights):
        a = time_at(at / total, True)
        at += w
        out.append((tok, round(a, 4), round(max(a, time_at(at / total, False)), 4)))
    return out
