"""Poses: 18 COCO-18 joints in source-image pixels, each visible or missing.

Also what the generators need from a pose: Gaussian heatmaps exactly as the
pose-transfer papers build them, and limb/body masks as PG2 and SPT use them;
plus the edits an artist makes: mirror, affine transforms, interpolation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core import skeleton, wholebody
from posestudio.errors import InputError

N = skeleton.NUM_JOINTS


@dataclass
class Pose:
    """One person's pose. ``xy`` is (18, 2) float64 image pixels (x right, y down);
    ``visible`` is (18,) bool; a missing joint keeps its last position in ``xy``
    (so hiding and restoring it is lossless) but is never drawn or used. ``hands``
    ((2, 21, 3): right, left) and ``face`` ((70, 3)) are OpenPose's optional whole-body
    points, x, y, confidence (:mod:`posestudio.core.wholebody`)."""

    xy: np.ndarray
    visible: np.ndarray = field(default=None)  # type: ignore[assignment]
    hands: np.ndarray | None = None
    face: np.ndarray | None = None

    def __post_init__(self):
        xy = np.asarray(self.xy, dtype=np.float64)
        if xy.shape != (N, 2):
            raise InputError(f"a pose needs {N} joints with x and y, got shape {xy.shape}")
        vis = np.ones(N, dtype=bool) if self.visible is None else np.asarray(self.visible, dtype=bool)
        if vis.shape != (N,):
            raise InputError(f"a pose needs {N} visibility flags, got shape {vis.shape}")
        if not np.all(np.isfinite(xy[vis])):
            bad = [skeleton.JOINTS[i] for i in np.flatnonzero(vis & ~np.isfinite(xy).all(1))]
            raise InputError(f"joint coordinates are not finite numbers (NaN or inf) at {', '.join(bad)}")
        xy = np.where(np.isfinite(xy), xy, 0.0)
        self.xy = xy
        self.visible = vis
        self.hands, self.face = wholebody.check(self.hands, self.face)

    # -- construction -------------------------------------------------------
    @classmethod
    def empty(cls) -> Pose:
        return cls(np.zeros((N, 2)), np.zeros(N, dtype=bool))

    @classmethod
    def from_array(cls, arr) -> Pose:
        """From an (18, 3) array of x, y, confidence; confidence <= 0 means missing."""
        arr = np.asarray(arr, dtype=np.float64)
        if arr.shape != (N, 3):
            raise InputError(f"expected {N} keypoints of (x, y, c), got shape {arr.shape}")
        return cls(arr[:, :2], arr[:, 2] > 0)

    def to_array(self) -> np.ndarray:
        """(18, 3) x, y, c with c = 1 for visible joints and (0, 0, 0) for missing ones."""
        out = np.zeros((N, 3))
        out[self.visible, :2] = self.xy[self.visible]
        out[self.visible, 2] = 1.0
        return out

    def copy(self) -> Pose:
        return Pose(self.xy.copy(), self.visible.copy(), self.hands, self.face)  # check() copies

    def with_xy(self, xy) -> Pose:
        """The body joints at ``xy`` (18, 2); hands and face carried along
        (:func:`posestudio.core.wholebody.follow`)."""
        xy = np.array(xy, dtype=np.float64)
        return Pose(xy, self.visible.copy(), *wholebody.follow(self.xy, xy, self.visible, self.hands, self.face))

    def body_only(self) -> Pose:
        """The 18 body joints without hands and face."""
        return Pose(self.xy.copy(), self.visible.copy())

    def __eq__(self, other) -> bool:
        if not isinstance(other, Pose):
            return NotImplemented
        return bool(
            np.array_equal(self.visible, other.visible)
            and np.allclose(self.xy[self.visible], other.xy[other.visible], atol=1e-9)
            and _same(self.hands, other.hands)
            and _same(self.face, other.face)
        )

    # -- queries ------------------------------------------------------------
    def bbox(self) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) of the visible joints, or None when none is visible."""
        if not self.visible.any():
            return None
        p = self.xy[self.visible]
        return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())

    def limbs(self) -> list[tuple[int, int]]:
        """The drawn limbs whose two joints are both visible (a hidden joint drops its limbs)."""
        return [(a, b) for a, b in skeleton.LIMBS if self.visible[a] and self.visible[b]]

    def bone_lengths(self) -> np.ndarray:
        """Length of the bone from each joint to its parent (NaN for the root or a missing end)."""
        out = np.full(N, np.nan)
        for j, p in enumerate(skeleton.PARENT):
            if p is not None and self.visible[j] and self.visible[p]:
                out[j] = float(np.hypot(*(self.xy[j] - self.xy[p])))
        return out

    # -- edits (all return a new Pose) ---------------------------------------
    def mirrored(self, width: float) -> Pose:
        """Flip horizontally in an image ``width`` pixels wide and swap left/right joints,
        so the mirrored pose describes the mirrored image (pixel column c -> width-1-c)."""
        perm = list(skeleton.FLIP_PERMUTATION)
        xy = self.xy[perm].copy()
        xy[:, 0] = (width - 1) - xy[:, 0]
        return Pose(xy, self.visible[perm].copy(), *wholebody.mirrored(self.hands, self.face, width))

    def swapped_sides(self) -> Pose:
        """Swap left/right labels without moving any point (fixes a mislabelled detection)."""
        perm = list(skeleton.FLIP_PERMUTATION)
        return Pose(self.xy[perm].copy(), self.visible[perm].copy(), *wholebody.swapped_sides(self.hands, self.face))

    def transformed(self, matrix, joints=None) -> Pose:
        """Apply a 2x3 (or 3x3) affine matrix to all joints (hands and face too), or only to
        ``joints`` (hands and face then follow their wrist and nose: :meth:`with_xy`)."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape == (3, 3):
            m = m[:2]
        if m.shape != (2, 3):
            raise ValueError(f"affine matrix must be 2x3 or 3x3, got {m.shape}")
        xy = self.xy.copy()
        idx = np.arange(N) if joints is None else np.asarray(list(joints), dtype=int)
        xy[idx] = xy[idx] @ m[:, :2].T + m[:, 2]
        if joints is None:
            return Pose(xy, self.visible.copy(), wholebody.affine(self.hands, m), wholebody.affine(self.face, m))
        return self.with_xy(xy)

    def rotate_limb(self, joint: int, angle: float) -> Pose:
        """Rotate ``joint`` and everything below it about its parent by ``angle`` radians."""
        parent = skeleton.PARENT[joint]
        if parent is None:
            return self.copy()
        return self.transformed(rotation_about(self.xy[parent], angle), [joint, *skeleton.descendants(joint)])

    def with_joint(self, joint: int, x: float, y: float, visible: bool = True) -> Pose:
        """The joint moved (hands and face hanging from it move along) or hidden."""
        xy = self.xy.copy()
        xy[joint] = (x, y)
        p = self.with_xy(xy)
        p.visible[joint] = visible
        return p


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a[..., 2] > 0, b[..., 2] > 0) and np.allclose(a, b, atol=1e-9))


def rotation_about(center, angle: float, scale: float = 1.0) -> np.ndarray:
    """2x3 matrix rotating by ``angle`` radians (counter-clockwise on screen means
    negative in y-down pixels) and scaling about ``center``."""
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    cx, cy = float(center[0]), float(center[1])
    return np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy]])


# -- what the generators see ---------------------------------------------------
def heatmaps(pose: Pose, height: int, width: int, sigma: float = 6.0) -> np.ndarray:
    """(18, H, W) float32: channel i = exp(-((yy-y_i)^2 + (xx-x_i)^2) / (2 sigma^2))
    over the integer pixel grid; all zeros for a missing joint (PATN/PoNA convention)."""
    yy = np.arange(height, dtype=np.float64)[:, None]
    xx = np.arange(width, dtype=np.float64)[None, :]
    out = np.zeros((N, height, width), dtype=np.float32)
    for i in np.flatnonzero(pose.visible):
        x, y = pose.xy[i]
        out[i] = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2.0 * sigma**2))
    return out


def limb_mask(pose: Pose, height: int, width: int, thickness: int | None = None) -> np.ndarray:
    """(H, W) uint8 0/1: the visible limbs drawn as thick lines (PG2's pose mask before dilation)."""
    thickness = thickness or max(2, round(min(height, width) / 32))
    mask = np.zeros((height, width), dtype=np.uint8)
    for a, b in pose.limbs():
        pa = tuple(int(round(v)) for v in pose.xy[a])
        pb = tuple(int(round(v)) for v in pose.xy[b])
        cv2.line(mask, pa, pb, 1, thickness, lineType=cv2.LINE_8)
    for i in np.flatnonzero(pose.visible):
        cv2.circle(mask, tuple(int(round(v)) for v in pose.xy[i]), thickness, 1, -1)
    return mask


def body_mask(pose: Pose, height: int, width: int, radius: int | None = None) -> np.ndarray:
    """(H, W) uint8 0/1 body mask as PG2/SPT build it: limbs and the torso
    quadrilateral (shoulders and hips) filled, then dilated by a disk of ``radius``."""
    radius = radius or max(3, round(min(height, width) / 24))
    mask = limb_mask(pose, height, width)
    torso = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(torso) >= 3:
        pts = np.round(pose.xy[torso]).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1)
    head = [j for j in skeleton.HEAD_JOINTS if pose.visible[j]]
    if len(head) >= 3:
        cv2.fillPoly(mask, [cv2.convexHull(np.round(pose.xy[head]).astype(np.int32))], 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel)


