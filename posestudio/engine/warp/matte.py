"""The person matte: which source pixels are the body, with a soft alpha edge.

From (first that exists) a parsing map, a matte the caller gives (a segmentation
model's output), the bundled detector's segmentation of the person the skeleton
stands on (:mod:`posestudio.engine.detect`, when its models are installed), else a
classical segmentation seeded by the skeleton: OpenCV's
GrabCut with the bones, the torso and the head as sure foreground, a capsule body
around them as probable foreground, the frame border and everything far from the
skeleton as sure background. GrabCut learns the person's and the backdrop's colour
models, so hair and loose clothing that leave the capsules still join the body.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose
from posestudio.engine.warp.parts import _skeleton_body, _torso_polygon
from posestudio.engine.warp.rig import _SEGMENTS

# GrabCut works on a copy whose longer side is at most this many pixels.
MATTE_SIDE = 320
GRABCUT_ITERATIONS = 4


def soft_edge(mask: np.ndarray) -> np.ndarray:
    """float32 HxW alpha in [0, 1]: a 0/1 mask with its edge softened over ~1/250 of the image."""
    sigma = max(0.6, max(mask.shape) / 250)
    return np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), 0.0, 1.0)


def matte_from_input(matte: np.ndarray, h: int, w: int) -> np.ndarray:
    """A given matte (HxW float [0, 1] or uint8 [0, 255], any size) as float32 HxW [0, 1]."""
    m = np.asarray(matte)
    if m.ndim == 3:
        m = m[..., -1] if m.shape[2] in (2, 4) else m.mean(-1)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"a person matte must be an HxW array, got shape {m.shape}")
    m = m.astype(np.float32) / (255.0 if m.dtype == np.uint8 else 1.0)
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.nan_to_num(m), 0.0, 1.0)


def _pt(xy) -> tuple[int, int]:
    x, y = np.clip(np.round(xy), -1e6, 1e6).astype(int)
    return int(x), int(y)


def _seed(pose: Pose, h: int, w: int, s: float) -> np.ndarray:
    """GrabCut's initial labels at scale ``s`` of the pose's image."""
    lab = np.full((h, w), cv2.GC_BGD, np.uint8)
    p = Pose(pose.xy * s, pose.visible) if s != 1.0 else pose
    size = max(h, w)
    probable = _skeleton_body(p, h, w)
    v = p.visible
    box = p.bbox()
    if box is not None:
        # the person's hair, loose clothes and shoes may leave the capsules but stay near them
        x0, y0, x1, y1 = box
        g = 0.25 * max(x1 - x0, y1 - y0, size / 8)
        lab[max(0, int(y0 - g)) : max(0, int(y1 + g)), max(0, int(x0 - g)) : max(0, int(x1 + g))] = (
            cv2.GC_PR_BGD
        )
    # a hip whose knee the frame cut off: the thigh goes on down to the frame edge
    if v[1] and (v[8] or v[11]):
        down = p.xy[[j for j in (8, 11) if v[j]]].mean(0) - p.xy[1]
        down /= max(float(np.hypot(*down)), 1e-6)
        for hip, knee in ((8, 9), (11, 12)):
            if v[hip] and not v[knee]:
                end = p.xy[hip] + down * 2 * size
                cv2.line(probable, _pt(p.xy[hip]), _pt(end), 1, max(1, round(size / 12)))
    lab[probable > 0] = cv2.GC_PR_FGD
    sure = np.zeros((h, w), np.uint8)
    thick = max(1, round(size / 90))
    for a, b, _ in _SEGMENTS.values():
        if v[a] and v[b]:
            cv2.line(sure, _pt(p.xy[a]), _pt(p.xy[b]), 1, thick)
    torso = _torso_polygon(p, h, w)
    if torso.any():
        # the torso quadrilateral shrunk towards its centre: the joints sit on its edge
        k = max(1, round(size / 60))
        sure |= cv2.erode(torso, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
    head = [j for j in skeleton.HEAD_JOINTS if v[j]]
    if head:
        c = p.xy[head].mean(0)
        r = max(1, round(0.5 * np.sqrt(((p.xy[head] - c) ** 2).sum(1).max()))) if len(head) > 1 else thick
        cv2.circle(sure, (int(round(c[0])), int(round(c[1]))), int(r), 1, -1)
    lab[sure > 0] = cv2.GC_FGD
    border = max(1, size // 100)
    edge = np.zeros((h, w), bool)
    edge[:border], edge[-border:], edge[:, :border], edge[:, -border:] = True, True, True, True
    # a body cut by the frame (legs at the bottom of a crop) keeps its border pixels
    lab[edge & (lab != cv2.GC_FGD) & (probable == 0)] = cv2.GC_BGD
    return lab


def grabcut_matte(image: np.ndarray, pose: Pose) -> np.ndarray:
    """float32 HxW alpha of the person in ``image`` found by GrabCut seeded by ``pose``.
    Falls back to the skeleton's capsule body when GrabCut cannot run (too small, one colour)."""
    h, w = image.shape[:2]
    capsules = _skeleton_body(pose, h, w)
    s = min(1.0, MATTE_SIDE / max(h, w))
    sh, sw = max(1, round(h * s)), max(1, round(w * s))
    if min(sh, sw) < 8 or not pose.visible.any():
        return soft_edge(capsules)
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if s < 1.0 else image
    lab = _seed(pose, sh, sw, s)
    fg = (lab == cv2.GC_FGD) | (lab == cv2.GC_PR_FGD)
    bg = (lab == cv2.GC_BGD) | (lab == cv2.GC_PR_BGD)
    if not fg.any() or not bg.any() or small.reshape(-1, 3).std(0).max() < 1.0:
        return soft_edge(capsules)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means starts from OpenCV's global RNG: same photo, same matte
    try:
        cv2.grabCut(
            np.ascontiguousarray(small), lab, None, bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK
        )
    except cv2.error:
        return soft_edge(capsules)
    body = ((lab == cv2.GC_FGD) | (lab == cv2.GC_PR_FGD)).astype(np.uint8)
    # keep the pieces that hold sure foreground: stray backdrop blobs are not the person
    n, comp = cv2.connectedComponents(body, connectivity=8)
    if n > 2:
        keep = np.unique(comp[(lab == cv2.GC_FGD) & (body > 0)])
        body = np.isin(comp, keep[keep > 0]).astype(np.uint8)
    if s < 1.0:
        alpha = cv2.resize(body.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        body = (alpha >= 0.5).astype(np.uint8)
    return soft_edge(body)


def person_matte(
    image: np.ndarray,
    pose: Pose,
    parsing: np.ndarray | None = None,
    matte: np.ndarray | None = None,
    detect: bool = True,
) -> np.ndarray:
    """float32 HxW alpha of the person: the parsing map's nonzero labels, else the
    given ``matte``, else the detector's matte of the person under ``pose``
    (:func:`detected_matte`; ``detect=False`` skips it), else :func:`grabcut_matte`."""
    h, w = image.shape[:2]
    if parsing is not None:
        return soft_edge(np.asarray(parsing) > 0)
    if matte is not None:
        return matte_from_input(matte, h, w)
    found = detected_matte(image, pose) if detect else None
    return found if found is not None else grabcut_matte(image, pose)


def detected_matte(image: np.ndarray, pose: Pose) -> np.ndarray | None:
    """The bundled detector's soft matte of the person whose matte holds most of ``pose``'s
    visible joints; None when the detector is not installed, finds nobody, or nobody it
    finds is under the skeleton (then the skeleton-seeded GrabCut decides)."""
    from posestudio.engine import detect

    if not detect.installed() or not pose.visible.any():
        return None
    try:
        people = detect.detect_people(image, hands=False, face=False)
    except Exception:  # noqa: BLE001 - a detector failure falls back to GrabCut, never breaks a warp
        return None
    best, best_on = None, 0
    for p in people:
        m = matte_from_input(p.matte, *image.shape[:2])
        off, n = joints_off_matte(pose, m)
        if n - off > best_on:
            best, best_on = m, n - off
    if best is None or best_on < max(1, int(pose.visible.sum()) // 2):
        return None
    return best


def joints_off_matte(pose: Pose, alpha: np.ndarray) -> tuple[int, int]:
    """(joints off the body, visible body joints): how many of the pose's visible joints
    lie outside the matte (grown by 1/40 of the image, joints sit on the body's edge)."""
    h, w = alpha.shape
    grow = max(1, round(max(h, w) / 40))
    body = cv2.dilate((alpha > 0.5).astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    idx = [j for j in range(18) if pose.visible[j]]
    off = 0
    for j in idx:
        x, y = np.round(pose.xy[j]).astype(int)
        if not (0 <= x < w and 0 <= y < h) or not body[y, x]:
            off += 1
    return off, len(idx)
