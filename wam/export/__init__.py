"""Export a timeline for an editor (``wam export``): OpenTimelineIO, CMX 3600 EDL, Final Cut
Pro 7 XML and FCPX XML, all written from one OpenTimelineIO model (layer 5: after the plan).

``export_timeline(timeline, "cut.edl")`` probes the source clips' frame rates, builds the
model (``otio_build``), adapts it to the format (``formats``) and writes the file atomically.
Missing source files do not stop an export: the editor relinks them (a warning says so).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wam.core.errors import WamError
from wam.core.timeline import Timeline
from wam.export.formats import FORMATS, Format, format_for, write_format
from wam.export.spans import CROSSFADE_SECONDS

__all__ = ["FORMATS", "ExportResult", "export_timeline", "format_for", "narration_bed",
           "narration_copy_path", "to_otio", "writable_target", "write_text"]


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: Format
    clips: int
    transitions: int
    markers: int
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    narration: str | None = None  # the narration's sound file on the audio track (None: not narrated)


def writable_target(path: str | Path) -> Path:
    """``path`` if a file can be written there (its folder exists and is writable, it is not a
    folder; for a symlink, the folder of the file it points to; a device or FIFO is written
    through, so only it must be writable); WamError with the reason otherwise. Checked before
    any work is done."""
    from wam.core.fileio import is_stream, replace_target

    path = Path(path)
    if is_stream(path):
        if path.exists() and not os.access(path, os.W_OK):
            raise WamError(f"cannot write {path}: permission denied")
        return path
    target = replace_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if path.is_dir():
        raise WamError(f"{path} is a folder; give a file name")
    if not folder.is_dir():
        raise WamError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise WamError(f"cannot write {path}: permission denied")
    return path


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` atomically (no partial file under ``path``); WamError if it cannot."""
    from wam.core.fileio import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise WamError(f"cannot write {path} ({exc.strerror or exc})") from None


def narration_copy_path(output: str | os.PathLike) -> str:
    """Where ``wam export`` puts a plan's synthesised narration beside ``output``: named after
    the whole file name (``cut.otio`` → ``cut.otio.narration.wav``), so that exports of other
    plans to other formats in the same folder never share it. UsageError for a device or FIFO
    output (``/dev/stdout``), which has nothing beside it."""
    from wam.core.errors import UsageError
    from wam.core.fileio import is_stream

    if is_stream(output):
        raise UsageError(f"cannot export a narrated plan to {os.fspath(output)}: its voice track is copied "
                         f"beside "
                         "the export, and a device or pipe has nothing beside it; export to a file")
    return os.fspath(output) + ".narration.wav"


def narration_bed(timeline: Timeline, output: str | os.PathLike, warn: Callable[[str],
                                                                                None] = lambda m: None):
    """The plan's narration as an audio track for the editor (``otio_build.AudioBed``), or None.

    A synthesised voice track lives in wam's cache, which may be cleared, so it is copied
    beside ``output`` (``narration_copy_path``); a recording is referenced where it is (the
    talk of a plan over one, ``--a-roll``, as the track "Talk"). The gain wam's render gives
    the narration is not part of the formats, so a warning states it."""
    from wam.core.config import wam_home
    from wam.export.otio_build import AudioBed
    from wam.export.sources import audio_seconds
    from wam.voice.narrate import narration_file

    path, narration = narration_file(timeline, wam_home(), warn)
    if path is None:
        return None
    if narration.kind == "voice":
        target = narration_copy_path(output)
        _copy_unless_same(path, target)
        path = target
    seconds = audio_seconds(path)
    if seconds is None:
        raise WamError(f"cannot export the plan's narration {path}: it has no sound ffmpeg can read")
    if timeline.a_roll is not None and path == timeline.a_roll.get("file"):  # the talk's own sound, as it is
        return AudioBed(os.path.abspath(path), name="Talk", seconds=seconds)
    if abs(narration.gain_db) >= 0.05:
        warn(f"wam's render plays the narration at {narration.gain_db:+.1f} dB: set that gain on the "
             f"Narration "
             "track in your editor")
    return AudioBed(os.path.abspath(path), name="Narration", seconds=seconds)


