#!/usr/bin/env python3
"""Montage quality: does each sentence show the clip it is about, and for how much of its time?

A library of generated clips, each three distinct 2–3 s shots with a caption sidecar
(tests/montage_eval.py), and a story of one sentence per clip in a shuffled order:

* ``captions``: the sentences are the captions themselves (issue 7's fill measurement);
* ``tuned``: bench/data/montage/tuned.txt — captions the way an automatic captioner writes
  them, in groups of three alike scenes, and story sentences telling the scenes in other
  words, one per group naming its scene only through its siblings' words (the set the
  planner may be tuned on);
* ``dev``: bench/data/montage/dev.txt, a second development set (other scenes, other
  seeds) to check what was chosen on ``tuned`` before the held-out set is run;
* ``held-out``: bench/data/montage/heldout.txt, other scenes written the same way, other
  seeds (never tuned on).

Both the current wam and a baseline revision index the same clips and plan every story at
every pace, side by side:

    python bench/montage_quality.py [--sets captions tuned dev held-out] [--baseline e82c082] [--work DIR]
                                    [--plan-args "--sentence-vectors static"]

Per story and pace it prints the *fill* (over the sentences whose own clip appears at all, the
mean and lowest share of screen time showing it, and how many reach 0.9) and the *hit rate*:
the share of sentences whose most-shown clip is their own (and whose first cut is), beside
the MiniLM top-1 reference — the share whose nearest shot by cosine alone (sentence vector
against the shots' description vectors in the index) is a shot of their own clip. The last
line is machine-readable: ``<set>_minilm=… <set>_fill_<pace>=… <set>_hit_<pace>=… …``
(``baseline_`` prefixed for the baseline). Goals (issue 20): fill ≥ 0.9 and hit rate ≥
1.1 × MiniLM top-1, on the held-out set too. ``--work DIR`` keeps the generated libraries
and their indexes there for the next run (they are made again when missing). ``--plan-args``
are passed to the current wam's ``wam plan`` (e.g. ``--sentence-vectors static``: the story's
static sentence vectors against the full model's shot vectors; the MiniLM top-1 reference
stays the full model's).
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

from montage_eval import CAPTIONS, clip_hits, fill_shares, make_library, make_story  # noqa: E402

PACES = ("calm", "normal", "fast")
DATA = REPO / "bench" / "data" / "montage"
#: set name → (data file, or None for CAPTIONS told as themselves; library seed, story seed)
SETS = {
    "captions": (None, 7, 3),
    "tuned": (DATA / "tuned.txt", 13, 3),
    "dev": (DATA / "dev.txt", 17, 4),
    "held-out": (DATA / "heldout.txt", 11, 5),
}


def read_set(path: Path | None) -> tuple[list[str], list[str]]:
    """(clip captions, story sentences): one line "caption | sentence" per clip."""
    if path is None:
        return CAPTIONS, CAPTIONS
    pairs = [line.split("|") for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return [c.strip() for c, _ in pairs], [t.strip() for _, t in pairs]

#: Run with the current code: per sentence of the story on stdin, the source of its nearest shot by cosine.
NEAREST = """
import json, sys
sys.path.insert(0, sys.argv[1])
from montage_eval import nearest_clips
from wam.text.embed import load_encoder
from wam.library.store import Store
from wam.core.config import wam_home
texts = json.loads(sys.stdin.read())
with Store.open(wam_home(), create=False) as store:
    table = store.shot_table(store.library_ids(None))
    model = store.model
