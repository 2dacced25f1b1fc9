"""A person turning round (front <-> back): what the source cannot show.

The back of a shirt is not its front: buttons, prints and pockets do not survive a
turn. The turned torso therefore reads a *plain* copy of the garment -- the source's
trunk smoothed within the trunk (a normalised Gaussian, so the backdrop does not
bleed in), which keeps the garment's colour and its large shading and drops the
details. A target that turns away shows the back of the head: the face becomes hair.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.warp.inpaint import fill_from_surroundings
from posestudio.engine.warp.prepare import PreparedSource
from posestudio.engine.warp.rig import _P

_FACE = (0, 14, 15)
# The smoothing's sigma, a fraction of the image's longer side: wider than buttons and
# prints, narrower than the garment's shading.
PLAIN_SIGMA = 1 / 20
# A head pixel this far (max over RGB) from the face's median colour is hair, not skin.
SKIN_DISTANCE = 40


def turns_round(src: Pose, dst: Pose) -> bool:
    """True when one pose shows the face (nose or an eye) and the other shows the back of
    the head: no face, but an ear. (No head joint at all is a head the frame cut off,
    not a back view.)"""
    face_s, face_d = bool(src.visible[list(_FACE)].any()), bool(dst.visible[list(_FACE)].any())
    if face_s == face_d:
        return False
    back = dst if face_s else src
    return bool(back.visible[[16, 17]].any())


def plain_garment(image: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """``image`` with the trunk's pixels (torso and hips of the part map ``owner``)
    replaced by their smoothed colour, averaged over the trunk only."""
    trunk = np.isin(owner, [_P["torso"], _P["hips"]]).astype(np.float32)
    if not trunk.any():
        return image
    sigma = max(1.0, PLAIN_SIGMA * max(image.shape[:2]))
    num = cv2.GaussianBlur(image.astype(np.float32) * trunk[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(trunk, (0, 0), sigma)[..., None]
    smooth = num / np.maximum(den, 1e-6)
    out = image.copy()
    sel = trunk > 0
    out[sel] = np.clip(np.rint(smooth[sel]), 0, 255).astype(np.uint8)
    return out


def face_region(pose: Pose, h: int, w: int) -> np.ndarray:
    """uint8 HxW: an ellipse over the face (nose and eyes) of ``pose``."""
    out = np.zeros((h, w), np.uint8)
    face = [j for j in _FACE if pose.visible[j]]
    if not face:
        return out
    pts = pose.xy[face]
    c = pts.mean(0)
    ears = [j for j in (16, 17) if pose.visible[j]]
    span = max(float(np.ptp(pts[:, 0])), *(abs(pose.xy[j, 0] - c[0]) for j in ears), 4.0)
    r = 0.9 * span if len(face) > 1 else 6.0
    cv2.ellipse(
        out,
        (int(round(c[0])), int(round(c[1] + 0.15 * r))),
        (int(round(r)), int(round(1.3 * r))),
        0,
        0,
        360,
        1,
        -1,
    )
    return out


def face_to_hair(out: np.ndarray, prep: PreparedSource, flow: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Without a parsing map: target head pixels that read the source face are refilled
    from the head pixels around them (hair)."""
    h, w = out.shape[:2]
    face = face_region(prep.pose, h, w)
    if not face.any():
        return out
    head = parts == _P["head"]
    ys, xs = np.nonzero(head)
    if not len(ys):
        return out
    sx = np.clip(np.rint(xs + flow[ys, xs, 0]).astype(int), 0, w - 1)
    sy = np.clip(np.rint(ys + flow[ys, xs, 1]).astype(int), 0, h - 1)
    todo = np.zeros((h, w), bool)
    todo[ys, xs] = face[sy, sx] > 0
    if not todo.any() or todo.sum() > 0.8 * head.sum():
        return out
    # the donors are the top of the head (hair), not the ears and neck beside the face
    face_pts = prep.pose.xy[[j for j in _FACE if prep.pose.visible[j]]]
    above = np.zeros((h, w), bool)
    above[ys, xs] = sy < face_pts[:, 1].min() - 0.25 * max(float(np.ptp(face_pts[:, 0])), 4.0)
    donors = head & ~todo & above
    # the forehead is skin, not hair: donors far from the face's colour
    skin = np.median(prep.image[face > 0].reshape(-1, 3).astype(np.float32), 0)
    hair = donors & (np.abs(out.astype(np.float32) - skin).max(-1) > SKIN_DISTANCE)
    if hair.sum() >= 0.1 * todo.sum():
        donors = hair
    if donors.sum() < 0.1 * todo.sum():
        donors = head & ~todo
    return fill_from_surroundings(out, todo, donors)


# The skull's half-width in units of the neck-to-face distance (its height 1.25 times that).
HEAD_R = 0.45


def head_outline(pose: Pose, h: int, w: int) -> np.ndarray:
    """uint8 HxW: an ellipse where ``pose``'s skull is (above the neck, around the face and
    ears), empty without the neck and a head joint."""
    out = np.zeros((h, w), np.uint8)
    head = [j for j in (0, 14, 15, 16, 17) if pose.visible[j]]
    if not (pose.visible[1] and head):
        return out
    c = pose.xy[head].mean(0)
    d = float(np.hypot(*(c - pose.xy[1])))
    if d < 2:
        return out
    up = (c - pose.xy[1]) / d
    centre = c + 0.15 * d * up
    ang = float(np.degrees(np.arctan2(up[1], up[0]))) + 90
    axes = (int(round(HEAD_R * d)), int(round(HEAD_R * 1.25 * d)))
    cv2.ellipse(out, (int(round(centre[0])), int(round(centre[1]))), axes, ang, 0, 360, 1, -1)
    return out
