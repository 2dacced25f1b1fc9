"""Face colorization: the reference face reshaped to the sketch and laid into the photo.

The 68 iBUG landmarks of an edge map (drawn by :func:`core.face_edges.draw_face_edges`,
the face layer's drawing rule) are recovered by fitting a mean-face template to
it, group by group (jaw, brows, nose, eyes, lips: an affine map per group fitted
by iterated closest points). The reference face's landmarks come from its own
edge map. A piecewise-affine warp over the Delaunay triangles of the landmarks
(plus the crop's border) moves the reference face onto the sketch's geometry;
an opened mouth is filled with the reference's darkest lip colour, a closed eye
with the skin below it; the face is laid into the crop with a soft edge.
Equal sketches give equal landmarks, so an unedited sketch returns the photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.face_edges import GROUPS, draw_face_edges
from posestudio.errors import InputError

MIN_CROP = 48  # px: smaller face crops have no readable landmarks
# the template sits in this part of a face crop (x0, y0, x1, y1), fractions of the side
TEMPLATE_BOX = (0.27, 0.22, 0.73, 0.78)


def _ellipse(cx, cy, hw, hh, angles) -> np.ndarray:
    a = np.asarray(angles, np.float64)
    return np.stack([cx + hw * np.cos(a), cy - hh * np.sin(a)], 1)


def template() -> np.ndarray:
    """(68, 2) mean-face landmarks in the unit square (x right, y down), made of
    ellipses and arcs; only their arrangement matters."""
    t = np.pi - np.arange(17) * np.pi / 16
    jaw = np.stack([0.5 + 0.5 * np.cos(t), 0.35 + 0.65 * np.sin(t)], 1)
    s = np.linspace(0, 1, 5)
    rbrow = np.stack([0.12 + 0.30 * s, 0.25 - 0.04 * np.sin(np.pi * s)], 1)
    lbrow = np.stack([0.58 + 0.30 * s, 0.25 - 0.04 * np.sin(np.pi * s)], 1)
    bridge = np.stack([np.full(4, 0.5), np.linspace(0.33, 0.58, 4)], 1)
    nostrils = np.stack([np.linspace(0.40, 0.60, 5), 0.65 + 0.02 * np.sin(np.pi * s)], 1)
    eye_a = [np.pi, 2 * np.pi / 3, np.pi / 3, 0, -np.pi / 3, -2 * np.pi / 3]
    reye = _ellipse(0.30, 0.38, 0.09, 0.035, eye_a)
    leye = _ellipse(0.70, 0.38, 0.09, 0.035, eye_a)
    outer = _ellipse(0.5, 0.80, 0.16, 0.06, np.pi - np.arange(12) * np.pi / 6)
    inner = _ellipse(0.5, 0.80, 0.10, 0.03, np.pi - np.arange(8) * np.pi / 4)
    return np.concatenate([jaw, rbrow, lbrow, bridge, nostrils, reye, leye, outer, inner])


def placed_template(height: int, width: int) -> np.ndarray:
    """The template at :data:`TEMPLATE_BOX` of a ``height`` x ``width`` face crop."""
    x0, y0, x1, y1 = TEMPLATE_BOX
    return template() * [(x1 - x0) * width, (y1 - y0) * height] + [x0 * width, y0 * height]


def sketch_for(height: int, width: int) -> np.ndarray:
    """The edge map a new face layer starts from: the placed template, drawn."""
    return draw_face_edges(placed_template(height, width), height, width)


def template_on_joints(pose, box: tuple[int, int, int, int]) -> np.ndarray:
    """(68, 2) template landmarks in the crop ``box`` (x0, y0, x1, y1) laid on the
    pose's eyes and nose by a similarity map (COCO r-eye -> the person's right eye,
    l-eye -> left eye, nose -> nose tip); the fixed placement when fewer than two show.
    Without a landmark detector this is where the face is."""
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    t = placed_template(h, w)
    anchors = {14: t[36:42].mean(0), 15: t[42:48].mean(0), 0: t[30]}
    shown = [j for j in anchors if pose is not None and pose.visible[j]]
    if len(shown) < 2:
        return t
    src = np.array([anchors[j] for j in shown], np.float32)
    dst = (pose.xy[shown] - [x0, y0]).astype(np.float32)
    m, _ = cv2.estimateAffinePartial2D(src, dst)
    if m is None:
        return t
    return np.hstack([t, np.ones((68, 1))]) @ m.T


def _fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    a = np.hstack([src, np.ones((len(src), 1))])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return m  # (3, 2)


def _nearest_strokes(strokes: np.ndarray):
    """(distance, label image, label -> (x, y)) of the nearest stroke pixel."""
    dist, idx = cv2.distanceTransformWithLabels((~strokes).astype(np.uint8), cv2.DIST_L2, 5,
                                                labelType=cv2.DIST_LABEL_PIXEL)  # fmt: skip
    lut = np.zeros((idx.max() + 1, 2), np.float64)
    ys, xs = np.nonzero(strokes)
    lut[idx[strokes]] = np.stack([xs, ys], 1)
    return dist, idx, lut


def landmarks(edges: np.ndarray, init: np.ndarray | None = None) -> np.ndarray:
    """(68, 2) landmarks of a face edge map (uint8, 255 on 0): the template placed
    on the drawing's extent (or ``init``, landmarks of the sketch before it was
    edited), then each contour group moved by the affine map that best lays it on
    the nearby edge pixels (iterated closest points), then onto its strokes."""
    e = np.asarray(edges) > 127
    h, w = e.shape
    if e.sum() < 20:
        raise InputError("the face edge map is empty: draw the face or make a face layer first")
    ys, xs = np.nonzero(e)
    t = template()
    # jaw and brows span the drawing: x over the jaw, y from the brows' top to the chin
    sx = (xs.max() - xs.min() + 1) / (t[:, 0].max() - t[:, 0].min())
    sy = (ys.max() - ys.min() + 1) / (t[:, 1].max() - t[:, 1].min())
    pts = (t - t.min(0)) * [sx, sy] + [xs.min(), ys.min()]
    if init is not None:
        pts = np.asarray(init, np.float64)
        sx = sy = float(np.ptp(pts[:17, 0])) / float(np.ptp(t[:17, 0]))
    reach = max(3.0, 0.12 * max(sx, sy))
    lw = max(1, round(min(h, w) / 128))
    out = pts.copy()
    rest = e.copy()  # strokes no group has claimed yet
    # the lips move as one (an opened mouth stretches both contours), then each snaps on its own
    fits = [(GROUPS[n][0], GROUPS[n][1], [GROUPS[n]]) for n in
            ("jaw", "right_brow", "left_brow", "nose_bridge", "nostrils", "right_eye", "left_eye")]
    fits.append((48, 68, [GROUPS["outer_lips"], GROUPS["inner_lips"]]))
    for a, b, runs in fits:
        if rest.sum() < 3:
            break
        dist, idx, lut = _nearest_strokes(rest)
        g0 = pts[a:b]
        g = g0.copy()
        for _ in range(12):
            ix = np.clip(np.round(g).astype(int), 0, [w - 1, h - 1])
            near = lut[idx[ix[:, 1], ix[:, 0]]]
            ok = dist[ix[:, 1], ix[:, 0]] <= reach
            if ok.sum() < 3:
                break
            g_new = np.hstack([g0, np.ones((len(g0), 1))]) @ _fit_affine(g0[ok], near[ok])
            done = np.abs(g_new - g).max() < 0.05
            g = g_new
            if done:
                break
        out[a:b] = g
        # last, each point onto its nearest stroke (an opened mouth is not an affine image of a closed one)
        for ra, rb, closed in runs:
            if rest.sum() < 3:
                break
            dist, idx, lut = _nearest_strokes(rest)
            r = out[ra:rb]
            ix = np.clip(np.round(r).astype(int), 0, [w - 1, h - 1])
            ok = dist[ix[:, 1], ix[:, 0]] <= reach / 2
            r[ok] = lut[idx[ix[ok, 1], ix[ok, 0]]]
            claimed = np.zeros((h, w), np.uint8)
            cv2.polylines(claimed, [np.round(r * 8).astype(np.int32)], closed, 1, lw + 2, cv2.LINE_8, 3)
            rest &= claimed == 0
    return out


def _triangles(points: np.ndarray, h: int, w: int) -> list[tuple[int, int, int]]:
    sub = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    for x, y in points:
        sub.insert((float(np.clip(x, 0, w)), float(np.clip(y, 0, h))))
    tris = []
    key = {(round(float(np.clip(x, 0, w)), 3), round(float(np.clip(y, 0, h)), 3)): i for i, (x, y) in enumerate(points)}
    for t in sub.getTriangleList():
        ids = [key.get((round(float(t[2 * k]), 3), round(float(t[2 * k + 1]), 3))) for k in range(3)]
        if None not in ids:
            tris.append(tuple(ids))
    return tris


def _with_border(points: np.ndarray, h: int, w: int) -> np.ndarray:
    border = [(0, 0), (w / 2, 0), (w - 1, 0), (w - 1, h / 2), (w - 1, h - 1), (w / 2, h - 1), (0, h - 1), (0, h / 2)]
    return np.vstack([points, np.asarray(border, np.float64)])


def piecewise_affine(image: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` warped so that ``src_pts`` land on ``dst_pts`` (one affine map per
    Delaunay triangle of the destination points), at ``size`` (h, w)."""
    h, w = size
    sh, sw = image.shape[:2]
    src = _with_border(src_pts, sh, sw)
    dst = _with_border(dst_pts, h, w)
    out = np.zeros((h, w, 3), np.uint8)
    for i, j, k in _triangles(dst, h, w):
        d = dst[[i, j, k]].astype(np.float32)
        s = src[[i, j, k]].astype(np.float32)
        x0, y0 = np.floor(d.min(0)).astype(int)
        x1, y1 = np.ceil(d.max(0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        m = cv2.getAffineTransform((d - [x0, y0]).astype(np.float32), s)
        patch = cv2.warpAffine(image, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.round((d - [x0, y0]) * 8).astype(np.int32), 1, cv2.LINE_8, 3)
        out[y0:y1, x0:x1][mask > 0] = patch[mask > 0]
    return out


def _poly_mask(points: np.ndarray, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.fillPoly(m, [np.round(points * 8).astype(np.int32)], 1, cv2.LINE_8, 3)
    return m > 0


def _height(points: np.ndarray) -> float:
    return float(np.ptp(points[:, 1]))


def colorize(photo: np.ndarray, sketch: np.ndarray, reference: np.ndarray | None = None,
             reference_edges: np.ndarray | None = None, reference_landmarks: np.ndarray | None = None) -> np.ndarray:
    """The face crop ``photo`` (uint8 HxWx3) with the ``reference`` face (default:
    the photo itself) reshaped to ``sketch`` (the face edge map at the photo's
    size). The reference's landmarks are ``reference_landmarks`` when known
    (detected, or those the face layer was drawn from), else fitted to
    ``reference_edges``, its own edge map (default: :func:`sketch_for`)."""
    photo = np.ascontiguousarray(photo)
    h, w = photo.shape[:2]
    if np.asarray(sketch).shape != (h, w):
        raise InputError(f"the face edge map is {sketch.shape[1]}x{sketch.shape[0]}, the face crop {w}x{h}")
    ref = photo if reference is None else np.ascontiguousarray(reference)
    rh, rw = ref.shape[:2]
    if reference_landmarks is not None:  # detected, or those the face layer was drawn from
        source = np.asarray(reference_landmarks, np.float64).reshape(68, 2)
        if not np.isfinite(source).all():
            raise InputError("the reference face landmarks contain NaN or infinite values")
        if reference_edges is None:
            reference_edges = draw_face_edges(source, rh, rw)
    elif reference_edges is None:
        reference_edges = sketch_for(rh, rw)
    if ref.shape == photo.shape and np.array_equal(ref, photo) and np.array_equal(
            np.asarray(reference_edges) > 127, np.asarray(sketch) > 127):
        return photo.copy()  # the photo's own face in its own shape
    if reference_landmarks is None:
        source = landmarks(reference_edges)
    # the sketch as an edit of the reference's: fit from the reference's landmarks when they share a frame
    target = landmarks(sketch, init=source if (rh, rw) == (h, w) else None)
    face = piecewise_affine(ref, source, target, (h, w))
    face = face.astype(np.float32)
    # an opened mouth shows the mouth's inside; a closed eye, the lid
    inner_t, inner_s = target[60:68], source[60:68]
    if _height(inner_t) > _height(inner_s) + 1.5:
        lips = _poly_mask(source[48:60], rh, rw) & ~_poly_mask(inner_s, rh, rw)
        dark = np.percentile(ref[lips].astype(np.float32), 10, axis=0) * 0.35 if lips.any() else np.zeros(3)
        m = cv2.GaussianBlur(_poly_mask(inner_t, h, w).astype(np.float32), (3, 3), 0)[..., None]
        face = face * (1 - m) + dark * m
    for a, b in ((36, 42), (42, 48)):
        if _height(target[a:b]) < 0.35 * _height(source[a:b]):
            eye = _poly_mask(target[a:b], h, w)
            eye = cv2.dilate(eye.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, h // 96)) > 0
            ys, xs = np.nonzero(eye)
            if len(ys):
                below = face[min(h - 1, ys.max() + max(2, h // 48)), xs.min():xs.max() + 1].mean(0)
                m = cv2.GaussianBlur(eye.astype(np.float32), (5, 5), 0)[..., None]
                face = face * (1 - m) + below * m
                cv2.polylines(face, [np.round(target[a:b][[0, 1, 2, 3]] * 8).astype(np.int32)], False,
                              (below * 0.45).tolist(), max(1, h // 128), cv2.LINE_AA, 3)  # fmt: skip
    hull = cv2.convexHull(np.round(target[:27] * 8).astype(np.int32))
    region = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(region, hull, 1, cv2.LINE_8, 3)
    grow = max(1, round(h / 48))
    region = cv2.dilate(region, np.ones((3, 3), np.uint8), iterations=grow)
    alpha = cv2.GaussianBlur(region.astype(np.float32), (0, 0), grow)
    out = alpha[..., None] * face + (1 - alpha[..., None]) * photo.astype(np.float32)
    return np.where(alpha[..., None] > 0, np.clip(np.rint(out), 0, 255), photo).astype(np.uint8)


def colorize_request(req) -> tuple[np.ndarray, list[str]]:
    """(image, warnings): :func:`colorize` for an engine request (task ``face``). A crop
    under :data:`MIN_CROP` px comes back unchanged with a warning: its drawn contours
    merge and no landmark can be read from them."""
    if req.edges is None:
        raise InputError("face colorization needs a face edge map (the face layer)")
    photo = np.asarray(req.source_image)
    if min(photo.shape[:2]) < MIN_CROP:
        return photo.copy(), [f"the face crop is {photo.shape[1]}x{photo.shape[0]}: under {MIN_CROP} px the "
                              "sketch's contours merge, so the face is left as it is"]  # fmt: skip
    return colorize(photo, np.asarray(req.edges), req.reference_image, req.reference_edges,
                    req.reference_landmarks), []  # fmt: skip
