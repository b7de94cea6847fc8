"""Evaluation data for the montage: a library of generated clips, each made of three distinct
2–3 s shots and described by a caption sidecar, and a story made of the same captions (or,
in bench/montage_quality.py, of sentences telling the same scenes in other words).

``fill_shares`` measures, for every sentence whose own clip appears in its cuts at all, the
share of the sentence's screen time that shows that clip (issue 7's target: ≥ 0.9).
``clip_hits`` says per sentence whether the clip it shows longest (and the one it opens on)
is its own, and ``nearest_clips`` which clip the sentence's nearest shot by cosine alone
belongs to (the MiniLM top-1 reference). Used by ``tests/test_montage_quality.py`` and
``bench/montage_quality.py``.
"""

from __future__ import annotations

import colorsys
import random
from pathlib import Path

from media import write_clip

CAPTIONS = [
    "A man in a red jacket rides a bicycle along a river path.",
    "Two children build a sandcastle on a sunny beach.",
    "A chef slices fresh vegetables on a wooden cutting board.",
    "A black dog catches a frisbee in a green park.",
    "Heavy rain falls on the windows of a city bus.",
    "A woman plays the violin on a dark concert stage.",
    "Fishing boats rock gently in a small harbour at dawn.",
    "A pilot checks the instruments in the cockpit of a plane.",
    "Snow covers the pine trees of a quiet mountain forest.",
    "A crowd of fans cheers in a football stadium at night.",
    "A potter shapes wet clay on a spinning wheel.",
    "A horse gallops across a dry field kicking up dust.",
    "A robot arm assembles car parts in a busy factory.",
    "Hot lava flows slowly down the side of a volcano.",
    "A grandmother reads a story to her grandson by the fire.",
    "A skateboarder jumps over a bench in an empty parking lot.",
    "Colourful fish swim around a coral reef under the sea.",
    "A farmer drives a tractor through rows of golden wheat.",
    "A doctor listens to a patient's heart with a stethoscope.",
    "Fireworks explode above a bridge over a wide river.",
    "A student writes long equations on a green chalkboard.",
    "A baker pulls loaves of bread out of a hot oven.",
    "An old steam train crosses a stone viaduct in the hills.",
    "A runner ties her shoes before a morning jog in the fog.",
    "A group of friends laugh around a table in a pizza restaurant.",
    "A hot air balloon drifts over a valley of vineyards.",
    "A mechanic repairs the engine of a motorcycle in a garage.",
    "Penguins waddle across the ice toward the cold ocean.",
    "A street musician plays the guitar for people passing by.",
    "A scientist looks through a microscope in a bright laboratory.",
]

def _colour(rng: random.Random, previous: tuple | None) -> tuple[int, int, int]:
    """A saturated BGR colour whose hue is far from the previous shot's (a clear cut)."""
    while True:
        h = rng.random()
        if previous is None or min(abs(h - previous[0]), 1 - abs(h - previous[0])) > 0.2:
            break
    r, g, b = colorsys.hsv_to_rgb(h, 0.6 + 0.4 * rng.random(), 0.55 + 0.4 * rng.random())
    return (h, (int(b * 230), int(g * 230), int(r * 230)))  # type: ignore[return-value]


def make_library(folder: Path, captions: list[str], *, seed: int = 7, shot_seconds=(2.0, 3.0),
                 size=(192, 108)) -> list[Path]:
    """One clip per caption (three distinct shots of ``shot_seconds``), the caption as its .txt sidecar."""
    rng = random.Random(seed)
    clips = []
    for i, caption in enumerate(captions):
        shots, prev = [], None
        for _ in range(3):
            prev = _colour(rng, prev)
            shots.append((prev[1], round(rng.uniform(*shot_seconds), 2), rng.choice([0.0, 0.0, 0.15, -0.15])))
        path = folder / f"clip_{i:02d}.mp4"
        write_clip(path, shots, size=size)
        path.with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")
        clips.append(path)
    return clips


def make_story(captions: list[str], *, seed: int = 3, per_paragraph: int = 3) -> tuple[str, list[int]]:
    """The captions in a shuffled order, in paragraphs; and each sentence's clip index."""
    order = list(range(len(captions)))
    random.Random(seed).shuffle(order)
    paragraphs = [" ".join(captions[i] for i in order[p : p + per_paragraph])
                  for p in range(0, len(order), per_paragraph)]
    return "\n\n".join(paragraphs) + "\n", order


def fill_shares(plan: dict, clip_of_sentence: list[int], folder: Path) -> list[float | None]:
    """Per sentence: the share of its screen time showing its own clip, or None where its
    own clip does not appear at all."""
    out: list[float | None] = []
    for s, want in zip(plan["sentences"], clip_of_sentence):
        own = str((folder / f"clip_{want:02d}.mp4").resolve())
        total = s["end"] - s["start"]
        shown = sum(c["end"] - c["start"] for c in s["cuts"] if str(Path(c["source"]).resolve()) == own)
        out.append(shown / total if shown > 0 else None)
    return out


def _own(folder: Path, want: int) -> str:
    return str((folder / f"clip_{want:02d}.mp4").resolve())


def clip_hits(plan: dict, clip_of_sentence: list[int], folder: Path) -> list[tuple[bool, bool]]:
    """Per sentence: (the clip shown longest is its own, the first cut shows its own clip)."""
    out = []
    for s, want in zip(plan["sentences"], clip_of_sentence):
        seconds: dict[str, float] = {}
        for c in s["cuts"]:
            src = str(Path(c["source"]).resolve())
            seconds[src] = seconds.get(src, 0.0) + c["end"] - c["start"]
        longest = max(sorted(seconds), key=lambda k: seconds[k])
        first = str(Path(s["cuts"][0]["source"]).resolve())
        out.append((longest == _own(folder, want), first == _own(folder, want)))
    return out


def nearest_clips(table, vectors) -> list[str]:
    """Per sentence vector: the source of the shot nearest to it by cosine alone (MiniLM top-1)."""
    import numpy as np

    sims = np.asarray(vectors, np.float32) @ np.asarray(table.embeddings, np.float32).T
    return [str(Path(table.sources[int(np.argmax(row))]).resolve()) for row in sims]
