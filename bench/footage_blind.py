#!/usr/bin/env python3
"""Footage with no words (issue 18): how much screen time shows the right clip when the
clips are called IMG_0001.mp4 … and have no sidecars.

The 15 clips of library_samples/ are copied to camera-style names in one flat folder (no
sidecars, no folder names) and indexed into a temporary WAM_HOME; the stories in
bench/data/footage_blind/ (one right clip per sentence, written as a person describes what
the clip shows) are planned, and the share of screen time showing each sentence's own clip
is measured. The same is done with the sidecars kept beside the renamed clips (renamed
too), and with a baseline revision of wam, side by side:

    python bench/footage_blind.py [--baseline 01e9e94] [--story FILE …] [--index-args "--tagger lite2"]

``--baseline`` may be repeated (one column each; '' for none); ``--story`` replaces the shipped
stories (same format, see bench/data/footage_blind/README.md; more stories of the kind are in
bench/data/footage_blind_dev/, used to choose settings, bench/data/footage_blind_heldout/,
written before that and never tuned on, bench/data/footage_blind_heldout3/, written at the
start of the third round, bench/data/footage_blind_heldout4/, written by another engineer at
the start of the fourth (the keyframe detectors) and used to choose nothing, and
bench/data/footage_blind_heldout5/, written by another engineer at the start of the fifth and
used to choose nothing;
``bench/footage_blind_variants.py`` compares ways of computing the
visual term on one index); ``--index-args`` are passed to
the current wam's ``wam index`` and ``--plan-args`` to its ``wam plan`` (e.g. ``--plan-args
"--sentence-vectors static"``: the sentences' static vectors, shot vectors unchanged);
``--no-sidecars`` skips the sidecar runs; ``-v`` lists every sentence. The share is screen
time showing the right clip / all screen time, over every sentence of every story. The last
line is machine-readable: ``blind=… sidecars=… <rev>_blind=… <rev>_sidecars=…``.
Goal: blind ≥ 0.8, sidecars ≥ 0.95.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "library_samples"
STORIES = REPO / "bench" / "data" / "footage_blind"
sys.path.insert(0, str(REPO / "bench"))

from montage_quality import Failed, run_wam  # noqa: E402


@dataclass(frozen=True)
class Story:
    name: str
    paragraphs: list[list[tuple[str, str]]]  # (clip stem relative to library_samples, sentence)

    def sentences(self) -> list[tuple[str, str]]:
        return [s for p in self.paragraphs for s in p]

    def text(self) -> str:
        return "\n\n".join(" ".join(t for _, t in p) for p in self.paragraphs) + "\n"


def read_story(path: Path) -> Story:
    """A story file: ``folder/clip_stem | sentence`` a line, blank lines between paragraphs."""
    paragraphs: list[list[tuple[str, str]]] = [[]]
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        clip, sep, text = line.partition("|")
        if not sep or not (SAMPLES / f"{clip.strip()}.mp4").is_file():
            raise SystemExit(f"{path}:{n}: expected 'folder/clip_stem | "
                             "sentence' naming a clip of library_samples/")
        paragraphs[-1].append((clip.strip(), text.strip()))
    return Story(path.stem, [p for p in paragraphs if p])


def camera_names() -> dict[str, str]:
    """library_samples clip stem → its camera-style name (IMG_0001 …, in a fixed shuffled order)."""
    import random

    clips = sorted(str(p.relative_to(SAMPLES).with_suffix("")) for p in SAMPLES.rglob("*.mp4"))
    random.Random(18).shuffle(clips)
    return {c: f"IMG_{i:04d}" for i, c in enumerate(clips, 1)}


def make_library(folder: Path, names: dict[str, str], *, sidecars: bool) -> None:
    """The sample clips under their camera names in one flat folder (with their sidecars renamed alike)."""
    folder.mkdir(parents=True)
    for stem, name in names.items():
        shutil.copyfile(SAMPLES / f"{stem}.mp4", folder / f"{name}.mp4")
        if sidecars:
            for ext in (".txt", ".json"):
                if (SAMPLES / f"{stem}{ext}").is_file():
                    shutil.copyfile(SAMPLES / f"{stem}{ext}", folder / f"{name}{ext}")


def shares(plan: dict, story: Story, lib: Path, names: dict[str, str]) -> list[tuple[float, float, str]]:
    """Per sentence: (seconds on screen, seconds showing its own clip, the clip shown most)."""
    wanted = story.sentences()
    if len(plan["sentences"]) != len(wanted):
        raise Failed(f"{story.name}: the plan has {len(plan['sentences'])} sentences, "
                     f"the story {len(wanted)}")
    by_file = {str((lib / f"{n}.mp4").resolve()): stem for stem, n in names.items()}
    out = []
    for s, (clip, _) in zip(plan["sentences"], wanted):
        shown: dict[str, float] = {}
        for c in s["cuts"]:
            stem = by_file.get(str(Path(c["source"]).resolve()), "?")
            shown[stem] = shown.get(stem, 0.0) + c["end"] - c["start"]
        most = max(shown, key=shown.get) if shown else "-"
        out.append((s["end"] - s["start"], shown.get(clip, 0.0), most))
    return out


def measure(code: Path, home: Path, lib: Path, stories: list[Story], names, index_args: list[str], pace: str,
            work: Path, plan_args: list[str] = ()) -> dict:
    run_wam(code, home, "index", str(lib), "-q", *index_args)
    result = {}
    for story in stories:
        path = work / f"{story.name}.txt"
        path.write_text(story.text(), encoding="utf-8")
        try:
            plan = json.loads(run_wam(code, home, "plan", str(path), "--json", "--pace", pace, "-q",
                                      *plan_args))
            result[story.name] = shares(plan, story, lib, names)
        except Failed as exc:
            result[story.name] = str(exc)
    return result


def summary(result: dict) -> tuple[float, int, int]:
    """(share of all screen time showing the right clip, sentences mostly right, sentences)."""
    rows = [r for v in result.values() if not isinstance(v, str) for r in v]
    total = sum(r[0] for r in rows)
    right = sum(r[1] for r in rows)
    return (right / total if total else 0.0), sum(1 for r in rows if r[1] >= 0.5 * r[0]), len(rows)


@contextlib.contextmanager
def checkout(rev: str, where: Path):
    """A detached worktree of ``rev`` at ``where`` (removed afterwards)."""
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(where), rev], check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(where)], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", action="append", default=None,
                    help="git revision to compare with (repeatable; "
                         "default 01e9e94, before issue 18; '' for none)")
    ap.add_argument("--story", action="append", type=Path, help="story file(s) instead of the shipped ones")
    ap.add_argument("--index-args", default="", help="extra `wam index` arguments for the current wam")
    ap.add_argument("--plan-args", default="",
                    help="extra `wam plan` arguments for the current wam, e.g. \"--sentence-vectors static\"")
    ap.add_argument("--pace", default="normal")
    ap.add_argument("--no-sidecars", action="store_true", help="skip the runs with sidecars")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="every sentence: share and the clip shown most")
    opts = ap.parse_args()
    baselines = [b for b in (opts.baseline if opts.baseline is not None else ["01e9e94"]) if b]
    stories = [read_story(p) for p in (opts.story or sorted(STORIES.glob("*.txt")))]
    names = camera_names()
    work = Path(tempfile.mkdtemp(prefix="wam-blind-"))
    variants = [("blind", False)] + ([] if opts.no_sidecars else [("sidecars", True)])
    results: dict[str, dict] = {}
    try:
        for variant, side in variants:
            make_library(work / variant, names, sidecars=side)
        for label, rev in [("wam", None)] + [(b, b) for b in baselines]:
            with (checkout(rev, work / f"code-{label}") if rev else contextlib.nullcontext(REPO)) as code:
                for variant, _ in variants:
                    extra = shlex.split(opts.index_args) if rev is None else []
                    plan_extra = shlex.split(opts.plan_args) if rev is None else []
                    try:
                        results[f"{label}/{variant}"] = measure(code, work / f"home-{label}-{variant}",
                                                                work / variant, stories, names, extra,
                                                                opts.pace, work, plan_extra)
                    except Failed as exc:
                        results[f"{label}/{variant}"] = {"": f"indexing failed: {exc}"}
        n = sum(len(s.sentences()) for s in stories)
        print(f"{len(names)} sample clips renamed IMG_0001.mp4 …; "
              f"{len(stories)} stories, {n} sentences, pace {opts.pace}")
        line = []
        for key, result in results.items():
            label, variant = key.split("/")
            share, right, total = summary(result)
            errors = [v for v in result.values() if isinstance(v, str)]
            per_story = "  ".join(f"{k} {summary({k: v})[0]:.2f}" for k, v in result.items()
                                  if not isinstance(v, str))
            print(f"  {label:10s} {variant:8s}: right clip {share:.3f} of the screen time, {right}/{total} "
                  f"sentences mostly right   ({per_story})" + (f"  FAILED: {errors[0]}" if errors else ""))
            line.append(f"{'' if label == 'wam' else label + '_'}{variant}={share:.3f}")
            if opts.verbose:
                for story in stories:
                    rows = result.get(story.name)
                    if isinstance(rows, str) or rows is None:
                        continue
                    for (clip, text), (secs, right_s, most) in zip(story.sentences(), rows):
                        mark = "ok " if right_s >= 0.5 * secs else "-- "
                        print(f"      {mark}{right_s / secs:4.2f} {clip:34s} shows {most:34s} {text}")
        print(" ".join(line))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
