#!/usr/bin/env python3
"""Index speed: `wam index` vs `scenedetect detect-content` vs a plain ffmpeg decode,
side by side on the same 1080p clips (made from the real footage in library_samples/).

    python bench/index_speed.py [--clips 3] [--seconds 20] [--repeat 3] [--workers N]
                                [--index-args "--tagger lite2"] [--vision-b32]

Both sides get the same cores: `wam index -j N` against N scenedetect (and ffmpeg) processes
working through the clips side by side (N = --workers, default every core this process may use,
as `wam index` does), and `wam index -j 1` against one scenedetect process at a time. Each round
runs every side once, in a rotating order (so no side always runs first, or always on a warm disk
cache); the figures are medians over --repeat rounds. Prints each figure and the ratios; the last
line is machine-readable: ``ffmpeg_decode_s=… scenedetect_s=… scenedetect_j1_s=… wam_s=… wam_j1_s=…
reindex_s=… ratio=… ratio_j1=…``. Goal: wam ≤ 1.0× scenedetect (issue 12); re-indexing an unchanged
library ≥ 10× faster than the first run.

``--vision-b32`` adds a side ``wam_vision``: ``wam index --vision`` with a CLIP of ViT-B/32's size
(12 layers, 768 wide, 224-pixel images, 512-dimensional vectors) and random weights, built here
with transformers (the ``wam[vision]`` extra): real weights cannot be downloaded on these
machines, and the time does not depend on the weights' values. Its ratio is reported apart
(issue 18: "report the --vision index time separately").
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
from concurrent.futures import ThreadPoolExecutor
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
        filt = "".join(f"[{i}:v]scale=1920:1080:force_original_aspect_ratio=increase,crop=1920:1080,"
                       f"fps=30,setsar=1[v{i}];" for i in range(4))
        filt += "".join(f"[v{i}]" for i in range(4)) + "concat=n=4:v=1:a=0[out]"
        target = out / f"hd_{k}.mp4"
        args += ["-filter_complex", filt, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf",
                 "23", "-pix_fmt", "yuv420p", str(target)]
        subprocess.run(args, check=True)
        clips.append(target)
    return clips


def random_clip_b32(folder: Path) -> Path:
    """A CLIP of ViT-B/32's shape with random weights, saved as a transformers folder (the text
    tower as in tests/visionmodels.py: a byte-level vocabulary with no merges)."""
    sys.path.insert(0, str(REPO / "tests"))
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizer

    from visionmodels import _image_processor, _quiet, byte_vocab

    _quiet()
    vocab = byte_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    text = dict(vocab_size=len(vocab), hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                num_attention_heads=8, max_position_embeddings=77, bos_token_id=vocab["<|startoftext|>"],
                eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["<|endoftext|>"])
    vision = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  image_size=224, patch_size=32)
    torch.manual_seed(0)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=512)).save_pretrained(folder)
    CLIPProcessor(image_processor=_image_processor("CLIP")(), tokenizer=tokenizer).save_pretrained(folder)
    return folder


def timed(args: list[str], env=None) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def timed_all(commands: list[list[str]], workers: int) -> float:
    """Seconds to run every command, at most ``workers`` processes at a time (each its own process,
    as wam's workers are)."""
    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(lambda args: subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                                                      stderr=subprocess.DEVNULL), commands):
            pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds (each side once per round); medians are shown")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="processes on each side (default: every core, as wam index uses)")
    ap.add_argument("--index-args", default="", help="extra `wam index` arguments (e.g. --tagger lite2)")
    ap.add_argument("--vision-b32", action="store_true",
                    help="also time `wam index --vision` with a random-weight CLIP of ViT-B/32's size")
    opts = ap.parse_args()
    extra_args = opts.index_args.split()
    work = Path(tempfile.mkdtemp(prefix="wam-bench-"))
    try:
        clips = make_clips(work / "clips", opts.clips, opts.seconds)
        scenedetect = shutil.which("scenedetect") or "scenedetect"
        decode = [[FFMPEG, "-v", "error", "-i", str(c), "-f", "null", "-"] for c in clips]
        detect = [[scenedetect, "-q", "-i", str(c), "-o", str(work / "sd" / c.stem), "detect-content"]
                  for c in clips]

        def wam_index(key: str, workers: int, more: tuple[str, ...] = ()) -> float:
            home = work / f"home-{key}"
            shutil.rmtree(home, ignore_errors=True)
            env = dict(os.environ, WAM_HOME=str(home))
            index = [sys.executable, "-m", "wam", "index", str(work / "clips"), "-q", "-j", str(workers)]
            first = timed([*index, *extra_args, *more], env=env)
            if key == "wam":
                results["reindex"].append(timed(index, env=env))
            return first

        sides = {
            "ffmpeg_decode": lambda: timed_all(decode, opts.workers),
            "scenedetect": lambda: timed_all(detect, opts.workers),
            "scenedetect_j1": lambda: timed_all(detect, 1),
            "wam": lambda: wam_index("wam", opts.workers),
            "wam_j1": lambda: wam_index("wam_j1", 1),
        }
        if opts.vision_b32:
            model = random_clip_b32(work / "clip-b32")
            sides["wam_vision"] = lambda: wam_index("wam_vision", opts.workers, ("--vision", str(model)))
        results: dict[str, list[float]] = {k: [] for k in [*sides, "reindex"]}
        names = list(sides)
        for r in range(opts.repeat):
            for key in names[r % len(names):] + names[: r % len(names)]:  # a rotating order
                results[key].append(sides[key]())
        median = {k: statistics.median(v) for k, v in results.items()}
        total_s = opts.clips * opts.seconds
        print(f"{opts.clips} clips x {opts.seconds:g} s of 1920x1080 30 fps H.264 ({total_s:g} s of video), "
              f"{opts.workers} processes a side, median of {opts.repeat} rounds")
        for k, v in median.items():
            print(f"  {k:14s} {v:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in results[k])})")
        ratio = median["wam"] / median["scenedetect"]
        ratio_j1 = median["wam_j1"] / median["scenedetect_j1"]
        print(f"  wam / scenedetect ({opts.workers} processes each) = {ratio:.2f}x  (goal <= 1.0x)")
        print(f"  wam -j1 / scenedetect (one process each) = {ratio_j1:.2f}x")
        print(f"  first index / re-index   = {median['wam'] / median['reindex']:.1f}x  (goal >= 10x)")
        if "wam_vision" in median:
            vision = median["wam_vision"]
            print(f"  wam --vision (ViT-B/32 size) / scenedetect = {vision / median['scenedetect']:.2f}x"
                  f"  ({vision / median['wam']:.2f}x wam without it)")
        print(" ".join(f"{k}_s={v:.2f}" for k, v in median.items())
              + f" ratio={ratio:.2f} ratio_j1={ratio_j1:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
