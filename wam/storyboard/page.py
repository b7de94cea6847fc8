"""The storyboard's HTML: one self-contained page (inline CSS, pictures as data URIs, no
network), plain and readable, that prints one sentence block per page break opportunity.

Pure: takes the timeline, the thumbnails (JPEG bytes, None when a source cannot be read) and
the alternatives, returns text. Every piece of user text is escaped.
"""

from __future__ import annotations

import base64
import os
from html import escape

from wam.core.timeline import Cut, SentenceSpan, Timeline

COST_NAMES = ("semantic", "duration", "quality", "transition", "diversity")

CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --line: #d8dadf; --warn: #b3261e;
  --note: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.summary { color: var(--muted); margin: 0 0 1rem; }
.warnings { border-left: 4px solid var(--note); padding: .25rem .75rem; margin: 0 0 1rem;
  color: var(--note); }
.sentence { border-top: 1px solid var(--line); padding: 14px 0 18px; break-inside: avoid;
  page-break-inside: avoid; }
.sentence.new-paragraph { border-top: 3px solid var(--ink); }
.head { display: flex; gap: .75rem; align-items: baseline; flex-wrap: wrap; }
.num { font-weight: 700; }
.time { color: var(--muted); font-variant-numeric: tabular-nums; }
.text { font-size: 1.12rem; margin: .35rem 0 .6rem; }
.flag { display: inline-block; font-size: .78rem; padding: 0 .45rem; border: 1px solid currentColor;
  border-radius: 3px; }
