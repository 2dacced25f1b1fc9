"""Rendering a prepared source into the target pose.

Each chain of :mod:`.skinning` (body, arms, legs) is one layer with one smooth
backward map; a layer shows the source pixels its own parts own (per the
prepared part map), with the matte's soft alpha, and the layers are stacked in
the rig's depth order (far leg ... near arm) over the background. The
background is the source where nothing moved and the inpainted clean plate
where the body left; torso uncovered by a moving arm, and target torso no
source pixel reaches, are inpainted from the body around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.warp.inpaint import fill_from_surroundings
from posestudio.engine.warp.legs import (
    _LEG_JOINTS,
    _capsule_alpha,
    _continued_leg,
    _leg_maps,
    _trunk_or_inside,
    between_legs,
)
from posestudio.engine.warp.parts import (
    _limb_capsules,
    _target_roi,
    _torso_polygon,
    _turns_away,
    sides_from_parts,
)
from posestudio.engine.warp.prepare import PreparedSource
from posestudio.engine.warp.rig import (
    _P,
    _TWIN,
    PARTS,
    _body_scale,
    depth_order,
    mirrored_limbs,
    part_transforms,
)
from posestudio.engine.warp.skinning import GROUPS, chain_map
from posestudio.engine.warp.turn import face_to_hair, head_outline, plain_garment, turns_round

_ARM_IDS = [_P[n] for n in ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")]
# How a body cut by the frame continues past it: its last row of pixels stretched
# (mirroring the garment back in scored worse on the real pairs: 0.547 vs 0.551 SSIM).
_BEYOND = cv2.BORDER_REPLICATE


@dataclass
class Warp:
    """What :func:`puppet_warp` returns. All arrays are at the source canvas size.

    image: uint8 HxWx3; flow: float32 HxWx2 backward flow (dx, dy): target pixel
    (x, y) reads source pixel (x + dx, y + dy); visibility: float32 HxW in [0, 1],
    the warped body's alpha (0 where the background shows); parts: int16 HxW, index
    into PARTS of the part shown (-1 background); parsing: the source parsing map
    carried along the flow (nearest), or None; warnings: one line each.
    """

    image: np.ndarray
    flow: np.ndarray
    visibility: np.ndarray
    parts: np.ndarray
    parsing: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


def _unchanged(prep: PreparedSource, warnings: list[str], in_place: bool = False) -> Warp:
    """The source as it is; ``in_place``: the body stays where it is (its parts and matte
    are the layers), else nothing was warped (no parts, zero visibility)."""
    img = prep.image
    h, w = img.shape[:2]
    parts = prep.owner.copy() if in_place else np.full((h, w), -1, np.int16)
    vis = prep.matte.copy() if in_place else np.zeros((h, w), np.float32)
    return Warp(
        img.copy(), np.zeros((h, w, 2), np.float32), vis, parts,
        None if prep.parsing is None else prep.parsing.copy(), warnings,
    )  # fmt: skip


def _group_roi(group, prep, mats, source_of, pad, w, h):
    """The target canvas rectangle a chain can land on (None: nowhere)."""
    rois = []
    top, bottom, left, right = prep.edges
    for name in GROUPS[group]:
        box = prep.boxes.get(_P[source_of[name]])
        if box is None:
            continue
        x0, y0, x1, y1 = box
        if pad:  # a body cut by the frame continues past it
            y0 -= pad if top and y0 <= 2 else 0
            y1 += pad if bottom and y1 >= h - 2 else 0
            x0 -= pad if left and x0 <= 2 else 0
            x1 += pad if right and x1 >= w - 2 else 0
        roi = _target_roi(mats[name], (x0, y0, x1, y1), w, h)
        if roi is not None:
            rois.append(roi)
    if not rois:
        return None
    X0, Y0 = min(r[0] for r in rois), min(r[1] for r in rois)
    X1, Y1 = max(r[0] + r[2] for r in rois), max(r[1] + r[3] for r in rois)
    return X0, Y0, X1 - X0, Y1 - Y0


# How far (a fraction of the image's longer side) a source pixel's own part may put it
# from the target pixel that reads it: further means the blended map folded over.
FOLD_TOLERANCE = 1 / 16


def _consistent(own, mx, my, roi, mats_by_id, size) -> np.ndarray:
    """bool: where a chain's smooth map agrees with the rigid map of the part that owns the
    pixel it reads (forward-mapped back, it lands near the target pixel). Blending far from
    the bones can fold a map back onto a hand or a face; those pixels are not the limb's."""
    lut = np.full((6, 256), np.nan, np.float32)
    for i, m in mats_by_id.items():
        try:
            inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2]
        except np.linalg.LinAlgError:
            continue
        lut[:, i] = inv.reshape(-1)
    a = [cv2.LUT(own, lut[k]) for k in range(6)]
    x0, y0, rw, rh = roi
    xx = np.arange(x0, x0 + rw, dtype=np.float32)[None, :]
    yy = np.arange(y0, y0 + rh, dtype=np.float32)[:, None]
    ex = a[0] * mx + a[1] * my + a[2] - xx
    ey = a[3] * mx + a[4] * my + a[5] - yy
    with np.errstate(invalid="ignore"):
        return (ex * ex + ey * ey) <= (FOLD_TOLERANCE * size) ** 2


