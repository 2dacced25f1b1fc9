"""Pose math for the posing tools (no Qt): what a drag does to a pose.

All functions return a new Pose computed from the pose at the start of the
drag, so a drag never accumulates rounding and one record (start -> end)
describes it."""

from __future__ import annotations

import math

import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose, rotation_about


def _angle(v) -> float:
    return math.atan2(float(v[1]), float(v[0]))


def move_joints(start: Pose, joints, dx: float, dy: float) -> Pose:
    xy = start.xy.copy()
    xy[list(joints)] += (dx, dy)
    return start.with_xy(xy)  # hands and face follow, as MoveJoints replays it


def move_extra_point(start: Pose, part: int, point: int, dx: float, dy: float) -> Pose:
    """One hand point (``part`` 0 right, 1 left) or face point (``part`` 2) moved by (dx, dy)."""
    p = start.copy()
    arr = p.face if part == 2 else p.hands[part]
    arr[point, :2] = (start.face if part == 2 else start.hands[part])[point, :2] + (dx, dy)
    return p


def swing_chain(start: Pose, child: int, press, now) -> Pose:
    """Rotate ``child`` and everything below it about its parent by the angle the
    mouse swept around the parent (a bone drag); bone lengths are kept."""
    parent = skeleton.PARENT[child]
    if parent is None:
        return start.copy()
    c = start.xy[parent]
    a = _angle(np.subtract(now, c)) - _angle(np.subtract(press, c))
    return start.rotate_limb(child, a)


def place_locked(start: Pose, joint: int, now) -> Pose:
    """Bone-length lock: the joint goes where the mouse points but stays at its
    bone length from the parent; its children turn with it."""
    parent = skeleton.PARENT[joint]
    if parent is None or not start.visible[parent]:
        return move_joints(start, [joint], *(np.subtract(now, start.xy[joint])))
    c = start.xy[parent]
    a = _angle(np.subtract(now, c)) - _angle(start.xy[joint] - c)
    return start.rotate_limb(joint, a)


def pivot_of(pose: Pose, joints) -> np.ndarray:
    """Centre of the visible selected joints (of all selected when none is visible)."""
    idx = [j for j in joints if pose.visible[j]] or list(joints)
    return pose.xy[idx].mean(axis=0)


def rotate_about(start: Pose, joints, pivot, angle: float) -> Pose:
    return start.transformed(rotation_about(pivot, angle), list(joints))


def scale_about(start: Pose, joints, pivot, factor: float) -> Pose:
    return start.transformed(rotation_about(pivot, 0.0, factor), list(joints))


def drag_rotation(pivot, press, now) -> float:
    return _angle(np.subtract(now, pivot)) - _angle(np.subtract(press, pivot))


def drag_scale(pivot, press, now) -> float:
    d0 = float(np.hypot(*np.subtract(press, pivot)))
    d1 = float(np.hypot(*np.subtract(now, pivot)))
    return 1.0 if d0 < 1e-6 else max(0.05, d1 / d0)


def body_axis(pose: Pose) -> float | None:
    """The x of the body's vertical axis: through the neck and the middle of the hips (what
    of them is visible), else the middle of the shoulders; None without any of them."""
    xy, vis = pose.xy, pose.visible
    hips = [xy[j, 0] for j in (8, 11) if vis[j]]
    points = ([xy[1, 0]] if vis[1] else []) + ([sum(hips) / len(hips)] if hips else [])
    if not points and vis[2] and vis[5]:
        points = [(xy[2, 0] + xy[5, 0]) / 2]
    return sum(points) / len(points) if points else None


def mirror_in_place(pose: Pose, width: int) -> Pose:
    """Mirror (left/right swapped, Pose.mirrored) about the body's own axis (neck and hips),
    so the figure turns around where it stands: a raised arm does not shift the body."""
    m = pose.mirrored(width)
    axis = body_axis(pose)
    if axis is None:
        box = pose.bbox()
        if box is None:
            return m
        axis = (box[0] + box[2]) / 2
    return m.transformed([[1, 0, 2 * axis - (width - 1)], [0, 1, 0]])


def flip_vertical(pose: Pose, height: int) -> Pose:
    """Upside down about the pose's own centre (no left/right swap: a vertical
    flip keeps the person's left on the viewer's same side)."""
    p = pose.copy()
    box = pose.bbox()
    cy = (box[1] + box[3]) / 2 if box else (height - 1) / 2
    return p.transformed([[1, 0, 0], [0, -1, 2 * cy]])
