"""Procedural faces with 68 iBUG landmarks, a face edge map and an 8-region parsing map.

Landmarks follow the 68-point iBUG 300-W layout (0-based here): jaw 0-16 (from
the image-left jaw top round the chin to image-right), brows 17-21 and 22-26,
nose bridge 27-30, nostrils 31-35, eyes 36-41 (image left) and 42-47, outer lips
48-59, inner lips 60-67. A face detector's 68 landmarks therefore map one to one.

Edge map convention (docs/SYNTH.md): 1 channel uint8, 255 lines on 0, drawn
with :func:`posestudio.core.face_edges.draw_face_edges` (here :func:`edge_map`;
``EDGE_RUNS`` and ``edge_width`` come from there too) from the landmarks only:
jaw, each brow, nose bridge and nostril line as open polylines; each eye, outer and inner lips as closed
polylines; line width ``max(1, round(size / 128))`` px (2 px at 256), 8-connected,
no anti-aliasing. The same function turns a detector's landmarks into the
generator's ``edges`` input, so synthetic and detected edges look alike.
"""

from __future__ import annotations

__all__ = ["EDGE_RUNS", "FaceGenerator", "FaceSample", "edge_map", "edge_width", "landmarks", "render_face"]

import math
from dataclasses import dataclass

import cv2
import numpy as np

from posestudio.core.face_edges import EDGE_RUNS, draw_face_edges, edge_width
from posestudio.training.synth.mannequin import _shade
from posestudio.training.synth.textures import random_color, render_background

_SKIN = np.array([(255, 224, 196), (241, 194, 160), (224, 172, 128), (198, 134, 96), (160, 102, 70),
                  (120, 74, 48), (88, 54, 36)], np.float64)  # fmt: skip
_HAIR = np.array([(20, 16, 14), (50, 34, 24), (92, 60, 36), (150, 100, 50), (210, 170, 100), (160, 60, 30),
                  (120, 120, 120)], np.float64)  # fmt: skip
FACE_HAIR = ("short", "long", "bob", "bald", "fringe")


def edge_map(landmarks: np.ndarray, height: int, width: int, line_width: int | None = None) -> np.ndarray:
    """(H, W) uint8 face edge map (255 lines on 0) of 68 iBUG landmarks (x, y pixels):
    :func:`posestudio.core.face_edges.draw_face_edges`, the rule detection uses too."""
    return draw_face_edges(landmarks, height, width, line_width)


@dataclass(frozen=True)
class FaceIdentity:
    """What stays fixed for one person: shape, colours, hair."""

    jaw_w: float
    jaw_h: float
    chin: float
    eye_w: float
    eye_sep: float
    brow_h: float
    brow_thick: float
    nose_w: float
    nose_len: float
    mouth_w: float
    lip_h: float
    skin: tuple[int, int, int]
    hair_color: tuple[int, int, int]
    hair_style: str
    hairline: float
    iris: tuple[int, int, int]
    lips: tuple[int, int, int]
    clothes: tuple[int, int, int]


@dataclass(frozen=True)
class FaceExpression:
    """What changes between two images of one person: head pose and expression."""

    yaw: float
    roll: float
    scale: float
    shift: tuple[float, float]
    eye_open: float
    mouth_open: float
    smile: float
    brow_raise: float


def random_identity(rng: np.random.Generator) -> FaceIdentity:
    u = rng.uniform
    k = u(0, len(_SKIN) - 1)
    i = int(k)
    skin = _SKIN[i] * (1 - (k - i)) + _SKIN[min(i + 1, len(_SKIN) - 1)] * (k - i)
    hair = _HAIR[int(rng.integers(len(_HAIR)))]

    def col(c, s):
        return tuple(int(v) for v in np.clip(c + rng.normal(0, s, 3), 0, 255))

    return FaceIdentity(
        jaw_w=u(0.85, 1.05), jaw_h=u(1.0, 1.25), chin=u(0.0, 0.3), eye_w=u(0.15, 0.21), eye_sep=u(0.36, 0.44),
        brow_h=u(0.14, 0.22), brow_thick=u(0.03, 0.07), nose_w=u(0.15, 0.24), nose_len=u(0.42, 0.55),
        mouth_w=u(0.26, 0.36), lip_h=u(0.05, 0.09), skin=col(skin, 6), hair_color=col(hair, 10),
        hair_style=str(rng.choice(FACE_HAIR)), hairline=u(0.55, 0.8), iris=col(np.array([70, 50, 40]), 25),
        lips=col(skin * np.array([0.85, 0.55, 0.55]), 10), clothes=random_color(rng),
    )  # fmt: skip


