#!/usr/bin/env python3
"""Montage quality: how much of each sentence's screen time shows the clip it is about.

A library of generated clips, each three distinct 2–3 s shots with a caption sidecar
(tests/montage_eval.py), and a story made of the same captions in a shuffled order. Both the
current wam and a baseline revision (default: the planner before assembler v2) index the same
clips and plan the story at every pace, side by side:

    python bench/montage_quality.py [--clips 30] [--shots 2 3] [--baseline 427a053]

Per pace it prints, over the sentences whose own clip appears at all, the mean and the
lowest share of screen time that shows it, how many sentences reach 0.9, and how many
sentences never show their clip. The last line is machine-readable:
``fill_<pace>=… min_<pace>=… baseline_fill_<pace>=…``. Goal (issue 7): ≥ 0.9 everywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from montage_eval import CAPTIONS, fill_shares, make_library, make_story  # noqa: E402

PACES = ("calm", "normal", "fast")


class Failed(Exception):
    pass


def run_wam(code: Path, home: Path, *args: str) -> str:
    env = {**os.environ, "WAM_HOME": str(home), "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "wam", *args], env=env, cwd=code, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise Failed(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return out.stdout


def measure(code: Path, home: Path, lib: Path, story: Path, order: list[int]) -> dict:
    run_wam(code, home, "index", str(lib), "-q")
    figures = {}
    for pace in PACES:
        try:
            plan = json.loads(run_wam(code, home, "plan", str(story), "--json", "--pace", pace, "-q"))
        except Failed as exc:
            figures[pace] = {"failed": str(exc)}
            continue
        shares = fill_shares(plan, order, lib)
        found = [x for x in shares if x is not None]
        cuts = [c for s in plan["sentences"] for c in s["cuts"] if not c.get("continues")]
        figures[pace] = {
            "mean": sum(found) / max(1, len(found)), "min": min(found, default=0.0),
            "at_0.9": sum(1 for x in found if x >= 0.9 - 1e-9), "found": len(found), "sentences": len(shares),
            "asl": plan["duration"] / max(1, len(cuts)),
        }
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=len(CAPTIONS))
    ap.add_argument("--shots", type=float, nargs=2, default=(2.0, 3.0), help="shot length range, seconds")
    ap.add_argument("--baseline", default="427a053", help="git revision to compare with ('' for none)")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wam-montage-"))
    try:
        lib = work / "library"
        captions = CAPTIONS[: opts.clips]
        make_library(lib, captions, shot_seconds=tuple(opts.shots))
        text, order = make_story(captions)
        story = work / "story.txt"
        story.write_text(text, encoding="utf-8")
        results = {"wam": measure(REPO, work / "home", lib, story, order)}
        if opts.baseline:
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tree),
                            opts.baseline], check=True)
            try:
                results["baseline"] = measure(tree, work / "home-baseline", lib, story, order)
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                               check=False)
        print(f"{len(captions)} clips of three {opts.shots[0]:g}–{opts.shots[1]:g} s shots; "
              f"story of {len(captions)} sentences")
        for name, figs in results.items():
            for pace, f in figs.items():
                if "failed" in f:
                    print(f"  {name:8s} {pace:6s}: planning failed: {f['failed']}")
                    continue
                print(f"  {name:8s} {pace:6s}: own clip fills {f['mean']:.3f} of the screen time on average, "
                      f"lowest {f['min']:.3f}; {f['at_0.9']}/{f['found']} sentences ≥ 0.9; "
                      f"{f['sentences'] - f['found']} never show their clip; average shot {f['asl']:.2f} s")
        parts = []
        for pace in PACES:
            for name, prefix in (("wam", ""), ("baseline", "baseline_")):
                f = results.get(name, {}).get(pace)
                if f is None:
                    continue
                if "failed" in f:
                    parts.append(f"{prefix}fill_{pace}=failed")
                else:
                    parts.append(f"{prefix}fill_{pace}={f['mean']:.3f}"
                                 + ("" if prefix else f" min_{pace}={f['min']:.3f}"))
        print(" ".join(parts))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
