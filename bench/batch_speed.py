#!/usr/bin/env python3
"""Batch speed: N short stories rendered by ONE `wam render STORY… -o OUTDIR/` call vs N
separate `wam render STORY -o OUT.mp4` invocations, side by side on the same index (the
bundled library_samples) in the same run.

    python bench/batch_speed.py [--stories 8] [--jobs 1 2] [--resolution 1280x720]

Each run starts without the sentence-embedding cache (so every run loads the text model),
renders at the default settings, and is timed end to end (process start-up included).
Prints each time and the ratio batch / separate; the last line is machine-readable:
``separate_s=… batch_j1_s=… ratio_j1=… [batch_j2_s=… ratio_j2=…]``. Goal: ratio ≤ 0.6.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SENTENCES = [
    "A cat rests on a warm windowsill.", "The city wakes up under a grey sky.", "Cars stream along a wide avenue.",
    "A chef chops vegetables in a busy kitchen.", "Waves crash against dark rocks.", "Children play in a sunny park.",
    "An old building stands in the town square.", "The moon hangs over a quiet street.",
    "A dog runs across the grass.", "Steam rises from a bowl of soup.", "Birds fly over the open sea.",
    "People cross the road at a busy junction.", "Stars fill the night sky.", "A river winds through the forest.",
    "A cartoon character waves hello.", "Fresh bread cools on a table.", "Traffic lights change from red to green.",
    "A crowd gathers for a street parade.", "Leaves move gently in the wind.", "A rocket climbs into space.",
    "Lanterns glow along a narrow lane.", "A horse grazes in a green field.", "Rain falls on the pavement.",
    "The sun sets behind the mountains.",
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
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wam-batch-bench-"))
    try:
        home = work / "home"
        env = dict(os.environ, WAM_HOME=str(home))
        subprocess.run([sys.executable, "-m", "wam", "index", str(REPO / "library_samples"), "-q"], env=env, check=True)
        stories = write_stories(work / "stories", opts.stories, opts.sentences)
        wam = [sys.executable, "-m", "wam", "render", "-q", "--resolution", opts.resolution]

        def fresh_cache() -> None:  # every run embeds its sentences, so every run loads the text model
            for p in home.glob("sentences.sqlite*"):
                p.unlink()

        fresh_cache()
        out = work / "separate"
        out.mkdir()
        separate = sum(timed(wam + [str(s), "-o", str(out / f"{s.stem}.mp4")], env) for s in stories)
        batch = {}
        for jobs in opts.jobs:
            fresh_cache()
            target = work / f"batch_j{jobs}"
            batch[jobs] = timed(wam + [str(work / "stories"), "-o", f"{target}/", "--jobs", str(jobs)], env)
            made = sorted(p.name for p in target.glob("*.mp4"))
            assert made == sorted(f"{s.stem}.mp4" for s in stories), made
        print(f"{opts.stories} stories of {opts.sentences + 1} sentences, {opts.resolution}, library_samples index")
        print(f"  {opts.stories} separate `wam render` calls  {separate:7.2f} s")
        for jobs, t in batch.items():
            print(f"  one batch call, --jobs {jobs}          {t:7.2f} s   ratio {t / separate:.2f}  (goal <= 0.6)")
        print(f"separate_s={separate:.2f} " + " ".join(f"batch_j{j}_s={t:.2f} ratio_j{j}={t / separate:.2f}"
                                                   for j, t in batch.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