def random_expression(rng: np.random.Generator) -> FaceExpression:
    u = rng.uniform
    return FaceExpression(
        yaw=float(rng.normal(0, 0.25)), roll=float(rng.normal(0, 0.08)), scale=u(0.85, 1.05),
        shift=(float(rng.normal(0, 0.02)), float(rng.normal(0, 0.02))), eye_open=u(0.2, 1.0),
        mouth_open=float(max(0.0, u(-0.6, 1.0))), smile=u(-0.3, 1.0), brow_raise=u(-0.5, 1.0),
    )  # fmt: skip


def landmarks(ident: FaceIdentity, expr: FaceExpression, size: int) -> np.ndarray:
    """(68, 2) landmark pixels in a ``size`` x ``size`` image (iBUG order)."""
    lm = np.zeros((68, 2))
    z = np.zeros(68)  # depth, for the yaw shift
    jw, jh = ident.jaw_w, ident.jaw_h
    for i in range(17):  # jaw: from the image-left temple round the chin
        phi = math.pi * i / 16
        x = -math.cos(phi) * jw
        y = -0.05 + math.sin(phi) * jh * (1 + ident.chin * math.sin(phi) ** 8 * 0.15)
        if 5 <= i <= 11:  # flatter chin, narrower jaw
            x *= 1 - ident.chin * 0.2
        lm[i] = (x, y)
        z[i] = math.sin(phi) * 0.3
    ey = -0.2
    for side, base_b, base_e in ((-1, 17, 36), (1, 22, 42)):
        cx = side * ident.eye_sep
        by = ey - ident.brow_h - 0.05 * expr.brow_raise
        for k in range(5):
            t = k / 4  # image-left brow: outer -> inner; image-right brow: inner -> outer
            x = cx - 0.25 + 0.5 * t
            y = by - 0.06 * math.sin(math.pi * (0.2 + 0.8 * t if side < 0 else 1 - 0.8 * t))
            lm[base_b + k] = (x, y)
            z[base_b + k] = 0.75
        ew, eo = ident.eye_w, 0.075 * expr.eye_open + 0.01
        pts = [(cx - ew, ey), (cx - ew / 3, ey - eo), (cx + ew / 3, ey - eo), (cx + ew, ey),
               (cx + ew / 3, ey + eo * 0.8), (cx - ew / 3, ey + eo * 0.8)]  # fmt: skip
        # iBUG: 36 / 42 is the image-left corner of each eye, then the upper lid, the
        # image-right corner, the lower lid back; the same order serves both eyes.
        lm[base_e : base_e + 6] = pts
        z[base_e : base_e + 6] = 0.75
    for k in range(4):  # nose bridge
        lm[27 + k] = (0.0, ey + ident.nose_len * k / 3 * 0.95)
        z[27 + k] = 0.9 + 0.3 * k / 3
    ny = ey + ident.nose_len * 1.05
    for k in range(5):  # nostrils
        t = (k - 2) / 2
        lm[31 + k] = (t * ident.nose_w, ny + 0.04 * (1 - abs(t)))
        z[31 + k] = 1.0 - 0.2 * abs(t)
    my = ny + 0.22 + ident.lip_h
    mw, ul, ll = ident.mouth_w * (1 + 0.12 * expr.smile), ident.lip_h, ident.lip_h * 1.2
    op = 0.09 * expr.mouth_open
    lift = -0.04 * expr.smile
    outer = [(-mw, lift), (-0.6 * mw, -ul), (-0.25 * mw, -ul * 1.15), (0, -ul * 0.9), (0.25 * mw, -ul * 1.15),
             (0.6 * mw, -ul), (mw, lift), (0.6 * mw, ll + op), (0.25 * mw, ll * 1.1 + op), (0, ll * 1.15 + op),
             (-0.25 * mw, ll * 1.1 + op), (-0.6 * mw, ll + op)]  # fmt: skip
    inner = [(-0.85 * mw, lift * 0.8), (-0.3 * mw, -0.01), (0, -0.01), (0.3 * mw, -0.01), (0.85 * mw, lift * 0.8),
             (0.3 * mw, op + 0.01), (0, op + 0.01), (-0.3 * mw, op + 0.01)]  # fmt: skip
    lm[48:60] = np.array(outer) + (0, my)
    lm[60:68] = np.array(inner) + (0, my)
    z[48:68] = 0.85
    # yaw: rotate about the vertical axis (depth z), then roll, scale and place
    cyw, syw = math.cos(expr.yaw), math.sin(expr.yaw)
    x = lm[:, 0] * cyw + z * syw * 0.6
    y = lm[:, 1]
    cr, sr = math.cos(expr.roll), math.sin(expr.roll)
    xr, yr = x * cr - y * sr, x * sr + y * cr
    s = size * 0.27 * expr.scale
    cx, cy = size * (0.5 + expr.shift[0]), size * (0.45 + expr.shift[1])
    return np.stack([cx + xr * s, cy + yr * s], 1)