print(json.dumps(nearest_clips(table, load_encoder(model).encode(texts))))
"""


class Failed(Exception):
    pass


def _env(code: Path, home: Path) -> dict:
    return {**os.environ, "WAM_HOME": str(home), "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}


def run_wam(code: Path, home: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "wam", *args], env=_env(code, home), cwd=code,
                         capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise Failed(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return out.stdout


def minilm_hits(home: Path, lib: Path, texts: list[str], order: list[int]) -> float:
    """The share of sentences whose nearest shot by cosine alone is a shot of their own clip."""
    out = subprocess.run([sys.executable, "-c", NEAREST, str(REPO / "tests")], input=json.dumps(texts),
                         env=_env(REPO, home), cwd=REPO, capture_output=True, text=True, check=True)
    nearest = json.loads(out.stdout)
    own = [str((lib / f"clip_{i:02d}.mp4").resolve()) for i in order]
    return sum(a == b for a, b in zip(nearest, own)) / len(own)


def measure(code: Path, home: Path, lib: Path, story: Path, order: list[int], plan_args=()) -> dict:
    figures = {}
    for pace in PACES:
        try:
            plan = json.loads(run_wam(code, home, "plan", str(story), "--json", "--pace", pace, "-q",
                                      *plan_args))
        except Failed as exc:
            figures[pace] = {"failed": str(exc)}
            continue
        shares = fill_shares(plan, order, lib)
        hits = clip_hits(plan, order, lib)
        found = [x for x in shares if x is not None]
        cuts = [c for s in plan["sentences"] for c in s["cuts"] if not c.get("continues")]
        figures[pace] = {
            "mean": sum(found) / max(1, len(found)), "min": min(found, default=0.0),
            "at_0.9": sum(1 for x in found if x >= 0.9 - 1e-9), "found": len(found), "sentences": len(shares),
            "hit": sum(h for h, _ in hits) / len(hits), "first": sum(f for _, f in hits) / len(hits),
            "asl": plan["duration"] / max(1, len(cuts)),
        }
    return figures


def run_set(name: str, work: Path, revisions: dict[str, Path], clips: int, shots, plan_args=()) -> dict:
    path, lib_seed, story_seed = SETS[name]
    captions, sentences = read_set(path)
    library_name = f"library-{path.stem if path else 'captions'}-{lib_seed}"
    lib = work / library_name
    if not lib.exists():
        make_library(lib, captions[:clips], seed=lib_seed, shot_seconds=tuple(shots))
    text, order = make_story(sentences[:clips], seed=story_seed)
    story = work / f"story-{name}.txt"
    story.write_text(text, encoding="utf-8")
    texts = [sentences[i] for i in order]
    out = {}
    for rev, code in revisions.items():
        home = work / f"home-{rev}-{library_name}"
        if not (home / "index.sqlite").exists():
            run_wam(code, home, "index", str(lib), "-q")
        out[rev] = measure(code, home, lib, story, order, plan_args if rev == "wam" else ())
    out["minilm"] = minilm_hits(work / f"home-wam-{library_name}", lib, texts, order)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=len(CAPTIONS))
    ap.add_argument("--shots", type=float, nargs=2, default=(2.0, 3.0), help="shot length range, seconds")
    ap.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    ap.add_argument("--baseline", default="e82c082", help="git revision to compare with ('' for none)")
    ap.add_argument("--plan-args", default="", help="extra `wam plan` arguments for the current wam")
    ap.add_argument("--work", type=Path,
                    help="keep the libraries and indexes in this folder (default: a temporary one)")
    opts = ap.parse_args()
    work = opts.work.resolve() if opts.work else Path(tempfile.mkdtemp(prefix="wam-montage-"))
    work.mkdir(parents=True, exist_ok=True)
    revisions = {"wam": REPO}
    try:
        if opts.baseline:
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tree),
                            opts.baseline],
                           check=True)
            revisions["baseline"] = tree
        import shlex

        results = {name: run_set(name, work, revisions, opts.clips, opts.shots, shlex.split(opts.plan_args))
                   for name in opts.sets}
    finally:
        if opts.baseline:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "baseline")],
                           check=False)
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{opts.clips} clips of three {opts.shots[0]:g}–{opts.shots[1]:g} s shots; "
          "stories of one sentence per clip")
    parts = []
    for name, res in results.items():
        print(f"{name}: MiniLM top-1 {res['minilm']:.3f}")
        parts.append(f"{name}_minilm={res['minilm']:.3f}")
        for rev in revisions:
            prefix = "" if rev == "wam" else f"{rev}_"
            for pace, f in res[rev].items():
                if "failed" in f:
                    print(f"  {rev:8s} {pace:6s}: planning failed: {f['failed']}")
                    parts.append(f"{prefix}{name}_fill_{pace}=failed")
                    continue
                ratio = f["hit"] / res["minilm"] if res["minilm"] else float("inf")
                print(f"  {rev:8s} {pace:6s}: hit rate {f['hit']:.3f} ({ratio:.2f}× MiniLM top-1), "
                      f"opens on it {f['first']:.3f}; own clip fills {f['mean']:.3f} of the screen time, "
                      f"lowest {f['min']:.3f}, "
                      f"{f['at_0.9']}/{f['found']} ≥ 0.9, {f['sentences'] - f['found']} never show it; "
                      f"average shot {f['asl']:.2f} s")
                parts.append(f"{prefix}{name}_fill_{pace}={f['mean']:.3f} "
                             f"{prefix}{name}_hit_{pace}={f['hit']:.3f}")
    print(" ".join(parts))


if __name__ == "__main__":
    main()
