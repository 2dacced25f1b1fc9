"""Draw a mannequin: a 2-D articulated character on the COCO-18 skeleton.

Every body part is a polygon (capsules for limbs, a tapered torso, ellipses for
the head) drawn into a *part map* in depth order, so the parsing map is exact
by construction: ``parsing = LABEL_OF_PART[part map]``. The picture is then
composed from the part map: each part takes its layer's pixels (skin, hair, the
top's or bottom's warped texture, shoes), shaded darker near part boundaries so
limbs read as round and overlapping limbs stay separable; background pixels are
the background image, untouched. Face features are drawn last, only on face pixels.
The part map itself is drawn by ``drawer.py``.

Depth order (front view): long hair, far-side arm, legs (far first), bottom,
top, neck/head/hair, near-side arm(s). Nearly frontal figures draw both arms in
front of the torso; back views hide arms that reach across the front (and the far
arm of a turned figure) behind the torso and draw the hair over the back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.training.synth.appearance import Appearance
from posestudio.training.synth.drawer import (
    BOTTOM,
    HAIR_L,
    ONE,
    SHIFT,
    SHOE,
    SKIN,
    TOP,
    FigureDrawer,
    PartCanvas,
    lerp,
)  # fmt: skip
from posestudio.training.synth.poses import (
    FRONTAL_YAW,
    NECK,
    Figure,
    annotate,
)  # fmt: skip
from posestudio.training.synth.textures import TILE, TextureSpec, render_texture


@functools.lru_cache(maxsize=512)
def _tile(spec: TextureSpec) -> np.ndarray:
    return render_texture(spec, TILE)


@dataclass
class Rendered:
    """One drawn character: image (H, W, 3) uint8 RGB, SPT-10 parsing (H, W) uint8,
    the annotated Pose, the figure drawn, and the part map (which part owns each pixel)."""

    image: np.ndarray
    parsing: np.ndarray
    pose: Pose
    figure: Figure
    parts: np.ndarray
    part_layer: np.ndarray


def _draw(app: Appearance, fig: Figure, cv: PartCanvas, sides: str) -> tuple[int | None, FigureDrawer]:
    d = FigureDrawer(app, fig, cv, sides)
    near = None if abs(fig.yaw) < FRONTAL_YAW else ("r" if fig.yaw > 0 else "l")
    far = None if near is None else ("l" if near == "r" else "r")
    back = fig.view == "back"
    # Seen from behind, an arm reaching across the front of the body is hidden by the torso;
    # arms beside the body stay visible.
    behind = {s for s in ("r", "l") if back and (s == far or d.arm_crosses_body(s))}
    if not back:
        d.hair_back()
    if back:
        for s in sorted(behind):
            d.arm(s)
    elif far:
        d.arm(far)
    for s in (far, near) if near else ("r", "l"):
        d.leg(s)
    if app.tucked:
        d.top()
        d.bottom()
    else:
        d.bottom()
        d.top()
    if back:
        for s in ("r", "l"):
            if s not in behind:
                d.arm(s)
    face = d.neck_and_face()
    if back:
        d.hair_back()
    else:
        d.hair_front()
        if near:
            d.arm(near)
        else:
            d.arm("r")
            d.arm("l")
    return (None if back else face), d


def _layer_image(app: Appearance, d: FigureDrawer, layer: int, rect: tuple[int, int, int, int]) -> np.ndarray:
    """A layer's texture tile warped onto the canvas: garments with the torso frame, hair
    with the head frame."""
    angle = d.fig.lean
    if layer == TOP:
        spec, anchor = app.top, lerp(d.xy[NECK], d.hip_c, 0.38)
    elif layer == BOTTOM:
        spec, anchor = app.bottom, d.hip_c + d.t * 0.2 * d.u
    else:
        spec, anchor, angle = app.hair_texture, d.fig.head_center, d.fig.head_angle
    s = d.u / (TILE / 3)
    c, si = math.cos(angle) * s, math.sin(angle) * s
    # screen = R(-lean) * s * (tile - centre) + anchor; the torso axis maps the tile's down axis
    m = np.array([[c, si, 0.0], [-si, c, 0.0]])
    m[:, 2] = anchor - m[:, :2] @ np.array([TILE / 2, TILE / 2]) - np.array(rect[:2], np.float64)
    return cv2.warpAffine(_tile(spec), m, rect[2:], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def render(app: Appearance, fig: Figure, height: int, width: int, background: np.ndarray,
           sides: str = "person", shading: bool = True) -> Rendered:  # fmt: skip
    """Draw ``fig`` dressed as ``app`` over ``background`` ((H, W, 3) uint8).

    ``sides="person"``: left/right parsing labels are the person's sides, as the
    keypoints are; ``"screen"``: a back view keeps screen-left = "right arm", as
    LIP-trained parsers label DeepFashion back views (see docs/SYNTH.md).
    """
    cv = PartCanvas(height, width)
    face_id, d = _draw(app, fig, cv, sides)
    parts = cv.parts
    label_lut = np.array(cv.labels, np.uint8)
    layer_lut = np.array(cv.layers, np.uint8)
    colour = {SKIN: app.skin, HAIR_L: app.hair_color, SHOE: app.shoe_color}
    if app.top.kind == "solid":
        colour[TOP] = app.top.color
    if app.bottom.kind == "solid":
        colour[BOTTOM] = app.bottom.color
    if app.hair_texture is not None:
        del colour[HAIR_L]
    lut = np.zeros((256, 3), np.uint8)
    for pid, lay in enumerate(cv.layers):
        if lay in colour:
            lut[pid] = colour[lay]
    image = cv2.merge([cv2.LUT(parts, np.ascontiguousarray(lut[:, c])) for c in range(3)])
    body = (parts > 0).view(np.uint8)
    cv2.copyTo(background, 1 - body, image)
    for lay in (TOP, BOTTOM, HAIR_L):
        if lay in colour or not (layer_lut == lay).any():
            continue
        m = np.zeros(256, np.uint8)
        m[: len(layer_lut)] = layer_lut == lay
        mask = cv2.LUT(parts, m)
        x, y, w, h = cv2.boundingRect(mask)
        if w and h:  # warp only the garment's bounding box
            sub = image[y : y + h, x : x + w]
            cv2.copyTo(_layer_image(app, d, lay, (x, y, w, h)), mask[y : y + h, x : x + w], sub)
    if shading:
        image = _shade(image, parts, body, fig.unit)
    if face_id is not None:
        _face_features(image, parts, face_id, app, d)
    return Rendered(image, label_lut[parts], annotate(fig, height, width), fig, parts, layer_lut[parts])


def _shade(image: np.ndarray, parts: np.ndarray, body: np.ndarray, unit: float) -> np.ndarray:
    """Darken body pixels near part boundaries (up to x0.7 at a boundary, fading over about
    0.08 torso units) so limbs read as round. Background pixels keep their exact values."""
    dh = parts[:, 1:] != parts[:, :-1]
    dv = parts[1:] != parts[:-1]
    edge = np.zeros(parts.shape, np.uint8)
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    edge[1:] |= dv
    edge[:-1] |= dv
    k = max(3, int(round(0.08 * unit)) | 1)
    near = cv2.blur(edge * np.uint8(255), (k, k))  # about 2/k * 255 on a boundary, 0 past k/2
    dark = cv2.multiply(near, body, scale=0.3 * k / 2)  # zero off the body
    factor = np.maximum(cv2.subtract(np.full_like(near, 255), dark), np.uint8(178))
    return cv2.multiply(image, cv2.merge([factor, factor, factor]), scale=1 / 255)


def _face_features(image: np.ndarray, parts: np.ndarray, face_id: int, app: Appearance, d: FigureDrawer) -> None:
    """Eyes at the eye keypoints, brows, nose tip, mouth: drawn only over face pixels."""
    fig = d.fig
    hc, down, ph, ang = d.head_frame()
    rx, ry = d.b.head_rx * d.u, d.b.head_ry * d.u
    r = int(math.ceil(max(rx, ry) * 1.2))
    x0, y0 = max(int(hc[0]) - r, 0), max(int(hc[1]) - r, 0)
    x1, y1 = min(int(hc[0]) + r + 1, image.shape[1]), min(int(hc[1]) + r + 1, image.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    patch = image[y0:y1, x0:x1].copy()
    o = np.array([x0, y0], np.float64)
    sy, cyaw = math.sin(fig.yaw), max(math.cos(fig.yaw), 0.3)
    pose = annotate(fig, image.shape[0], image.shape[1])
    dark = tuple(int(c * 0.75) for c in app.skin)

    def P(pt):
        return int(round((pt[0] - o[0]) * ONE)), int(round((pt[1] - o[1]) * ONE))

    for eye in (14, 15):
        if not pose.visible[eye] and not (0 <= fig.xy[eye][0] < image.shape[1]):
            continue
        if fig.view == "front" and abs(fig.yaw) > 1.05 and ((eye == 15) == (fig.yaw > 0)):
            continue  # the far eye of a profile
        e = fig.xy[eye]
        ax = (max(1, int(0.17 * rx * cyaw * ONE)), max(1, int(0.09 * rx * ONE)))
        cv2.ellipse(patch, P(e), ax, ang, 0, 360, (245, 245, 240), -1, cv2.LINE_AA, SHIFT)
        cv2.circle(patch, P(e + ph * sy * 0.04 * rx), max(1, int(0.085 * rx * ONE)), app.eye_color, -1,
                   cv2.LINE_AA, SHIFT)  # fmt: skip
        bw = 0.2 * rx * cyaw
        brow = e - down * 0.2 * ry
        cv2.line(patch, P(brow - ph * bw), P(brow + ph * bw), app.hair_color, max(1, int(0.07 * rx)),
                 cv2.LINE_AA, SHIFT)  # fmt: skip
    nose = fig.xy[0]
    cv2.line(patch, P(nose - down * 0.18 * ry), P(nose + ph * 0.04 * rx), dark, 1, cv2.LINE_AA, SHIFT)
    mouth = hc + down * 0.5 * ry + ph * sy * 0.7 * rx
    cv2.ellipse(patch, P(mouth), (max(1, int(0.22 * rx * cyaw * ONE)), max(1, int(0.06 * ry * ONE))), ang,
                0, 360, app.lip_color, -1, cv2.LINE_AA, SHIFT)  # fmt: skip
    own = parts[y0:y1, x0:x1] == face_id
    image[y0:y1, x0:x1][own] = patch[own]
