"""Footage a story must not show: part of the timeline's data model (``wam.core.timeline``
carries it as ``Timeline.bans``; ``wam studio`` edits it, re-plans drop it from the candidates).
Pure data, no imports from wam."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bans:
    """Footage a story must not show (``wam studio``'s ban): shots by id, and whole clips by
    their source file (absolute paths). Re-planning the story drops them from its candidates."""

    shots: tuple[str, ...] = ()
    clips: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.shots or self.clips)

    def excludes(self, shot_id: str, source: str) -> bool:
        """Whether the shot ``shot_id`` of the file ``source`` is banned."""
        return shot_id in self.shots or source in self.clips

    def with_shot(self, shot_id: str, banned: bool = True) -> Bans:
        shots = sorted(set(self.shots) | {shot_id}) if banned else [s for s in self.shots if s != shot_id]
        return Bans(tuple(shots), self.clips)

    def with_clip(self, source: str, banned: bool = True) -> Bans:
        clips = sorted(set(self.clips) | {source}) if banned else [c for c in self.clips if c != source]
        return Bans(self.shots, tuple(clips))

    def to_dict(self) -> dict:
        return {"shots": list(self.shots), "clips": list(self.clips)}
