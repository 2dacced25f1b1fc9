"""The playhead and keying: which frame the canvas shows, and pose edits that are
not keyframes yet.

A pose edit at a frame is *unkeyed* until it is keyed (K) or discarded: the
skeleton then differs from ``Timeline.pose_at(frame)``. Moving the playhead
never throws such work away: it is kept for that frame (shown again when the
playhead comes back, marked on the timeline) until the artist keys or discards
it. With auto-key on (as in Blender) every pose edit also keys the playhead
frame, in the same undo step as the edit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from posestudio.core.edits import Edit, SetKeyframe
from posestudio.core.pose import Pose
from posestudio.core.timeline import Timeline


def same_poses(a: list[Pose], b: list[Pose]) -> bool:
    """Two lists of people with the same joints shown at (nearly) the same places."""
    return len(a) == len(b) and all(
        np.array_equal(p.visible, q.visible) and np.allclose(p.xy[p.visible], q.xy[q.visible], atol=1e-6)
        for p, q in zip(a, b, strict=True))


class Playhead(QObject):
    """The frame shown, unkeyed work per frame, auto-key. ``changed`` after any of them changes."""

    changed = Signal()

    def __init__(self, session):
        super().__init__(session)
        self.session = session
        self.frame = 0
        self.pending: dict[int, list[Pose]] = {}  # frame -> unkeyed poses kept for it
        self.auto_key = False
        session.document_replaced.connect(self.open_document)
        session.follow_up = self._auto_key_follow_up

    @property
    def doc(self):
        return self.session.doc

    def timeline(self) -> Timeline:
        from posestudio.core import keyframe_edits

        return keyframe_edits.timeline_of(self.doc)

    # -- what the canvas shows ---------------------------------------------------------------
    def keyed_poses(self, frame: int | None = None) -> list[Pose]:
        """The timeline's poses at ``frame`` (default: the playhead); empty without keyframes."""
        return self.timeline().pose_at(self.frame if frame is None else frame)

    def unkeyed(self, frame: int | None = None) -> bool:
        """Whether the skeleton (at the playhead) or the work kept for ``frame`` differs from
        what the keyframes give there."""
        frame = self.frame if frame is None else frame
        if not self.doc.keyframes:
            return False
        if frame != self.frame:
            return frame in self.pending
        layer = self.doc.pose_layer()
        return layer is not None and not same_poses(layer.poses, self.keyed_poses(frame))

    def unkeyed_frames(self) -> list[int]:
        frames = set(self.pending)
        if self.unkeyed():
            frames.add(self.frame)
        return sorted(frames)

    def move_to(self, frame: int) -> None:
        """Show ``frame``. Unkeyed work at the frame left is keyed (auto-key) or kept for it."""
        frame = max(0, int(frame))
        layer = self.doc.pose_layer()
        if layer is not None and self.doc.keyframes:
            if frame != self.frame and self.unkeyed():
                if self.auto_key:
                    self.key()
                else:
                    self.pending[self.frame] = [p.copy() for p in layer.poses]
            self.frame = frame
            poses = self.pending.get(frame) or self.keyed_poses(frame)
            if poses and not same_poses(layer.poses, poses):
                layer.set_poses([p.copy() for p in poses])
        self.frame = frame
        self.changed.emit()

    def open_document(self, doc) -> None:
        """A project opens at the keyframe that holds the pose it was saved with (else frame 0);
        a saved pose that no keyframe holds is kept as unkeyed work at frame 0."""
        self.pending = {}
        layer = doc.pose_layer()
        self.frame = 0
        if layer is not None and doc.keyframes:
            tl = Timeline.from_document(doc)
            at = [f for f in tl.frames_with_keys() if same_poses(layer.poses, tl.keyframes[f])]
            if at:
                self.frame = at[0]
            elif layer.poses:
                self.pending[0] = [p.copy() for p in layer.poses]
            poses = self.pending.get(self.frame) or tl.pose_at(self.frame)
            if poses and not same_poses(layer.poses, poses):
                layer.set_poses([p.copy() for p in poses])
        self.changed.emit()

    # -- keying ------------------------------------------------------------------------------
    def key_edit(self) -> SetKeyframe | None:
        layer = self.doc.pose_layer()
        if layer is None or not layer.poses:
            return None
        return SetKeyframe(self.frame, self.doc.keyframes.get(self.frame), [p.copy() for p in layer.poses],
                           text=f"Keyframe at {self.frame}")

    def key(self) -> bool:
        """Store the skeleton as the keyframe at the playhead (one undo step)."""
        edit = self.key_edit()
        if edit is None:
            self.session.error.emit("no pose to store as a keyframe")
            return False
        self.pending.pop(self.frame, None)
        ok = self.session.push(edit)
        self.changed.emit()
        return ok

    def discard(self) -> bool:
        """Drop the unkeyed work at the playhead: the skeleton goes back to the keyframes' pose."""
        had = self.pending.pop(self.frame, None) is not None or self.unkeyed()
        layer = self.doc.pose_layer()
        poses = self.keyed_poses()
        if layer is not None and poses:
            layer.set_poses(poses)
        self.changed.emit()
        return had

    def set_auto_key(self, on: bool) -> None:
        self.auto_key = bool(on)
        self.changed.emit()

    def _poses_edit(self, edit: Edit) -> bool:
        """Whether ``edit`` changes the skeleton (not a keyframe, not another layer)."""
        layer = self.doc.pose_layer()
        if layer is None:
            return False
        parts = getattr(edit, "edits", None) or [edit]
        return any(getattr(e, "layer_id", None) == layer.id for e in parts)

    def _auto_key_follow_up(self, edit: Edit) -> Edit | None:
        """Called by ``Session.push`` after an edit is applied: with auto-key on, a keyframe
        for an unkeyed skeleton, pushed in the same undo step."""
        if not self.auto_key or not self._poses_edit(edit) or not self.unkeyed():
            return None
        self.pending.pop(self.frame, None)
        return self.key_edit()
