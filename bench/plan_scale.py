#!/usr/bin/env python3
"""Planning scale: the whole `wam plan BIG.txt -o plan.json` command (start-up included) on the
bundled library_samples, for a big story and a baseline story side by side, to show that
planning time grows linearly with the story (seconds per KB) and memory stays bounded.

    python bench/plan_scale.py [--kb 1000] [--baseline-kb 100] [--line-words 10000] [--home DIR]

The stories are examples/story.txt's paragraphs repeated with every sentence varied (a
time of day and a day number in front), so that nearly every sentence is distinct. Each
story is planned twice: *cold* (its sentences embedded by the text model: that is the
model's speed, not the planner's) and *warm* (the embeddings cached in sentences.sqlite).
Peak RSS is the whole process tree's (psutil, sampled every 50 ms); CPU seconds (user +
system of the process tree) are printed beside wall seconds, as they are what a shared
machine does not inflate. ``--line-words`` adds a
story of one line of that many words without punctuation (0: none). The machine is shared:
run it on a quiet one, or read the figures as upper bounds. The last line is
machine-readable: ``big_warm_s=… big_cold_s=… big_rss_mb=… base_warm_s=… s_per_kb_ratio=…``.
Goal (issue 19): the 1 MB story warm in < 60 s and < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OPENERS = ("Later", "At dawn", "That evening", "Once again", "Meanwhile", "Years later", "In the spring",
           "Before the storm", "After the rain", "At midnight", "On a quiet Sunday", "In winter",
           "Every morning", "By the afternoon", "Suddenly")


def varied_story(n_bytes: int, seed: int = 0) -> str:
    """examples/story.txt's paragraphs, shuffled and repeated to ``n_bytes``, every sentence varied."""
    sys.path.insert(0, str(REPO))
    from wam.core.story import segment

    base = (REPO / "examples" / "story.txt").read_text(encoding="utf-8")
    paragraphs = [[s.strip() for s in segment(p.replace("\n", " "))] for p in base.strip().split("\n\n")]
    rng = random.Random(seed)
    out, size, day = [], 0, 0
    while size < n_bytes:
        sentences = []
        for s in rng.choice(paragraphs):
            day += 1
            sentences.append(f"{rng.choice(OPENERS)} on day {day}, {s[0].lower()}{s[1:]}")
        out.append(" ".join(sentences))
        size += len(out[-1]) + 2
    return "\n\n".join(out) + "\n"


def one_line(words: int, seed: int = 1) -> str:
    vocabulary = re.findall(r"[a-z]+", (REPO / "examples" / "story.txt").read_text(encoding="utf-8").lower())
    rng = random.Random(seed)
    return " ".join(rng.choice(vocabulary) for _ in range(words)) + "\n"


def run(args: list[str], env: dict) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak RSS of the process tree in MB) of one wam command."""
    import resource

    import psutil

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "wam", *args], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"wam {' '.join(args)} failed: {proc.stderr.read().decode()[-500:]}")
    return seconds, (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime), peak / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=int, default=1000, help="size of the big story (KB)")
    ap.add_argument("--baseline-kb", type=int, default=100, help="size of the baseline story (KB)")
    ap.add_argument("--line-words", type=int, default=10_000, help="words of the one-line story (0: none)")
    ap.add_argument("--home", type=Path, default=None,
                    help="a WAM_HOME with library_samples indexed (default: a new one)")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wam-scale-"))
    try:
        home = opts.home or work / "home"
        env = {**os.environ, "WAM_HOME": str(home), "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
        if opts.home is None:
            run(["index", str(REPO / "library_samples"), "-q"], env)
        stories = {"baseline": varied_story(opts.baseline_kb * 1000), "big": varied_story(opts.kb * 1000)}
        if opts.line_words:
            stories["line"] = one_line(opts.line_words)
        figures = {}
        for name, text in stories.items():
            path = work / f"{name}.txt"
            path.write_text(text, encoding="utf-8")
            kb = len(text.encode()) / 1000
            out = str(work / f"{name}.json")
            cold, cold_cpu, cold_rss = run(["plan", str(path), "-o", out, "-q"], env)
            warm, warm_cpu, warm_rss = run(["plan", str(path), "-o", out, "-q", "--fresh"], env)
            figures[name] = (kb, cold, warm, max(cold_rss, warm_rss), warm_cpu)
            print(f"{name:9s} {kb:8.1f} KB  cold {cold:7.1f} s (cpu {cold_cpu:7.1f} s)  warm {warm:7.1f} s "
                  f"(cpu {warm_cpu:7.1f} s, {warm_cpu / kb:.3f} cpu s/KB)  peak RSS "
                  f"{max(cold_rss, warm_rss):7.0f} MB",
                  flush=True)
        big, base = figures["big"], figures["baseline"]
        ratio = (big[4] / big[0]) / (base[4] / base[0])
        print(f"CPU seconds per KB, big / baseline (warm): {ratio:.2f} (1.0 = linear)")
        print(f"big_warm_s={big[2]:.1f} big_warm_cpu_s={big[4]:.1f} big_cold_s={big[1]:.1f} "
              f"big_rss_mb={big[3]:.0f} base_warm_s={base[2]:.1f} base_warm_cpu_s={base[4]:.1f} "
              f"cpu_s_per_kb_ratio={ratio:.2f}"
              + (f" line_warm_s={figures['line'][2]:.1f}" if "line" in figures else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
