"""The speaker's own video as the clock of the cut (``--a-roll TALK``; ``wam.voice``, used by
``wam.app.planner``).

The talk's sound is the narration: the script's sentences are found in it by the recording
aligner (``align.py``), or given by ``--timing FILE.srt``, and every sentence lasts from
where it is said to where the next one is (the first from the talk's start, the last to its
end), so the plan is exactly as long as the talk. Each sentence's words are spread over its
speech (``words.estimated_word_times``): their starts are where a cut between the speaker
and library footage may fall.

Aligned, the script is also compared with what the talk says (``verify.py``: each sentence
spoken by a synthetic voice against its stretch of the talk). A talk that cannot be aligned —
no sound, silence, a script that does not fit or does not sound like what is said — is no
error: ``talk_narration`` says why in a warning, places the sentences as well as it can
(so the subtitles still follow the talk) and reports the script as not matched, which keeps
the plan on the speaker.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from wam.core.errors import MediaError, VoiceEngineMissing, VoiceError, WamError
from wam.core.narration import Narration, SpokenSentence
from wam.core.story import Sentence, spoken_sentences
from wam.core.timeline import Timeline
from wam.voice.words import Word, estimated_word_times

#: Below this alignment confidence the script is not taken to be what the talk says.
MIN_CONFIDENCE = 0.4


@dataclass(frozen=True)
class Talk:
    """The speaker's video, as ffmpeg sees it (``path`` absolute; display size, rotation applied)."""

    path: str
    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool


def talk_info(path: str) -> Talk:
    """What the talk at ``path`` is; WamError (one line) when it is not a video with a length."""
    from wam.media.ffmpeg_stream import probe

    if not os.path.isfile(path):
        raise WamError(f"cannot use the talk {path}: no such file")
    try:
        p = probe(path)
    except MediaError as exc:
        raise WamError(f"cannot use the talk {path}: {exc}") from None
    if p.duration <= 0:
        raise WamError(f"cannot use the talk {path}: ffmpeg does not say how long it is")
    return Talk(os.path.abspath(path), p.duration, p.width, p.height, p.fps, p.has_audio)


@dataclass
class TalkDraft:
    """Where each sentence is said in the talk, waiting for the plan's frame-exact sentences."""

    kind: str  # "recording" (aligned) or "timing" (--timing spans)
    file: str | None  # the talk, when it has sound
    spans: list[tuple[float, float]]
    words: list[list[Word]]
    gain_db: float
    confidence: float | None

    def attach(self, timeline: Timeline) -> Timeline:
        spoken = tuple(SpokenSentence.at(a, b, w) for (a, b), w in zip(self.spans, self.words))
        return timeline.with_narration(Narration(self.kind, self.file, spoken, self.gain_db,
                                                 confidence=self.confidence))

    def cut_points(self) -> list[float]:
        """Seconds where a cut may fall: where each word starts (and each sentence's speech ends)."""
        out = {round(a, 4) for ws in self.words for _, a, _ in ws}
        out.update(round(b, 4) for _, b in self.spans)
        return sorted(out)


