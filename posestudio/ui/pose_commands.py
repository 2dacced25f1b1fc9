"""Posing commands of the window (hide, restore, mirror, flip, rotate, scale,
people, library, keyframes, mirror canvas). Each builds one edit record and
pushes it; a mixin so the main window file stays composition only."""

from __future__ import annotations

import math

import numpy as np

from posestudio.core import edits, labels, skeleton
from posestudio.core.layers import ParsingLayer, PoseLayer, RasterLayer
from posestudio.core.pose import Pose, default_pose
from posestudio.ui.canvas import posing


def place_missing(pose: Pose, joints: list[int], width: int, height: int) -> Pose:
    """Positions for joints that were never placed: the default pose's offset from
    the nearest visible-or-placed ancestor, scaled to this person's size."""
    ref = default_pose(width, height)
    out = pose.copy()
    known = pose.visible | pose.xy.any(axis=1)
    known[joints] = False
    lengths = [(np.hypot(*(pose.xy[a] - pose.xy[b])), np.hypot(*(ref.xy[a] - ref.xy[b])))
               for a, b in skeleton.LIMBS if known[a] and known[b]]
    scale = float(np.median([l / r for l, r in lengths if r > 0])) if lengths else 1.0
    for j in skeleton.topological_order():
        if j not in joints:
            continue
        p = skeleton.PARENT[j]
        while p is not None and not known[p]:
            p = skeleton.PARENT[p]
        if p is None:
            out.xy[j] = ref.xy[j]
        else:
            out.xy[j] = out.xy[p] + scale * (ref.xy[j] - ref.xy[p])
        known[j] = True
    return out


