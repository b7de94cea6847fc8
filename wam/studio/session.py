"""One story being edited in the studio: its text, the settings that decide its cut, its
current plan, and what the page asks of it — re-plan after an edit (stable: unchanged
sentences keep their cuts, pins hold, bans apply), swap a cut, pin a cut, ban a shot or a
clip, change the pace, shape, voice or music, save the story and its plan beside each other.

Every method runs on the session's one planning thread (``StudioSession.run``): the index's
SQLite connection and the text model's process belong to it. Previews, the render and the
exports (``studio.jobs``) work on a snapshot of the plan and never touch the index.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from wam.core.config import (
    ASPECTS,
    DEFAULT_A_ROLL_EVERY,
    DEFAULT_A_ROLL_MODE,
    DEFAULT_ALTERNATIVES,
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_K,
    DEFAULT_PACE,
    DEFAULT_RESOLUTION,
    DEFAULT_VOICE,
    DEFAULT_WIDTH,
    PACE_NAMES,
    STUDIO_MUSIC_EXTENSIONS,
    wam_home,
)
from wam.core.errors import NothingIndexedError, UsageError, WamError
from wam.core.settings import PlanSettings
from wam.core.timeline import Bans, Timeline


@dataclass
class Settings:
    """What decides the cut besides the text: pace, frame rate and size, voice, music, the talk under it."""

    pace: str = DEFAULT_PACE
    fps: int = DEFAULT_FPS
    size: tuple[int, int] = (DEFAULT_WIDTH, DEFAULT_HEIGHT)
    # None: unnarrated; a Piper voice (``--voice``: the shipped one's name, or a model)
    voice: str | None = None
    music: str | None = None  # a sound file among the session's music choices
    a_roll: str | None = None  # the speaker's talk under the cut (``--a-roll``; its sound is the narration)
    a_roll_mode: str = DEFAULT_A_ROLL_MODE
    a_roll_every: float = DEFAULT_A_ROLL_EVERY

    def plan_settings(self, *, libraries: list[str] | None, markdown: bool) -> PlanSettings:
        """These settings as the ``PlanSettings`` the story is planned with (every other option at
        its default; the frame exactly ``size``: it already has the talk's shape)."""
        return PlanSettings(libraries=tuple(libraries or ()), pace=self.pace, fps=self.fps,
                            width=self.size[0], height=self.size[1], markdown=markdown, voice=self.voice,
                            music=self.music, a_roll=self.a_roll, a_roll_mode=self.a_roll_mode,
                            a_roll_every=self.a_roll_every, talk_shape=False)

    def aspect(self) -> str | None:
        """The ``ASPECTS`` name of the frame's shape (None: another shape)."""
        w, h = self.size
        return next((name for name, (a, b) in ASPECTS.items() if abs(w * b - h * a) <= max(a, b)), None)


@dataclass
class Choices:
    """What the page offers in its menus."""

    voices: list[str] = field(default_factory=lambda: installed_voices())  # Piper voices (``--voice`` values)
    music: list[str] = field(default_factory=list)  # absolute paths of sound files


def installed_voices() -> list[str]:
    """The voices the page offers: the shipped Piper voice, or none without the ``wam[voice]`` extra."""
    from wam.voice.engines import piper_installed

    return [DEFAULT_VOICE] if piper_installed(shipped=True) else []


def music_choices(story: Path, given: list[str]) -> list[str]:
    """Sound files the page offers as music: those given (``--music``) and those beside the story."""
    found = [os.path.abspath(p) for p in given]
    try:
        found += sorted(str(p.absolute()) for p in story.parent.iterdir()
                        if p.is_file() and p.suffix.lower() in STUDIO_MUSIC_EXTENSIONS)
    except OSError:
        pass
    return list(dict.fromkeys(found))


class StudioSession:
    """The story at ``story`` in the studio (``libraries``: the indexed folders to cut from,
    default all; ``music``: sound files to offer besides those beside the story; ``a_roll``: the
    speaker's talk to cut over, with ``a_roll_mode`` / ``a_roll_every`` — given, they override the
    saved plan's)."""

    def __init__(self, story: str | os.PathLike, *, libraries: list[str] | None = None, music: list[str] = (),
                 home: Path | None = None, a_roll: str | None = None, a_roll_mode: str | None = None,
                 a_roll_every: float | None = None):
        from wam.core.story import MARKDOWN_SUFFIXES

        self.story = Path(os.path.abspath(story))
        self.home = Path(home) if home else wam_home()
        self.libraries = list(libraries or []) or None
        self.markdown = self.story.suffix.lower() in MARKDOWN_SUFFIXES
        self.settings = Settings()
        self.talk = {"a_roll": a_roll and os.path.abspath(a_roll), "a_roll_mode": a_roll_mode,
                     "a_roll_every": a_roll_every}  # as given
        self.choices = Choices(music=music_choices(self.story, list(music)))
        self.timeline: Timeline | None = None
        self.bans = Bans()
        self.error: str | None = None
        self.alternatives: dict = {}
        self.text = ""
        self.saved: str | None = None  # the state key of what is on disk
        self.files = None  # media.ShotFiles
        self._store = None
        self._encoder = None
        self._static = None
        self._table = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wam-studio-plan")

    # ------------------------------------------------------------------ the planning thread
    def run(self, fn, *args, **kwargs):
        """A Future of ``fn(*args, **kwargs)`` run on the planning thread."""
        return self._thread.submit(fn, *args, **kwargs)

    def open(self) -> None:
        """Open the index, read the story and the plan saved beside it, and plan it."""
        from wam.app.planner import sentence_cache
        from wam.library.store import Store
        from wam.studio.media import ShotFiles
        from wam.studio.saved import read_saved_plan, saved_settings
        from wam.text.embed import ModelProcess
        from wam.text.static import StaticProcess

        self.text = _read_text(self.story)
        self._store = Store.open(self.home, create=False)
        ids = self._store.library_ids(self.libraries)
        self._table = self._store.shot_table(ids)
        if len(self._table) == 0 or not self._store.model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        roots = [lib["root"] for lib in self._store.libraries() if ids is None or lib["id"] in ids]
        self.files = ShotFiles(self._table, roots)
        self._encoder = ModelProcess(self._store.model, int(self._store.meta("dim") or 0))
        self._static = StaticProcess(self._store.model, int(self._store.meta("dim") or 0),
                                     sentence_cache(Path(self._store.home)))
        saved = read_saved_plan(self.story)
        if saved is not None:
            found = saved_settings(saved)
            self.settings = Settings(found["pace"] if found["pace"] in PACE_NAMES else DEFAULT_PACE,
                                     found["fps"], (saved.width, saved.height), found.get("voice"),
                                     found.get("music"),
                                     **{k: v for k, v in found.items() if k.startswith("a_roll")})
            for kind, value in (("voices", self.settings.voice), ("music", self.settings.music)):
                if value and value not in getattr(self.choices, kind):
                    getattr(self.choices, kind).append(value)
            self.bans = saved.bans
        else:
            from wam.render.layout import output_frame

            self.settings.size = output_frame(DEFAULT_RESOLUTION, None, a_roll=self.talk["a_roll"])
        for name, value in self.talk.items():
            if value is not None:
                setattr(self.settings, name, value)
        if self.settings.a_roll:
            self.settings.voice = None  # the talk's sound is the narration
        self._plan(saved)
        planned = self.timeline
        if (
            saved is not None
            and planned is not None
            and _state_key(self.text, saved, self.settings) == _state_key(self.text, planned, self.settings)
        ):
            self.saved = self.state_key()

    def close(self) -> None:
        """End the text model's process and close the index (on the planning thread)."""

        def shut():
            for child in (self._encoder, self._static):
                if child is not None:
                    child.close()
            if self._store is not None:
                self._store.close()

        try:
            self.run(shut).result()
        finally:
            self._thread.shutdown(wait=True)

    def _plan(self, previous: Timeline | None) -> None:
        """Plan the current text against ``previous`` (its cuts kept where the text is
        unchanged; its pins held); on failure the last good plan stays and ``error`` says why."""
        from wam.app import story_plan
        from wam.app.alternatives import next_best

        try:
            settings = self.settings.plan_settings(libraries=self.libraries, markdown=self.markdown)
            timeline = story_plan(None, settings, text=self.text, previous=previous, store=self._store,
                                  encoder=self._encoder, bans=self.bans, static_encoder=self._static)
            self.alternatives = next_best(
                timeline,
                count=DEFAULT_ALTERNATIVES,
                k=DEFAULT_K,
                libraries=self.libraries,
                store=self._store,
                encoder=self._encoder,
            )
        except WamError as exc:
            self.error = str(exc)
            return
        self.timeline, self.error = timeline, None
        if timeline.a_roll is not None:  # the speaker's thumbnails
            self.files.add_talk(timeline.a_roll["file"], timeline.a_roll["duration"])

    # ------------------------------------------------------------------ what the page asks
    def edit_text(self, text: str) -> None:
        """The story's new text, re-planned against the current plan."""
        if not isinstance(text, str):
            raise UsageError("the story must be text")
        self.text = text
        self._plan(self.timeline)

    def change_settings(
        self,
        *,
        pace: str | None = None,
        aspect: str | None = None,
        voice: str | None = None,
        music: int | None = None,
        no_music: bool = False,
        no_voice: bool = False,
    ) -> None:
        """New pace / shape / voice / music (``music``: an index into ``choices.music``), re-planned
        (the pins hold; other sentences keep their cuts only while the pace, voice and music stay)."""
        from wam.render.layout import output_size

        s = self.settings
        if pace is not None:
            if pace not in PACE_NAMES:
                raise UsageError(f"the pace must be one of {', '.join(PACE_NAMES)}")
            s.pace = pace
        if aspect is not None:
            if aspect not in ASPECTS:
                raise UsageError(f"the shape must be one of {', '.join(ASPECTS)}")
            s.size = output_size(f"{s.size[0]}x{s.size[1]}", aspect)
        if no_voice:
            s.voice = None
        elif voice is not None:
            if voice not in self.choices.voices:
                raise UsageError("unknown voice")
            if s.a_roll:
                raise UsageError("the talk's own sound is the narration: no voice over it")
            s.voice = voice
        if no_music:
            s.music = None
        elif music is not None:
            if not isinstance(music, int) or not 0 <= music < len(self.choices.music):
                raise UsageError("unknown music")
            s.music = self.choices.music[music]
        self._plan(self.timeline)

    def swap(self, sentence: int, cut: int, shot_id: str) -> None:
        """Cut ``cut`` of sentence ``sentence`` shows the indexed shot ``shot_id`` instead."""
        from wam.studio.edits import swapped

        timeline = self._current()
        row = self._row(shot_id)
        if self.bans.excludes(shot_id, self._table.sources[row]):
            raise UsageError("that shot is banned for this story; lift the ban first")
        offered = {a.shot_id: a.score for a in self.alternatives.get(sentence, [])}
        self.timeline = swapped(timeline, sentence, cut, self._table, row, offered.get(shot_id, 0.0))
        self._refresh_alternatives()

    def pin(self, sentence: int, cut: int, on: bool) -> None:
        from wam.studio.edits import pinned

        if self.settings.a_roll and on:
            raise UsageError("a plan over a talk is made afresh at every change: its cuts cannot be pinned")
        self.timeline = pinned(self._current(), sentence, cut, bool(on))

    def ban(self, shot_id: str, *, clip: bool = False, on: bool = True) -> None:
        """Ban (``on``) or allow again the shot ``shot_id`` (or, with ``clip``, every shot of its
        file) in this story, and re-plan."""
        row = self._row(shot_id)
        source = self._table.sources[row]
        self.bans = self.bans.with_clip(source, on) if clip else self.bans.with_shot(shot_id, on)
        previous = self.timeline
        if previous is not None:
            from dataclasses import replace

            previous = replace(previous, bans=self.bans)
        self._plan(previous)

    def unban_clip(self, source: str) -> None:
        """Allow the clip ``source`` (as listed in the plan's bans) again, and re-plan."""
        if source not in self.bans.clips:
            raise UsageError("that clip is not banned")
        self.bans = self.bans.with_clip(source, False)
        self._plan(self.timeline)

    def save(self) -> list[str]:
        """Write the story and its plan beside it (``studio.saved``); the paths written."""
        from wam.studio.saved import save_story

        timeline = self._current()
        if self.error:
            raise UsageError(f"nothing saved: {self.error}")
        written = save_story(self.story, self.text, timeline)
        self.saved = self.state_key()
        return [str(p) for p in written]

    # ------------------------------------------------------------------ state
    def is_saved(self) -> bool:
        """Whether what the page shows is what is on disk."""
        return self.saved is not None and self.saved == self.state_key()

    def state_key(self) -> str:
        return _state_key(self.text, self.timeline, self.settings) if self.timeline is not None else ""

    def snapshot(self) -> Timeline:
        """The current plan (for previews, the render and the exports)."""
        return self._current()

    def _current(self) -> Timeline:
        if self.timeline is None:
            raise UsageError(self.error or "the story has no plan yet")
        return self.timeline

    def _row(self, shot_id: str) -> int:
        if not isinstance(shot_id, str):
            raise UsageError("no such shot")
        rows = getattr(self, "_rows", None)
        if rows is None:
            rows = self._rows = {sid: i for i, sid in enumerate(self._table.shot_ids)}
        if shot_id not in rows:
            raise UsageError("no such shot in the indexed libraries")
        return rows[shot_id]

    def _refresh_alternatives(self) -> None:
        from wam.app.alternatives import next_best

        try:
            self.alternatives = next_best(
                self.timeline,
                count=DEFAULT_ALTERNATIVES,
                k=DEFAULT_K,
                libraries=self.libraries,
                store=self._store,
                encoder=self._encoder,
            )
        except WamError as exc:
            self.error = str(exc)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except OSError as exc:
        raise WamError(f"cannot read the story {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise WamError(f"the story {path} is not UTF-8 text (bad byte at position {exc.start})") from None


def _state_key(text: str, timeline: Timeline, settings: Settings) -> str:
    """What saving writes, as a key: the text, every sentence's cuts and pins, the bans, the settings."""
    import hashlib
    import json

    from wam.studio.views import cut_signature

    data = [
        text.strip(),
        [cut_signature(s.cuts) for s in timeline.sentences],
        timeline.bans.to_dict(),
        settings.pace,
        list(settings.size),
        settings.voice,
        settings.music,
        settings.a_roll,
        settings.a_roll_mode,
        settings.a_roll_every,
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()
