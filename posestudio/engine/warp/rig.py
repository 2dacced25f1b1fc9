"""The puppet's rig: body parts, one backward affine map per part, depth order.

The ten rigid sub-parts of Def-GAN (Siarohin et al. 2018) -- the parts SPT's
pseudo-label search aligns with per-part affine transforms (paper 002, eq. 1)
-- plus the hips. :func:`part_transforms` fits each part's 2x3 map from the
target pose back to the source pose; :func:`depth_order` stacks them.
"""

from __future__ import annotations

import math

import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose

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

# How far a torso may stretch beyond the body scale; a torso's depth / width.
TORSO_STRETCH = 1.6
TORSO_DEPTH = 0.6
# Shoulder span across the torso axis / torso length below which a torso is seen edge-on.
PROFILE_SPAN = 0.25


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


def _head_centre(p: Pose) -> np.ndarray | None:
    """Where the skull's centre projects: between the ears when both show; else
    halfway between the one ear and the face (eyes, nose); None without an ear."""
    v = p.visible
    ears = [j for j in (16, 17) if v[j]]
    face = [j for j in (0, 14, 15) if v[j]]
    if len(ears) == 2:
        return p.xy[ears].mean(0)
    if len(ears) == 1 and face:
        return (p.xy[ears[0]] + p.xy[face].mean(0)) / 2
    return None


_FACE_JOINTS = [0, 14, 15, 16, 17]


def _head_size(p: Pose) -> float:
    """About the head's height: the neck-to-eyes/ears distance, else a fifth of the body."""
    v = p.visible
    top = [j for j in (14, 15, 16, 17, 0) if v[j]]
    if v[1] and top:
        return float(np.hypot(*(p.xy[top].mean(0) - p.xy[1])))
    b = p.bbox()
    return 0.0 if b is None else 0.2 * (b[3] - b[1])


_CORE_JOINTS = np.array([0, 1, 2, 5, 8, 11, 14, 15, 16, 17])


def _body_scale(src: Pose, dst: Pose) -> float:
    """Size ratio source / target, from the trunk and head joints when three or more
    show in both (a moved hand or foot does not rescale the body), else all joints."""
    both = src.visible & dst.visible
    core = np.zeros_like(both)
    core[_CORE_JOINTS] = True
    if (both & core).sum() >= 3:
        both = both & core
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
    span_s, span_t = float(np.dot(src.xy[5] - src.xy[2], n_s)), float(np.dot(dst.xy[5] - dst.xy[2], n_t))
    side_s, side_t = float(np.sign(span_s) or 1.0), float(np.sign(span_t) or 1.0)
    # In profile the shoulders almost coincide and their order says nothing about front or
    # back: a torso seen edge-on in either pose keeps its side (no mirror).
    if min(abs(span_s) / len_s, abs(span_t) / len_t) < PROFILE_SPAN:
        side_t = side_s
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
    src: Pose,
    dst: Pose,
    torso_sil: tuple[float, float] | None = None,
    head_centre_src: np.ndarray | None = None,
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
        # A head turning round (three-quarter view -> back view) moves its silhouette
        # across the neck: line up the skull centres side to side, keep the neck's height.
        cs, ct = _head_centre(src), _head_centre(dst)
        turned = not np.array_equal(src.visible[_FACE_JOINTS], dst.visible[_FACE_JOINTS])
        if turned and head_centre_src is not None:
            cs = head_centre_src  # the joints of a turning head say little; its pixels more
        if cs is not None and ct is not None:
            at = mh[:, :2] @ ct + mh[:, 2]  # where the target's centre reads now
            shift = np.array([cs[0] - at[0], 0.0])
            mh = mh.copy()
            mh[:, 2] += np.clip(shift, -0.5 * _head_size(src), 0.5 * _head_size(src))
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
