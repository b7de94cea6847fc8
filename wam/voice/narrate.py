"""Narration as the clock of the cut (``wam.voice``; used by ``wam.app.planner``).

Before planning, ``narrate`` speaks the story (``--voice``: each sentence synthesised once
and cached) or aligns the user's recording (``--narration``, or ``--timing`` spans), and
times every sentence by its speech through ``wam.core.story.spoken_sentences`` — the one place
durations are decided. After planning, the returned draft's ``attach`` lays the speech on
the plan's frame-exact sentence starts and records it as the plan's ``narration`` object.
``narration_file`` finds (or makes again) the sound file a plan's narration plays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wam.core.errors import UsageError, VoiceError
from wam.core.narration import Narration, SpokenSentence
from wam.core.story import Sentence, spoken_sentences
from wam.core.timeline import Timeline
from wam.voice.engines import (
    ESPEAK_FOR_SCRIPT,
    EspeakEngine,
    PiperEngine,
    Speech,
    VoiceSpec,
    espeak_program,
    foreign_script,
    script_name,
    scripts_of,
    voice_spec,
)


def _quiet(message: str) -> None:
    pass


def espeak_language(text: str) -> str | None:
    """The espeak-ng voice for ``text``'s foreign script (kana anywhere means Japanese)."""
    scripts = scripts_of(text)
    if "HIRAGANA" in scripts or "KATAKANA" in scripts:
        return "ja"
    return next((ESPEAK_FOR_SCRIPT[s] for s in scripts if s in ESPEAK_FOR_SCRIPT), None)


def engines_for(texts: list[str], spec: VoiceSpec, warn: Callable[[str], None] = _quiet) -> list:
    """The engine speaking each text: the Piper voice, or espeak-ng for a script it cannot read.
    VoiceError (naming the sentence, what to install or pass) when nothing can speak one."""
    piper = PiperEngine(spec)
    out, foreign, espeak = [], Counter(), {}
    for i, text in enumerate(texts):
        script = foreign_script(text, spec.language)
        if script is None:
            out.append(piper)
            continue
        language = espeak_language(text)
        if espeak_program() is None or language is None:
            what = ("install espeak-ng (e.g. apt-get install espeak-ng) to have it read, or pass"
                    if language else "pass")
            raise VoiceError(f"sentence {i + 1} is in {script_name(script)}, which the voice {spec.name} "
                             f"cannot speak: {what} --voice PATH.onnx with a Piper voice for that language")
        out.append(espeak.setdefault(language, EspeakEngine(language)))
        foreign[script_name(script)] += 1
    for name, n in foreign.items():
        warn(f"{n} sentence(s) in {name}, which the voice {spec.name} cannot speak, are read by espeak-ng")
    return out


def synthesise(texts: list[str], spec: VoiceSpec, home: Path | None, *, warn: Callable[[str], None] = _quiet,
               progress: bool = False) -> tuple[list[Speech], dict]:
    """Each text spoken (from the cache when it was spoken before), and counts
    {"synthesised": n, "cached": n}."""
    from tqdm import tqdm

    from wam.voice.speech_cache import SpeechCache, speech_key

    engines = engines_for(texts, spec, warn)
    cache = SpeechCache(home)
    speeches, made = [], 0
    for text, engine in tqdm(list(zip(texts, engines)), desc="speaking", unit="sentence", leave=False,
                             disable=not progress, dynamic_ncols=True):
        piper = isinstance(engine, PiperEngine)
        identity, settings = (spec.identity, spec.settings) if piper else (engine.identity, {})
        key = speech_key(text, identity, settings)
        speech = cache.get(key)
        if speech is None:
            speech = engine.speak(text)
            cache.put(key, speech)
            made += 1
        speeches.append(speech)
    return speeches, {"synthesised": made, "cached": len(texts) - made}


@dataclass
class VoiceDraft:
    """Synthesised speech waiting for the plan's sentence starts."""

    speeches: list[Speech]
    spec: VoiceSpec
    voice: str
    home: Path

    def attach(self, timeline: Timeline) -> Timeline:
        from wam.voice.track import write_track

        starts = [s.start_frame / timeline.fps for s in timeline.sentences]
        path = write_track(self.speeches, starts, timeline.duration, self.home)
        spoken = tuple(SpokenSentence.at(t, t + sp.duration, [(w, t + a, t + b) for w, a, b in sp.words],
                                         sp.engine) for sp, t in zip(self.speeches, starts))
        return timeline.with_narration(Narration("voice", str(path), spoken, 0.0, self.voice,
                                                 dict(self.spec.settings)))


