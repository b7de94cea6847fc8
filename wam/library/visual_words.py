"""Visual words: plain words, each with a confidence, for what the analysis measured already —
light, colours, sky and greenery, faces and whole figures, stars, textures, regular patterns,
shot scale, camera motion and the amount of motion.

Pure rules on a shot's ``ShotFeatures`` (no pictures), applied by the indexer beside the
tagger. The words are stored with the shot's description and count as machine words for
keyword matching (``POST_CONFIDENCE``); those about what the picture shows (``IN_VECTOR``) are
also mixed into the shot's visual vector (``library/concepts.py``), so "at night" finds a
dark shot even though no word of it was written by a person.

Each confidence is a ramp: 0 at one measured value, 1 at another, linear between (``ramp``).
"""

from __future__ import annotations

import math

from wam.core.types import ShotFeatures
from wam.library.features import PAN_THRESHOLD, ZOOM_THRESHOLD

#: Words about the light and colour of the picture.
LIGHT_WORDS = ("dark", "night", "bright", "sunset")
COLOUR_WORDS = ("black", "grey", "white", "red", "orange", "brown", "yellow", "green", "teal", "blue",
                "purple", "pink", "black and white", "colourful")
#: Words about what is in the picture.
SCENE_WORDS = ("sky", "greenery", "person", "portrait", "people", "crowd", "close-up", "pedestrians", "stars",
               "texture", "pattern")
#: Words about how the camera or the picture moves (keywords only: they say nothing of the subject).
MOTION_WORDS = ("static shot", "pan", "tilt", "zoom in", "zoom out", "moving", "still")
#: Every word a rule can give, in a fixed order (the order of their stored embeddings).
VOCABULARY = LIGHT_WORDS + COLOUR_WORDS + SCENE_WORDS + MOTION_WORDS
#: What a word says of the picture, embedded beside the word itself for the visual vector
#: (``library/concepts.py``), as each ImageNet class is embedded with its description: what
#: the rule measures and what usually makes a picture measure so. Words not listed are
#: embedded alone.
WORD_DESCRIPTIONS = {
    "dark": "a dark, dim picture with little light",
    "night": "at night: a dark scene after sunset, under a black sky",
    "bright": "a bright picture in daylight",
    "sunset": "sunset: a warm orange sky at dusk above the land",
    "sky": "the open sky above, seen outdoors",
    "greenery": "greenery: green plants, grass, leaves and trees",
    "person": "a person: a human face in the picture",
    "portrait": "a portrait: a person's face seen close, looking at the camera",
    "people": "people: several men and women",
    "crowd": "a crowd of many people together",
    "close-up": "a close-up of a person's face",
    "pedestrians": "pedestrians: whole figures of people walking or standing, small in the distance",
    "stars": "stars: many small bright points of light scattered across a black sky",
    "texture": "a texture filling the whole frame, seen close up: a surface of many small repeated "
               "parts such as bricks, grass blades, gravel, sand, leaves or fabric",
    "pattern": "a regular pattern: the same shape repeated side by side across the frame, like the "
               "bricks or tiles of a wall",
}
#: The words mixed into a shot's visual vector.
IN_VECTOR = frozenset(LIGHT_WORDS + COLOUR_WORDS + SCENE_WORDS)
#: A word of at least this confidence is a machine keyword of the shot.
POST_CONFIDENCE = 0.5

_NEUTRAL = frozenset({"black", "grey", "white"})
_CAMERA_WORDS = {"static": "static shot", "pan_left": "pan", "pan_right": "pan", "tilt_up": "tilt",
                 "tilt_down": "tilt", "zoom_in": "zoom in", "zoom_out": "zoom out"}


def ramp(x: float, zero: float, one: float) -> float:
    """0 at ``zero``, 1 at ``one``, linear between and clamped (``one`` may lie below ``zero``)."""
    return min(1.0, max(0.0, (x - zero) / (one - zero)))


