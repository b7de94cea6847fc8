"""Evaluation data for the montage: a library of generated clips, each made of three distinct
2–3 s shots and described by a caption sidecar, and a story made of the same captions — or
of the captions said in other words (``PARAPHRASES``; ``HELDOUT_CAPTIONS`` and
``HELDOUT_PARAPHRASES`` are a second set of scenes, never tuned on).

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

#: Each caption of CAPTIONS said in other words (the story of the hit-rate measurement).
PARAPHRASES = [
    "Someone in a red coat cycles beside the water.",
    "Kids pile up sand into a castle by the sea.",
    "In the kitchen, a cook chops carrots and peppers.",
    "The dog leaps to grab a flying disc on the lawn.",
    "Raindrops stream down the glass as the bus crosses town.",
    "Under a single spotlight, a musician draws her bow across the strings.",
    "At first light the trawlers bob at their moorings.",
    "Before take-off the captain runs through the flight controls.",
    "The woods on the mountainside lie silent under a white blanket.",
    "Supporters roar under the floodlights as their team scores.",
    "Hands mould a bowl of clay as the wheel turns.",
    "A stallion races over the parched ground in a cloud of dust.",
    "Machines put vehicles together on the assembly line.",
    "Molten rock creeps down the mountain's glowing slope.",
    "By the fireplace, an old woman tells the little boy a tale from a book.",
    "A teenager on a board flies over a seat in a deserted car park.",
    "Bright tropical fish dart between the corals underwater.",
    "At harvest time a tractor rolls through the ripe grain.",
    "The physician checks the heartbeat of the man on the examination table.",
    "Rockets burst in colour over the water and its bridge.",
    "A pupil fills the blackboard with maths formulas.",
    "Fresh loaves come out of the bakery's oven.",
    "A vintage locomotive puffs smoke over the arches of a railway bridge.",
    "On a misty morning, a jogger laces up her trainers.",
    "Friends share slices and jokes at an Italian diner.",
    "A balloon floats slowly above the grape fields.",
    "In the workshop, a man fixes a motorbike's motor with a wrench.",
    "The birds of Antarctica shuffle over the frozen shore to the sea.",
    "A busker strums his guitar on the pavement for passers-by.",
    "In the lab, a researcher examines a sample under the lens.",
]

#: A held-out set: other scenes, and their paraphrases (never tuned on; other seeds too).
HELDOUT_CAPTIONS = [
    "A little girl blows out the candles on her birthday cake.",
    "Waves crash against the rocks below a white lighthouse.",
    "A woman waters tomato plants in her back garden.",
    "A barista pours milk foam into a cup of cappuccino.",
    "Commuters crowd onto a subway train at rush hour.",
    "A climber pulls herself up a steep granite cliff.",
    "An eagle spreads its wings and soars above a canyon.",
    "A carpenter saws a plank in his wood workshop.",
    "Children splash in a swimming pool on a hot afternoon.",
    "A tailor measures a customer for a new suit.",
    "Autumn leaves fall onto a path through the park.",
    "A boxer hits a punching bag in a small gym.",
    "A couple dances a slow waltz in an elegant ballroom.",
    "Lightning strikes over a flat prairie during a storm.",
    "A fisherman casts his line from a wooden pier.",
    "A nurse pushes an old man in a wheelchair down a hospital corridor.",
    "A cyclist races downhill on a mountain bike trail.",
    "Monks in orange robes walk past an ancient temple.",
    "A girl feeds carrots to a rabbit in a hutch.",
    "A waiter carries a tray of drinks across a busy terrace.",
    "A truck drives along a desert highway at sunset.",
    "A jazz band plays a saxophone solo in a smoky club.",
    "A boy flies a kite on a windy hill.",
    "A firefighter sprays water on a burning house.",
    "Cows graze in a green meadow beside a barn.",
    "A teacher reads to a class of young children.",
    "A diver explores the wreck of a sunken ship.",
    "Market traders sell fruit and vegetables from colourful stalls.",
    "A painter adds colour to a canvas on an easel.",
    "An airplane takes off from a runway at dusk.",
]
HELDOUT_PARAPHRASES = [
    "The child makes a wish and puffs at the candles of her cake.",
    "The sea breaks on the cliffs under the lighthouse tower.",
    "In the backyard, she sprinkles the vegetable patch with a watering can.",
    "The coffee maker draws a leaf in the frothy milk.",
    "At peak time, office workers squeeze into the metro carriage.",
    "Hand over hand, a woman scales the sheer rock face.",
    "A large bird of prey glides over the deep gorge.",
    "Sawdust flies as a joiner cuts timber at the bench.",
    "Kids jump into the water to cool off in the summer heat.",
    "The dressmaker takes a client's measurements with a tape.",
    "Red and yellow foliage drifts down on the walkway in the fall.",
    "The fighter pounds the heavy bag during training.",
    "Two partners glide across the polished floor of a grand hall.",
    "A bolt flashes across the stormy sky above the plains.",
    "An angler throws his hook into the water off the jetty.",
    "In the ward, a carer wheels an elderly patient along the hallway.",
    "A rider speeds down a rough forest track on two wheels.",
    "Buddhist monks in saffron clothes stroll by the old shrine.",
    "A child offers vegetables to her pet bunny through the cage.",
    "On the crowded patio, a server balances glasses on a platter.",
    "A lorry rolls down an empty road through the dunes as the sun goes down.",
    "In a dim bar, the sax player takes the lead with the group.",
    "On a breezy slope, a child holds the string of his kite in the sky.",
    "Flames leap from the home as the fire crew aims the hose.",
    "Cattle eat grass in the pasture near the farm building.",
    "In the classroom, pupils sit on the carpet and listen to a book.",
    "Underwater, a scuba swimmer inspects the remains of an old vessel.",
    "At the open-air bazaar, vendors offer apples and greens to shoppers.",
    "An artist brushes oils onto a picture in the studio.",
    "In the evening light, a jet lifts off the tarmac.",
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
        out.append((longest == _own(folder, want), str(Path(s["cuts"][0]["source"]).resolve()) == _own(folder, want)))
    return out


def nearest_clips(table, vectors) -> list[str]:
    """Per sentence vector: the source of the shot nearest to it by cosine alone (MiniLM top-1)."""
    import numpy as np

    sims = np.asarray(vectors, np.float32) @ np.asarray(table.embeddings, np.float32).T
    return [str(Path(table.sources[int(np.argmax(row))]).resolve()) for row in sims]
