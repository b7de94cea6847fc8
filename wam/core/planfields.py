"""Typed reading of the fields of a plan document (``wam.timeline/1``, read by
``wam.core.timeline.timeline_from_dict``): each value checked for its kind, finite, with the
field's place in the document named in the message (``Bad``). Pure; imports nothing heavy.
"""

from __future__ import annotations

import json
import math


def shown(value, limit: int = 40) -> str:
    """A JSON value as a message quotes it: on one line, at most ``limit`` characters."""
    text = " ".join(json.dumps(value, ensure_ascii=False).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Bad(ValueError):
    """A field of the document is missing, of the wrong type, or says something impossible."""


class Disagree(Bad):
    """Frames and seconds of one item say different things."""


REQUIRED = object()
KINDS = {int: "a whole number", float: "a number", str: "a string",
         "path": "a file path (a non-empty string)", bool: "true or false", list: "a list", dict: "an object"}


def get(item: dict, key, kind, where: str = "", default=REQUIRED):
    """``item[key]`` checked to be of ``kind`` (int, float, str, "path", bool, list, dict); ``where``
    names the item in messages. A missing key gives ``default``, or is an error without one."""
    name = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key
    if key not in item:
        if default is REQUIRED:
            raise Bad(f"{name} is missing")
        return default
    v = item[key]
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind is int and number and float(v).is_integer():
        return int(v)
    if kind is float and number:
        return float(v)
    if kind == "path" and isinstance(v, str) and v.strip():
        return v
    if kind in (str, bool, list, dict) and isinstance(v, kind):
        return v
    raise Bad(f"{name} must be {KINDS[kind]}, not {shown(v)}")


def object_(v, where: str) -> dict:
    if not isinstance(v, dict):
        raise Bad(f"{where} must be an object, not {shown(v)}")
    return v


def check_finite(v, where: str) -> None:
    """No NaN or infinity anywhere in the document (JSON readers differ on them)."""
    if isinstance(v, float) and not math.isfinite(v):
        raise Bad(f"{where or 'the document'} is {v} (numbers must be finite)")
    items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
    for key, x in items:
        check_finite(x,
                     f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key))


def to_frame(seconds: float, fps: int) -> int:
    return round(seconds * fps)


def frames(item: dict, fps: int, what: str) -> tuple[int, int]:
    """(start_frame, frames) of a sentence or cut: its frame fields, else its seconds × fps."""
    if "start_frame" in item and "frames" in item:
        a, n = get(item, "start_frame", int, what), get(item, "frames", int, what)
        for key, frame in (("start", a), ("end", a + n)):
            if key in item and to_frame(get(item, key, float, what), fps) != frame:
                raise Disagree(f"{what}.{key} is {item[key]} s, not frame {frame} at {fps} fps")
        return a, n
    a = to_frame(get(item, "start", float, what), fps)
    return a, to_frame(get(item, "end", float, what), fps) - a


def focus(value, where: str) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise Bad(f"{where} must be [x, y] or null, not {shown(value)}")
    x, y = (get(dict(enumerate(value)), i, float, where) for i in (0, 1))
    return [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]


def move(value, where: str) -> dict | None:
    """A cut's ``move`` (``{"from": [x, y, w, h], "to": [x, y, w, h]}``, normalised source
    rectangles of positive size), or None when absent."""
    if value is None:
        return None
    item = object_(value, where)
    out = {}
    for key in ("from", "to"):
        rect = get(item, key, list, where)
        if len(rect) != 4:
            raise Bad(f"{where}.{key} must be [x, y, w, h], not {shown(rect)}")
        x, y, w, h = (get(dict(enumerate(rect)), i, float, f"{where}.{key}") for i in range(4))
        if w <= 0 or h <= 0:
            raise Bad(f"{where}.{key} must have a positive width and height, not {shown(rect)}")
        out[key] = [x, y, w, h]
    return out


def music(value) -> dict | None:
    """The plan's ``music`` (``{"file": path, "beats": [seconds, ascending], …}``), or None."""
    if value is None:
        return None
    item = object_(value, "music")
    get(item, "file", "path", "music")
    beats = [get(dict(enumerate(get(item, "beats", list, "music"))), i, float, "music.beats")
             for i in range(len(item["beats"]))]
    if any(b < 0 for b in beats) or any(b2 <= b1 for b1, b2 in zip(beats, beats[1:])):
        raise Bad("music.beats must be ascending times in seconds, from 0 on")
    return dict(item, beats=beats)


def a_roll(value, modes: tuple[str, ...]) -> dict | None:
    """The plan's ``a_roll`` (the speaker's talk under the cut: ``{"file": path, "duration":
    seconds, "mode": one of ``modes``, …}``), or None when absent."""
    if value is None:
        return None
    item = object_(value, "a_roll")
    get(item, "file", "path", "a_roll")
    if get(item, "duration", float, "a_roll") <= 0:
        raise Bad("a_roll.duration must be positive")
    mode = get(item, "mode", str, "a_roll", modes[0])
    if mode not in modes:
        raise Bad(f"a_roll.mode must be one of {', '.join(modes)}, not {shown(mode)}")
    for key in ("width", "height", "size"):
        get(item, key, int, "a_roll", 0)
    get(item, "fps", float, "a_roll", 0.0)
    get(item, "fingerprint", str, "a_roll", "")
    get(item, "audio", bool, "a_roll", True)
    if get(item, "every", float, "a_roll", 1.0) <= 0:
        raise Bad("a_roll.every must be positive")
    return dict(item, mode=mode)


def bans(value) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plan's ``bans`` (``{"shots": [shot id], "clips": [source path]}``, both optional)
    as (shots, clips), sorted and without repeats; ((), ()) when absent."""
    if value is None:
        return (), ()
    item = object_(value, "bans")
    out = []
    for key, kind in (("shots", str), ("clips", "path")):
        values = get(item, key, list, "bans", [])
        out.append(tuple(sorted({get(dict(enumerate(values)), i, kind, f"bans.{key}")
                                 for i in range(len(values))})))
    return out[0], out[1]
