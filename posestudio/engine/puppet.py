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

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose, limb_mask

# Def-GAN's ten rigid parts, plus the hips (pelvis) so that pants and skirts
# follow the hip line rather than the shoulders.
PARTS: tuple[str, ...] = (*skeleton.RIGID_PARTS, "hips")
_P = {name: i for i, name in enumerate(PARTS)}
# Limb part -> (proximal joint, distal joint, parent part).
_SEGMENTS = {
    "r_upper_arm": (2, 3, "torso"),
    "r_forearm": (3, 4, "r_upper_arm"),
    "l_upper_arm": (5, 6, "torso"),
    "l_forearm": (6, 7, "l_upper_arm"),
    "r_thigh": (8, 9, "hips"),
    "r_shin": (9, 10, "r_thigh"),
    "l_thigh": (11, 12, "hips"),
    "l_shin": (12, 13, "l_thigh"),
}
_TORSO_JOINTS = (1, 2, 5, 8, 11)
_HEAD_JOINTS = (1, *skeleton.HEAD_JOINTS)

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
# How far a torso may stretch beyond the body scale, and the background margin
# that travels with the body and the feather width (fractions of the longer side).
TORSO_STRETCH = 1.6
TORSO_DEPTH = 0.6  # depth / width of a torso's cross-section
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


# -- transforms -----------------------------------------------------------------
def _fit_affine(dst: np.ndarray, src: np.ndarray) -> np.ndarray | None:
    """Least-squares 2x3 affine taking ``dst`` points onto ``src`` points (>= 3, not collinear)."""
    if len(dst) < 3:
        return None
    a = np.hstack([dst, np.ones((len(dst), 1))])
    if np.linalg.matrix_rank(a, tol=1e-3 * max(1.0, np.abs(dst).max())) < 3:
        return None
    sol, *_ = np.linalg.lstsq(a, src, rcond=None)
    m = sol.T
    # The area ratio of a sane body part fit stays within reason; a near-degenerate
    # fit (three almost collinear joints) would smear the part across the canvas.
    det = np.linalg.det(m[:, :2])
    if not (1 / 16 < abs(det) < 16):
        return None
    return m


def _fit_similarity(dst: np.ndarray, src: np.ndarray, scale_range=(0.25, 4.0)) -> np.ndarray | None:
    """Least-squares rotation + uniform scale + translation (Umeyama, no reflection)."""
    if len(dst) < 2:
        return None
    md, ms = dst.mean(0), src.mean(0)
    d, s = dst - md, src - ms
    var = (d**2).sum()
    if var < 1e-6:
        return None
    a = (d * s).sum()  # sum of dot products
    b = (d[:, 0] * s[:, 1] - d[:, 1] * s[:, 0]).sum()  # sum of cross products
    scale = math.hypot(a, b) / var
    scale = float(np.clip(scale, *scale_range))
    ang = math.atan2(b, a)
    c, sn = math.cos(ang) * scale, math.sin(ang) * scale
    r = np.array([[c, -sn], [sn, c]])
    t = ms - r @ md
    return np.hstack([r, t[:, None]])


def _segment_map(t0, t1, s0, s1, g: float, flip: bool = False) -> np.ndarray | None:
    """Map the target bone t0->t1 onto the source bone s0->s1: along the bone the
    lengths' ratio (foreshortening, clamped), across it the body scale ``g``."""
    ut, us = t1 - t0, s1 - s0
    lt, ls = float(np.hypot(*ut)), float(np.hypot(*us))
    if lt < 1e-3 or ls < 1e-3:
        return None
    ut, us = ut / lt, us / ls
    nt, ns = np.array([-ut[1], ut[0]]), np.array([-us[1], us[0]]) * (-1 if flip else 1)
    along = float(np.clip(ls / lt, g / 2.5, g * 2.5))
    lin = along * np.outer(us, ut) + g * np.outer(ns, nt)
    return np.hstack([lin, (s0 - lin @ t0)[:, None]])