.flag.warn { color: var(--warn); } .flag.note { color: var(--note); } .flag.info { color: var(--muted); }
.cuts, .alts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; }
.cut { width: 332px; border: 1px solid var(--line); border-radius: 4px; padding: 6px; }
.cut img, .cut .missing { display: block; width: 320px; height: auto; aspect-ratio: 16 / 9;
  object-fit: contain; background: #111; }
.missing { color: #eee; font-size: .8rem; padding: .5rem; overflow-wrap: anywhere; }
.move { position: relative; width: 320px; background: #111; }
.cut .move img { aspect-ratio: auto; }
.move span { position: absolute; box-sizing: border-box; pointer-events: none; }
.move .move-from { border: 2px dashed #ffd54a; } .move .move-to { border: 2px solid #4ad0ff; }
.move .move-now { border: 2px solid #fff; box-shadow: 0 0 0 999px rgba(0, 0, 0, .35);
  animation: wam-move var(--d) linear infinite; }
@keyframes wam-move { from { left: var(--x0); top: var(--y0); width: var(--w0); height: var(--h0); }
                      to { left: var(--x1); top: var(--y1); width: var(--w1); height: var(--h1); } }
@media (prefers-reduced-motion: reduce) { .move .move-now { animation: none; display: none; } }
figcaption { font-size: .85rem; margin-top: .35rem; }
.src { font-weight: 600; overflow-wrap: anywhere; }
.costs { border-collapse: collapse; margin-top: .25rem; font-size: .78rem;
  font-variant-numeric: tabular-nums; }
.costs td { padding: 0 .6rem 0 0; color: var(--muted); }
.costs td + td { color: var(--ink); text-align: right; }
.alts-box { margin-top: .6rem; }
.alts-box h3 { font-size: .85rem; color: var(--muted); margin: 0 0 .3rem; font-weight: 600; }
.alt { width: 204px; font-size: .8rem; color: var(--muted); }
.alt img, .alt .missing { display: block; width: 192px; height: auto; aspect-ratio: 16 / 9;
  object-fit: contain; background: #111; }
.alt .desc { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.player { position: sticky; top: 0; background: #fff; padding: .4rem 0; z-index: 1;
  border-bottom: 1px solid var(--line); }
.player audio { width: 100%; }
.listen { font: inherit; font-size: .8rem; padding: 0 .5rem; cursor: pointer; }
.sentence.speaking { background: #f3f6fc; }
@media print {
  .player, .listen { display: none; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  .cut { width: 31%; } .cut img, .cut .missing { width: 100%; }
  .alt { width: 23%; } .alt img { width: 100%; }
  a { color: inherit; text-decoration: none; }
}
"""

#: Marks every picture as loaded or not once the page has loaded (for checking in a browser;
#: harmless elsewhere). No network is involved: every picture is a data URI.
SCRIPT = """
window.addEventListener("load", function () {
  var ok = 0;
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i], good = im.complete && im.naturalWidth > 0;
    im.setAttribute("data-loaded", good ? "yes" : "no");
    if (good) { ok++; }
  }
  document.body.setAttribute("data-images-loaded", String(ok));
});
(function () {  // a narrated plan: each sentence's button plays it; the sentence being spoken is marked
  var audio = document.getElementById("narration");
  if (!audio) { return; }
  var sections = Array.prototype.slice.call(document.querySelectorAll("section[data-start]"));
  audio.addEventListener("loadedmetadata", function () {
    document.body.setAttribute("data-narration-seconds", audio.duration.toFixed(2));
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.listen") : null;
    if (!b) { return; }
    audio.currentTime = parseFloat(b.getAttribute("data-start"));
    audio.play();
  });
  audio.addEventListener("timeupdate", function () {
    var t = audio.currentTime;
    sections.forEach(function (s) {
      var on = t >= parseFloat(s.getAttribute("data-start")) && t < parseFloat(s.getAttribute("data-end"));
      s.classList.toggle("speaking", on);
    });
  });
})();
"""


def clock(seconds: float) -> str:
    """0:04.10 / 1:02:03.50 style times."""
    m, s = divmod(max(0.0, seconds), 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:05.2f}" if h else f"{m}:{s:05.2f}"


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _picture(jpeg: bytes | None, alt: str, cls: str, source: str) -> str:
    if jpeg:
        return f'<img class="{cls}" src="{data_uri(jpeg)}" alt="{escape(alt)}">'
    return f'<div class="missing {cls}-missing">no picture: {escape(source)} cannot be read</div>'


def _flag(label: str, kind: str, title: str = "") -> str:
    t = f' title="{escape(title)}"' if title else ""
    return f'<span class="flag {kind}"{t}>{escape(label)}</span>'


def cut_html(cut: Cut, jpeg: bytes | None, index: int, over_talk: bool = False) -> str:
    """One cut's figure; ``over_talk``: the plan lies over the speaker's talk (``--a-roll``), so
    each cut says whether it shows the speaker (A-roll) or library footage (B-roll)."""
    name = os.path.basename(cut.source) or cut.source
    flags = []
    if cut.a_roll:
        flags.append(_flag("A-roll · speaker", "info", "the talk, at the time it plays on the output"))
    elif over_talk:
        flags.append(_flag("B-roll", "info", "library footage over the talk"))
    if getattr(cut, "last_resort", False):
        flags.append(_flag("last resort", "warn", "no candidate fitted; the best remaining footage was used"))
    if cut.continues and not cut.a_roll:
        flags.append(_flag("continues", "info", "picks up the previous cut's shot where it ended"))
    if cut.move is not None:
        flags.append(_flag("still · move", "info",
                           "a still picture: the frame moves from the dashed to the solid "
                           "rectangle over the cut"))
    elif cut.hold > 0:
        flags.append(_flag(f"holds {cut.hold:.2f} s", "note", "the last source frame is held at the end"))
    costs = "".join(f"<tr><td>{escape(k)}</td><td>{float(v):.3f}</td></tr>"
                    for k, v in sorted(cut.costs.items(), key=lambda kv: (_cost_order(kv[0]), kv[0])))
    picture = _picture(jpeg, f"{name} at {cut.source_in:.2f} s", "cut-thumb", cut.source)
    if cut.move is not None and jpeg:
        picture = move_html(cut.move, cut.duration, picture)
    return (
        f'<figure class="cut" data-cut="{index}">'
        + picture
        + '<figcaption>'
        f'<div class="src" title="{escape(cut.source)}">{escape(name)}</div>'
        f'<div>source {cut.source_in:.2f}–{cut.source_out:.2f} s · on screen '
        f'<span class="time">{clock(cut.start)}–{clock(cut.end)}</span></div>'
        f'<div>{"" if cut.a_roll else f"score {cut.score:.3f} "}{" ".join(flags)}</div>'
        + (f'<table class="costs" aria-label="cost breakdown">{costs}</table>' if costs else "")
        + "</figcaption></figure>"
    )


def move_html(move: dict, seconds: float, picture: str) -> str:
    """The whole still with its move drawn over it: where the frame starts (dashed), where it
    ends (solid) and, animated over the cut's length, where it is."""
    def box(r):
        return [f"{100 * v:.2f}%" for v in r]

    a, b = box(move["from"]), box(move["to"])
    style = "; ".join([f"--{k}0: {v}" for k, v in zip("xywh", a)]
                      + [f"--{k}1: {v}" for k, v in zip("xywh", b)]
                      + [f"--d: {max(seconds, 0.5):.2f}s"])

    def rect(cls, r):
        return f'<span class="{cls}" style="left: {r[0]}; top: {r[1]}; width: {r[2]}; height: {r[3]}"></span>'

    return (f'<div class="move" style="{style}">{picture}{rect("move-from", a)}{rect("move-to", b)}'
            f'<span class="move-now"></span></div>')


def _cost_order(name: str) -> int:
    return COST_NAMES.index(name) if name in COST_NAMES else len(COST_NAMES)


def alternative_html(alt, jpeg: bytes | None) -> str:
    name = os.path.basename(alt.source) or alt.source
    return (
        f'<figure class="alt" data-shot="{escape(alt.shot_id)}">'
        + _picture(jpeg, f"{name} at {alt.start:.2f} s", "alt-thumb", alt.source)
        + f'<figcaption><div class="src" title="{escape(alt.source)}">{escape(name)}</div>'
        f"<div>{alt.start:.2f}–{alt.end:.2f} s · score {alt.score:.3f}</div>"
        + (f'<div class="desc">{escape(alt.description)}</div>' if alt.description else "")
        + "</figcaption></figure>"
    )


def sentence_html(s: SentenceSpan, new_paragraph: bool, cut_parts: list[str], alt_parts: list[str] | None,
                  spoken: tuple[float, float] | None = None) -> str:
    flags = []
    if s.weak_match:
        flags.append(_flag("weak match", "warn",
                           "no shot matched this sentence well; the best available is used"))
    if s.reused:
        flags.append(_flag("reused", "note", "a shot shown elsewhere in the cut is shown again"))
    if new_paragraph:
        flags.append(_flag("new paragraph · cross-fade", "info"))
    alts = ""
    if alt_parts is not None:
        body = "".join(alt_parts) or '<p class="summary">nothing else in the library matches it</p>'
        alts = f'<div class="alts-box"><h3>Next best</h3><div class="alts">{body}</div></div>'
    classes = "sentence new-paragraph" if new_paragraph else "sentence"
    span, listen = "", ""
    if spoken is not None:  # where the narration speaks it
        span = f' data-start="{spoken[0]:.3f}" data-end="{spoken[1]:.3f}"'
        listen = f'<button class="listen" type="button" data-start="{spoken[0]:.3f}">▶ listen</button>'
    return (
        f'<section class="{classes}" id="s{s.index + 1}" data-sentence="{s.index}"{span}>'
        f'<div class="head"><span class="num">{s.index + 1}.</span>'
        f'<span class="time">{clock(s.start)}–{clock(s.end)} ({s.duration:.2f} '
        f's)</span>{" ".join(flags)}{listen}</div><p class="text">{escape(s.text)}</p>'
        f'<div class="cuts">{"".join(cut_parts)}</div>{alts}</section>'
    )


def page_html(timeline: Timeline, cut_jpegs: list[bytes | None], alternatives: dict | None,
              alt_jpegs: dict, title: str, narration: bytes | None = None) -> str:
    """The whole page. ``cut_jpegs``: one per cut in order; ``alternatives``: sentence index →
    Alternative list (None: not computed); ``alt_jpegs``: shot_id → JPEG; ``narration``: the
    plan's narration as MP3 (a player, and a button per sentence that plays it from where
    it is spoken)."""
    spoken = timeline.speech_spans() if narration is not None else None
    cuts = timeline.cuts()
    n_weak = sum(s.weak_match for s in timeline.sentences)
    footage = sum(c.duration for c in cuts if not c.a_roll)
    summary = (f"{len(timeline.sentences)} sentences · {len(cuts)} cuts · {clock(timeline.duration)} · "
               f"{timeline.width}×{timeline.height} at {timeline.fps} fps · pace {escape(timeline.pace)}"
               + (f" · model {escape(timeline.model)}" if timeline.model else "")
               + (f" · {n_weak} weak match{'es' if n_weak != 1 else ''}" if n_weak else "")
               + (f" · over the talk {escape(os.path.basename(timeline.a_roll['file']))}: B-roll "
                  f"{clock(footage)} ({100 * footage / max(timeline.duration, 1e-9):.0f} %)"
                  if timeline.a_roll else ""))
    warnings = "".join(f"<div>{escape(w)}</div>" for w in timeline.warnings)
    parts, k = [], 0
    prev_para = None
    for s in timeline.sentences:
        cut_parts = []
        for c in s.cuts:
            cut_parts.append(cut_html(c, cut_jpegs[k], k, over_talk=timeline.a_roll is not None))
            k += 1
        alt_parts = None
        if alternatives is not None:
            alt_parts = [alternative_html(a, alt_jpegs.get(a.shot_id)) for a in alternatives.get(s.index, [])]
        parts.append(
            sentence_html(
                s,
                prev_para is not None and s.paragraph != prev_para,
                cut_parts,
                alt_parts,
                spoken[s.index] if spoken is not None else None,
            )
        )
        prev_para = s.paragraph
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>"
        f'<h1>{escape(title)}</h1><p class="summary">{summary}</p>'
        + (f'<div class="warnings">{warnings}</div>' if warnings else "")
        + (
            f'<div class="player"><audio id="narration" controls preload="auto" '
            f'src="data:audio/mpeg;base64,{base64.b64encode(narration).decode()}"></audio></div>'
            if narration
            else ""
        )
        + "\n".join(parts)
        + f"<script>{SCRIPT}</script></body></html>\n"
    )