@dataclass
class RecordingDraft:
    """Speech spans found in (or given for) a recording, which plays from the video's start."""

    kind: str
    file: str | None
    spans: list[tuple[float, float]]
    texts: list[str]
    gain_db: float
    confidence: float | None

    def attach(self, timeline: Timeline) -> Timeline:
        from wam.voice.words import estimated_word_times

        spoken = tuple(SpokenSentence.at(a, b, estimated_word_times(t, a, b))
                       for t, (a, b) in zip(self.texts, self.spans))
        return timeline.with_narration(Narration(self.kind, self.file, spoken, self.gain_db,
                                                 confidence=self.confidence))


def narrate(sentences: list[Sentence], *, voice: str | None = None, recording: str | None = None,
            timing: str | None = None, home: Path, warn: Callable[[str], None] = _quiet,
            note: Callable[[str], None] = _quiet, progress: bool = False):
    """(``sentences`` timed by their narration, a draft whose ``attach(timeline)`` records it),
    or (``sentences``, None) without narration. ``voice``: a Piper voice (``--voice``; "default"
    for the shipped one); ``recording``: the user's file (``--narration``); ``timing``: exact
    spans from a SubRip file (``--timing``)."""
    import os

    if voice is not None and (recording or timing):
        raise UsageError("give --voice (synthesised narration) or "
                         "--narration/--timing (your recording), not both")
    texts = [s.text for s in sentences]
    if voice is not None:
        spec = voice_spec(voice)
        speeches, counts = synthesise(texts, spec, home, warn=warn, progress=progress)
        note(f"voice {spec.name}: {counts['synthesised']} sentence(s) "
             f"synthesised, {counts['cached']} from the cache")
        recorded_voice = spec.name if voice in ("", "default", spec.name) else str(spec.model)
        timed = spoken_sentences(sentences, [s.duration for s in speeches])
        return timed, VoiceDraft(speeches, spec, recorded_voice, home)
    if not recording and not timing:
        return sentences, None
    from wam.voice.align import align, decode, speech_gain_db, srt_spans

    duration, gain, confidence = None, 0.0, None
    if timing:
        spans = srt_spans(timing, texts)
    if recording:
        x, duration = decode(recording)
        gain = speech_gain_db(x)
        if not timing:
            result = align(x, texts, reading_seconds=sum(s.duration for s in sentences),
                           name=f"the narration {recording}")
            spans, confidence = result.spans, result.confidence
            for w in result.warnings:
                warn(w)
            note(f"narration aligned: {len(texts)} sentence(s), confidence {confidence:.2f}")
            if confidence < 0.5:
                warn(f"the sentence starts found in {recording} are uncertain (confidence {confidence:.2f}); "
                     "check the subtitles, or pass --timing FILE.srt")
    ends = [a for a, _ in spans[1:]] + [max(duration or 0.0, spans[-1][1] + 0.5)]
    starts = [0.0] + [a for a, _ in spans[1:]]
    timed = spoken_sentences(sentences, [b - a for a, b in zip(starts, ends)], pauses=False)
    file = os.path.abspath(recording) if recording else None
    return timed, RecordingDraft("recording" if not timing else "timing", file, spans, texts, gain,
                                 confidence)


def narration_file(timeline: Timeline, home: Path,
                   warn: Callable[[str], None] = _quiet) -> tuple[str | None, Narration | None]:
    """(the sound file the plan's narration plays, the narration) — a synthesised track that has
    gone is made again from the cache or the voice; a recording that has gone is an error."""
    import os

    n = timeline.narration
    if n is None or n.file is None:
        return None, n
    if os.path.isfile(n.file):
        return n.file, n
    if n.kind != "voice":
        raise VoiceError(f"the plan's narration {n.file} no longer exists "
                         "(put it back, or re-plan with --narration)")
    from wam.voice.track import write_track

    spec = voice_spec(n.voice)
    speeches, _ = synthesise([s.text for s in timeline.sentences], spec, home, warn=warn)
    path = write_track(speeches, [s.start for s in n.sentences], timeline.duration, home)
    warn(f"the plan's narration track was gone; made it again from the voice {spec.name} ({path})")
    return str(path), n