class PoseCommands:
    """Needs ``self.session`` and ``self.view`` (CanvasView)."""

    # -- selection ---------------------------------------------------------------------
    def _target(self) -> tuple[PoseLayer, int, list[int]] | None:
        """(layer, person, selected joints of that person) for the current pose layer."""
        layer = self.session.pose_layer()
        if layer is None or not layer.poses:
            return None
        sel = [j for j in self.view.canvas.selected_joints() if j.layer_id == layer.id]
        person = sel[0].person if sel else 0
        return layer, person, sorted(j.joint for j in sel if j.person == person)

    def select_all(self) -> None:
        layer = self.session.pose_layer()
        sk = self.view.canvas.skeleton(layer.id) if layer else None
        if sk is None or layer.locked:
            return
        for item in sk.joint_items():
            item.setSelected(True)

    def deselect(self) -> None:
        self.view.canvas.clearSelection()

    def select_joint(self, person: int, joint: int) -> None:
        layer = self.session.pose_layer()
        item = self.view.canvas.joint_item(layer.id, person, joint) if layer else None
        if item is not None:
            self.view.canvas.clearSelection()
            item.setSelected(True)
            self.view.ensureVisible(item, 40, 40)

    # -- visibility ---------------------------------------------------------------------
    def hide_joints(self) -> None:
        t = self._target()
        if not t or not t[2]:
            self.session.message.emit("Select the joints to hide first")
            return
        layer, person, joints = t
        joints = [j for j in joints if layer.poses[person].visible[j]]
        if joints:
            self.session.push(edits.SetVisibility(layer.id, person, joints, False))

    def restore_joints(self) -> None:
        t = self._target()
        if not t:
            return
        layer, person, joints = t
        hidden = ~layer.poses[person].visible
        todo = [j for j in joints if hidden[j]] or [int(j) for j in np.flatnonzero(hidden)]
        if not todo:
            return
        pose = layer.poses[person]
        unplaced = [j for j in todo if not pose.xy[j].any()]
        if unplaced:
            # never-placed joints (missing in the file) appear where the default pose has them,
            # relative to the nearest placed ancestor
            placed = place_missing(pose, unplaced, *self.session.doc.size)
            self.session.push(edits.Compound([
                edits.MoveJoints(layer.id, person, unplaced, pose.xy[unplaced], placed.xy[unplaced]),
                edits.SetVisibility(layer.id, person, todo, True)], "Restore joints"))
        else:
            self.session.push(edits.SetVisibility(layer.id, person, todo, True))

    # -- whole-pose edits -----------------------------------------------------------------
    def _set_person(self, pose: Pose, text: str) -> None:
        t = self._target()
        if t:
            layer, person, _ = t
            self.session.push(edits.SetPoses.for_person(layer, person, pose, text))

    def mirror_pose(self) -> None:
        t = self._target()
        if t:
            layer, person, _ = t
            self._set_person(posing.mirror_in_place(layer.poses[person], self.session.doc.width), "Mirror pose")

    def swap_sides(self) -> None:
        t = self._target()
        if t:
            self._set_person(t[0].poses[t[1]].swapped_sides(), "Swap left/right")

    def flip_pose(self) -> None:
        t = self._target()
        if t:
            self._set_person(posing.flip_vertical(t[0].poses[t[1]], self.session.doc.height), "Flip pose")

    def _transform_selection(self, angle: float = 0.0, factor: float = 1.0, text: str = "") -> None:
        t = self._target()
        if not t:
            return
        layer, person, joints = t
        start = layer.poses[person]
        joints = joints or list(range(skeleton.NUM_JOINTS))
        pivot = posing.pivot_of(start, joints)
        new = posing.scale_about(posing.rotate_about(start, joints, pivot, angle), joints, pivot, factor)
        self.session.push(edits.MoveJoints(layer.id, person, joints, start.xy[joints], new.xy[joints], text=text))

    def rotate_left(self) -> None:
        self._transform_selection(angle=-math.radians(5), text="Rotate selection")

    def rotate_right(self) -> None:
        self._transform_selection(angle=math.radians(5), text="Rotate selection")

    def scale_up(self) -> None:
        self._transform_selection(factor=1.05, text="Scale selection")

    def scale_down(self) -> None:
        self._transform_selection(factor=1 / 1.05, text="Scale selection")

    def toggle_bone_lock(self, on: bool) -> None:
        self.view.bone_lock = bool(on)
        self.session.message.emit("Bone lengths locked" if on else "Bone lengths free")

    # -- people ---------------------------------------------------------------------------
    def add_person(self) -> None:
        layer = self.session.pose_layer()
        if layer is None:
            return
        w, h = self.session.doc.size
        base = default_pose(w, h)
        shift = 0.25 * w * (len(layer.poses) % 3 or 1) * (-1) ** len(layer.poses)
        new = base.transformed([[1, 0, shift], [0, 1, 0]])
        self.session.push(edits.SetPoses(layer.id, layer.poses, [*layer.poses, new], "Add person"))

    def remove_person(self) -> None:
        t = self._target()
        if not t:
            return
        layer, person, _ = t
        if len(layer.poses) <= 1:
            self.session.message.emit("The last person cannot be removed; hide its joints instead")
            return
        rest = [p for i, p in enumerate(layer.poses) if i != person]
        self.view.canvas.clearSelection()
        self.session.push(edits.SetPoses(layer.id, layer.poses, rest, "Remove person"))

    def reset_pose(self) -> None:
        src = self.session.doc.source_pose()
        self._set_person(src if src is not None else default_pose(*self.session.doc.size), "Reset pose")

    # -- library and keyframes -----------------------------------------------------------------
    def save_to_library(self, name: str | None = None) -> None:
        t = self._target()
        if not t:
            return
        if name is None:
            self.library_panel._ask_name()
            return
        self.library_panel.library.add(name, t[0].poses[t[1]])
        self.library_panel.refresh()
        self.session.message.emit(f"Saved pose {name!r} to the library")

    def apply_library_pose(self, unit: Pose, mirrored: bool) -> None:
        t = self._target()
        if not t:
            return
        layer, person, _ = t
        w, h = self.session.doc.size
        pose = self.library_panel.library.fit(unit, layer.poses[person], w, h)
        if mirrored:
            pose = posing.mirror_in_place(pose, w)
        self._set_person(pose, "Apply library pose (mirrored)" if mirrored else "Apply library pose")

    def set_keyframe(self) -> bool:
        """K: the skeleton becomes the keyframe at the playhead."""
        return self.playhead.key()

    # -- the whole canvas -----------------------------------------------------------------------
    def mirror_canvas(self) -> None:
        """Pixels flipped, parsing labels flipped AND left/right labels swapped,
        every pose mirrored with left/right joints swapped: one undo step."""
        doc = self.session.doc
        parts = []
        for layer in doc.layers:
            if isinstance(layer, PoseLayer):
                parts.append(edits.SetPoses(layer.id, layer.poses, [p.mirrored(doc.width) for p in layer.poses]))
            elif isinstance(layer, ParsingLayer):
                try:
                    new = labels.mirror(layer.data, layer.label_set)
                except Exception:
                    new = layer.data[:, ::-1]
                parts.append(edits.ReplaceData(layer.id, layer.data.copy(), np.ascontiguousarray(new)))
            elif isinstance(layer, RasterLayer):
                new = np.ascontiguousarray(layer.data[:, ::-1])
                if getattr(layer, "role", "") == "flow" and new.ndim == 3:
                    new = new.copy()
                    new[..., 0] *= -1
                parts.append(edits.ReplaceData(layer.id, layer.data.copy(), new))
        self.session.push(edits.Compound(parts, "Mirror canvas"))
