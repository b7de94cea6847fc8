#!/usr/bin/env python3
"""Planning speed on synthetic indexes of 10k and 100k shots, written through the real
store (random unit vectors and features), with a 60-sentence story and the real encoder.

    python bench/plan_speed.py [--sizes 10000 100000] [--sentences 60]

The model is loaded before timing (as in a long-running process). Prints per size the
time to plan, and the time to plan again after editing one sentence (sentence embeddings
cached): ``replan`` with the previous plan given (what ``wam render`` / ``--watch`` do when
they find the output's previous plan: unchanged sentences keep their cuts) and
``replan_fresh`` without it (``--fresh``). The last line is ``plan_10k_s=… plan_100k_s=…
replan_s=… replan_100k_s=… replan_fresh_s=…`` (replan figures on the 10k index unless named).
Goals: < 1 s, < 3 s, < 0.2 s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

WORDS = ("city street night car bicycle tree river mountain beach sea cat dog child woman man crowd market "
         "rocket space star coffee cup kitchen rain snow sun forest road bridge train station office "
         "computer").split()


def build_store(home: Path, n_shots: int, shots_per_clip: int = 10, seed: int = 0) -> None:
    """A store of ``n_shots`` synthetic shots; their clip files exist (empty) under home/clips,
    since planning leaves out clips that are missing on disk."""
    from wam.core.types import CAMERA_MOTIONS, SHOT_SCALES, AnalysedShot, ClipAnalysis, ShotFeatures
    from wam.library.describe import ShotDescription
    from wam.library.features import HIST_SIZE
    from wam.library.store import Store

    rng = np.random.default_rng(seed)
    clips = home / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    with Store.open(home) as store:
        lib = store.library_id(str(clips), create=True)
        for c in range(n_shots // shots_per_clip):
            shots, descs = [], []
            for i in range(shots_per_clip):
                f = ShotFeatures(
                    brightness=float(rng.uniform(0.1, 0.9)), colourfulness=float(rng.uniform()),
                    sharpness=float(rng.uniform()), motion=float(rng.uniform()), camera_dx=0.0, camera_dy=0.0,
                    camera_zoom=0.0, camera_motion=CAMERA_MOTIONS[int(rng.integers(7))], shake=0.0,
                    face_count=0, face_size=0.0, face_x=None, face_y=None,
                    scale=SHOT_SCALES[int(rng.integers(3))], quality=float(rng.uniform(0.5, 1)),
                    histogram=rng.dirichlet(np.ones(HIST_SIZE)).astype(np.float32),
                )
                shots.append(AnalysedShot(i, i * 150, (i + 1) * 150, i * 5.0,
                                          i * 5.0 + float(rng.uniform(2, 8)), f))
                words = " ".join(rng.choice(WORDS, 4))
                descs.append(ShotDescription(human=words if rng.uniform() < 0.5 else "", names=("clip",),
                                             labels=((str(rng.choice(WORDS)), 0.5),)))
            vecs = rng.normal(size=(shots_per_clip, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            path = clips / f"{c}.mp4"
            path.touch()
            analysis = ClipAnalysis(str(path), 50.0, 30.0, 1920, 1080, 1500, tuple(shots))
            store.save_clip(library_id=lib, path=str(path), size=1, mtime_ns=1,
                            content_hash=__import__("hashlib").md5(str(c).encode()).hexdigest(),
                            sidecar_sig="none", analysis=analysis, descriptions=descs, embeddings=vecs,
                            model="all-MiniLM-L6-v2")


def story(n: int, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    paras = []
    for p in range(0, n, 6):
        paras.append(" ".join(f"The {rng.choice(WORDS)} and the {rng.choice(WORDS)} near the "
                              f"{rng.choice(WORDS)} in scene {p + i}." for i in range(min(6, n - p))))
    return "\n\n".join(paras)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--sentences", type=int, default=60)
    ap.add_argument("--long", type=int, default=2000,
                    help="sentences of the long story on the largest index (0: skip)")
    opts = ap.parse_args()
    from wam.app.planner import plan_story
    from wam.core.story import read_story
    from wam.text.embed import load_encoder

    load_encoder()  # the model is loaded once, as in a long-running process
    text = story(opts.sentences)
    figures = {}
    work = Path(tempfile.mkdtemp(prefix="wam-plan-bench-"))
    try:
        for n in opts.sizes:
            home = work / f"home{n}"
            t = time.perf_counter()
            build_store(home, n)
            print(f"{n} shots: store built in {time.perf_counter() - t:.1f} s")
            sentences = read_story(text)
            plan_story(sentences, home=home)  # warm: sentence cache filled, files in the page cache
            t = time.perf_counter()
            tl = plan_story(read_story(text), home=home)
            plan_s = time.perf_counter() - t
            tracemalloc.start()
            plan_story(read_story(text), home=home)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            edited = text.replace("in scene 3.", "in scene three, edited.")
            t = time.perf_counter()
            again = plan_story(read_story(edited), home=home, previous=tl)
            replan_s = time.perf_counter() - t
            t = time.perf_counter()
            plan_story(read_story(edited), home=home)
            fresh_s = time.perf_counter() - t
            def shown(span):  # a kept sentence's cuts move along the timeline; what they show stays
                return [(c.shot_id, c.source_in, c.source_out, c.frames) for c in span.cuts]

            kept = sum(shown(a) == shown(b) for a, b in zip(tl.sentences, again.sentences))
            figures[n] = (plan_s, replan_s, fresh_s)
            print(f"  plan {plan_s:.3f} s ({len(tl.cuts())} cuts, peak traced memory {peak / 2**20:.0f} "
                  f"MiB); replan after editing one sentence {replan_s:.3f} s ({kept}/{len(tl.sentences)} "
                  f"sentences keep their cuts), {fresh_s:.3f} s planned afresh")
            if n == max(opts.sizes) and opts.long:
                long_text = story(opts.long, seed=2)
                plan_story(read_story(long_text), home=home)  # fills the sentence cache
                t = time.perf_counter()
                tracemalloc.start()
                tl = plan_story(read_story(long_text), home=home)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                print(f"  {opts.long}-sentence story: {time.perf_counter() - t:.1f} s (traced), "
                      f"{len(tl.cuts())} cuts, peak traced memory {peak / 2**20:.0f} MiB")
        parts = [f"plan_{n // 1000}k_s={p[0]:.3f}" for n, p in figures.items()]
        smallest, largest = min(figures), max(figures)
        parts.append(f"replan_s={figures[smallest][1]:.3f}")  # on the smallest index (10k by default)
        if largest != smallest:
            parts.append(f"replan_{largest // 1000}k_s={figures[largest][1]:.3f}")
        parts.append(f"replan_fresh_s={figures[smallest][2]:.3f}")
        print(" ".join(parts))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
