#!/usr/bin/env python3
"""Sentence vectors of a huge story: CPU seconds of the text model (full) and of its static
token vectors (``wam/text/static.py``), cold (every token vector computed) and warm (token
vectors known), for the sentences of bench/plan_scale.py's 1 MB story, and how near the
static vectors are to the full model's (mean cosine; with ``--home``, the share of sentences
whose nearest clip of that index is the full model's):

    python bench/sentence_vectors.py [--kb 1000] [--sentences N] [--threads 1] [--home WAM_HOME]

CPU seconds are this process's (``time.process_time``), what a shared machine does not
inflate much; ``--threads 1`` (the default) keeps torch's threads from spinning on a busy
machine. Nothing is cached (no sentence cache is used). The last line is machine-readable:
``sentences=… full_cpu_s=… static_cold_cpu_s=… static_warm_cpu_s=… cos=… clip_agree=…``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=int, default=1000, help="story size in KB (bench/plan_scale.py's story)")
    ap.add_argument("--sentences", type=int, default=0, help="only the first N sentences (0: all)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--home", type=Path, help="a WAM_HOME whose index the nearest clips are taken from")
    opts = ap.parse_args()

    import numpy as np
    import torch
    from plan_scale import varied_story

    from wam.core.story import read_story
    from wam.text.embed import load_encoder
    from wam.text.static import StaticEncoder

    torch.set_num_threads(opts.threads)
    texts = [s.text for s in read_story(varied_story(opts.kb * 1000))]
    texts = texts[: opts.sentences] if opts.sentences else texts
    bert = load_encoder(None)
    bert.encode(texts[:8])  # the model loaded and warmed up

    def timed(fn):
        start = time.process_time()
        out = fn()
        return out, time.process_time() - start

    fast = StaticEncoder(bert, None)
    fast.mapping()
    static_vecs, cold = timed(lambda: np.concatenate([fast.encode(texts[a : a + 512])
                                                      for a in range(0, len(texts), 512)]))
    _, warm = timed(lambda: fast.encode(texts))
    full_vecs, full = timed(lambda: np.concatenate([bert.encode(texts[a : a + 512])
                                                    for a in range(0, len(texts), 512)]))
    cos = float((static_vecs * full_vecs).sum(axis=1).mean())
    agree = float("nan")
    if opts.home:
        from wam.library.store import Store

        with Store.open(opts.home, create=False) as store:
            table = store.shot_table(store.library_ids(None))
        sources = np.array(table.sources)
        agree = float(np.mean(sources[(static_vecs @ table.embeddings.T).argmax(1)]
                              == sources[(full_vecs @ table.embeddings.T).argmax(1)]))
    tokens = sum(len(x) for x in bert.token_ids(texts))
    print(f"{len(texts)} sentences, {tokens} tokens, {len(fast._tokens)} distinct tokens, "
          f"{opts.threads} torch thread(s)")
    print(f"  full model      {full:7.1f} CPU s")
    print(f"  static, cold    {cold:7.1f} CPU s  ({full / max(cold, 1e-9):.0f}x less)")
    print(f"  static, warm    {warm:7.1f} CPU s")
    same = f", nearest clip the same {agree:.3f}" if opts.home else ""
    print(f"  static vs full: mean cosine {cos:.3f}{same}")
    print(f"sentences={len(texts)} full_cpu_s={full:.1f} static_cold_cpu_s={cold:.1f} "
          f"static_warm_cpu_s={warm:.1f} cos={cos:.3f} clip_agree={agree:.3f}")


if __name__ == "__main__":
    main()
