#!/usr/bin/env python3
"""Render speed: the same plan rendered by wam (moviepy) and by one ffmpeg filtergraph
(same resolution, fps, encoder, preset, crf and threads), side by side, on 1080p sources;
plus the peak memory of a 10-minute render.

    python bench/render_speed.py [--seconds 60] [--long-minutes 10] [--repeat 2]

Prints each time (best of --repeat) and the ratio; the last line is machine-readable:
``wam_s=… ffmpeg_s=… ratio=… wam_subs_s=… long_peak_rss_mb=… long_encoder_rss_mb=…``.
Goals: ratio ≤ 1.25; peak memory of the 10-minute render < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

W, H, FPS, PRESET, CRF, THREADS = 1280, 720, 30, "veryfast", 20, 2


def make_timeline(sources: list[Path], seconds: float, cut_len: float = 3.0):
    from wam.timeline import Cut, SentenceSpan, Timeline

    sentences = []
    n = int(seconds // cut_len)
    frames = round(cut_len * FPS)
    for i in range(n):
        src = sources[i % len(sources)]
        offset = (i * 7.3) % 20.0
        cut = Cut(f"s{i}", str(src), offset, offset + cut_len, i * frames, frames, FPS, 0.5)
        sentences.append(SentenceSpan(i, f"Sentence number {i} of the benchmark story.", i * frames, frames, FPS,
                                      i // 4, [cut]))
    return Timeline(FPS, W, H, sentences)


def ffmpeg_render(tl, out: Path) -> float:
    import imageio_ffmpeg

    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error"]
    chains = []
    for i, c in enumerate(tl.cuts()):
        args += ["-ss", f"{c.source_in:.3f}", "-t", f"{c.end - c.start:.3f}", "-i", c.source]
        chains.append(f"[{i}:v]fps={FPS},scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H},setsar=1[v{i}]")
    n = len(tl.cuts())
    args += ["-f", "lavfi", "-t", f"{tl.duration:.3f}", "-i", "anullsrc=r=44100:cl=stereo"]
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    args += ["-filter_complex", graph, "-map", "[v]", "-map", f"{n}:a", "-c:v", "libx264", "-preset", PRESET,
             "-crf", str(CRF), "-threads", str(THREADS), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k",
             "-movflags", "+faststart", str(out)]
    t = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - t


def wam_render(tl, out: Path, subtitles: bool) -> float:
    from wam.render.renderer import RenderOptions, render_timeline

    t = time.perf_counter()
    render_timeline(tl, out, RenderOptions(width=W, height=H, preset=PRESET, crf=CRF, threads=THREADS,
                                           subtitles=subtitles))
    return time.perf_counter() - t


def long_render_child(plan_path: str, out: str) -> None:
    """Run in a subprocess: render a saved plan and print peak memory (self and encoder) as JSON."""
    from wam.timeline import timeline_from_dict

    tl = timeline_from_dict(json.loads(Path(plan_path).read_text()))
    wam_render(tl, Path(out), subtitles=True)
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"self_mb": me, "largest_child_mb": kids}))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        long_render_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=2)
    opts = ap.parse_args()
    import index_speed

    work = Path(tempfile.mkdtemp(prefix="wam-render-bench-"))
    try:
        sources = index_speed.make_clips(work / "src", 4, 30.0)
        tl = make_timeline(sources, opts.seconds)
        times = {"wam": [], "ffmpeg": [], "wam_subs": []}
        for _ in range(opts.repeat):
            times["ffmpeg"].append(ffmpeg_render(tl, work / "ff.mp4"))
            times["wam"].append(wam_render(tl, work / "wam.mp4", subtitles=False))
            times["wam_subs"].append(wam_render(tl, work / "wam_subs.mp4", subtitles=True))
        best = {k: min(v) for k, v in times.items()}
        ratio = best["wam"] / best["ffmpeg"]
        print(f"{len(tl.cuts())} cuts, {tl.duration:.0f} s at {W}x{H} {FPS} fps from 1080p sources, "
              f"x264 {PRESET} crf {CRF}, {THREADS} threads; best of {opts.repeat}")
        print(f"  ffmpeg one-pass filtergraph {best['ffmpeg']:7.2f} s")
        print(f"  wam (no subtitles)          {best['wam']:7.2f} s   ratio {ratio:.2f}x (goal <= 1.25x)")
        print(f"  wam (with subtitles)        {best['wam_subs']:7.2f} s   ratio {best['wam_subs'] / best['ffmpeg']:.2f}x")
        peak = {"self_mb": float("nan"), "largest_child_mb": float("nan")}
        if opts.long_minutes > 0:
            long_tl = make_timeline(sources, opts.long_minutes * 60)
            plan = work / "long.json"
            plan.write_text(long_tl.to_json())
            t = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--child", str(plan), str(work / "long.mp4")],
                                 check=True, capture_output=True, text=True).stdout
            peak = json.loads(out.strip().splitlines()[-1])
            print(f"  {opts.long_minutes:g}-minute render: {time.perf_counter() - t:.1f} s, peak RSS of the render "
                  f"process {peak['self_mb']:.0f} MB, of its largest child (encoder) {peak['largest_child_mb']:.0f} MB "
                  f"(goal < 1500 MB)")
        print(f"wam_s={best['wam']:.2f} ffmpeg_s={best['ffmpeg']:.2f} ratio={ratio:.2f} wam_subs_s={best['wam_subs']:.2f} "
              f"long_peak_rss_mb={peak['self_mb']:.0f} long_encoder_rss_mb={peak['largest_child_mb']:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