# -- interpolation ------------------------------------------------------------
def interpolate(a: Pose, b: Pose, t: float, mode: str = "bones") -> Pose:
    """The pose a fraction ``t`` of the way from ``a`` to ``b``.

    ``mode="bones"`` (default) moves the root (neck) in a straight line and
    turns every bone about its parent by the shortest angle, so bone lengths
    stay those of the keyframes (blended when they differ) and limbs never
    shrink mid-way. ``mode="linear"`` blends every joint in a straight line.
    A joint visible in only one pose takes that pose's offset from its parent
    and is shown for the nearer half of the segment.
    """
    if mode not in ("bones", "linear"):
        raise ValueError(f"unknown interpolation mode {mode!r}")
    both = a.visible & b.visible
    xy = (1 - t) * a.xy + t * b.xy
    visible = np.where(both, True, np.where(t < 0.5, a.visible, b.visible))
    # A joint hidden at t keeps a real position (the keyframe that shows it, else a's),
    # so restoring it later puts it somewhere sensible, not at a blend with (0, 0).
    xy[~both] = np.where(b.visible[~both, None] & ~a.visible[~both, None], b.xy[~both], a.xy[~both])
    if mode == "linear":
        return Pose(xy, visible, *wholebody.interpolated(a, b, xy, t))
    placed = np.zeros(N, dtype=bool)
    for j in skeleton.topological_order():
        p = skeleton.PARENT[j]
        if p is None or not placed[p]:
            placed[j] = visible[j] or both[j]
            if not both[j] and visible[j]:
                xy[j] = a.xy[j] if t < 0.5 else b.xy[j]
            continue
        if both[j] and both[p]:
            va, vb = a.xy[j] - a.xy[p], b.xy[j] - b.xy[p]
            la, lb = math.hypot(*va), math.hypot(*vb)
            ang_a, ang_b = math.atan2(va[1], va[0]), math.atan2(vb[1], vb[0])
            d = (ang_b - ang_a + math.pi) % (2 * math.pi) - math.pi
            ang, length = ang_a + t * d, (1 - t) * la + t * lb
            xy[j] = xy[p] + length * np.array([math.cos(ang), math.sin(ang)])
        elif visible[j]:
            src = a if t < 0.5 else b
            if src.visible[p]:
                xy[j] = xy[p] + (src.xy[j] - src.xy[p])
            else:
                xy[j] = src.xy[j]
        placed[j] = True
    return Pose(xy, visible, *wholebody.interpolated(a, b, xy, t))


def default_pose(width: int, height: int) -> Pose:
    """A standing, front-facing pose fitted to an image of the given size."""
    # Unit coordinates of a neutral A-pose, figure 1.0 tall, centred on x = 0.
    unit = np.array([
        [0.00, 0.07], [0.00, 0.17],
        [-0.11, 0.18], [-0.15, 0.33], [-0.17, 0.47],
        [0.11, 0.18], [0.15, 0.33], [0.17, 0.47],
        [-0.07, 0.50], [-0.08, 0.71], [-0.08, 0.93],
        [0.07, 0.50], [0.08, 0.71], [0.08, 0.93],
        [-0.025, 0.05], [0.025, 0.05], [-0.05, 0.06], [0.05, 0.06],
    ])  # fmt: skip
    scale = 0.9 * height
    xy = unit * scale + np.array([width / 2, 0.05 * height])
    return Pose(xy, np.ones(N, dtype=bool))
