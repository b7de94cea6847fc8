"""What assembler v2 adds to a plan, rendered: a continuation runs seamlessly across the
sentence boundary (consecutive source frames, no repeated or skipped frame), and a held
last frame holds."""

import pytest

from media import BARS_H, BARS_W, bars_clip, frame_number
from wam.core.timeline import Cut, SentenceSpan, Timeline

pytestmark = pytest.mark.slow


def decoded(path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            return out
        out.append(frame_number(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)))


def test_continuation_is_seamless_and_hold_holds(tmp_path):
    from wam.render.renderer import RenderOptions, render_timeline

    src = str(bars_clip(tmp_path / "bars.mp4", 25, 100))  # frames 0..99, 4 s
    fps = 25
    a = Cut("s0", src, 1.0, 2.0, 0, 25, fps, 0.9)  # source frames 25..49
    b = Cut("s0", src, 2.0, 2.6, 25, 15, fps, 0.9, continues=True)  # 50..64, the same shot running on
    c = Cut("s0", src, 3.6, 4.0, 40, 20, fps, 0.9, hold=0.4)  # 90..99, then 99 held for 10 frames
    tl = Timeline(fps, BARS_W, BARS_H, [SentenceSpan(0, "One.", 0, 25, fps, 0, [a]),
                                         SentenceSpan(1, "Two.", 25, 35, fps, 0, [b, c])])
    out = tmp_path / "out.mp4"
    render_timeline(tl, out,
                    RenderOptions(width=BARS_W, height=BARS_H, subtitles=False, fade=0, preset="ultrafast",
                                  crf=0))
    got = decoded(out)
    assert got[:40] == list(range(25, 65))
    assert got[40:50] == list(range(90, 100))
    assert got[50:60] == [99] * 10
