#!/usr/bin/env python3
"""Index speed: `wam index` vs `scenedetect detect-content` vs a plain ffmpeg decode,
side by side on the same 1080p clips (made from the real footage in library_samples/).

    python bench/index_speed.py [--clips 3] [--seconds 20] [--repeat 2] [--index-args "--tagger lite2"]

Prints each figure (best of --repeat runs) and the ratios; the last line is
machine-readable: ``wam_s=… wam_j1_s=… scenedetect_s=… ffmpeg_decode_s=… reindex_s=… ratio=…``.
Goal: wam ≤ 1.0× scenedetect (issue 12); re-indexing an unchanged library ≥ 10× faster than the first run.
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

import imageio_ffmpeg

REPO = Path(__file__).resolve().parent.parent
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_clips(out: Path, n: int, seconds: float) -> list[Path]:
    """1080p30 H.264 clips, each a montage of sample clips (so they contain real cuts)."""
    sources = sorted((REPO / "library_samples").rglob("*.mp4"))
    out.mkdir(parents=True, exist_ok=True)
    clips = []
    for k in range(n):
        chosen = [sources[(k * 4 + j) % len(sources)] for j in range(4)]
        args = [FFMPEG, "-y", "-v", "error"]
        for s in chosen:
            args += ["-stream_loop", "-1", "-t", f"{seconds / 4:.2f}", "-i", str(s)]
        filt = "".join(f"[{i}:v]scale=1920:1080:force_original_aspect_ratio=increase,crop=1920:1080,fps=30,setsar=1[v{i}];"
                       for i in range(4))
        filt += "".join(f"[v{i}]" for i in range(4)) + "concat=n=4:v=1:a=0[out]"
        target = out / f"hd_{k}.mp4"
        args += ["-filter_complex", filt, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                 "-pix_fmt", "yuv420p", str(target)]
        subprocess.run(args, check=True)
        clips.append(target)
    return clips


def timed(args: list[str], env=None) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--index-args", default="", help="extra `wam index` arguments (e.g. --tagger lite2)")
    opts = ap.parse_args()
    extra_args = opts.index_args.split()
    work = Path(tempfile.mkdtemp(prefix="wam-bench-"))
    try:
        clips = make_clips(work / "clips", opts.clips, opts.seconds)
        scenedetect = shutil.which("scenedetect") or "scenedetect"
        results: dict[str, list[float]] = {"ffmpeg_decode": [], "scenedetect": [], "wam": [], "wam_j1": [], "reindex": []}
        for _ in range(opts.repeat):
            results["ffmpeg_decode"].append(sum(timed([FFMPEG, "-v", "error", "-i", str(c), "-f", "null", "-"]) for c in clips))
            results["scenedetect"].append(
                sum(timed([scenedetect, "-q", "-i", str(c), "-o", str(work / "sd"), "detect-content"]) for c in clips)
            )
            for key, extra in (("wam", []), ("wam_j1", ["-j", "1"])):
                home = work / f"home-{key}"
                shutil.rmtree(home, ignore_errors=True)
                env = dict(os.environ, WAM_HOME=str(home))
                results[key].append(timed([sys.executable, "-m", "wam", "index", str(work / "clips"), "-q", *extra,
                                           *extra_args], env=env))
                if key == "wam":
                    results["reindex"].append(timed([sys.executable, "-m", "wam", "index", str(work / "clips"), "-q"], env=env))
        best = {k: min(v) for k, v in results.items()}
        total_s = opts.clips * opts.seconds
        print(f"{opts.clips} clips x {opts.seconds:g} s of 1920x1080 30 fps H.264 ({total_s:g} s of video), best of {opts.repeat}")
        for k, v in best.items():
            print(f"  {k:14s} {v:7.2f} s")
        ratio = best["wam"] / best["scenedetect"]
        print(f"  wam / scenedetect        = {ratio:.2f}x  (goal <= 1.0x)")
        print(f"  wam -j1 / scenedetect    = {best['wam_j1'] / best['scenedetect']:.2f}x")
        print(f"  first index / re-index   = {best['wam'] / best['reindex']:.1f}x  (goal >= 10x)")
        print(" ".join(f"{k}_s={v:.2f}" for k, v in best.items()) + f" ratio={ratio:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
