#!/usr/bin/env python3
"""The edit loop: a ~3-minute story (40 sentences) on a generated library big enough not to
repeat footage, rendered cold at 1280x720, then edited three ways (reword a middle sentence,
delete one, insert one) and rendered again, as ``wam render --watch`` does (the text model
stays loaded; each re-plan gets the previous plan, each render the render cache).

    python bench/edit_loop.py [--sentences 40] [--size 1280x720] [--keep DIR]

For each edit it prints the re-render time (plan + render) as a ratio of the cold one (goal
≤ 0.15 and < 10 s), the segments encoded, the share of unchanged sentences that kept exactly
their cuts (goal ≥ 90 %), and whether every frame outside the changed sentences (and their
cross-fades) is pixel-identical to the previous render (decoded frames compared by MD5).
The last line is machine-readable: ``cold_s=… reword_ratio=… delete_ratio=… insert_ratio=…
kept_min=… identical=…``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SUBJECTS = ["red car", "blue boat", "old bridge", "tall lighthouse", "busy market", "quiet library",
            "green forest", "snowy mountain", "sandy beach", "city tram", "wooden cabin", "glass tower",
            "night train", "hot air balloon", "farm tractor", "fishing harbour", "desert road", "river canoe",
            "stone castle", "wind turbine", "coffee shop", "flower field", "rainy street", "school bus",
            "space rocket", "old windmill", "mountain lake", "football stadium", "jazz band",
            "street painter", "bakery oven", "bicycle race", "waterfall", "fire truck", "airport runway",
            "museum hall", "crowded subway", "vineyard hills", "ice rink", "harbour crane"]
#: Generated pictures with motion and detail but not noise (noise would cost x264 far more than footage).
PATTERNS = ["testsrc2", "mandelbrot", "gradients=speed=0.02", "rgbtestsrc", "smptehdbars", "testsrc",
            "mandelbrot=start_scale=1", "gradients=speed=0.05:nb_colors=4"]


def make_library(folder: Path, clips: int) -> None:
    """``clips`` clips of two 3-second shots each (distinct generated patterns and tints),
    each with a sidecar description naming its subject."""
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(clips):
        subject = SUBJECTS[i % len(SUBJECTS)]
        name = f"{i:03d}_{subject.replace(' ', '_')}"
        args = [ff, "-y", "-v", "error"]
        hues = []
        for k in range(2):
            pattern = PATTERNS[(i * 2 + k) % len(PATTERNS)]
            spec = pattern + (":" if "=" in pattern else "=") + "s=640x360:r=30"
            args += ["-f", "lavfi", "-t", "3", "-i", spec]
            hues.append((i * 37 + k * 90) % 360)
        graph = "".join(f"[{k}:v]scale=640:360,format=yuv420p,hue=h={hue}:s=1.5,setsar=1[v{k}];"
                        for k, hue in enumerate(hues))
        graph += "[v0][v1]concat=n=2:v=1:a=0[out]"
        subprocess.run(args + ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset",
                               "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", str(folder / f"{name}.mp4")],
                       check=True)
        (folder / f"{name}.txt").write_text(f"A {subject}. The {subject} seen up close, then from afar.\n")


def story_lines(n: int) -> list[str]:
    """``n`` sentences of ~12 words, each about one library subject, paragraphs of five."""
    verbs = ["appears in the morning light as people walk past",
             "stands out against the sky as evening comes",
             "is where our short story takes a turn today",
             "reminds everyone of summer days far from the city"]
    return [f"The {SUBJECTS[i % len(SUBJECTS)]} {verbs[i % len(verbs)]}." for i in range(n)]


def story_text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs) + "\n"


def edited(paragraphs: list[list[str]], how: str) -> list[list[str]]:
    """The story with one sentence of its middle paragraph reworded, deleted, or one inserted
    (the other paragraphs stay as they are, as when a person edits a text)."""
    out = [list(p) for p in paragraphs]
    mid = out[len(out) // 2]
    k = len(mid) // 2
    if how == "reword":
        mid[k] = mid[k].replace("The ", "Suddenly the ", 1)
    elif how == "delete":
        del mid[k]
    else:
        mid.insert(k, "A hot air balloon drifts over the quiet harbour at dawn.")
    return out


def frame_md5s(path: Path) -> list[str]:
    import imageio_ffmpeg

    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                          "-f", "framemd5", "-"], capture_output=True, text=True, check=True).stdout
    return [ln.rsplit(",", 1)[1].strip() for ln in out.splitlines() if ln and not ln.startswith("#")]


def cut_keys(s) -> tuple:
    return tuple((c.source, round(c.source_in, 3), c.frames, round(c.hold, 3)) for c in s.cuts)


def compare(old, new, old_md5, new_md5, xf: int) -> tuple[float, float, int]:
    """(share of unchanged sentences keeping their cuts, share of frames outside changed
    sentences and their cross-fades that are identical, frames compared)."""
    a, b = [s.text for s in old.sentences], [s.text for s in new.sentences]
    pairs = [(blk.a + k, blk.b + k)
             for blk in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
             for k in range(blk.size)]
    kept = [i_new for i_old, i_new in pairs
            if cut_keys(old.sentences[i_old]) == cut_keys(new.sentences[i_new])]
    changed = set(range(len(b))) - set(kept)
    same = total = 0
    for i_old, i_new in pairs:
        if i_new in changed:
            continue
        so, sn = old.sentences[i_old], new.sentences[i_new]
        n = sn.frames
        # the last frames cross-fade into the next paragraph: skip them when that sentence changed
        nxt = i_new + 1
        if nxt < len(b) and new.sentences[nxt].paragraph != sn.paragraph and nxt in changed:
            n -= xf
        for j in range(n):
            total += 1
            same += old_md5[so.start_frame + j] == new_md5[sn.start_frame + j]
    matched = len(pairs)
    return len(kept) / max(matched, 1), same / max(total, 1), total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=40)
    ap.add_argument("--clips", type=int, default=80)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--keep", default=None, help="work folder to keep (library and index are reused)")
    opts = ap.parse_args()
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="wam-edit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["WAM_HOME"] = str(work / "home")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wam.app import PlanSettings, story_plan
    from wam.core.config import CROSSFADE_SECONDS
    from wam.render.renderer import RenderOptions, render_timeline
    from wam.render.segment_cache import RenderCache

    try:
        lib = work / "lib"
        if not (work / "home" / "index.sqlite").exists():
            t = time.perf_counter()
            make_library(lib, opts.clips)
            subprocess.run([sys.executable, "-m", "wam", "index", str(lib), "-q"], check=True)
            print(f"library: {opts.clips} clips indexed in {time.perf_counter() - t:.0f} s")
        w, h = (int(v) for v in opts.size.split("x"))
        settings = PlanSettings(width=w, height=h, fps=30)
        story = work / "story.txt"
        lines = story_lines(opts.sentences)
        paragraphs = [lines[i:i + 5] for i in range(0, len(lines), 5)]
        story.write_text(story_text(paragraphs))
        cache = RenderCache(work / "cache", None).ensure()
        cache.clear()
        ropts = RenderOptions(width=w, height=h)
        story_plan(str(story), settings)  # loads the model
        out = work / "out.mp4"

        def render(previous):
            t = time.perf_counter()
            tl = story_plan(str(story), settings, previous=previous)
            planned = time.perf_counter() - t
            res = render_timeline(tl, out, ropts, cache=cache)
            return tl, time.perf_counter() - t, planned, res

        tl, cold, planned, res = render(None)
        print(f"cold: {len(tl.sentences)} sentences, {tl.duration:.0f} s at {w}x{h}: {cold:.1f} s "
              f"(planning {planned:.1f} s), {res.encoded} segments encoded")
        md5 = frame_md5s(out)
        edits = {how: edited(paragraphs, how) for how in ("reword", "delete", "insert")}
        xf = round(CROSSFADE_SECONDS * 30)
        ratios, kept_all, ident_all = {}, [], []
        for name, new_paragraphs in edits.items():
            story.write_text(story_text(new_paragraphs))
            new, secs, planned, res = render(tl)
            new_md5 = frame_md5s(out)
            kept, identical, frames = compare(tl, new, md5, new_md5, xf)
            ratios[name] = secs / cold
            kept_all.append(kept)
            ident_all.append(identical)
            print(f"{name:7s}: {secs:5.1f} s = {secs / cold:.3f} x cold (goal <= 0.15 and < 10 s; planning "
                  f"{planned:.1f} s), {res.encoded} of {res.segments} segments encoded; unchanged sentences "
                  f"keeping their cuts {kept:.0%} (goal >= 90 %); identical "
                  f"frames outside the edit {identical:.2%} of {frames}")
            story.write_text(story_text(paragraphs))  # back to the original, rendered again (from the cache)
            tl, _, _, _ = render(new)
            md5 = frame_md5s(out)
        print(f"cold_s={cold:.2f} reword_ratio={ratios['reword']:.3f} delete_ratio={ratios['delete']:.3f} "
              f"insert_ratio={ratios['insert']:.3f} kept_min={min(kept_all):.3f} "
              f"identical={min(ident_all):.4f}")
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
