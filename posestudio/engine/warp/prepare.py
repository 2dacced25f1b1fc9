"""Everything about the source that does not depend on the target pose, computed once.

A live preview warps the same photo to a new target pose every time a joint
moves; the matte, the part each pixel belongs to and the clean background stay
the same, so :func:`prepare_source` computes them once and keeps the last few
(keyed by the image bytes, the source pose, the parsing map and the matte).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.warp.inpaint import inpaint
from posestudio.engine.warp.matte import joints_off_matte, person_matte
from posestudio.engine.warp.parts import (
    _cut_edges,
    _part_boxes,
    _spt10,
    assign_parts,
    head_centre_from_parsing,
)
from posestudio.engine.warp.rig import _P, torso_silhouette

# The margin of background removed with the body (a fraction of the longer side): the
# matte's soft edge still carries a little of the old backdrop.
MARGIN = 1 / 100
CACHE_SIZE = 4
# Arm pixels over the trunk within a band of 1/IN_FRONT_BAND of the image around the arm
# bones cover the torso (were 1/20: forearms wider than that left white patches).
IN_FRONT_BAND = 10
_ARM_IDS = [_P[n] for n in ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")]


@dataclass
class PreparedSource:
    """The source side of a warp. image: uint8 HxWx3; matte: float32 HxW alpha;
    owner: int16 HxW part index (into rig.PARTS) of each body pixel, -1 elsewhere;
    in_front: bool HxW, arm pixels lying over the torso (the torso behind them is unseen);
    removed: bool HxW, the body and its margin; clean: the image with ``removed`` inpainted."""

    image: np.ndarray
    pose: Pose
    parsing: np.ndarray | None
    label_set: str
    matte: np.ndarray
    owner: np.ndarray
    in_front: np.ndarray
    removed: np.ndarray
    clean: np.ndarray
    boxes: dict[int, tuple[int, int, int, int]]
    edges: tuple[bool, bool, bool, bool]
    silhouette: tuple[float, float] | None
    head_centre: np.ndarray | None
    warnings: list[str] = field(default_factory=list)


_cache: OrderedDict[bytes, PreparedSource] = OrderedDict()


def _key(image, pose: Pose, parsing, matte, label_set: str, use_silhouette: bool) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for arr in (image, parsing, matte):
        if arr is None:
            h.update(b"-")
        else:
            a = np.ascontiguousarray(arr)
            h.update(repr((a.shape, a.dtype.str)).encode())
            h.update(a.data)
    h.update(np.ascontiguousarray(np.where(pose.visible[:, None], pose.xy, 0.0)).tobytes())
    h.update(pose.visible.tobytes())
    h.update(f"{label_set}|{use_silhouette}".encode())
    return h.digest()


def _arms_in_front(owner: np.ndarray, pose: Pose) -> np.ndarray:
    """Arm pixels near an arm bone inside the convex hull of the torso and hips: the arm
    covers the torso there. (Only near the bones: in a three-quarter view the nearest-bone
    part map gives the arm much of the back, which is no arm.)"""
    h, w = owner.shape
    bones = np.zeros((h, w), np.uint8)
    thick = max(2, round(max(h, w) / IN_FRONT_BAND))
    for a, b in ((2, 3), (3, 4), (5, 6), (6, 7)):
        if pose.visible[a] and pose.visible[b]:
            pa, pb = np.clip(np.round(pose.xy[[a, b]]), -1e6, 1e6).astype(int)
            cv2.line(bones, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), 1, thick)
    if not bones.any():
        return np.zeros((h, w), bool)
    trunk = (owner == _P["torso"]) | (owner == _P["hips"])
    out = np.zeros((h, w), bool)
    if trunk.sum() < 3:
        return out
    ys, xs = np.nonzero(trunk)
    step = max(1, len(xs) // 4000)
    hull = cv2.convexHull(np.stack([xs[::step], ys[::step]], 1).astype(np.int32))
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, hull, 1)
    return (inside > 0) & (bones > 0) & np.isin(owner, _ARM_IDS)


def prepare_source(
    image: np.ndarray,
    pose: Pose,
    parsing: np.ndarray | None = None,
    label_set: str = "spt10",
    matte: np.ndarray | None = None,
    use_silhouette: bool = True,
) -> PreparedSource:
    """The target-independent half of :func:`puppet_warp` for ``image`` (uint8 HxWx3 RGB)
    posed as ``pose``, from the parsing map, else the given ``matte``, else the detector's, else GrabCut.
    The last few results are cached: calling it again with the same inputs is free."""
    img = np.ascontiguousarray(image)
    h, w = img.shape[:2]
    par = None
    if parsing is not None:
        par = np.asarray(parsing)
        if par.shape != (h, w):
            par = cv2.resize(par.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    key = _key(img, pose, par, matte, label_set, use_silhouette)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]

    warnings: list[str] = []
    alpha = person_matte(img, pose, par, matte)
    off, n = joints_off_matte(pose, alpha)
    if n and off > n / 2:
        warnings.append(
            f"the source skeleton does not fit the person in the image: {off} of {n} joints lie off the body"
        )
    size = max(h, w)
    body = (alpha > 0.02).astype(np.uint8)
    spt = _spt10(par, label_set)
    owner = assign_parts(pose, body, spt)
    grow = max(1, round(size * MARGIN))
    removed = cv2.dilate(body, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))) > 0
    clean = inpaint(img, removed)
    sil = None
    if spt is not None and use_silhouette:
        sil = torso_silhouette(pose, (spt == 3).astype(np.uint8))
    elif use_silhouette:
        sil = torso_silhouette(pose, np.isin(owner, [_P["torso"], _P["hips"]]).astype(np.uint8))
        sil = None if sil is None else (sil[0], 0.0)
    head_c = head_centre_from_parsing(spt, pose) if spt is not None and pose.visible[1] else None
    codes = np.where(owner >= 0, owner * 2 + 2, 0).astype(np.int16)
    prep = PreparedSource(
        img, pose.copy(), par, label_set, alpha, owner, _arms_in_front(owner, pose), removed, clean,
        _part_boxes(codes), _cut_edges(body), sil, head_c, warnings,
    )  # fmt: skip
    _cache[key] = prep
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return prep