def _copy_unless_same(source: str, target: str) -> None:
    """Copy ``source`` to ``target`` atomically (``write_atomic``), unless ``target`` already
    holds the same bytes."""
    import filecmp

    from wam.core.fileio import write_atomic

    if os.path.isfile(target) and filecmp.cmp(source, target, shallow=False):
        return
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise WamError(f"cannot read the narration {source} ({exc.strerror or exc})") from None
    write_atomic(target, data)


def to_otio(timeline: Timeline, *, name: str = "wam", music: str | None = None,
            crossfade: float = CROSSFADE_SECONDS, warn: Callable[[str], None] = lambda m: None,
            narration=None):
    """The OpenTimelineIO timeline of ``timeline`` (source rates probed; ``music``: an audio
    track; ``narration``: an ``AudioBed`` from ``narration_bed``, a track above the music)."""
    from wam.export.otio_build import AudioBed, build_otio
    from wam.export.sources import audio_seconds, probe_sources

    sources, missing = probe_sources([c.source for c in timeline.cuts()], timeline.fps)
    if missing:
        warn(f"{len(missing)} source clip(s) not found (e.g. {missing[0]}); exported with their planned "
             f"paths "
             f"at the plan's {timeline.fps} fps: relink them in your editor")
    for source, used, length in sources_overrun(timeline, sources):
        warn(f"{os.path.basename(source)}: the plan uses it up to {used:.2f} s but it lasts {length:.2f} s; "
             f"the "
             "editor will show black or shorten its clips (re-index its library and re-plan)")
    audio = [narration] if narration is not None else []
    if music:
        seconds = audio_seconds(music)
        if seconds is None:
            raise WamError(f"cannot use {music} as music: it has no sound ffmpeg can read")
        audio.append(AudioBed(os.path.abspath(music), name="Music", seconds=seconds))
    tl = build_otio(timeline, sources, name=name, audio=audio, crossfade=crossfade)
    tl.metadata["wam"]["missing_sources"] = list(missing)
    return tl


def sources_overrun(timeline: Timeline, sources) -> list[tuple[str, float, float]]:
    """(source, seconds the plan uses it up to, its length in seconds) for each source clip the
    plan reads past its end (by more than one of its frames), once per clip, in plan order."""
    used: dict[str, float] = {}
    for cut in timeline.cuts():
        used[cut.source] = max(used.get(cut.source, 0.0), cut.source_out)
    out = []
    for source, end in used.items():
        info = sources.get(source)
        if info is not None and info.frames and end > (info.frames + 1) / info.rate:
            out.append((source, end, float(info.frames / info.rate)))
    return out


def export_timeline(timeline: Timeline, output: str | Path, fmt: str | None = None, *,
                    name: str | None = None, music: str | None = None, crossfade: float = CROSSFADE_SECONDS,
                    warn: Callable[[str], None] = lambda m: None) -> ExportResult:
    """Write ``timeline`` to ``output`` in ``fmt`` (default: from the extension)."""
    from opentimelineio import schema

    f = format_for(str(output), fmt)
    writable_target(output)
    if not timeline.sentences:
        raise WamError("the plan has no sentences: nothing to export")
    from wam.media.beats import music_of

    music = music_of(timeline, music, warn)
    narration = narration_bed(timeline, output, warn)
    tl = to_otio(timeline, name=name or Path(output).stem, music=music, crossfade=crossfade, warn=warn,
                 narration=narration)
    text, notes = write_format(tl, f, timeline.fps)
    for note in notes:
        warn(note)
    write_text(output, text)
    items = [i for t in tl.tracks if t.kind == schema.TrackKind.Video for i in t]
    return ExportResult(
        path=str(output), format=f,
        clips=sum(isinstance(i, schema.Clip) for i in items),
        transitions=sum(isinstance(i, schema.Transition) for i in items),
        markers=sum(len(c.markers) for c in items if isinstance(c, schema.Clip)),
        missing=list(tl.metadata["wam"]["missing_sources"]), notes=notes,
        narration=narration.path if narration is not None else None,
    )

