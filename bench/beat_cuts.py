#!/usr/bin/env python3
"""Cut on the beat: how many cut points of a plan made with ``--music`` lie within one frame
of the music's beats, on a generated 120 BPM click track (the clicks are the truth, not the
beats wam found) and the sample library with examples/story.txt, at every pace; narrated
with ``--voice`` too (then the sentence starts stay with the voice: only the cuts inside
sentences are counted).

    python bench/beat_cuts.py [--home DIR] [--bpm 120] [--voice]

``--home``: an index of library_samples to reuse (default: a fresh one in a temporary
folder, indexed first). Needs librosa (``pip install 'wam[music]'``). The last line is
machine-readable: ``calm=… normal=… fast=…`` (shares of cut points on a click, goal ≥ 0.8).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--bpm", type=float, default=120.0)
    ap.add_argument("--voice", action="store_true", help="narrate with the shipped voice as well")
    opts = ap.parse_args()
    from test_beats import click_track
    from wam.assemble.beat_cuts import on_beat_share

    work = Path(tempfile.mkdtemp(prefix="wam-beats-"))
    env = dict(os.environ, WAM_HOME=str(opts.home or work / "home"), PYTHONPATH=str(REPO))
    wam = [sys.executable, "-m", "wam"]
    if opts.home is None:
        subprocess.run(wam + ["index", str(REPO / "library_samples"), "-q"], env=env, check=True)
    clicks = click_track(work / "clicks.wav", bpm=opts.bpm, seconds=60.0)
    shares = {}
    for pace in ("calm", "normal", "fast"):
        extra = ["--voice"] if opts.voice else []
        out = subprocess.run(wam + ["plan", str(REPO / "examples" / "story.txt"), "--json", "-q", "--pace",
                                    pace, "--music", str(work / "clicks.wav"), *extra],
                             env=env, check=True, capture_output=True, text=True).stdout
        plan = json.loads(out)
        starts = {s["start_frame"] for s in plan["sentences"]}
        points = [c["start_frame"] for s in plan["sentences"] for c in s["cuts"]
                  if not c["continues"] and c["start_frame"] > 0
                  and not (opts.voice and c["start_frame"] in starts)]
        shares[pace] = on_beat_share(points, clicks, plan["fps"])
        print(f"{pace:6s} {len(points):3d} cut points, {shares[pace]:.0%} within a frame of a click "
              f"(tempo found {plan['music']['tempo']:.1f} BPM)")
    print(" ".join(f"{k}={v:.3f}" for k, v in shares.items()))


if __name__ == "__main__":
    main()