@dataclass
class FaceSample:
    image: np.ndarray  # (S, S, 3) uint8 RGB
    landmarks: np.ndarray  # (68, 2) pixels
    edges: np.ndarray  # (S, S) uint8, 255 lines on 0
    parsing: np.ndarray  # (S, S) uint8, scm8 labels: 0 background, 1 hair, 2 face (skin), 3 clothes


def render_face(ident: FaceIdentity, expr: FaceExpression, size: int, background: np.ndarray) -> FaceSample:
    """Draw a face over ``background`` ((S, S, 3) uint8); parsing drawn alongside."""
    lm = landmarks(ident, expr, size)
    img = background.copy()
    par = np.zeros((size, size), np.uint8)
    sh = 3
    one = 1 << sh

    def P(pts):
        return np.round(np.asarray(pts) * one).astype(np.int32)

    def fill(pts, colour, label):
        cv2.fillPoly(img, [P(pts)], colour, cv2.LINE_AA, sh)
        cv2.fillPoly(par, [P(pts)], label, cv2.LINE_8, sh)

    jaw = lm[:17]
    centre = (lm[0] + lm[16]) / 2
    right = (lm[16] - lm[0]) / 2
    half_w = float(np.hypot(*right))
    rdir = right / max(half_w, 1e-6)
    up = np.array([rdir[1], -rdir[0]])
    forehead = [centre + rdir * half_w * math.cos(a) + up * half_w * 1.05 * math.sin(a)
                for a in np.linspace(0, math.pi, 13)]  # fmt: skip
    skull = np.concatenate([jaw, np.array(forehead[1:-1])], 0)
    # clothes and neck
    chin = lm[8]
    shoulders = [chin - up * half_w * 0.75 + rdir * half_w * 1.9 * math.cos(a) + up * half_w * 0.5 * math.sin(a)
                 for a in np.linspace(0, math.pi, 9)]  # fmt: skip
    fill(shoulders + [chin - rdir * half_w * 2.8 - up * half_w * 3, chin + rdir * half_w * 2.8 - up * half_w * 3],
         ident.clothes, 3)  # fmt: skip
    neck_c = centre - up * half_w * 0.9
    fill([neck_c - rdir * half_w * 0.55 + up * half_w * 0.5, neck_c + rdir * half_w * 0.55 + up * half_w * 0.5,
          neck_c + rdir * half_w * 0.6 - up * half_w * 1.4, neck_c - rdir * half_w * 0.6 - up * half_w * 1.4],
         tuple(int(c * 0.85) for c in ident.skin), 2)  # fmt: skip
    if ident.hair_style in ("long", "bob"):
        depth = 1.6 if ident.hair_style == "long" else 0.8
        back = [centre + rdir * half_w * 1.3 * math.cos(a) + up * half_w * 1.25 * math.sin(a)
                for a in np.linspace(0, math.pi, 13)]  # fmt: skip
        back = [back[0] - up * half_w * depth] + back + [back[-1] - up * half_w * depth]
        fill(back, ident.hair_color, 1)
    for ear in (lm[0], lm[16]):  # ears
        e = ear + up * -half_w * 0.05 + (ear - centre) * 0.08
        cv2.ellipse(img, tuple(P(e)), (int(half_w * 0.14 * one), int(half_w * 0.28 * one)),
                    math.degrees(math.atan2(rdir[1], rdir[0])), 0, 360, ident.skin, -1, cv2.LINE_AA, sh)  # fmt: skip
        cv2.ellipse(par, tuple(P(e)), (int(half_w * 0.14 * one), int(half_w * 0.28 * one)),
                    math.degrees(math.atan2(rdir[1], rdir[0])), 0, 360, 2, -1, cv2.LINE_8, sh)  # fmt: skip
    fill(skull, ident.skin, 2)
    # hair on top: a band above the hairline (above the brows)
    if ident.hair_style != "bald":
        hl = ident.hairline
        top = [centre + rdir * half_w * 1.08 * math.cos(a) + up * half_w * 1.12 * math.sin(a)
               for a in np.linspace(0, math.pi, 15)]  # fmt: skip
        line = [centre + rdir * half_w * 0.98 * math.cos(a) + up * half_w * (hl * math.sin(a) + 0.05)
                for a in np.linspace(math.pi, 0, 15)]  # fmt: skip
        if ident.hair_style == "fringe":
            line = [p - up * half_w * 0.15 for p in line]
        fill(top + line, ident.hair_color, 1)
    # soft darkening along region boundaries (jaw line, hairline, collar), as on the mannequins
    img = _shade(img, par, (par > 0).view(np.uint8), half_w * 0.9)
    dark = tuple(int(c * 0.6) for c in ident.skin)
    lw = max(1, size // 128)
    # brows, eyes, nose, mouth: face pixels only, so the parsing stays face
    for a, b in ((17, 22), (22, 27)):
        cv2.polylines(img, [P(lm[a:b])], False, ident.hair_color, max(1, int(ident.brow_thick * half_w)),
                      cv2.LINE_AA, sh)  # fmt: skip
    for a in (36, 42):
        eye = lm[a : a + 6]
        cv2.fillPoly(img, [P(eye)], (245, 245, 240), cv2.LINE_AA, sh)
        c = eye.mean(0)
        r = min(float(np.hypot(*(eye[1] - eye[5]))) * 0.6, half_w * 0.09)
        if r > 0.8:
            cv2.circle(img, tuple(P(c)), int(r * one), ident.iris, -1, cv2.LINE_AA, sh)
            cv2.circle(img, tuple(P(c)), int(r * 0.45 * one), (15, 12, 10), -1, cv2.LINE_AA, sh)
        cv2.polylines(img, [P(eye)], True, (40, 30, 28), lw, cv2.LINE_AA, sh)
    cv2.polylines(img, [P(lm[27:31])], False, dark, lw, cv2.LINE_AA, sh)
    cv2.polylines(img, [P(lm[31:36])], False, dark, lw, cv2.LINE_AA, sh)
    cv2.fillPoly(img, [P(lm[48:60])], ident.lips, cv2.LINE_AA, sh)
    if expr.mouth_open > 0.1:
        cv2.fillPoly(img, [P(lm[60:68])], (60, 20, 25), cv2.LINE_AA, sh)
    else:
        cv2.polylines(img, [P(lm[60:68])], True, tuple(int(c * 0.6) for c in ident.lips), lw, cv2.LINE_AA, sh)
    return FaceSample(img, lm, edge_map(lm, size, size), par)


class FaceGenerator:
    """Deterministic faces: identity ``i`` in expression/pose ``j`` at ``size`` x ``size``."""

    def __init__(self, size: int = 256, seed: int = 0):
        self.size, self.seed = size, seed

    def sample(self, i: int, j: int = 0) -> FaceSample:
        rng = np.random.default_rng([self.seed, i, 0])
        ident = random_identity(rng)
        bg = render_background(rng, self.size, self.size)
        expr = random_expression(np.random.default_rng([self.seed, i, j + 1]))
        return render_face(ident, expr, self.size, bg)