def _anchor(m: np.ndarray, t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``m`` translated so that it takes target point ``t`` onto source point ``s``."""
    out = m.copy()
    out[:, 2] += s - (m[:, :2] @ t + m[:, 2])
    return out


def _axis_rotation(src: Pose, dst: Pose) -> float:
    """Angle (radians) turning the target torso axis (neck -> mid-hip) onto the source's."""

    def axis(p: Pose):
        hips = [j for j in (8, 11) if p.visible[j]]
        if not (p.visible[1] and hips):
            return None
        d = p.xy[hips].mean(0) - p.xy[1]
        return math.atan2(d[1], d[0]) if np.hypot(*d) > 1e-3 else None

    a, b = axis(src), axis(dst)
    if a is None or b is None:
        return 0.0
    return (a - b + math.pi) % (2 * math.pi) - math.pi


def _body_scale(src: Pose, dst: Pose) -> float:
    both = src.visible & dst.visible
    if both.sum() < 2:
        return 1.0
    ps, pd = src.xy[both], dst.xy[both]
    ss, sd = np.sqrt(((ps - ps.mean(0)) ** 2).sum(1).mean()), np.sqrt(((pd - pd.mean(0)) ** 2).sum(1).mean())
    if sd < 1e-3 or ss < 1e-3:
        return 1.0
    return float(np.clip(ss / sd, 0.25, 4.0))


_TWIN = {n: ("l" if n[0] == "r" else "r") + n[1:] for n in _SEGMENTS}


def mirrored_limbs(
    src: Pose, dst: Pose, mats: dict[str, np.ndarray], has_pixels: set[str]
) -> dict[str, np.ndarray]:
    """Backward maps for limbs the target shows but the source does not (no pixels, or a
    joint missing there): read from the twin limb on the other side, mirrored across the
    bone, as an artist would copy the visible arm. Returns {limb: 2x3 map}."""
    g = _body_scale(src, dst)
    flip = np.linalg.det(mats["torso"][:, :2]) < 0
    out = {}
    for name, (a, b, _) in _SEGMENTS.items():
        twin = _TWIN[name]
        ta, tb, _ = _SEGMENTS[twin]
        own_ok = name in has_pixels and src.visible[a] and src.visible[b]
        if own_ok or twin not in has_pixels or not (dst.visible[a] and dst.visible[b]):
            continue
        if not (src.visible[ta] and src.visible[tb]):
            continue
        m = _segment_map(dst.xy[a], dst.xy[b], src.xy[ta], src.xy[tb], g, not flip)
        if m is not None:
            out[name] = m
    return out


def torso_silhouette(pose: Pose, torso_mask: np.ndarray) -> tuple[float, float] | None:
    """(width, offset) of the torso's silhouette across its axis in the source, measured
    on ``torso_mask`` (e.g. the upper-clothes label) at 40/50/60 % of the way from the
    mid-shoulder to the mid-hip; offset = silhouette centre minus axis, along the
    across-axis direction that points from the right shoulder to the left one."""
    v = pose.visible
    if not (v[2] and v[5] and v[8] and v[11]):
        return None
    ms, mh = pose.xy[[2, 5]].mean(0), pose.xy[[8, 11]].mean(0)
    axis = mh - ms
    length = float(np.hypot(*axis))
    if length < 4:
        return None
    u = axis / length
    n = np.array([-u[1], u[0]])
    if np.dot(pose.xy[5] - pose.xy[2], n) < 0:
        n = -n
    h, w = torso_mask.shape
    widths, offsets = [], []
    ts = np.arange(-int(length), int(length) + 1, dtype=np.float64)
    for f in (0.4, 0.5, 0.6):
        c = ms + f * axis
        pts = np.round(c + ts[:, None] * n).astype(int)
        ok = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
        on = np.zeros(len(ts), bool)
        on[ok] = torso_mask[pts[ok, 1], pts[ok, 0]] > 0
        mid = len(ts) // 2
        if not on[mid]:
            continue
        lo = mid
        while lo > 0 and on[lo - 1]:
            lo -= 1
        hi = mid
        while hi < len(ts) - 1 and on[hi + 1]:
            hi += 1
        widths.append(ts[hi] - ts[lo] + 1)
        offsets.append((ts[hi] + ts[lo]) / 2)
    if not widths:
        return None
    return float(np.median(widths)), float(np.median(offsets))


def _thick_torso_map(src: Pose, dst: Pose, sil: tuple[float, float], g: float) -> np.ndarray | None:
    """Backward map for a torso modelled as a solid with an elliptic cross-section, not
    a plane: along the axis (mid-shoulder -> mid-hip) the lengths' ratio; across it the
    ratio of silhouette widths, the target's predicted from the change in shoulder span
    (a torso turned edge-on keeps most of its width). Mirrors when the shoulders swap
    sides (back <-> front view)."""
    for p in (src, dst):
        if not p.visible[[2, 5, 8, 11]].all():
            return None
    width_s, off_s = sil

    def frame(p: Pose):
        ms, mh = p.xy[[2, 5]].mean(0), p.xy[[8, 11]].mean(0)
        axis = mh - ms
        length = float(np.hypot(*axis))
        u = axis / max(length, 1e-6)
        n = np.array([-u[1], u[0]])
        return ms, u, n, length

    ms_s, u_s, n_s, len_s = frame(src)
    ms_t, u_t, n_t, len_t = frame(dst)
    if len_s < 4 or len_t < 4:
        return None
    side_s = np.sign(np.dot(src.xy[5] - src.xy[2], n_s)) or 1.0
    side_t = np.sign(np.dot(dst.xy[5] - dst.xy[2], n_t)) or 1.0
    # Elliptic cross-section (depth/width ratio r): silhouette W and shoulder span S
    # of a torso turned by theta obey W^2 = 4B^2 + (1 - r^2) S^2, so
    # W_t^2 = W_s^2 + (1 - r^2) (S_t^2 - S_s^2), all in target pixels.
    shoulders_s = float(np.hypot(*(src.xy[5] - src.xy[2]))) / g
    shoulders_t = float(np.hypot(*(dst.xy[5] - dst.xy[2])))
    ws = width_s / g
    width_t = math.sqrt(
        max(ws**2 + (1 - TORSO_DEPTH**2) * (shoulders_t**2 - shoulders_s**2), (0.3 * ws) ** 2)
    )
    along = float(np.clip(len_s / len_t, g / 2, g * 2))
    across = float(np.clip(width_s / width_t, g / TORSO_STRETCH, g * TORSO_STRETCH))
    # across-axis unit vectors oriented right -> left shoulder in each pose
    a_s, a_t = n_s * side_s, n_t * side_t
    lin = along * np.outer(u_s, u_t) + across * np.outer(a_s, a_t)
    # The silhouette sits off the shoulder axis by an amount that grows with how far
    # the torso is turned (sin theta, with cos theta = span / widest span seen).
    widest = max(shoulders_s, shoulders_t, 1e-6)
    sin_s = math.sqrt(max(0.0, 1 - (shoulders_s / widest) ** 2))
    sin_t = math.sqrt(max(0.0, 1 - (shoulders_t / widest) ** 2))
    off_t = off_s / g * (sin_t / sin_s if sin_s > 0.2 else 1.0)
    t0 = ms_s + off_s * a_s - across * off_t * a_s - lin @ ms_t
    return np.hstack([lin, t0[:, None]])


def part_transforms(
    src: Pose, dst: Pose, torso_sil: tuple[float, float] | None = None
) -> dict[str, np.ndarray]:
    """One backward 2x3 affine (target -> source pixels) per rigid part.

    Torso: least-squares affine over neck, shoulders and hips (it may mirror, so a
    back view can turn into a front view); head: similarity over the head joints
    and the neck; limbs: a bone-frame map (:func:`_segment_map`). A part whose
    joints are missing in either pose follows its parent, pinned at the shared joint.
    """
    both = src.visible & dst.visible
    g = _body_scale(src, dst)
    out: dict[str, np.ndarray] = {}

    common = [j for j in _TORSO_JOINTS if both[j]]
    m = _fit_affine(dst.xy[common], src.xy[common])
    if m is None:
        m = _fit_similarity(dst.xy[common], src.xy[common])
    if m is None:
        allj = np.flatnonzero(both)
        m = _fit_similarity(dst.xy[allj], src.xy[allj])
    if m is None:
        m = np.array([[g, 0, 0], [0, g, 0]], dtype=np.float64)
        if both.any():
            j = int(np.flatnonzero(both)[0])
            m = _anchor(m, dst.xy[j], src.xy[j])
    elif torso_sil is not None and (thick := _thick_torso_map(src, dst, torso_sil, g)) is not None:
        m = thick
    else:
        # A torso seen edge-on in one pose and square-on in the other asks for a
        # stretch no texture survives; keep its scales near the body scale.
        u, sv, vt = np.linalg.svd(m[:, :2])
        sv = np.clip(sv, g / TORSO_STRETCH, g * TORSO_STRETCH)
        centre = dst.xy[common].mean(0) if common else np.zeros(2)
        target = m[:, :2] @ centre + m[:, 2]
        m = np.hstack([(u * sv) @ vt, np.zeros((2, 1))])
        m = _anchor(m, centre, target)
    out["torso"] = m

    # The head hangs from the neck and stays upright with the torso axis: its
    # joints are too few and too view-dependent (a back view's "nose") to fit.
    mh = None
    if both[1]:
        rot = _axis_rotation(src, dst)
        c, sn = math.cos(rot) * g, math.sin(rot) * g
        mh = _anchor(np.array([[c, -sn, 0.0], [sn, c, 0.0]]), dst.xy[1], src.xy[1])
    else:
        common = [j for j in _HEAD_JOINTS if both[j]]
        mh = _fit_similarity(dst.xy[common], src.xy[common], (g / 2, g * 2))
    out["head"] = m if mh is None else mh

    flip = np.linalg.det(m[:, :2]) < 0  # a back view turned into a front view or back
    # the hips deform like the torso but are pinned at the mid-hip point
    hips = [j for j in (8, 11) if both[j]]
    out["hips"] = _anchor(m, dst.xy[hips].mean(0), src.xy[hips].mean(0)) if hips else m
    for name, (a, b, parent) in _SEGMENTS.items():  # parents come before children
        ms = None
        if both[a] and both[b]:
            ms = _segment_map(dst.xy[a], dst.xy[b], src.xy[a], src.xy[b], g, flip)
        if ms is None:
            ms = _anchor(out[parent], dst.xy[a], src.xy[a]) if both[a] else out[parent]
        out[name] = ms
    return out


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
    part_ids = np.array([_P[n] for n in names], np.int16)[lab]
    if s < 1.0:
        part_ids = cv2.resize(part_ids, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.where(body > 0, part_ids, -1).astype(np.int16)


# -- depth order ---------------------------------------------------------------------
def near_side(pose: Pose) -> str | None:
    """'l' or 'r': the body side nearer the camera, when the head says so (only one
    ear, or else only one eye, visible); None for a frontal or back view."""
    for r, l in ((16, 17), (14, 15)):
        if pose.visible[r] != pose.visible[l]:
            return "r" if pose.visible[r] else "l"
    return None


def depth_order(pose: Pose) -> list[str]:
    """Parts from back to front in the target frame: legs, torso, head, arms;
    the near side over the far side; in profile (narrow shoulders) the far arm
    goes behind the torso."""
    near = near_side(pose)
    far = {"l": "r", "r": "l"}.get(near or "", "l")
    near = near or "r"
    legs = [f"{far}_thigh", f"{far}_shin", f"{near}_thigh", f"{near}_shin", "hips"]
    far_arm, near_arm = [f"{far}_upper_arm", f"{far}_forearm"], [f"{near}_upper_arm", f"{near}_forearm"]
    profile = False
    v = pose.visible
    if near_side(pose) is not None:
        if not (v[2] and v[5]):
            profile = True
        elif v[1] and (v[8] or v[11]):
            hip = pose.xy[8] if v[8] else pose.xy[11]
            torso_h = float(np.hypot(*(hip - pose.xy[1])))
            profile = float(np.hypot(*(pose.xy[2] - pose.xy[5]))) < 0.35 * torso_h
    if profile:
        return [*legs, *far_arm, "torso", "head", *near_arm]
    return [*legs, "torso", "head", *far_arm, *near_arm]


# -- background ----------------------------------------------------------------------
def fill_background(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Fill ``hole`` (HxW, nonzero = unknown) smoothly from the pixels around it
    by push-pull interpolation over an image pyramid: weighted averages going
    down, the coarse estimate blended in going up wherever pixels were unknown.
    Known pixels keep their exact values. float32 result, same shape as image."""
    img = image.astype(np.float32)
    known = hole == 0
    if known.all():
        return img
    if not known.any():
        return np.zeros_like(img) + img.reshape(-1, img.shape[-1]).mean(0)
    wgt = known.astype(np.float32)
    # pull: premultiplied colour and weight, halved per level
    levels = []
    c, w = img * wgt[..., None], wgt
    while min(w.shape) > 1:
        size = (max(1, (w.shape[1] + 1) // 2), max(1, (w.shape[0] + 1) // 2))
        c = cv2.resize(c, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        w = cv2.resize(w, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0])
        levels.append((c, w))
    c, w = levels[-1]
    color = c / np.maximum(w, 1e-6)[..., None]
    # push: where a level knows little, the coarser estimate shows through
    for c, w in reversed(levels[:-1]):
        up = cv2.resize(color, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(c.shape)
        t = np.minimum(w * 4, 1)[..., None]
        color = c / np.maximum(w, 1e-6)[..., None] * t + up * (1 - t)
    up = cv2.resize(color, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(img.shape)
    np.copyto(img, up, where=~known[..., None])
    return img


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
    """True when the source shows the face (nose or an eye) and the target none of it."""
    face = [0, 14, 15]
    return bool(src.visible[face].any() and not dst.visible[face].any())


def _refill_from_label(img: np.ndarray, lab: np.ndarray, todo: np.ndarray, donor_label: int) -> np.ndarray:
    """``img`` with the ``todo`` pixels copied from the nearest pixel labelled ``donor_label``, softened."""
    donor = (lab == donor_label) & ~todo
    _, idx = cv2.distanceTransformWithLabels(
        (~donor).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(donor)
    lut = np.zeros((idx.max() + 1, 2), np.intp)
    lut[idx[ys, xs]] = np.stack([ys, xs], 1)
    ty, tx = np.nonzero(todo)
    src = lut[idx[ty, tx]]
    out = img.copy()
    out[ty, tx] = img[src[:, 0], src[:, 1]]
    blurred = cv2.GaussianBlur(out, (0, 0), 1.5)
    out[ty, tx] = blurred[ty, tx]
    return out


def _torso_polygon(pose: Pose, h: int, w: int) -> np.ndarray:
    """uint8 HxW: the quadrilateral of shoulders and hips (empty without three of them)."""
    out = np.zeros((h, w), np.uint8)
    pts = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(pts) >= 3:
        cv2.fillPoly(out, [np.round(pose.xy[pts]).astype(np.int32)], 1)
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
    h, w = codes.shape
    pid = np.where(codes > 0, (codes - 1) // 2, len(PARTS)).astype(np.int64)  # len(PARTS) = nothing
    n = len(PARTS) + 1
    rows = np.bincount((np.arange(h)[:, None] * n + pid).ravel(), minlength=h * n).reshape(h, n)
    cols = np.bincount((np.arange(w)[None, :] * n + pid).ravel(), minlength=w * n).reshape(w, n)
    out = {}
    for k in range(len(PARTS)):
        ys, xs = np.flatnonzero(rows[:, k]), np.flatnonzero(cols[:, k])
        if len(ys):
            out[k] = (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)
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


def _pad_edges(mask: np.ndarray, pad: int, edges) -> np.ndarray:
    out = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    top, bottom, left, right = edges
    if not top:
        out[:pad] = 0
    if not bottom:
        out[-pad:] = 0
    if not left:
        out[:, :pad] = 0
    if not right:
        out[:, -pad:] = 0
    return out


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
    dist = cv2.distanceTransform(1 - body, cv2.DIST_L2, cv2.DIST_MASK_5)
    hole = dist <= ring
    halo = dist <= ring + 2 * feather

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
    mats = part_transforms(source_pose, target_pose, sil)
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

    # backward maps: identity for background, the part's affine where a part lands
    coef = np.zeros((6, len(PARTS) + 1), np.float32)
    coef[0, :] = coef[4, :] = 1.0
    for name, m in mats.items():
        coef[:, _P[name] + 1] = np.asarray(m, np.float32).reshape(-1)
    lab1 = (label + 1).astype(np.uint8)  # at most 12 values: a 256-entry lookup table each
    xx = np.arange(w, dtype=np.float32)[None, :]
    yy = np.arange(h, dtype=np.float32)[:, None]
    lut = np.zeros((6, 256), np.float32)
    lut[:, : coef.shape[1]] = coef
    a = [cv2.LUT(lab1, lut[i]) for i in range(6)]
    map_x = a[0] * xx + a[1] * yy + a[2]
    map_y = a[3] * xx + a[4] * yy + a[5]
    warped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    # Where the target skeleton says "torso" but no source part lands (a torso seen
    # square-on that was edge-on, a gap between arm and torso in the source),
    # extend the warped body into it instead of showing background.
    gaps = np.zeros((h, w), bool)
    if complete_body and not same_pose and is_core.any():
        gaps = (_torso_polygon(target_pose, h, w) > 0) & ~is_core
        if gaps.any():
            ys, xs = np.nonzero(gaps)
            grow = max(int(np.ptp(ys)), int(np.ptp(xs)), 8)
            y0, y1 = max(0, ys.min() - grow), min(h, ys.max() + 1 + grow)
            x0, x1 = max(0, xs.min() - grow), min(w, xs.max() + 1 + grow)
            filled = fill_background(warped[y0:y1, x0:x1], ~is_core[y0:y1, x0:x1])
            g = gaps[y0:y1, x0:x1]
            warped[y0:y1, x0:x1][g] = np.clip(np.rint(filled[g]), 0, 255).astype(np.uint8)
            label[gaps] = -1
    # feather inside the shown region only (outside it the identity map would show the old body)
    fg = label >= 0
    shown = (fg | gaps).astype(np.uint8)
    alpha = np.minimum(cv2.distanceTransform(shown, cv2.DIST_L2, 3) * (1.0 / (2 * feather)), 1.0)
    out = img.copy()
    todo = hole | (shown > 0)
    if todo.any():
        ys, xs = np.nonzero(todo)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        background = fill_background(img[y0:y1, x0:x1], hole[y0:y1, x0:x1])
        al = alpha[y0:y1, x0:x1, None]
        blend = al * warped[y0:y1, x0:x1].astype(np.float32) + (1 - al) * background
        out[y0:y1, x0:x1] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)

    fgf = fg.astype(np.float32)
    flow = cv2.merge([(map_x - xx) * fgf, (map_y - yy) * fgf])
    parsing_out = None
    if par is not None:
        carried = cv2.remap(
            par.astype(np.uint8), map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
        )
        parsing_out = np.where(fg, carried, 0).astype(par.dtype)
        parsing_out = sides_from_parts(parsing_out, label, label_set)
        if label_set == "spt10" and _turns_away(source_pose, target_pose):
            # the target shows the back of the head: the face becomes hair
            face = parsing_out == 1
            if face.any() and (parsing_out == 2).any():
                out = _refill_from_label(out, parsing_out, face, 2)
                parsing_out[face] = 2
    return Warp(out, flow, alpha.astype(np.float32), label, parsing_out, warnings)
