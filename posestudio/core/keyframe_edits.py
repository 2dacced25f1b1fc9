"""Undoable timeline edits beside ``core.edits.SetKeyframe``.

``Document.keyframes`` holds the keyframe poses; the timeline's other settings
(per-segment interpolation, fps, range, loop) live in ``doc.meta["timeline"]``
as ``Timeline.settings_json()`` (what the project file stores). These records
follow the ``core.edits.Edit`` protocol (``redo(doc)`` / ``undo(doc)``) so the
window wraps them in one QUndoCommand each, like every other change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from posestudio.core.edits import Edit, SetKeyframe
from posestudio.core.pose import Pose
from posestudio.core.timeline import MODES, Timeline


def timeline_of(doc) -> Timeline:
    """The document's timeline (its keyframes + ``meta["timeline"]`` settings)."""
    return Timeline.from_document(doc)


def _settings(doc) -> dict:
    return copy.deepcopy(doc.meta.get("timeline") or Timeline().settings_json())


def _put_settings(doc, settings: dict) -> None:
    doc.meta["timeline"] = copy.deepcopy(settings)
    doc.keyframes_changed(None)


def delete_keyframe(doc, frame: int) -> SetKeyframe:
    """The record deleting the keyframe at ``frame`` (undo puts it back)."""
    if frame not in doc.keyframes:
        raise KeyError(f"no keyframe at frame {frame}")
    return SetKeyframe(frame, doc.keyframes[frame], None, text=f"Delete keyframe {frame}")


@dataclass
class SetTimelineSettings(Edit):
    """Timeline settings changed (interpolation modes, fps, range, loop): old and new
    ``settings_json()`` dicts."""

    old: dict
    new: dict
    text: str = "Timeline settings"

    def redo(self, doc):
        _put_settings(doc, self.new)

    def undo(self, doc):
        _put_settings(doc, self.old)

    @classmethod
    def make(cls, doc, text: str = "Timeline settings", **changes) -> SetTimelineSettings:
        old = _settings(doc)
        new = {**copy.deepcopy(old), **changes}
        return cls(old, new, text)


@dataclass
class SetSegmentMode(Edit):
    """The interpolation mode (bones/linear/hold/ease) of the segment starting at keyframe ``frame``."""

    frame: int
    old: str | None
    new: str
    text: str = ""

    def __post_init__(self):
        if self.new not in MODES:
            raise ValueError(f"unknown interpolation mode {self.new!r}; modes: {', '.join(MODES)}")
        self.text = self.text or f"Interpolation {self.new} at {self.frame}"

    @classmethod
    def make(cls, doc, frame: int, mode: str) -> SetSegmentMode:
        return cls(int(frame), (_settings(doc).get("interpolation") or {}).get(str(frame)), mode)

    def _put(self, doc, mode):
        s = _settings(doc)
        interp = dict(s.get("interpolation") or {})
        if mode is None:
            interp.pop(str(self.frame), None)
        else:
            interp[str(self.frame)] = mode
        s["interpolation"] = interp
        _put_settings(doc, s)

    def redo(self, doc):
        self._put(doc, self.new)

    def undo(self, doc):
        self._put(doc, self.old)


@dataclass
class MoveKeyframe(Edit):
    """Move the keyframe (and the mode of the segment it starts) from ``src`` to ``dst``;
    a keyframe already at ``dst`` is replaced and comes back on undo."""

    src: int
    dst: int
    moved: list[Pose]
    replaced: list[Pose] | None
    src_mode: str | None
    dst_mode: str | None
    text: str = ""

    def __post_init__(self):
        self.text = self.text or f"Move keyframe {self.src} → {self.dst}"

    @classmethod
    def make(cls, doc, src: int, dst: int) -> MoveKeyframe:
        if src not in doc.keyframes:
            raise KeyError(f"no keyframe at frame {src}")
        interp = _settings(doc).get("interpolation") or {}
        return cls(int(src), int(dst), [p.copy() for p in doc.keyframes[src]],
                   None if dst not in doc.keyframes else [p.copy() for p in doc.keyframes[dst]],
                   interp.get(str(src)), interp.get(str(dst)))

    def _modes(self, doc, at_src, at_dst):
        s = _settings(doc)
        interp = dict(s.get("interpolation") or {})
        for f, m in ((self.src, at_src), (self.dst, at_dst)):
            if m is None:
                interp.pop(str(f), None)
            else:
                interp[str(f)] = m
        s["interpolation"] = interp
        doc.meta["timeline"] = s

    def redo(self, doc):
        doc.keyframes.pop(self.src, None)
        doc.keyframes[self.dst] = [p.copy() for p in self.moved]
        self._modes(doc, None, self.src_mode)
        doc.keyframes_changed(None)

    def undo(self, doc):
        doc.keyframes.pop(self.dst, None)
        if self.replaced is not None:
            doc.keyframes[self.dst] = [p.copy() for p in self.replaced]
        doc.keyframes[self.src] = [p.copy() for p in self.moved]
        self._modes(doc, self.src_mode, self.dst_mode)
        doc.keyframes_changed(None)
