#!/usr/bin/env python3
"""Batch speed: N short stories rendered by ONE `wam render STORY… -o OUTDIR/` call vs N
separate `wam render STORY -o OUT.mp4` invocations, side by side on the same index (the
bundled library_samples) in the same run.

    python bench/batch_speed.py [--stories 8] [--jobs 1 2] [--resolution 1280x720] [--repeat 3]

Each run starts without the sentence-embedding cache (so every run loads the text model) and
without the render cache (so no run reuses segments or previous plans another run left), writes
into a folder of its own, renders at the default settings, and is timed end to end (process
start-up included). Each round runs every side once, in a rotating order (separate, batch -j1,
batch -j2; then batch -j1, batch -j2, separate; …), so that no side always runs first or last on
a machine whose speed drifts; the figures are medians over --repeat rounds. Prints each time and
the ratio batch / separate; the last line is machine-readable:
``separate_s=… batch_j1_s=… ratio_j1=… [batch_j2_s=… ratio_j2=…]``. Goal: ratio ≤ 0.6.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SENTENCES = [
    "A cat rests on a warm windowsill.", "The city wakes up under a grey sky.",
    "Cars stream along a wide avenue.",
    "A chef chops vegetables in a busy kitchen.", "Waves crash against dark rocks.",
    "Children play in a sunny park.",
    "An old building stands in the town square.", "The moon hangs over a quiet street.",
    "A dog runs across the grass.", "Steam rises from a bowl of soup.", "Birds fly over the open sea.",
    "People cross the road at a busy junction.", "Stars fill the night sky.",
    "A river winds through the forest.", "A cartoon character waves hello.", "Fresh bread cools on a table.",
    "Traffic lights change from red to green.", "A crowd gathers for a street parade.",
    "Leaves move gently in the wind.", "A rocket climbs into space.", "Lanterns glow along a narrow lane.",
    "A horse grazes in a green field.", "Rain falls on the pavement.", "The sun sets behind the mountains.",
]


def write_stories(folder: Path, n: int, per_story: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for k in range(n):
        lines = [SENTENCES[(k * per_story + j) % len(SENTENCES)] for j in range(per_story)]
        path = folder / f"story_{k:02d}.txt"
        path.write_text(" ".join(lines) + f" This is story number {k + 1}.\n", encoding="utf-8")
        paths.append(path)
    return paths


def timed(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=8)
    ap.add_argument("--sentences", type=int, default=3, help="sentences per story (plus one closing line)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values of the batch runs")
    ap.add_argument("--resolution", default="1280x720")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds (each side once per round); medians are shown")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wam-batch-bench-"))
    try:
        home = work / "home"
        env = dict(os.environ, WAM_HOME=str(home))
        subprocess.run([sys.executable, "-m", "wam", "index", str(REPO / "library_samples"), "-q"], env=env,
                       check=True)
        stories = write_stories(work / "stories", opts.stories, opts.sentences)
        wam = [sys.executable, "-m", "wam", "render", "-q", "--resolution", opts.resolution]
        runs = 0

        def fresh(side: str) -> Path:
            """A new output folder, and no cache a previous run left: every run embeds its sentences
            (so loads the text model) and encodes every segment."""
            nonlocal runs
            runs += 1
            for p in home.glob("sentences.sqlite*"):
                p.unlink()
            shutil.rmtree(home / "render-cache", ignore_errors=True)
            out = work / f"run{runs:02d}-{side}"
            out.mkdir()
            return out

        def separate() -> float:
            out = fresh("separate")
            return sum(timed(wam + [str(s), "-o", str(out / f"{s.stem}.mp4")], env) for s in stories)

        def batch(jobs: int) -> float:
            out = fresh(f"batch_j{jobs}")
            t = timed(wam + [str(work / "stories"), "-o", f"{out}/", "--jobs", str(jobs)], env)
            made = sorted(p.name for p in out.glob("*.mp4"))
            assert made == sorted(f"{s.stem}.mp4" for s in stories), made
            return t

        sides = {"separate": separate, **{f"batch_j{j}": (lambda j=j: batch(j)) for j in opts.jobs}}
        times: dict[str, list[float]] = {k: [] for k in sides}
        names = list(sides)
        for r in range(opts.repeat):
            for name in names[r % len(names):] + names[: r % len(names)]:  # a rotating order
                times[name].append(sides[name]())
        median = {k: statistics.median(v) for k, v in times.items()}
        sep = median["separate"]
        print(f"{opts.stories} stories of {opts.sentences + 1} sentences, {opts.resolution}, "
              f"library_samples index, median of {opts.repeat} rounds")

        def runs_of(name: str) -> str:
            return ", ".join(f"{t:.2f}" for t in times[name])

        print(f"  {opts.stories} separate `wam render` calls  {sep:7.2f} s   (runs: {runs_of('separate')})")
        for j in opts.jobs:
            t = median[f"batch_j{j}"]
            print(f"  one batch call, --jobs {j}          {t:7.2f} s   ratio {t / sep:.2f}  (goal <= 0.6)"
                  f"   (runs: {runs_of(f'batch_j{j}')})")
        batches = {j: median[f"batch_j{j}"] for j in opts.jobs}
        print(f"separate_s={sep:.2f} "
              + " ".join(f"batch_j{j}_s={t:.2f} ratio_j{j}={t / sep:.2f}" for j, t in batches.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
