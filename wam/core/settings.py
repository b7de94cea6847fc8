"""The settings of the use cases: how a story is planned (``PlanSettings``) and how a plan is
rendered (``RenderSettings``). Frozen dataclasses whose defaults are ``wam.core.config``'s; every
value is checked here, once, when a settings object is made (a ``UsageError`` naming the
option), so the CLI, a batch job, the studio and a Python user all get the same answer.
Edit by copy: ``with_size`` / ``with_values`` (or ``dataclasses.replace``, which checks again).

Place in the flow: the CLI (from its options), ``wam.batch`` (per job) and ``wam.studio`` make
them; ``wam.app.planner.plan_story`` and the use cases of ``wam.app`` read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from wam.core.config import (
    A_ROLL_MODES,
    DEFAULT_A_ROLL_EVERY,
    DEFAULT_A_ROLL_MODE,
    DEFAULT_CRF,
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_K,
    DEFAULT_PACE,
    DEFAULT_PRESET,
    DEFAULT_SENTENCE_VECTORS,
    DEFAULT_WIDTH,
    DEFAULT_WPS,
    FIT_MODES,
    MAX_FPS,
    MIN_A_ROLL_EVERY,
    MIN_WPS,
    PACE_NAMES,
    SENTENCE_VECTOR_MODES,
    SUBTITLE_MODES,
    X264_PRESETS,
)
from wam.core.errors import UsageError
from wam.core.timeline import frame_size_problem


def _whole(value, name: str, low: int, high: int | None = None) -> None:
    if (isinstance(value, bool) or not isinstance(value, int) or value < low
            or (high is not None and value > high)):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise UsageError(f"{name} must be a whole number {bound}, not {value!r}")


def _one_of(value, name: str, choices) -> None:
    if value not in choices:
        raise UsageError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


@dataclass(frozen=True)
class PlanSettings:
    """What decides a story's cut besides its text: the footage (``libraries``: indexed folders,
    empty: all), the ``pace``, the output frame (``fps``, ``width`` × ``height``), candidates per
    sentence (``k``), the alternative cut (``seed``), the text model the index must use
    (``model``), how the story is read (``wps``; ``markdown``: None decides by the file's
    suffix), ``explain``, the narration (``voice``: a Piper voice, "default" for the shipped one;
    ``narration``: a recording; ``timing``: SubRip sentence times), ``music`` to cut on, and the
    speaker's talk under the cut (``a_roll``, ``a_roll_mode``, ``a_roll_every``; with
    ``talk_shape`` the frame takes the talk's shape, keeping the short side of width × height,
    as when neither ``--resolution`` nor ``--aspect`` is given), and how the sentences are
    embedded (``sentence_vectors``: ``auto``, ``full`` or ``static``, see ``wam.text.static``)."""

    libraries: tuple[str, ...] = ()
    pace: str = DEFAULT_PACE
    fps: int = DEFAULT_FPS
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    k: int = DEFAULT_K
    seed: int | None = None
    model: str | None = None
    wps: float = DEFAULT_WPS
    markdown: bool | None = None
    explain: bool = False
    voice: str | None = None
    narration: str | None = None
    timing: str | None = None
    music: str | None = None
    a_roll: str | None = None
    a_roll_mode: str = DEFAULT_A_ROLL_MODE
    a_roll_every: float = DEFAULT_A_ROLL_EVERY
    talk_shape: bool = True
    sentence_vectors: str = DEFAULT_SENTENCE_VECTORS

    def __post_init__(self):
        object.__setattr__(self, "libraries", tuple(self.libraries or ()))
        _one_of(self.pace, "--pace", PACE_NAMES)
        _whole(self.fps, "--fps", 1, MAX_FPS)
        _whole(self.k, "-k", 1)
        if self.seed is not None:
            _whole(self.seed, "--seed", 0)
        for side in (self.width, self.height):
            _whole(side, "the frame size", 1)
        if problem := frame_size_problem(self.width, self.height):
            raise UsageError(f"the output frame {problem}")
        if not (isinstance(self.wps, (int, float)) and math.isfinite(self.wps) and self.wps >= MIN_WPS):
            raise UsageError(f"--wps must be a finite number of at least {MIN_WPS}, not {self.wps!r}")
        _one_of(self.a_roll_mode, "--a-roll-mode", A_ROLL_MODES)
        _one_of(self.sentence_vectors, "--sentence-vectors", SENTENCE_VECTOR_MODES)
        every = self.a_roll_every
        if not (isinstance(every, (int, float)) and math.isfinite(every) and every >= MIN_A_ROLL_EVERY):
            raise UsageError(f"--a-roll-every must be at least {MIN_A_ROLL_EVERY:g} seconds, not {every}")

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def narrated(self) -> bool:
        """Whether the sentences take their times from a voice, a recording, a timing file or a talk."""
        return self.voice is not None or bool(self.narration or self.timing or self.a_roll)

    def with_size(self, size: tuple[int, int]) -> PlanSettings:
        """These settings for an output frame of ``size`` (width, height)."""
        return replace(self, width=size[0], height=size[1])

    def with_values(self, **changes) -> PlanSettings:
        """A copy with ``changes`` (checked like the original)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class RenderSettings:
    """How a plan becomes a video: ``size`` (None: the plan's own), ``fit`` (a ``FIT_MODES``
    name), the x264 ``preset`` and ``crf``, ``subtitles`` (a ``SUBTITLE_MODES`` name: burnt-in
    sentences, with the spoken word highlighted, or none), ``keep_audio`` (the clips' own
    sound), ``music`` under it, ``preview`` (a fast half-size draft), ``threads`` (segments
    encoded side by side; None: one per core), ``progress`` (a bar on stderr) and
    ``a_roll_mode`` (a saved plan's speaker shown this way; None: as planned)."""

    size: tuple[int, int] | None = None
    fit: str = FIT_MODES[0]
    preset: str = DEFAULT_PRESET
    crf: int = DEFAULT_CRF
    subtitles: str = SUBTITLE_MODES[0]
    keep_audio: bool = False
    music: str | None = None
    preview: bool = False
    threads: int | None = None
    progress: bool = False
    a_roll_mode: str | None = None

    def __post_init__(self):
        if self.size is not None:
            object.__setattr__(self, "size", tuple(self.size))
            if len(self.size) != 2:
                raise UsageError(f"the output size must be (width, height), not {self.size!r}")
            for side in self.size:
                _whole(side, "the output size", 1)
            if problem := frame_size_problem(*self.size):
                raise UsageError(f"the output frame {problem}")
        _one_of(self.fit, "--fit", FIT_MODES)
        _one_of(self.preset, "--preset", X264_PRESETS)
        _whole(self.crf, "--crf", 0, 51)
        _one_of(self.subtitles, "--subtitles", SUBTITLE_MODES)
        if self.threads is not None:
            _whole(self.threads, "--threads", 1)
        if self.a_roll_mode is not None:
            _one_of(self.a_roll_mode, "--a-roll-mode", A_ROLL_MODES)

    def with_size(self, size: tuple[int, int] | None) -> RenderSettings:
        """These settings at ``size`` (None: the plan's own)."""
        return replace(self, size=size)

    def with_values(self, **changes) -> RenderSettings:
        """A copy with ``changes`` (checked like the original)."""
        return replace(self, **changes)
