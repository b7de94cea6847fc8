#!/usr/bin/env python3
"""Render speed: the same plan rendered by wam (a filtergraph per sentence segment, two at a
time, joined by stream copy) and by one ffmpeg filtergraph over the whole timeline (same
resolution, fps, encoder, preset, crf and threads), side by side, on 1080p sources;
plus the peak memory of a 10-minute 1080p render.

    python bench/render_speed.py [--seconds 60] [--long-minutes 10] [--repeat 2]

Prints each time (best of --repeat) and the ratio; the last line is machine-readable:
``wam_s=… ffmpeg_s=… ratio=… wam_subs_s=… long_peak_rss_mb=… long_sum_rss_mb=…``.

Memory is the peak of the SUM of resident memory (VmRSS) over the whole process tree — wam,
the x264 encoder and the cut decoders — sampled every 0.2 s with psutil (the peak of a single
process, e.g. ``ru_maxrss``, misses the children that run beside it). Like ``wam render
STORY``, the render process first embeds the story's sentences with the text model (in the
child process that ``wam render`` plans with) and then renders (``--no-model`` skips that).
Goals: ratio ≤ 1.1 (issue 10; was 1.25); summed peak memory of the 10-minute 1080p render < 800 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

W, H, FPS, PRESET, CRF, THREADS = 1280, 720, 30, "veryfast", 20, 2


def make_timeline(sources: list[Path], seconds: float, cut_len: float = 3.0, size: tuple[int, int] = (W, H)):
    from wam.core.timeline import Cut, SentenceSpan, Timeline

    sentences = []
    n = int(seconds // cut_len)
    frames = round(cut_len * FPS)
    for i in range(n):
        src = sources[i % len(sources)]
        offset = (i * 7.3) % 20.0
        cut = Cut(f"s{i}", str(src), offset, offset + cut_len, i * frames, frames, FPS, 0.5)
        sentences.append(SentenceSpan(i, f"Sentence number {i} of the benchmark story.", i * frames, frames,
                                      FPS, i // 4, [cut]))
    return Timeline(FPS, size[0], size[1], sentences)


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


def wam_render(tl, out: Path, subtitles: bool, size: tuple[int, int] = (W, H)) -> float:
    from wam.render.renderer import RenderOptions, render_timeline

    t = time.perf_counter()
    render_timeline(tl, out,
                    RenderOptions(width=size[0], height=size[1], preset=PRESET, crf=CRF, threads=THREADS,
                                  subtitles=subtitles))
    return time.perf_counter() - t


def long_render_child(plan_path: str, out: str, with_model: bool) -> None:
    """Run in a subprocess: (like ``wam render STORY``) embed the sentences with the text model,
    then render the saved plan; print peak memory of this process as JSON."""
    from wam.core.timeline import timeline_from_dict

    tl = timeline_from_dict(json.loads(Path(plan_path).read_text()))
    if with_model:  # as `wam render STORY` plans: the text model in a child process that ends after embedding
        from wam.text.embed import ModelProcess

        with ModelProcess(None, 384) as model:
            model.encode([s.text for s in tl.sentences])
    after_plan = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wam_render(tl, Path(out), subtitles=True, size=(tl.width, tl.height))
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"self_mb": me, "largest_child_mb": kids, "self_after_plan_mb": after_plan}))


class TreeMemory:
    """Samples the summed resident memory of a process and all its descendants (psutil)."""

    def __init__(self, pid: int, interval: float = 0.2):
        import psutil

        self._root = psutil.Process(pid)
        self._interval = interval
        self.peak_mb = 0.0
        self.peak_parts: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self._root, *self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            parts: dict[str, float] = {}
            try:
                root_cmd = self._root.cmdline()
            except psutil.Error:
                return
            for p in procs:
                try:
                    if p.pid != self._root.pid and p.cmdline() == root_cmd:
                        continue  # forked, not yet exec'd (a decoder starting): shares the parent's pages
                    name = "wam" if p.pid == self._root.pid else ("x264" if "libx264" in p.cmdline()
                                                                  else p.name())
                    if name in parts:
                        name = f"{name}#{sum(k.startswith(name) for k in parts) + 1}"
                    parts[name] = p.memory_info().rss / 2**20
                except psutil.Error:
                    pass
            total = sum(parts.values())
            if total > self.peak_mb:
                self.peak_mb, self.peak_parts = total, parts
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child":
        long_render_child(sys.argv[2], sys.argv[3], with_model=sys.argv[4:] != ["--no-model"])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--long-size", default="1920x1080", help="output size of the long render (memory)")
    ap.add_argument("--no-model", action="store_true",
                    help="long render without loading the text model first")
    ap.add_argument("--memory-only", action="store_true", help="skip the timing part (only the long render)")
    opts = ap.parse_args()
    import index_speed

    work = Path(tempfile.mkdtemp(prefix="wam-render-bench-"))
    try:
        sources = index_speed.make_clips(work / "src", 4, 30.0)
        tl = make_timeline(sources, opts.seconds)
        times = {"wam": [], "ffmpeg": [], "wam_subs": []}
        for _ in range(0 if opts.memory_only else opts.repeat):
            times["ffmpeg"].append(ffmpeg_render(tl, work / "ff.mp4"))
            times["wam"].append(wam_render(tl, work / "wam.mp4", subtitles=False))
            times["wam_subs"].append(wam_render(tl, work / "wam_subs.mp4", subtitles=True))
        best = {k: min(v) if v else float("nan") for k, v in times.items()}
        ratio = best["wam"] / best["ffmpeg"]
        if not opts.memory_only:
            print(f"{len(tl.cuts())} cuts, {tl.duration:.0f} s at {W}x{H} {FPS} fps from 1080p sources, "
                  f"x264 {PRESET} crf {CRF}, {THREADS} threads; best of {opts.repeat}")
            print(f"  ffmpeg one-pass filtergraph {best['ffmpeg']:7.2f} s")
            print(f"  wam (no subtitles)          {best['wam']:7.2f} s   ratio {ratio:.2f}x (goal <= 1.1x)")
            print(f"  wam (with subtitles)        {best['wam_subs']:7.2f} s   ratio "
                  f"{best['wam_subs'] / best['ffmpeg']:.2f}x")
        peak = {"self_mb": float("nan"), "largest_child_mb": float("nan")}
        tree_peak = float("nan")
        if opts.long_minutes > 0:
            lw, lh = (int(v) for v in opts.long_size.lower().split("x"))
            long_tl = make_timeline(sources, opts.long_minutes * 60, size=(lw, lh))
            plan = work / "long.json"
            plan.write_text(long_tl.to_json())
            t = time.perf_counter()
            child = subprocess.Popen([sys.executable, __file__, "--child", str(plan), str(work / "long.mp4")]
                                     + (["--no-model"] if opts.no_model else []), stdout=subprocess.PIPE,
                                     text=True)
            tree = TreeMemory(child.pid)
            out, _ = child.communicate()
            tree.stop()
            if child.returncode:
                raise SystemExit(f"the long render failed ({child.returncode})")
            peak = json.loads(out.strip().splitlines()[-1])
            tree_peak = tree.peak_mb
            parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(tree.peak_parts.items(),
                                                                key=lambda kv: -kv[1]))
            print(f"  {opts.long_minutes:g}-minute {lw}x{lh} render: {time.perf_counter() - t:.1f} s; peak "
                  f"memory summed over all processes {tree_peak:.0f} MB ({parts}) (goal < 800 MB); render "
                  f"process alone {peak['self_mb']:.0f} MB (after the text model: "
                  f"{peak.get('self_after_plan_mb', float('nan')):.0f} MB)")
        print(f"wam_s={best['wam']:.2f} ffmpeg_s={best['ffmpeg']:.2f} ratio={ratio:.2f} "
              f"wam_subs_s={best['wam_subs']:.2f} long_peak_rss_mb={peak['self_mb']:.0f} "
              f"long_sum_rss_mb={tree_peak:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