def light_words(f: ShotFeatures) -> dict[str, float]:
    """dark (a low mean brightness), night (mostly black, or a dark sky), bright, sunset (a warm
    sky brighter than the ground below it)."""
    black = f.colours.get("black", 0.0)
    dark_sky = ramp(f.sky, 0.2, 0.5) * ramp(f.sky_value, 0.5, 0.3)
    return {
        "dark": ramp(f.brightness, 0.32, 0.15),
        "night": max(ramp(black, 0.5, 0.8), dark_sky),
        "bright": ramp(f.brightness, 0.55, 0.7),
        "sunset": ramp(f.warm_sky, 0.15, 0.4) * ramp(f.top_light, 0.0, 0.15),
    }


def colour_words(f: ShotFeatures) -> dict[str, float]:
    """Each named colour covering enough of the picture (black, grey and white only as far as the
    picture is not simply black and white); black and white (no colour at all); colourful."""
    mono = ramp(f.colourfulness, 0.04, 0.015)
    out = {name: ramp(share, 0.15, 0.45) * ((1.0 - mono) if name in _NEUTRAL else 1.0)
           for name, share in f.colours.items()}
    out["black and white"] = mono
    out["colourful"] = ramp(f.colourfulness, 0.5, 0.75)
    return out


def scene_words(f: ShotFeatures) -> dict[str, float]:
    """sky, greenery (plants); from the faces found: person, portrait, people, crowd, close-up;
    from whole figures (too small or too far for a face): people, pedestrians, crowd — sure when
    most keyframes show one, so that one chance detection says little; stars (small bright
    points on a mostly black picture); texture (one texture fills the frame: bricks, a lawn);
    pattern (edges repeating side by side: bricks, tiles)."""
    seen = f.face_share
    bodies = ramp(f.body_share, 0.3, 0.65)
    return {
        "sky": ramp(f.sky, 0.2, 0.5),
        "greenery": ramp(f.colours.get("green", 0.0), 0.15, 0.4),
        "person": seen if f.face_count >= 1 else 0.0,
        "portrait": seen * ramp(f.face_size, 0.12, 0.25),
        "people": max(seen * ramp(f.face_count, 1, 3), bodies),
        "crowd": max(seen * ramp(f.face_count, 3, 6), bodies * ramp(f.body_count, 3, 6)),
        "close-up": seen if f.scale == "close-up" else 0.0,
        "pedestrians": bodies,
        "stars": ramp(f.colours.get("black", 0.0), 0.6, 0.85) * ramp(f.point_lights, 30, 100),
        "texture": f.texture,
        "pattern": ramp(f.pattern, 0.12, 0.32),
    }


def motion_words(f: ShotFeatures) -> dict[str, float]:
    """The camera's motion (sure at twice its threshold) and the amount of motion: moving or still."""
    word = _CAMERA_WORDS.get(f.camera_motion, "static shot")
    if f.camera_motion.startswith("zoom"):
        sure = ramp(abs(f.camera_zoom), ZOOM_THRESHOLD, 2 * ZOOM_THRESHOLD)
    elif f.camera_motion == "static":
        sure = ramp(math.hypot(f.camera_dx, f.camera_dy), PAN_THRESHOLD, 0.0)
    else:
        sure = ramp(math.hypot(f.camera_dx, f.camera_dy), PAN_THRESHOLD, 2 * PAN_THRESHOLD)
    return {word: sure, "moving": ramp(f.motion, 0.1, 0.4), "still": ramp(f.motion, 0.05, 0.01)}


def visual_words(f: ShotFeatures) -> tuple[tuple[str, float], ...]:
    """(word, confidence) of every rule that fires, most confident first (ties in VOCABULARY order)."""
    found = {**light_words(f), **colour_words(f), **scene_words(f), **motion_words(f)}
    words = [(w, round(c, 3)) for w, c in found.items() if c >= 0.05]
    return tuple(sorted(words, key=lambda wc: (-wc[1], VOCABULARY.index(wc[0]))))


def keyword_text(words: tuple[tuple[str, float], ...]) -> str:
    """The words confident enough to be keywords, as one text (for ``keywords.content_words``)."""
    return " ".join(w for w, c in words if c >= POST_CONFIDENCE)