def talk_narration(sentences: list[Sentence], talk: Talk, *, timing: str | None = None, home=None,
                   fps: int | None = None, warn: Callable[[str], None] = lambda m: None,
                   note: Callable[[str], None] = lambda m: None) -> tuple[list[Sentence], TalkDraft, bool]:
    """(``sentences`` timed by the talk, the draft recording it as the plan's narration, whether
    the script was found in the talk). The sentences tile the talk exactly, each at least a
    frame at ``fps`` long (WamError when the talk has fewer frames than the script has
    sentences); when the script was not found (see the module's docstring) ``warn`` says why.
    ``home``: where the Piper voice keeps its sentences, when it is the voice the script is
    compared with (``verify``)."""
    from wam.voice.align import align, decode, speech_gain_db, srt_spans

    texts = [s.text for s in sentences]
    name = f"the talk {talk.path}"
    length = talk.duration
    samples, gain, confidence = None, 0.0, None
    # why the script cannot be placed in the talk / does not seem to be what it says
    unheard = mismatch = None
    if talk.has_audio:
        try:
            samples, _ = decode(talk.path)
            gain = speech_gain_db(samples)
        except VoiceError as exc:
            unheard = str(exc).replace(f"the narration {talk.path}", name)
    else:
        unheard = f"{name} has no sound"
    if timing:
        unheard = None  # the timings place the sentences
        spans = srt_spans(timing, texts)
        late = [i for i, (a, _) in enumerate(spans) if a >= length - 0.05]
        if late:
            mismatch = (f"--timing {timing} starts sentence {late[0] + 1} after the end of {name} "
                        f"({length:.1f} s)")
            spans = _spread(texts, (0.0, length))
    elif samples is not None:
        try:
            result = align(samples, texts, reading_seconds=sum(s.duration for s in sentences), name=name)
        except VoiceError as exc:
            unheard = str(exc)
            spans = _spread(texts, (0.0, length))
        else:
            spans, confidence = result.spans, result.confidence
            note(f"talk aligned: {len(texts)} sentence(s), confidence {confidence:.2f}")
            if result.warnings or confidence < MIN_CONFIDENCE:
                mismatch = "; ".join(result.warnings) or (
                    f"the sentence starts found in {name} are uncertain (confidence {confidence:.2f})")
            else:
                mismatch = _unlike(samples, spans, texts, name, home, note)
    else:
        spans = _spread(texts, (0.0, length))
    if unheard:
        warn(f"{unheard}, so the script cannot be placed in it: the plan stays on the speaker (give --timing "
             "FILE.srt to place the sentences)")
    elif mismatch:
        warn(f"{mismatch}: the script does not seem to be what is said, so the plan stays on the speaker "
             "(check the script, or give --timing FILE.srt)")
    matched = not unheard and not mismatch
    spans = [(min(a, length), min(max(a, b), length)) for a, b in spans]
    starts = apart([0.0] + [a for a, _ in spans[1:]], length, 1.0 / fps if fps else 0.001)
    if starts is None:
        raise WamError(f"{name} is too short for the script: {len(texts)} sentences in {length:.2f} s"
                       + (f" ({round(length * fps)} frames at {fps} fps)" if fps else ""))
    ends = starts[1:] + [length]
    timed = spoken_sentences(sentences, [b - a for a, b in zip(starts, ends)], pauses=False)
    words = [estimated_word_times(t, a, b) for t, (a, b) in zip(texts, spans)]
    kind = "timing" if timing else "recording"
    file = talk.path if talk.has_audio else None
    return timed, TalkDraft(kind, file, spans, words, gain, confidence), matched


def _unlike(samples, spans, texts: list[str], name: str, home, note) -> str | None:
    """Why the script does not sound like the talk (``verify.check_script``), or None when it
    does, or when no synthetic voice can speak it to compare (a note says so)."""
    from wam.voice.align import RATE
    from wam.voice.verify import SCRIPT_MATCH, check_script

    try:
        check = check_script(samples, RATE, spans, texts, _reference_voice(home))
    except (VoiceError, VoiceEngineMissing) as exc:  # no voice to read the script with
        note(f"the script was not compared with what {name} says ({exc})")
        return None
    note(f"script check: the talk sounds like the script by {check.score:.2f} (a match from {SCRIPT_MATCH})")
    if check.matches:
        return None
    unlike = [i + 1 for i, v in sorted(check.sentences.items()) if v < 0.5]
    return (f"what is said in {name} does not sound like the script (score {check.score:.2f}"
            + (f"; e.g. sentence {unlike[0]}" if unlike else "") + ")")


def _reference_voice(home):
    """``speak(texts)`` → [(samples, rate)]: espeak-ng when installed (milliseconds a sentence),
    else the shipped Piper voice (its sentences cached in ``home``; VoiceEngineMissing without
    the ``wam[voice]`` extra)."""
    from wam.voice.engines import EspeakEngine, espeak_program, voice_spec

    if espeak_program() is not None:
        engine = EspeakEngine("en")
        return lambda texts: [(s.samples, s.rate) for s in map(engine.speak, texts)]

    def piper(texts):
        from wam.voice.narrate import synthesise

        return [(s.samples, s.rate) for s in synthesise(texts, voice_spec(None), home)[0]]

    return piper


def apart(starts: list[float], length: float, gap: float) -> list[float] | None:
    """``starts`` (seconds, the first 0) moved as little as needed to lie at least ``gap`` apart
    and ``gap`` before ``length``; None when they cannot."""
    n = len(starts)
    if n * gap > length + 1e-9:
        return None
    out = list(starts)
    for i in range(1, n):
        out[i] = max(out[i], out[i - 1] + gap)
    for i in range(n - 1, 0, -1):
        out[i] = min(out[i], length - (n - i) * gap, out[i + 1] - gap if i + 1 < n else length)
    return out


def _spread(texts: list[str], extent: tuple[float, float]) -> list[tuple[float, float]]:
    """Stand-in spans: ``extent`` shared out among the texts by their letters."""
    from wam.voice.align import letters

    lengths = [letters(t) for t in texts]
    total = sum(lengths)
    a, b = extent
    out, at = [], 0
    for n in lengths:
        lo = a + (b - a) * at / total
        at += n
        out.append((round(lo, 3), round(a + (b - a) * at / total, 3)))
    return out