def _bbox(mask: np.ndarray):
    ys, xs = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return None if not len(ys) else (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


def _is_identity(m: np.ndarray) -> bool:
    return bool(np.abs(np.asarray(m) - [[1, 0, 0], [0, 1, 0]]).max() < 1e-7)


def _static_layer(group: str, prep: PreparedSource, ids: list[int]):
    """A layer for a chain that stays where it is: its own pixels, in place."""
    boxes = [prep.boxes[i - 1] for i in ids if i - 1 in prep.boxes]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    R = (slice(y0, y1), slice(x0, x1))
    own = (prep.owner[R] + 1).astype(np.uint8)
    member = np.isin(own, ids)
    a = prep.matte[R] * member
    todo = None
    if group == "body":
        todo = prep.in_front[R].copy()
        a = np.where(todo, 1.0, a)
    return (
        group,
        (x0, y0, x1 - x0, y1 - y0),
        None,
        None,
        a.astype(np.float32),
        member,
        todo,
        own.astype(np.int16) - 1,
    )


# Gaussian prefilter before a shrinking resample: sigma = AA_SIGMA * sqrt(s^2 - 1) source
# pixels for a shrink by s (source pixels per target pixel); below AA_MIN nothing.
AA_SIGMA = 0.5
AA_MIN = 1.15


def shrink_filtered(image, src, dst):
    """``image`` low-pass filtered for a warp that shrinks the body (``src`` larger than
    ``dst``): a remap reads every s-th source pixel, and unfiltered that aliases (jagged
    stripes, sparkling prints). None stays None; no shrink returns ``image`` itself."""
    if image is None:
        return None
    s = _body_scale(src, dst)
    if s < AA_MIN:
        return image
    return cv2.GaussianBlur(image, (0, 0), AA_SIGMA * float(np.sqrt(s * s - 1)))


def warp_prepared(
    prep: PreparedSource, target_pose: Pose, complete_body: bool = True, borrow_limbs: bool = True
) -> Warp:
    """Warp a :func:`prepare_source` result to ``target_pose`` (source image pixels)."""
    img, sp, tp = prep.image, prep.pose, target_pose
    h, w = img.shape[:2]
    warnings = list(prep.warnings)
    if sp == tp:  # the same pose gives the photo and its parsing back, bit for bit
        return _unchanged(prep, warnings, in_place=True)
    if not (sp.visible & tp.visible).any():
        warnings.append("the source and target poses share no visible joint: image left unchanged")
        return _unchanged(prep, warnings)
    if not prep.boxes:
        warnings.append("no body parts found in the source: image left unchanged")
        return _unchanged(prep, warnings)

    size = max(h, w)
    mats = part_transforms(sp, tp, prep.silhouette, prep.head_centre)
    source_of = {name: name for name in PARTS}
    if borrow_limbs:
        for name, m in mirrored_limbs(sp, tp, mats, {PARTS[k] for k in prep.boxes}).items():
            mats[name] = m
            source_of[name] = _TWIN[name]
    order = depth_order(tp)
    rank = {g: min(order.index(p) for p in parts) for g, parts in GROUPS.items()}
    rank["body"] = order.index("torso")
    pad = max(2, size // 4) if any(prep.edges) else 0
    owner1 = (prep.owner + 1).astype(np.uint8)
    in_front = prep.in_front.astype(np.uint8)

    layers = []
    for g in sorted(GROUPS, key=rank.get):
        roi = _group_roi(g, prep, mats, source_of, pad, w, h)
        leg = _continued_leg(g, sp, tp, h, w) if any(prep.edges) else None
        if leg is not None:
            roi = leg[0]
            mats.update(_leg_maps(g, sp, tp))
        if roi is None:
            continue
        borrowed = any(source_of[p] != p for p in GROUPS[g])
        ids = [_P[source_of[p]] + 1 for p in GROUPS[g]]
        if not borrowed and all(_is_identity(mats[p]) for p in GROUPS[g]):
            # a chain that did not move is the source in place: no resampling (live previews
            # redraw only the chain being dragged), and it stays exact
            layers.append(_static_layer(g, prep, ids))
            continue
        mx, my = chain_map(g, mats, tp, roi, size, hard=borrowed)
        own = cv2.remap(owner1, mx, my, cv2.INTER_NEAREST, borderMode=_BEYOND)
        member = np.isin(own, ids) & _consistent(
            own, mx, my, roi, {_P[source_of[p]] + 1: mats[p] for p in GROUPS[g]}, size
        )
        if leg is not None:  # a leg the frame cut off: its garment continued inside a leg's outline
            capsule = _capsule_alpha(tp, _LEG_JOINTS[g], leg[1], roi)
            member = (own > 0) & (capsule > 0)
            a = cv2.remap(prep.matte, mx, my, cv2.INTER_LINEAR, borderMode=_BEYOND) * capsule * member
        else:
            # an arm is never stretched past the frame: a hand the frame cut off ends there
            # (replicating its last row drew streaks far outside the moved forearm)
            beyond = cv2.BORDER_CONSTANT if g in ("r_arm", "l_arm", "head") else _BEYOND
            a = cv2.remap(prep.matte, mx, my, cv2.INTER_LINEAR, borderMode=beyond) * member
        if g == "body" and any(_continued_leg(lg, sp, tp, h, w) for lg in _LEG_JOINTS) and any(prep.edges):
            a = a * _trunk_or_inside(tp, mx, my, roi, w, h)
        todo = None
        if g == "body":  # the torso an arm covered in the source: unseen, rebuilt below
            todo = cv2.remap(in_front, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT) > 0
            a = np.where(todo, 1.0, a).astype(np.float32)
        part_ids = own.astype(np.int16) - 1
        for p in GROUPS[g]:
            if source_of[p] != p:
                part_ids[own == _P[source_of[p]] + 1] = _P[p]
        layers.append((g, roi, mx, my, a.astype(np.float32), member, todo, part_ids))

    # What did not move stays the source; where the body left, the clean plate shows.
    stay = np.zeros((h, w), bool)
    for _, (x0, y0, rw, rh), mx, my, _a, member, _, _ in layers:
        if mx is None:
            stay[y0 : y0 + rh, x0 : x0 + rw] |= member
            continue
        xx = np.arange(x0, x0 + rw, dtype=np.float32)[None, :]
        yy = np.arange(y0, y0 + rh, dtype=np.float32)[:, None]
        stay[y0 : y0 + rh, x0 : x0 + rw] |= member & (np.abs(mx - xx) < 0.02) & (np.abs(my - yy) < 0.02)
    grow = max(1, round(size / 100))
    near_stay = cv2.dilate(stay.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0
    hole = prep.removed & ~(stay | (near_stay & (prep.owner < 0)))
    # Only the union U of the moving layers and the hole can change: composite there.
    boxes = [_bbox(hole)] + [
        (r[0], r[1], r[0] + r[2], r[1] + r[3]) for _, r, mx, *_ in layers if mx is not None
    ]
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return _unchanged(prep, warnings, in_place=True)
    ux0, uy0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    ux1, uy1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    U = (slice(uy0, uy1), slice(ux0, ux1))
    out_u = img[U].astype(np.float32)
    out_u[hole[U]] = prep.clean[U][hole[U]]

    vis = np.zeros((h, w), np.float32)
    flow = np.zeros((h, w, 2), np.float32)
    parts = np.full((h, w), -1, np.int16)
    todo_all = np.zeros((h, w), bool)
    par = prep.parsing
    parsing_out = None if par is None else np.zeros_like(par)
    plain = plain_garment(img, prep.owner) if turns_round(sp, tp) else None
    look_img, plain = shrink_filtered(img, sp, tp), shrink_filtered(plain, sp, tp)
    for g, (x0, y0, rw, rh), mx, my, a, _member, todo, part_ids in layers:
        R = (slice(y0, y0 + rh), slice(x0, x0 + rw))
        if mx is None:  # a static layer changes pixels only inside U
            ix0, iy0, ix1, iy1 = max(x0, ux0), max(y0, uy0), min(x0 + rw, ux1), min(y0 + rh, uy1)
            if ix1 > ix0 and iy1 > iy0:
                L = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
                RU = (slice(iy0 - uy0, iy1 - uy0), slice(ix0 - ux0, ix1 - ux0))
                out_u[RU] = cv2.blendLinear(
                    img[iy0:iy1, ix0:ix1].astype(np.float32), out_u[RU], a[L], 1.0 - a[L]
                )
        else:
            RU = (slice(y0 - uy0, y0 - uy0 + rh), slice(x0 - ux0, x0 - ux0 + rw))
            look = plain if (g == "body" and plain is not None) else look_img
            warped = cv2.remap(look, mx, my, cv2.INTER_LINEAR, borderMode=_BEYOND).astype(np.float32)
            out_u[RU] = cv2.blendLinear(warped, out_u[RU], a, 1.0 - a)
        vis[R] = a + (1.0 - a) * vis[R]
        top = a > 0.5
        if mx is not None:
            xx = np.arange(x0, x0 + rw, dtype=np.float32)[None, :]
            yy = np.arange(y0, y0 + rh, dtype=np.float32)[:, None]
            flow[R][top] = np.stack([mx - xx, my - yy], -1)[top]
        parts[R][top] = part_ids[top]
        todo_all[R] &= ~top
        if todo is not None:
            todo_all[R] |= todo
        if par is not None:
            if mx is None:
                carried = par[R]
            else:
                carried = cv2.remap(par.astype(np.uint8), mx, my, cv2.INTER_NEAREST, borderMode=_BEYOND)
            parsing_out[R][top] = carried[top].astype(par.dtype)
    out = img.copy()
    out[U] = np.clip(np.rint(out_u), 0, 255).astype(np.uint8)

    if complete_body:  # target torso that no source pixel reaches (a torso turned square-on)
        gaps = (_torso_polygon(tp, h, w) > 0) & (vis < 0.5)
        # ... and, when the body stays in place (an edit of a limb), the trunk a moved arm lay
        # over (a hand on the hip): inside the outline of the trunk it is body, not backdrop.
        # (On every pose-transfer pair as well it cost SSIM: 0.5877 -> 0.5869, +0.01 dB.)
        if any(mx is None and g == "body" for g, _r, mx, *_ in layers):
            gaps |= _trunk_hull(parts) & hole & (vis < 0.5)
        else:  # a limb the target shows and no source pixel reaches is body, not backdrop
            gaps |= (_limb_capsules(tp, h, w) > 0) & (vis < 0.5)
            # a dress or skirt the source shows between the legs stays one piece
            gaps |= between_legs(sp, tp, prep.matte, h, w) & (vis < 0.5)
        # a head the top of the frame cut: the skull the target shows above the cut is
        # rebuilt from the head's own pixels (it used to be the top row stretched upwards)
        cut = None
        for g, (x0, y0, rw, rh), mx, my, *_ in layers:
            if g == "head" and mx is not None and bool((my < 0).any()):
                cut = np.zeros((h, w), bool)
                cut[y0 : y0 + rh, x0 : x0 + rw] = my < 0
        skull = None if cut is None else (head_outline(tp, h, w) > 0) & (vis < 0.5) & cut
        if skull is not None and skull.any() and (parts == _P["head"]).any():
            out = fill_from_surroundings(out, skull, parts == _P["head"])
            vis[skull] = 1.0
        todo_all |= gaps
        vis[gaps] = 1.0
    if todo_all.any():
        out = fill_from_surroundings(out, todo_all, (vis > 0.5) & ~todo_all & (parts >= 0))
        if parsing_out is not None:
            donor = (parsing_out > 0) & ~todo_all
            if donor.any():
                _, idx = cv2.distanceTransformWithLabels((~donor).astype(np.uint8), cv2.DIST_L2, 3,
                                                         labelType=cv2.DIST_LABEL_PIXEL)  # fmt: skip
                lut = np.zeros(idx.max() + 1, par.dtype)
                lut[idx[donor]] = parsing_out[donor]
                parsing_out[todo_all] = lut[idx[todo_all]]

    if _turns_away(sp, tp):  # the target shows the back of the head: the face becomes hair
        if parsing_out is not None:
            parsing_out = sides_from_parts(parsing_out, parts, prep.label_set)
            face = parsing_out == 1
            if prep.label_set == "spt10" and face.any() and (parsing_out == 2).any():
                out = fill_from_surroundings(out, face, parsing_out == 2)
                parsing_out[face] = 2
        else:
            out = face_to_hair(out, prep, flow, parts)
    elif parsing_out is not None:
        parsing_out = sides_from_parts(parsing_out, parts, prep.label_set)
    return Warp(out, flow, np.clip(vis, 0.0, 1.0), parts, parsing_out, warnings)


def _trunk_hull(parts: np.ndarray) -> np.ndarray:
    """bool HxW: the convex hull of the pixels showing the torso or hips."""
    trunk = (parts == _P["torso"]) | (parts == _P["hips"])
    out = np.zeros(parts.shape, np.uint8)
    if trunk.sum() >= 3:
        ys, xs = np.nonzero(trunk)
        step = max(1, len(xs) // 4000)
        cv2.fillConvexPoly(out, cv2.convexHull(np.stack([xs[::step], ys[::step]], 1).astype(np.int32)), 1)
    return out > 0
