"""The canvas view's pose drag (its live application and its one undo record on release) and
the arrow-key nudge: a mixin of :class:`~posestudio.ui.canvas.view.CanvasView`, which owns
``_drag``, ``_layer``, ``canvas``, ``bone_lock``, ``push_edit`` and ``pose_dragged``. The pose
math itself is in :mod:`posestudio.ui.canvas.posing`."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from posestudio.core.edits import MoveJoints
from posestudio.core.pose import Pose
from posestudio.ui.canvas import posing


class PoseDragMixin:
    def selected_of(self, layer_id: str, person: int) -> list[int]:
        return sorted(j.joint for j in self.canvas.selected_joints() if j.layer_id == layer_id and j.person == person)

    # -- mouse ---------------------------------------------------------------------------
    def _begin_drag(self, layer_id, person, now, mods, joint=None, bone=None) -> None:
        layer = self._layer(layer_id)
        start = layer.poses[person].copy()
        if bone is not None:
            mode, joints = "bone", [bone.child]
        else:
            joints = self.selected_of(layer_id, person) or [joint]
            if mods & Qt.KeyboardModifier.ControlModifier:
                mode = "rotate"
            elif mods & Qt.KeyboardModifier.AltModifier:
                mode = "scale"
            elif self.bone_lock and len(joints) == 1:
                mode = "locked"
            else:
                mode = "move"
        self._drag = {"layer": layer, "person": person, "start": start, "press": now, "mode": mode,
                      "joints": joints, "pivot": posing.pivot_of(start, joints), "pose": start}

    def _drag_pose(self, now) -> Pose:
        d = self._drag
        start, joints, mode = d["start"], d["joints"], d["mode"]
        if mode == "extra":
            return posing.move_extra_point(start, d["part"], d["point"], now[0] - d["press"][0],
                                           now[1] - d["press"][1])
        if mode == "bone":
            return posing.swing_chain(start, joints[0], d["press"], now)
        if mode == "locked":
            return posing.place_locked(start, joints[0], now)
        if mode == "rotate":
            return posing.rotate_about(start, joints, d["pivot"], posing.drag_rotation(d["pivot"], d["press"], now))
        if mode == "scale":
            return posing.scale_about(start, joints, d["pivot"], posing.drag_scale(d["pivot"], d["press"], now))
        return posing.move_joints(start, joints, now[0] - d["press"][0], now[1] - d["press"][1])

    def drag_to(self, now) -> None:
        """Apply the drag live for the mouse at image point ``now``."""
        d = self._drag
        pose = self._drag_pose(now)
        changed = np.flatnonzero(np.any(pose.xy != d["start"].xy, axis=1))
        d["pose"] = pose
        d["layer"].set_pose(d["person"], pose, sorted(set(changed) | set(d.get("moved", ()))))
        d["moved"] = set(changed) | set(d.get("moved", ()))
        self.pose_dragged.emit()

    def finish_drag(self) -> None:
        """Push the whole drag as one undo record (already applied)."""
        d, self._drag = self._drag, None
        if d is None:
            return
        start, end = d["start"], d["pose"]
        if d["mode"] == "extra":
            if end != start:
                from posestudio.core.edits import SetPoses

                old = [p.copy() for p in d["layer"].poses]
                old[d["person"]] = start
                text = "Move face point" if d["part"] == 2 else "Move hand point"
                self.push_edit(SetPoses(d["layer"].id, old, d["layer"].poses, text), True)
            return
        joints = [int(j) for j in np.flatnonzero(np.any(end.xy != start.xy, axis=1))]
        if not joints:
            return
        text = {"bone": "Rotate limb", "rotate": "Rotate joints", "scale": "Scale joints"}.get(d["mode"], "Move joints")
        if len(joints) == 1 and d["mode"] in ("move", "locked"):
            from posestudio.core import skeleton

            text = f"Move {skeleton.JOINTS[joints[0]].replace('_', ' ')}"
        edit = MoveJoints(d["layer"].id, d["person"], joints, start.xy[joints], end.xy[joints], text=text)
        self.push_edit(edit, True)

    def cancel_drag(self) -> None:
        d, self._drag = self._drag, None
        if d is not None:
            d["layer"].set_pose(d["person"], d["start"])

    NUDGE = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}

    def nudge(self, dx: float, dy: float) -> bool:
        """Move the selected joints by (dx, dy) image pixels: one undo step per press."""
        by_person: dict = {}
        for item in self.canvas.selected_joints():
            by_person.setdefault((item.layer_id, item.person), []).append(item.joint)
        if not by_person:
            return False
        parts = []
        for (layer_id, person), joints in by_person.items():
            joints = sorted(joints)
            xy = self._layer(layer_id).poses[person].xy[joints]
            parts.append(MoveJoints(layer_id, person, joints, xy, xy + (dx, dy), text="Nudge joints"))
        from posestudio.core.edits import Compound

        self.push_edit(parts[0] if len(parts) == 1 else Compound(parts, "Nudge joints"), False)
        return True
