"""The puppet warp: a classical, weight-free pose transfer.

The body in the source image is cut into the ten rigid sub-parts of Def-GAN
(Siarohin et al. 2018; the same parts SPT's pseudo-label search aligns with
per-part affine transforms, paper 002 eq. 1). Each part gets one 2x3 affine
map from the target pose back to the source pose, fitted to the joints that
bound it. The parts are laid out in the target frame in depth order (far legs,
near legs, torso, head, far arm, near arm; in a profile view the far arm goes
behind the torso) and the topmost part at each pixel decides where that pixel
is read from: a dense *backward* flow, target pixel -> source pixel, exactly
the representation the flow-based generators (papers 001 and 003) predict.
Where no part lands, the background is the source with the body removed and
filled by a push-pull (pyramid) interpolation.

Pure numpy + OpenCV, no torch: the window imports it for live previews, and
it is the default generator whenever no trained model is installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.background import fill_background
from posestudio.engine.puppet_parts import (
    _cut_edges,
    _pad_edges,
    _part_boxes,
    _refill_from_label,
    _skeleton_body,
    _spt10,
    _target_roi,
    _torso_polygon,
    _turns_away,
    assign_parts,
    head_centre_from_parsing,
    sides_from_parts,
)  # fmt: skip
from posestudio.engine.puppet_rig import (
    _P,
    _TWIN,
    PARTS,
    _thick_torso_map,
    depth_order,
    mirrored_limbs,
    near_side,
    part_transforms,
    torso_silhouette,
)  # fmt: skip

__all__ = [
    "PARTS", "Warp", "assign_parts", "depth_order", "fill_background", "mirrored_limbs", "near_side",
    "part_transforms", "puppet_warp", "sides_from_parts", "_thick_torso_map",
]  # fmt: skip

# The background margin that travels with the body and the feather width
# (fractions of the image's longer side).
RING = 1 / 100
FEATHER = 1 / 200


@dataclass
class Warp:
    """What :func:`puppet_warp` returns. All arrays are at the source canvas size.

    image: uint8 HxWx3; flow: float32 HxWx2 backward flow (dx, dy): target pixel
    (x, y) reads source pixel (x + dx, y + dy); visibility: float32 HxW in [0, 1],
    1 where the warped body is shown, 0 where the background fill is;
    parts: int16 HxW, index into PARTS of the part shown (-1 background);
    parsing: the source parsing map carried along the flow (nearest), or None.
    """

    image: np.ndarray
    flow: np.ndarray
    visibility: np.ndarray
    parts: np.ndarray
    parsing: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


# -- the warp --------------------------------------------------------------------------
def puppet_warp(
    image: np.ndarray,
    source_pose: Pose,
    target_pose: Pose,
    source_parsing: np.ndarray | None = None,
    label_set: str = "spt10",
    complete_body: bool = True,
    use_silhouette: bool = True,
    borrow_limbs: bool = True,
) -> Warp:
    """Warp the person in ``image`` (uint8 HxWx3 RGB, any size) from ``source_pose``
    to ``target_pose`` (both in this image's pixels). The body mask comes from
    ``source_parsing`` (nonzero = person) when given, else from the skeleton's
    limb masks. Identical poses return the source image unchanged."""
    img = np.ascontiguousarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"puppet_warp needs a uint8 HxWx3 image, got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    warnings: list[str] = []
    par = None
    if source_parsing is not None:
        par = np.asarray(source_parsing)
        if par.shape != (h, w):
            par = cv2.resize(par.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    if not (source_pose.visible & target_pose.visible).any():
        warnings.append("the source and target poses share no visible joint: image left unchanged")
        return Warp(
            img.copy(), np.zeros((h, w, 2), np.float32), np.zeros((h, w), np.float32),
            np.full((h, w), -1, np.int16), None if par is None else par.copy(), warnings,
        )  # fmt: skip

    size = max(h, w)
    ring = max(1, round(size * RING))  # background margin that travels with the body
    feather = max(1, round(size * FEATHER))
    if par is not None:
        body = (par > 0).astype(np.uint8)
    else:
        body = _skeleton_body(source_pose, h, w)
    # distance to the body gives the hole (removed from the background) and the
    # halo (body + margin, a little wider than the hole so the feather fits)
    hole = np.zeros((h, w), bool)
    halo = np.zeros((h, w), bool)
    by, bx = np.flatnonzero(body.any(1)), np.flatnonzero(body.any(0))
    if len(by):
        grow = ring + 2 * feather + 2
        y0, y1 = max(0, by[0] - grow), min(h, by[-1] + 1 + grow)
        x0, x1 = max(0, bx[0] - grow), min(w, bx[-1] + 1 + grow)
        dist = cv2.distanceTransform(1 - body[y0:y1, x0:x1], cv2.DIST_L2, cv2.DIST_MASK_5)
        hole[y0:y1, x0:x1] = dist <= ring
        halo[y0:y1, x0:x1] = dist <= ring + 2 * feather

    core = assign_parts(source_pose, body, _spt10(par, label_set))
    margin = np.full((h, w), -1, np.int16)
    if (core >= 0).any():
        # margin pixels take the part of the nearest body pixel (within the halo's box)
        hy, hx = np.flatnonzero(halo.any(1)), np.flatnonzero(halo.any(0))
        y0, y1, x0, x1 = hy[0], hy[-1] + 1, hx[0], hx[-1] + 1
        c = core[y0:y1, x0:x1]
        _, idx = cv2.distanceTransformWithLabels(
            (c < 0).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
        )
        inside = c >= 0
        lut = np.full(idx.max() + 1, -1, np.int16)
        lut[idx[inside]] = c[inside]
        margin[y0:y1, x0:x1] = np.where(halo[y0:y1, x0:x1] & ~inside, lut[idx], -1)
    else:
        warnings.append("no body parts found in the source: image left unchanged")
    # one code image per part: 2 = body core, 1 = margin
    codes = np.maximum(margin * 2 + 1, 0).astype(np.int16)
    np.copyto(codes, core * 2 + 2, where=core >= 0)

    sil = None
    spt = _spt10(par, label_set)
    if spt is not None and use_silhouette:
        sil = torso_silhouette(source_pose, (spt == 3).astype(np.uint8))
    head_c = None
    if spt is not None and source_pose.visible[1]:
        head_c = head_centre_from_parsing(spt, source_pose)
    mats = part_transforms(source_pose, target_pose, sil, head_c)
    same_pose = source_pose == target_pose
    order = depth_order(target_pose)
    # A body cut by the frame (legs at the bottom of a crop) continues past it:
    # parts may be read from beyond the edges the body crosses, not the others.
    edges = _cut_edges(body)
    pad = max(2, size // 4) if any(edges) else 0
    boxes = _part_boxes(codes)
    # a limb hidden in the source but shown in the target borrows its mirror twin
    source_of = {name: name for name in PARTS}
    if borrow_limbs and not same_pose:
        for name, m in mirrored_limbs(source_pose, target_pose, mats, {PARTS[k] for k in boxes}).items():
            mats[name] = m
            source_of[name] = _TWIN[name]
    warped_parts: dict[str, tuple[tuple[int, int, int, int], np.ndarray]] = {}
    for name in order:
        pid = _P[source_of[name]]
        if pid not in boxes:
            continue
        bx0, by0, bx1, by1 = boxes[pid]
        sub = codes[by0:by1, bx0:bx1]
        part = np.zeros((h, w), np.uint8)
        part[by0:by1, bx0:bx1] = (sub == 2 * pid + 2) * np.uint8(2)
        if source_of[name] == name:  # a borrowed limb leaves its twin's surroundings behind
            part[by0:by1, bx0:bx1] += (sub == 2 * pid + 1) * np.uint8(1)
        m = mats[name].copy()
        if pad:
            part = _pad_edges(part, pad, edges)
            m[:, 2] += pad
            roi = (0, 0, w, h)
        else:
            roi = _target_roi(m, boxes[pid], w, h)
            if roi is None:
                continue
        x0, y0, rw, rh = roi
        m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
        dst = cv2.warpAffine(part, m, (rw, rh), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0)
        warped_parts[name] = (roi, dst)
    label = np.full((h, w), -1, np.int16)
    is_core = np.zeros((h, w), bool)
    for level in (1, 2):  # margins first (lowest), then body cores back to front
        for name in order:
            if name not in warped_parts:
                continue
            (x0, y0, rw, rh), dst = warped_parts[name]
            hit = dst == level
            label[y0 : y0 + rh, x0 : x0 + rw][hit] = _P[name]
            if level == 2:
                is_core[y0 : y0 + rh, x0 : x0 + rw] |= hit

    # Everything below happens in R: where the old body was (the hole) or a part lands.
    rects = [roi for roi, _ in warped_parts.values()]
    hy, hx = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
    if len(hy):
        rects.append((hx[0], hy[0], hx[-1] + 1 - hx[0], hy[-1] + 1 - hy[0]))
    flow = np.zeros((h, w, 2), np.float32)
    alpha = np.zeros((h, w), np.float32)
    parsing_out = None if par is None else np.zeros_like(par)
    if not rects:
        return Warp(img.copy(), flow, alpha, label, parsing_out, warnings)
    X0, Y0 = min(r[0] for r in rects), min(r[1] for r in rects)
    X1, Y1 = max(r[0] + r[2] for r in rects), max(r[1] + r[3] for r in rects)
    R = (slice(Y0, Y1), slice(X0, X1))
    lab_r = label[R]

    # backward maps: identity for background, the part's affine where a part lands
    coef = np.zeros((6, len(PARTS) + 1), np.float32)
    coef[0, :] = coef[4, :] = 1.0
    for name, m in mats.items():
        coef[:, _P[name] + 1] = np.asarray(m, np.float32).reshape(-1)
    lab1 = (lab_r + 1).astype(np.uint8)  # at most 12 values: a 256-entry lookup table each
    xx = np.arange(X0, X1, dtype=np.float32)[None, :]
    yy = np.arange(Y0, Y1, dtype=np.float32)[:, None]
    lut = np.zeros((6, 256), np.float32)
    lut[:, : coef.shape[1]] = coef
    a = [cv2.LUT(lab1, lut[i]) for i in range(6)]
    map_x = a[0] * xx + a[1] * yy + a[2]
    map_y = a[3] * xx + a[4] * yy + a[5]
    warped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    # Where the target skeleton says "torso" but no source part lands (a torso seen
    # square-on that was edge-on, a gap between arm and torso in the source),
    # extend the warped body into it instead of showing background.
    core_r = is_core[R]
    gaps = np.zeros(lab_r.shape, bool)
    if complete_body and not same_pose and core_r.any():
        gaps = (_torso_polygon(target_pose, h, w)[R] > 0) & ~core_r
        if gaps.any():
            ys, xs = np.nonzero(gaps)
            grow = max(int(np.ptp(ys)), int(np.ptp(xs)), 8)
            y0, y1 = max(0, ys.min() - grow), min(gaps.shape[0], ys.max() + 1 + grow)
            x0, x1 = max(0, xs.min() - grow), min(gaps.shape[1], xs.max() + 1 + grow)
            filled = fill_background(warped[y0:y1, x0:x1], ~core_r[y0:y1, x0:x1])
            g = gaps[y0:y1, x0:x1]
            warped[y0:y1, x0:x1][g] = np.clip(np.rint(filled[g]), 0, 255).astype(np.uint8)
            lab_r[gaps] = -1  # a view into label
    # feather inside the shown region only (outside it the identity map would show the old body)
    fg = lab_r >= 0
    shown = (fg | gaps).astype(np.uint8)
    al = np.minimum(cv2.distanceTransform(shown, cv2.DIST_L2, 3) * (1.0 / (2 * feather)), 1.0)
    alpha[R] = al
    background = np.clip(np.rint(fill_background(img[R], hole[R])), 0, 255).astype(np.uint8)
    out = img.copy()
    out[R] = cv2.blendLinear(warped, background, al, 1.0 - al)

    fgf = fg.astype(np.float32)
    flow[R] = cv2.merge([(map_x - xx) * fgf, (map_y - yy) * fgf])
    if par is not None:
        carried = cv2.remap(
            par.astype(np.uint8), map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
        )
        parsing_out[R] = sides_from_parts(np.where(fg, carried, 0).astype(par.dtype), lab_r, label_set)
        if label_set == "spt10" and _turns_away(source_pose, target_pose):
            # the target shows the back of the head: the face becomes hair
            face = parsing_out == 1
            if face.any() and (parsing_out == 2).any():
                out = _refill_from_label(out, parsing_out, face, 2)
                parsing_out[face] = 2
    return Warp(out, flow, alpha, label, parsing_out, warnings)
