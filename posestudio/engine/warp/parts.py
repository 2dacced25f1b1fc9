"""Which source pixel belongs to which part, and the masks the puppet warp works with.

Pixels join the nearest part skeleton (bone, torso polygon, head disc),
restricted by their parsing label; the body mask comes from the parsing map
or from the skeleton (PG2/SPT's body mask); parsing labels with a side (left
arm …) are re-sided from the target's parts.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose, limb_mask
from posestudio.engine.warp.rig import _P, _SEGMENTS, PARTS

# Which parts a pixel of each SPT-10 label may belong to (None: any part).
_ARMS = ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")
_LEGS = ("r_thigh", "r_shin", "l_thigh", "l_shin")
_SPT10_ALLOWED: dict[int, tuple[str, ...]] = {
    1: ("head",),
    2: ("head",),
    3: ("torso", *_ARMS),
    4: ("hips", *_LEGS),
    5: ("hips", *_LEGS),
    6: _ARMS,
    7: _ARMS,
    8: _LEGS,
    9: _LEGS,
}

# Resolution (longest side) at which pixels are assigned to parts.
_WORK_SIDE = 192
# An arm's half-width is at most this fraction of the torso's length (neck to mid-hip);
# the width measured on the matte is widened by ARM_SLACK (sleeves, the edge's softness).
ARM_WIDTH = 0.16
ARM_SLACK = 1.25
# A thigh without its knee is the hips' down to this fraction of the torso's length below the hip.
HIP_STUB = 0.3


# -- which source pixel belongs to which part ------------------------------------
def _part_skeletons(pose: Pose, h: int, w: int, s: float) -> dict[str, np.ndarray]:
    """Each part drawn as its bone (limbs), torso polygon or head disc, at scale ``s``."""
    out = {}
    v, xy = pose.visible, pose.xy * s

    def pt(j):
        return (int(round(xy[j, 0])), int(round(xy[j, 1])))

    if v[8] and v[11]:
        img = np.zeros((h, w), np.uint8)
        cv2.line(img, pt(8), pt(11), 1, 1)
        if v[1]:
            # a thigh whose knee is not shown (cut by the frame) belongs to the hips: the
            # hands resting beside it are not nearer than the trousers' own skeleton
            down = (xy[8] + xy[11]) / 2 - xy[1]
            for hip, knee in ((8, 9), (11, 12)):
                if not v[knee]:
                    end = np.clip(np.round(xy[hip] + HIP_STUB * down), -1e6, 1e6).astype(int)
                    cv2.line(img, pt(hip), (int(end[0]), int(end[1])), 1, 1)
        out["hips"] = img
    torso = [j for j in (2, 5, 11, 8) if v[j]]
    if v[8] and v[11] and v[2] and v[5]:
        # the torso's skeleton stops short of the hips, which have their own part
        sh, hp = xy[[2, 5]], xy[[8, 11]]
        low = sh + 0.6 * (hp - sh)
        img = np.zeros((h, w), np.uint8)
        cv2.fillPoly(img, [np.round(np.array([sh[0], sh[1], low[1], low[0]])).astype(np.int32)], 1)
        if v[1]:
            cv2.line(img, pt(1), pt(2), 1, 1)
            cv2.line(img, pt(1), pt(5), 1, 1)
        out["torso"] = img
    elif torso:
        img = np.zeros((h, w), np.uint8)
        if len(torso) >= 3:
            cv2.fillPoly(img, [np.round(xy[torso]).astype(np.int32)], 1)
        pts = [*torso, *([1] if v[1] else [])]
        for i in range(len(pts)):
            for k in range(i + 1, len(pts)):
                cv2.line(img, pt(pts[i]), pt(pts[k]), 1, 1)
        out["torso"] = img
    elif v[1]:
        img = np.zeros((h, w), np.uint8)
        cv2.circle(img, pt(1), 1, 1, -1)
        out["torso"] = img
    head = [j for j in skeleton.HEAD_JOINTS if v[j]]
    if head:
        img = np.zeros((h, w), np.uint8)
        c = xy[head].mean(0)
        spread = np.sqrt(((xy[head] - c) ** 2).sum(1).max()) if len(head) > 1 else 0.0
        r = max(1, int(round(spread * 0.8)))
        cv2.circle(img, (int(round(c[0])), int(round(c[1]))), r, 1, -1)
        if v[0]:
            cv2.line(img, pt(0), (int(round(c[0])), int(round(c[1]))), 1, 1)
        out["head"] = img
    for name, (a, b, _) in _SEGMENTS.items():
        if v[a] and v[b]:
            img = np.zeros((h, w), np.uint8)
            cv2.line(img, pt(a), pt(b), 1, 1)
            out[name] = img
    return out


def head_centre_from_parsing(spt10: np.ndarray, pose: Pose) -> np.ndarray | None:
    """Centroid of the face and hair pixels above the neck (hair hanging down the
    back does not pull it), or None when there are none."""
    neck_y = int(round(pose.xy[1, 1]))
    top = spt10[: max(0, neck_y)]
    ys, xs = np.nonzero((top == 1) | (top == 2))
    if len(xs) < 10:
        return None
    return np.array([xs.mean(), ys.mean()])


def _spt10(parsing: np.ndarray | None, label_set: str) -> np.ndarray | None:
    if parsing is None:
        return None
    if label_set == "spt10":
        return parsing
    from posestudio.core import labels

    return labels.convert(parsing, label_set, "spt10")


def assign_parts(pose: Pose, body: np.ndarray, parsing_spt10: np.ndarray | None) -> np.ndarray:
    """int16 HxW: the part each body pixel belongs to (-1 outside ``body``).

    Nearest part skeleton, restricted by the parsing label where one is given
    (hair and face go with the head, sleeves with torso or arms, pants with
    torso or legs). Computed at a working resolution, then upsampled.
    """
    h, w = body.shape
    s = min(1.0, _WORK_SIDE / max(h, w))
    hw, ww = max(1, round(h * s)), max(1, round(w * s))
    sk = _part_skeletons(pose, hw, ww, s)
    if not sk:
        return np.full((h, w), -1, np.int16)
    names = list(sk)
    dist = np.stack([cv2.distanceTransform((1 - sk[n]).astype(np.uint8), cv2.DIST_L2, 3) for n in names])
    lab = np.argmin(dist, 0)
    if parsing_spt10 is not None:
        par = cv2.resize(parsing_spt10.astype(np.uint8), (ww, hw), interpolation=cv2.INTER_NEAREST)
        for label, allowed in _SPT10_ALLOWED.items():
            idx = [i for i, n in enumerate(names) if n in allowed]
            if not idx or len(idx) == len(names):
                continue
            sel = par == label
            if sel.any():
                sub = np.argmin(dist[idx][:, sel], 0)
                lab[sel] = np.asarray(idx)[sub]
    if parsing_spt10 is None:
        small_body = cv2.resize(body.astype(np.uint8), (ww, hw), interpolation=cv2.INTER_NEAREST)
        lab = _arms_their_width(pose, s, names, dist, lab, small_body)
    part_ids = np.array([_P[n] for n in names], np.int16)[lab]
    if s < 1.0:
        part_ids = cv2.resize(part_ids, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.where(body > 0, part_ids, -1).astype(np.int16)


def _limb_half_width(pose: Pose, s: float, a: int, b: int, inside: np.ndarray, cap: float) -> float:
    """Half the width of the limb on bone a->b (scale ``s``): the distance from the middle
    of the bone to the body's edge (``inside``: distance transform of the body), at most
    ``cap`` (an arm lying over the torso has no edge of its own)."""
    h, w = inside.shape
    pts = pose.xy[a] * s + np.linspace(0.2, 0.8, 7)[:, None] * (pose.xy[b] - pose.xy[a]) * s
    xs, ys = np.round(pts).astype(int).T
    ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    if not ok.any():
        return cap
    return min(float(np.median(inside[ys[ok], xs[ok]])), cap)


def _arms_their_width(pose, s, names, dist, lab, body) -> np.ndarray:
    """Arm pixels over the trunk (inside the hull of its pixels) further from their bone
    than the arm is wide go to the nearest other part: nearest-bone assignment gives a
    forearm lying beside the torso a strip of shirt (or the trousers a hand rests on),
    which then travels with the arm. Outside the trunk a loose sleeve stays with its arm."""
    v = pose.visible
    hips = [j for j in (8, 11) if v[j]]
    if not (v[1] and hips):
        return lab
    cap = ARM_WIDTH * float(np.hypot(*(pose.xy[hips].mean(0) - pose.xy[1]))) * s
    others = [i for i, n in enumerate(names) if n not in _ARMS]
    if not others or cap < 1:
        return lab
    inside = cv2.distanceTransform(body, cv2.DIST_L2, 3)
    trunk_ids = [i for i, n in enumerate(names) if n in ("torso", "hips")]
    trunk = np.isin(lab, trunk_ids) & (body > 0)
    if trunk.sum() < 3:
        return lab
    ys, xs = np.nonzero(trunk)
    hull = np.zeros(lab.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.stack([xs, ys], 1).astype(np.int32)), 1)
    lab = lab.copy()
    nearest_other = np.asarray(others)[np.argmin(dist[others], 0)]
    for k, n in enumerate(names):
        if n not in _ARMS:
            continue
        a, b, _ = _SEGMENTS[n]
        r = ARM_SLACK * _limb_half_width(pose, s, a, b, inside, cap) + 1.0
        far = (lab == k) & (dist[k] > r) & (hull > 0)
        lab[far] = nearest_other[far]
    return lab


def sides_from_parts(parsing: np.ndarray, parts: np.ndarray, label_set: str) -> np.ndarray:
    """Left/right labels (left arm, right leg …) set from the body part each pixel lies
    on in the target: a parser labels a back view's arms by image side, and a pose
    change can turn the person round, but the target pose knows which arm is which."""
    from posestudio.core import labels

    try:
        ls = labels.get(label_set)
    except Exception:  # noqa: BLE001 - an unknown set has no sides to fix
        return parsing
    out = parsing.copy()
    for a, b in ls.lr_pairs:
        side = {a: ls.names[a].split()[0], b: ls.names[b].split()[0]}  # "left" / "right"
        lab = {"left": a if side[a] == "left" else b, "right": b if side[a] == "left" else a}
        sided = (parsing == a) | (parsing == b)
        if not sided.any():
            continue
        for pid, name in enumerate(PARTS):
            if name[:2] in ("l_", "r_"):
                out[sided & (parts == pid)] = lab["left" if name[0] == "l" else "right"]
    return out


def _turns_away(src: Pose, dst: Pose) -> bool:
    """True when the source shows the face (nose or an eye) and the target none of it but
    an ear (a target without any head joint has its head cut off by the frame)."""
    face = [0, 14, 15]
    return bool(src.visible[face].any() and not dst.visible[face].any() and dst.visible[[16, 17]].any())


def _torso_polygon(pose: Pose, h: int, w: int) -> np.ndarray:
    """uint8 HxW: the quadrilateral of shoulders and hips (empty without three of them)."""
    out = np.zeros((h, w), np.uint8)
    pts = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(pts) >= 3:
        cv2.fillPoly(out, [np.round(pose.xy[pts]).astype(np.int32)], 1)
    return out


# Half-width of the capsules around the target's arm bones (legs 1.3 times that), in torso
# lengths, inside which a limb no source pixel reaches is filled from the body around it.
LIMB_FILL = 0.04


def _limb_capsules(pose: Pose, h: int, w: int) -> np.ndarray:
    """uint8 HxW: thin capsules around the limb bones of ``pose`` (empty without a torso)."""
    out = np.zeros((h, w), np.uint8)
    v = pose.visible
    hips = [j for j in (8, 11) if v[j]]
    if not (v[1] and hips):
        return out
    torso = float(np.hypot(*(pose.xy[hips].mean(0) - pose.xy[1])))
    for a, b in ((2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (11, 12), (12, 13)):
        if v[a] and v[b]:
            r = LIMB_FILL * torso * (1.3 if a >= 8 else 1.0)
            pa, pb = np.round(pose.xy[[a, b]]).astype(int)
            cv2.line(out, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), 1, max(1, int(round(2 * r))))
    return out


def _skeleton_body(pose: Pose, h: int, w: int) -> np.ndarray:
    """The body mask of ``core.pose.body_mask`` (limbs, torso and head filled, grown by
    a disc of min(h, w)/24), grown with a distance transform: large discs are slow to dilate."""
    radius = max(3, round(min(h, w) / 24))
    mask = limb_mask(pose, h, w)
    torso = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(torso) >= 3:
        cv2.fillPoly(mask, [np.round(pose.xy[torso]).astype(np.int32)], 1)
    head = [j for j in skeleton.HEAD_JOINTS if pose.visible[j]]
    if len(head) >= 3:
        cv2.fillPoly(mask, [cv2.convexHull(np.round(pose.xy[head]).astype(np.int32))], 1)
    return (cv2.distanceTransform(1 - mask, cv2.DIST_L2, cv2.DIST_MASK_5) <= radius).astype(np.uint8)


def _part_boxes(codes: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Part id -> (x0, y0, x1, y1) bounding box of its code pixels (margin or core),
    from per-row and per-column histograms of the codes (one pass each)."""
    full_h, full_w = codes.shape
    step = max(1, max(full_h, full_w) // 512)  # parts thinner than this many pixels do not matter
    codes = codes[::step, ::step]
    h, w = codes.shape
    pid = np.where(codes > 0, (codes - 1) // 2, len(PARTS)).astype(np.int64)  # len(PARTS) = nothing
    n = len(PARTS) + 1
    rows = np.bincount((np.arange(h)[:, None] * n + pid).ravel(), minlength=h * n).reshape(h, n)
    cols = np.bincount((np.arange(w)[None, :] * n + pid).ravel(), minlength=w * n).reshape(w, n)
    out = {}
    for k in range(len(PARTS)):
        ys, xs = np.flatnonzero(rows[:, k]), np.flatnonzero(cols[:, k])
        if len(ys):
            x0, y0 = max(0, int(xs[0]) * step - step), max(0, int(ys[0]) * step - step)
            x1, y1 = min(full_w, (int(xs[-1]) + 2) * step), min(full_h, (int(ys[-1]) + 2) * step)
            out[k] = (x0, y0, x1, y1)
    return out


def _target_roi(m: np.ndarray, box, w: int, h: int):
    """(x0, y0, width, height) of the canvas a part can land on: its source bounding box
    mapped by the inverse of ``m``, clipped to the canvas; None when it lands outside."""
    bx0, by0, bx1, by1 = box
    corners = np.array([[bx0, by0], [bx1, by0], [bx0, by1], [bx1, by1]], float)
    full = np.vstack([m, [0, 0, 1]])
    try:
        inv = np.linalg.inv(full)[:2]
    except np.linalg.LinAlgError:
        return 0, 0, w, h
    t = corners @ inv[:, :2].T + inv[:, 2]
    x0, y0 = np.floor(t.min(0)).astype(int) - 2
    x1, y1 = np.ceil(t.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _cut_edges(body: np.ndarray, frac: float = 0.08) -> tuple[bool, bool, bool, bool]:
    """(top, bottom, left, right): the frame edges the body crosses along >= ``frac`` of them."""
    return (
        body[0].mean() >= frac, body[-1].mean() >= frac, body[:, 0].mean() >= frac, body[:, -1].mean() >= frac,
    )  # fmt: skip
