"""The jobs of a batch run (``wam render|plan|export`` over many stories): which stories
(files, folders, paths read from stdin), which output each writes (``OUTDIR/<stem>.<ext>``,
or named in a manifest), whether an output is already up to date (resume), and what a
finished job reports (one JSON line).

arguments / manifest → ``Job`` list → (``wam.batch.run``) → ``JobResult`` per job.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wam.core.errors import UsageError
from wam.core.settings import PlanSettings, RenderSettings

#: File endings read as stories when a folder is given (plain text and Markdown).
STORY_SUFFIXES = (".txt", ".md", ".markdown")


@dataclass(frozen=True)
class Job:
    """One story (a file, inline text, or a saved plan) and the output it writes.

    ``options`` are the command's option values for this job, by their click parameter
    names (``pace``, ``top``, ``libraries``, ``keep_audio`` …): the command line's, with a
    manifest line's own values on top; ``settings`` (how its story is planned; None: every
    option at its default) and ``render`` (how a ``wam render`` job is rendered) are what the
    work reads, made from them by the command. ``inputs`` are the files the output is compared
    with to tell whether it is up to date; ``extra_outputs`` are written beside it
    (subtitles)."""

    number: int  # 1-based, in the order the jobs were given
    output: str  # absolute path
    story: str | None = None
    text: str | None = None
    plan: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None  # the manifest line it came from
    inputs: tuple[str, ...] = ()
    extra_outputs: tuple[str, ...] = ()
    settings: PlanSettings | None = None
    render: RenderSettings | None = None

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def label(self) -> str:
        """How messages name the job: its story or plan file, or its manifest line."""
        if self.story or self.plan:
            return self.story or self.plan
        return f"manifest line {self.line}" if self.line else f"job {self.number}"

    @property
    def where(self) -> str:
        """The label with the manifest line it came from, for messages about a job's values and files."""
        if self.line and (self.story or self.plan):
            return f"{self.label} (manifest line {self.line})"
        return self.label


@dataclass
class JobResult:
    """What one finished job reports: ``status`` is ``ok``, ``skipped`` (its output was up to
    date) or ``failed`` (with ``error``)."""

    job: Job
    status: str
    duration: float | None = None  # seconds of video planned
    cuts: int | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the job
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict:
        """The JSON line of ``--json``: job, story, output, status, duration, cuts, warnings, seconds,
        error."""
        j = self.job
        d = {"job": j.number, "story": j.story or j.plan, "output": j.output, "status": self.status,
             "duration": None if self.duration is None else round(self.duration, 3), "cuts": self.cuts,
             "warnings": list(self.warnings), "seconds": round(self.seconds, 3), "error": self.error}
        if j.line is not None:
            d["line"] = j.line
        return d


def story_paths(args: Iterable[str], stdin_lines: Iterable[str] = (), *,
                suffixes=STORY_SUFFIXES) -> list[str]:
    """The story files named by ``args``, in order and each once: a file, every story file
    (``suffixes``) directly inside a folder (sorted by name), or, for ``-``, one path per
    line of ``stdin_lines`` (blank lines ignored). A missing path or a folder without stories
    is a UsageError."""
    out: list[str] = []
    seen: set[str] = set()

    def add(path: str, where: str) -> None:
        p = Path(path).expanduser()
        if p.is_dir():
            found = sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in suffixes)
            if not found:
                raise UsageError(f"no story files ({', '.join(suffixes)}) in the folder {path}")
            for c in found:
                add(str(c), where)
            return
        if not p.is_file():
            raise UsageError(f"no such story file: {path}{where}")
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            out.append(os.path.abspath(p))

    for arg in args:
        if arg == "-":
            for n, line in enumerate(stdin_lines, 1):
                if line.strip():
                    add(line.strip(), f" (line {n} of standard input)")
        else:
            add(arg, "")
    if not out:
        raise UsageError("no stories given (standard input named none)" if list(args) == ["-"]
                         else "no stories given")
    return out


def output_in(folder: str | Path, source: str, suffix: str) -> str:
    """``folder/<stem of source><suffix>`` as an absolute path."""
    return os.path.abspath(os.path.join(os.path.expanduser(folder), Path(source).stem + suffix))


def check_distinct_outputs(jobs: list[Job]) -> None:
    """A UsageError when two jobs (or one job's video and subtitles) would write the same file,
    under one name or two (a link), naming both."""
    first: dict[object, Job] = {}
    for job in jobs:
        for out in (job.output, *job.extra_outputs):
            for key in _file_keys(out):
                other = first.setdefault(key, job)
                if other is not job:
                    raise UsageError(f"{other.where} and {job.where} would both write {out}; give each its "
                                     "own output (rename a story, or name the outputs in a --manifest)")


def check_crossed_outputs(jobs: list[Job], reads: Mapping[int, Iterable[str]],
                          protected: Iterable[str] = ()) -> None:
    """A UsageError, before any job runs, when a job would write a file that another job reads
    (``reads``: job number → the files it reads: story, plan, music, recording, timing, the
    plan's clips and their sidecars) or one of ``protected`` (the manifest itself): in a batch
    one job's output must never destroy another's input. The message names the writing job and
    its manifest line."""
    owners: dict[object, tuple[str, Job | None]] = {}
    for path in protected:
        for key in _file_keys(path):
            owners.setdefault(key, (path, None))
    for job in jobs:
        for path in reads.get(job.number, ()):
            for key in _file_keys(path):
                owners.setdefault(key, (path, job))
    for job in jobs:
        for out in (job.output, *job.extra_outputs):
            for key in _file_keys(out):
                if key not in owners:
                    continue
                path, reader = owners[key]
                whose = ("the manifest of this batch" if reader is None else
                         "one of its own inputs" if reader is job else f"an input of {reader.where}")
                raise UsageError(f"{job.where}: refusing to write {out}: it is {path}, {whose}; give the "
                                 "output another name")


def _file_keys(path: str) -> list[object]:
    """What tells two names of one file: the resolved path, and (device, inode) when it exists
    as a regular file (a device such as /dev/null is written by many without harm)."""
    import stat

    keys: list[object] = [os.path.realpath(os.path.expanduser(path))]
    try:
        st = os.stat(path)
    except OSError:
        return keys
    if stat.S_ISCHR(st.st_mode):
        return []
    if stat.S_ISREG(st.st_mode):
        keys.append((st.st_dev, st.st_ino))
    return keys


def is_up_to_date(job: Job) -> bool:
    """The job's outputs all exist as files and are newer than every one of its inputs (a re-run
    skips it; a device or FIFO output is written every time)."""
    import stat

    try:
        found = [os.stat(p) for p in (job.output, *job.extra_outputs)]
    except OSError:
        return False
    if not all(stat.S_ISREG(st.st_mode) for st in found):
        return False
    oldest = min(st.st_mtime_ns for st in found)
    newest = 0
    for p in job.inputs:
        try:
            newest = max(newest, os.stat(p).st_mtime_ns)
        except OSError:  # an input gone (e.g. a story from stdin): cannot tell, so redo it
            return False
    return oldest > newest
