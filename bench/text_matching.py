#!/usr/bin/env python3
"""Text matching (MSR-VTT style): does a paraphrase of a clip's caption find that clip?

Generated clips (tests/montage_eval.py: three colour shots each, a caption sidecar) are
indexed; each query of bench/data/text_matching_queries.txt paraphrases one caption. The hit
rate is the share of queries whose top-1 ``wam search`` result is a shot of the right clip (and
the mean reciprocal rank of the right clip),
beside two references over the captions alone: MiniLM top-1 (cosine of the query and the
caption embeddings, all-MiniLM-L6-v2) and TF-IDF top-1 (scikit-learn's default
vectoriser). A baseline revision of wam runs side by side:

    python bench/text_matching.py [--baseline 01e9e94 …]

Picture features of the generated clips mean nothing (textures), so a visual term that
moved wam away from the captions shows as a lower hit rate. The last line is
machine-readable: ``wam=… minilm=… tfidf=… <rev>=…``. Goal (issue 18): wam not below the
baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from footage_blind import checkout  # noqa: E402
from montage_quality import run_wam  # noqa: E402

from montage_eval import CAPTIONS, make_library  # noqa: E402

QUERIES = REPO / "bench" / "data" / "text_matching_queries.txt"

#: Run with the revision's code on PYTHONPATH: every query's ranked clip files (best shot first).
SEARCH = """
import json, os, sys
if os.path.exists("wam/app/search.py"):  # (run in the revision's folder)
    from wam.app.search import search_shots
else:  # a revision from before the use-case layer, wam.app (an editable install of wam would
    from wam.search import search_shots  # serve wam.app from the current code: no ImportError)
queries = json.loads(sys.stdin.read())
print(json.dumps([[h.source for h in search_shots(q, k=1000)] for q in queries]))
"""


def read_queries() -> list[tuple[int, str]]:
    out = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            n, _, q = line.partition("|")
            out.append((int(n), q.strip()))
    return out


def wam_ranks(code: Path, home: Path, lib: Path, queries: list[tuple[int, str]]) -> list[int]:
    run_wam(code, home, "index", str(lib), "-q")
    env = {**os.environ, "WAM_HOME": str(home), "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", SEARCH], input=json.dumps([q for _, q in queries]), env=env,
                         cwd=code, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"searching with the code in {code} failed:\n{out.stderr[-2000:]}")
    ranked = json.loads(out.stdout)
    ranks = []
    for (n, _), sources in zip(queries, ranked):
        # clips in the order of their best shot
        clips = list(dict.fromkeys(str(Path(s).resolve()) for s in sources))
        ranks.append(clips.index(str((lib / f"clip_{n:02d}.mp4").resolve())) + 1)
    return ranks


def reference_ranks(captions: list[str], queries: list[tuple[int, str]]) -> dict[str, list[int]]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from wam.text.embed import load_encoder

    enc = load_encoder(None)
    sims = enc.encode([q for _, q in queries]) @ enc.encode(captions).T
    tfidf = TfidfVectorizer().fit(captions)
    tf = (tfidf.transform([q for _, q in queries]) @ tfidf.transform(captions).T).toarray()
    want = np.array([n for n, _ in queries])

    def ranks(scores):  # ties count against the right caption
        right = scores[np.arange(len(want)), want]
        return [int(r) for r in (scores >= right[:, None]).sum(1)]

    return {"minilm": ranks(sims), "tfidf": ranks(tf)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", action="append", default=None,
                    help="git revision to compare with (repeatable; default 01e9e94; '' for none)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the queries each method misses")
    opts = ap.parse_args()
    baselines = [b for b in (opts.baseline if opts.baseline is not None else ["01e9e94"]) if b]
    queries = read_queries()
    work = Path(tempfile.mkdtemp(prefix="wam-textmatch-"))
    try:
        lib = work / "library"
        make_library(lib, CAPTIONS)
        results = {"wam": wam_ranks(REPO, work / "home", lib, queries)}
        for rev in baselines:
            with checkout(rev, work / f"code-{rev}") as code:
                results[rev] = wam_ranks(code, work / f"home-{rev}", lib, queries)
        results.update(reference_ranks(CAPTIONS, queries))
        print(f"{len(CAPTIONS)} generated clips with caption sidecars, {len(queries)} paraphrased queries; "
              "top-1 hit rate and mean reciprocal rank of the right clip:")
        for name, ranks in results.items():
            hits = sum(r == 1 for r in ranks)
            mrr = sum(1 / r for r in ranks) / len(ranks)
            print(f"  {name:10s} hit rate {hits / len(ranks):.3f} ({hits}/{len(ranks)})  MRR {mrr:.3f}")
            if opts.verbose:
                for (n, q), r in zip(queries, ranks):
                    if r != 1:
                        print(f"      rank {r:2d} for {n:2d}: {q}")
        print(" ".join(f"{name}={sum(r == 1 for r in rs) / len(rs):.3f}" for name, rs in results.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
