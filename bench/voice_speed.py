#!/usr/bin/env python3
"""Voice-over speed and mix: how fast Piper speaks on this machine, and how far the music ducks.

    python bench/voice_speed.py [--sentences 12] [--threads 2]

1. Synthesis real-time factor: the sentences of examples/story.txt (repeated up to
   --sentences) spoken by the shipped voice with an empty cache, seconds of speech per second
   of synthesis (> 1: faster than real time; the model's load is timed apart), side by side
   with the same sentences served from the cache (a second render) and with espeak-ng, if installed.
2. Ducking: a constant 7 kHz tone as the music bed under the narration, mixed and encoded
   exactly as ``wam render`` does, and without ducking (the baseline); the tone's level under
   speech against its level in the paragraph pause, in dB. Goal: ≥ 8 dB with ducking.

The last line is machine-readable: ``rtf=… load_s=… cached_s=… espeak_rtf=… duck_db=… baseline_db=… lufs=…``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def band_db(x, a, b, lo, hi, rate):
    import numpy as np

    seg = x[int(a * rate) : int(b * rate)]
    w = np.hanning(len(seg))
    spec = np.abs(np.fft.rfft(seg * w)) ** 2 / (len(seg) * np.sum(w ** 2))  # mean power, whatever the length
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    return 10 * np.log10(spec[(f >= lo) & (f <= hi)].sum() + 1e-9)


def ducking(home: Path, tmp: Path, duck_db: float) -> tuple[float, float]:
    """(tone level in the pause − tone level under speech, integrated LUFS) of a narrated mix."""
    import numpy as np

    from wam.core.story import read_story
    from wam.core.timeline import Cut, SentenceSpan, Timeline
    from wam.media.ffmpeg_stream import ffmpeg_exe
    from wam.render import voicemix
    from wam.render.audio import write_audio_track
    from wam.voice.narrate import narrate

    sentences = read_story("The city never sleeps. Towers glow at "
                           "night.\n\nPeople cross the square. A cat watches.")
    timed, draft = narrate(sentences, voice="default", home=home)
    fps, spans, t = 25, [], 0
    for i, s in enumerate(timed):
        n = round(s.duration * fps)
        spans.append(SentenceSpan(i, s.text, t, n, fps, 0 if i < 2 else 1,
                                  [Cut(f"s{i}", "/x.mp4", 0, n / fps, t, n, fps, 0.5)]))
        t += n
    timeline = draft.attach(Timeline(fps, 320, 180, spans))
    music = tmp / "tone.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=7000:duration=30",
                    "-af", "volume=2", str(music)], check=True)
    out = tmp / f"mix{duck_db:+.0f}.m4a"
    saved = voicemix.DUCK_DB
    voicemix.DUCK_DB = duck_db
    try:
        voicemix.duck_gain.__defaults__ = (duck_db, voicemix.DUCK_ATTACK, voicemix.DUCK_RELEASE)
        for clip in write_audio_track(timeline, out, music=str(music)):
            clip.close()
    finally:
        voicemix.DUCK_DB = saved
        voicemix.duck_gain.__defaults__ = (saved, voicemix.DUCK_ATTACK, voicemix.DUCK_RELEASE)
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-ac", "1", "-ar", "16000", "-f",
                          "s16le", "-"],
                         capture_output=True, check=True).stdout
    x = np.frombuffer(raw, "<i2").astype(np.float64)
    sp = [(s["start"], s["end"]) for s in timeline.narration["sentences"]]
    under = max(band_db(x, a + 0.1, b - 0.1, 6990, 7010, 16000) for a, b in sp[:3])
    pause = band_db(x, sp[1][1] + voicemix.DUCK_RELEASE + 0.02, sp[2][0] - voicemix.DUCK_ATTACK - 0.02, 6990,
                    7010, 16000)
    m = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(out), "-af", "ebur128", "-f",
                        "null", "-"],
                       capture_output=True, text=True).stderr
    return pause - under, float(re.findall(r"I:\s+(-?[\d.]+) LUFS", m)[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads (OMP_NUM_THREADS)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from wam.core.story import read_story
    from wam.voice import engines
    from wam.voice.engines import EspeakEngine, PiperEngine, voice_spec
    from wam.voice.narrate import synthesise

    texts = [s.text for s in read_story((REPO / "examples" / "story.txt").read_text())]
    texts = (texts * (args.sentences // len(texts) + 1))[: args.sentences]
    texts = [f"{t} ({i})" if i >= 12 else t for i, t in enumerate(texts)]  # repeats are new sentences
    spec = voice_spec(None)
    with tempfile.TemporaryDirectory() as d:
        home, tmp = Path(d) / "home", Path(d)
        started = time.perf_counter()
        PiperEngine(spec)._load()
        load = time.perf_counter() - started
        started = time.perf_counter()
        speeches, counts = synthesise(texts, spec, home)
        synth = time.perf_counter() - started
        audio = sum(s.duration for s in speeches)
        started = time.perf_counter()
        _, again = synthesise(texts, spec, home)
        cached = time.perf_counter() - started
        assert counts["synthesised"] == len(texts) and again["synthesised"] == 0
        espeak_rtf = float("nan")
        if engines.espeak_program():
            e = EspeakEngine("en-us")
            started = time.perf_counter()
            e_audio = sum(e.speak(t).duration for t in texts)
            espeak_rtf = e_audio / (time.perf_counter() - started)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows synthesis)")
        print(f"piper {spec.name}: {audio:.1f} s of speech for {len(texts)} sentences in {synth:.2f} s "
              f"-> real-time factor {audio / synth:.1f}x (model load {load:.2f} s, not included)")
        print(f"second run (cache): {cached:.3f} s, {again['synthesised']} synthesised")
        print(f"espeak-ng (baseline engine): real-time factor {espeak_rtf:.1f}x")
        duck, lufs = ducking(home, tmp, voicemix_duck_db())
        base, _ = ducking(home, tmp, 0.0)
        print(f"music under speech vs in the pause: {duck:.1f} dB quieter with ducking, {base:.1f} dB "
              f"without (goal >= 8 dB); mix loudness {lufs:.1f} LUFS (goal -16)")
        print(f"rtf={audio / synth:.2f} load_s={load:.2f} cached_s={cached:.3f} espeak_rtf={espeak_rtf:.1f} "
              f"duck_db={duck:.1f} baseline_db={base:.1f} lufs={lufs:.1f}")


def voicemix_duck_db() -> float:
    from wam.render.voicemix import DUCK_DB

    return DUCK_DB


if __name__ == "__main__":
    main()
