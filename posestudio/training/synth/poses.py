"""Where a mannequin's joints are: a joint-angle prior and perturbed real poses.

A :class:`Figure` is the complete 2-D skeleton of one drawn character (all 18
COCO-18 joints placed, even those off-canvas or hidden), its view (``front`` or
``back``) and its yaw (radians; > 0 means the nose turns towards screen right,
so in the front view the person's right side is nearer the camera). The
annotation a data set reports is :func:`annotate` of a figure: out-of-canvas
joints, the face in a back view and the far ear/eye of a profile are missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose
from posestudio.training.synth.appearance import Appearance

NOSE, NECK, RSH, REL, RWR, LSH, LEL, LWR, RHI, RKN, RAN, LHI, LKN, LAN, REY, LEY, REA, LEA = range(18)
FRONTAL_YAW = 0.35  # below this |yaw| both arms are drawn in front of the torso


@dataclass
class Figure:
    xy: np.ndarray  # (18, 2) image pixels, every joint placed
    view: str = "front"
    yaw: float = 0.0
    unit: float = 1.0  # torso length in pixels
    lean: float = 0.0  # torso axis angle from straight down (+ = hips towards screen right)
    head_angle: float = 0.0  # head axis angle, same convention
    head_center: np.ndarray | None = None

    def front_xy(self) -> np.ndarray:
        """Joints in front-view labelling (a back view's sides swapped back): index r_* is on screen left."""
        return self.xy[list(skeleton.FLIP_PERMUTATION)] if self.view == "back" else self.xy

    def near_side(self) -> str | None:
        """'r' or 'l': the person's side nearer the camera, None when nearly frontal."""
        if abs(self.yaw) < FRONTAL_YAW:
            return None
        return "r" if (self.yaw > 0) == (self.view == "front") else "l"


def _d(theta: float) -> np.ndarray:
    """Unit vector at angle ``theta`` from straight down, positive towards screen right."""
    return np.array([math.sin(theta), math.cos(theta)])


def build(app: Appearance, angles: dict, neck_xy, unit: float, view: str = "front") -> Figure:
    """Place the 18 joints from bone angles (radians from straight down, + = screen right).

    ``angles``: lean, yaw, tilt, and r/l upper, fore, thigh, shin, plus optional
    foreshortening factors ``fs_<bone>`` in (0, 1]. Built as a front view; a back
    view relabels sides so the person's right lands on screen right.
    """
    b = app.body
    a = angles
    yaw = float(a.get("yaw", 0.0))
    cy = max(math.cos(yaw), 0.3)
    neck = np.asarray(neck_xy, dtype=np.float64)
    t = _d(a.get("lean", 0.0))
    p = np.array([t[1], -t[0]])  # screen-right perpendicular of the torso axis
    xy = np.zeros((18, 2))
    xy[NECK] = neck
    hip_c = neck + t * unit
    xy[RSH], xy[LSH] = neck - p * b.shoulder * cy * unit, neck + p * b.shoulder * cy * unit
    xy[RHI], xy[LHI] = hip_c - p * b.hip * cy * unit, hip_c + p * b.hip * cy * unit

    def limb(j0, j1, bone, length):
        fs = a.get("fs_" + bone, 1.0)
        xy[j1] = xy[j0] + _d(a[bone]) * length * fs * unit

    limb(RSH, REL, "r_upper", b.upper_arm)
    limb(REL, RWR, "r_fore", b.forearm)
    limb(LSH, LEL, "l_upper", b.upper_arm)
    limb(LEL, LWR, "l_fore", b.forearm)
    limb(RHI, RKN, "r_thigh", b.thigh)
    limb(RKN, RAN, "r_shin", b.shin)
    limb(LHI, LKN, "l_thigh", b.thigh)
    limb(LKN, LAN, "l_shin", b.shin)
    th = a.get("lean", 0.0) + a.get("tilt", 0.0)
    down = _d(th)
    ph = np.array([down[1], -down[0]])
    rx, ry = b.head_rx * unit, b.head_ry * unit
    hc = neck - down * b.neck * unit
    sy = math.sin(yaw)
    xy[NOSE] = hc + down * 0.12 * ry + ph * sy * 0.8 * rx
    for eye, sgn in ((REY, -1), (LEY, 1)):
        xy[eye] = hc - down * 0.12 * ry + ph * (sy * 0.6 * rx + sgn * 0.42 * rx * cy)
    for ear, sgn in ((REA, -1), (LEA, 1)):
        xy[ear] = hc - down * 0.02 * ry + ph * (sgn * 0.95 * rx * cy - sy * 0.3 * rx)
    if view == "back":
        xy = xy[list(skeleton.FLIP_PERMUTATION)]
    return Figure(xy, view, yaw, unit, float(a.get("lean", 0.0)), float(th), hc)


def pick(rng: np.random.Generator, options, p):
    """``options[i]`` with probability ``p[i]`` (a faster ``rng.choice`` for short lists)."""
    return options[int(np.searchsorted(np.cumsum(p), rng.random() * sum(p), side="right"))]


def prior_angles(rng: np.random.Generator) -> dict:
    """A random joint-angle configuration: standing, walking, arms down/akimbo/raised/crossed."""
    u, n = rng.uniform, rng.normal
    yaw = float(n(0, 0.15) if rng.random() < 0.55 else u(-1.2, 1.2))
    a = {"yaw": yaw, "lean": n(0, 0.05), "tilt": n(0, 0.12)}
    for side, sgn in (("r", -1), ("l", 1)):  # sgn: outward on screen (front view)
        mode = pick(rng, ("down", "akimbo", "raised", "across", "up"), (0.45, 0.15, 0.2, 0.12, 0.08))
        if mode == "down":
            up, fore = sgn * u(0.05, 0.35), sgn * u(-0.15, 0.25)
        elif mode == "akimbo":
            up, fore = sgn * u(0.35, 0.7), -sgn * u(0.6, 1.3)
        elif mode == "raised":
            up = sgn * u(0.7, 1.7)
            fore = up + sgn * u(-0.3, 1.2)
        elif mode == "across":
            up, fore = sgn * u(-0.05, 0.25), -sgn * u(1.2, 1.9)
        else:
            up = sgn * u(2.3, 2.9)
            fore = up + sgn * u(-0.4, 0.5)
        a[f"{side}_upper"], a[f"{side}_fore"] = float(up), float(fore)
        a[f"fs_{side}_upper"] = float(u(0.75, 1.0))
        a[f"fs_{side}_fore"] = float(u(0.7, 1.0))
    stance = pick(rng, ("stand", "wide", "walk", "cross"), (0.45, 0.2, 0.25, 0.1))
    for side, sgn in (("r", -1), ("l", 1)):
        if stance == "stand":
            th, kn = sgn * u(0.0, 0.12), sgn * u(-0.05, 0.08)
        elif stance == "wide":
            th, kn = sgn * u(0.15, 0.35), sgn * u(0.0, 0.15)
        elif stance == "walk":
            th, kn = n(0, 0.15), n(0, 0.25)
        else:
            th, kn = -sgn * u(0.02, 0.15), -sgn * u(0.0, 0.1)
        a[f"{side}_thigh"], a[f"{side}_shin"] = float(th), float(th + kn if stance != "walk" else kn)
        a[f"fs_{side}_thigh"] = float(u(0.85, 1.0))
        a[f"fs_{side}_shin"] = float(u(0.85, 1.0))
    return a


def place(app: Appearance, angles: dict, height: int, width: int, rng: np.random.Generator,
          framing: str | None = None, view: str = "front") -> Figure:  # fmt: skip
    """Size and position a figure on the canvas: ``full`` body or ``upper`` (cut at the thighs)."""
    framing = framing or ("full" if rng.random() < 0.7 else "upper")
    b = app.body
    body_h = b.neck + b.head_ry * 1.2 + 1.0 + b.thigh + b.shin + 0.08  # head top to sole
    if framing == "full":
        unit = height * rng.uniform(0.86, 0.97) / body_h
        top = rng.uniform(0.01, 0.05) * height
    else:
        unit = height * rng.uniform(0.85, 1.0) / (b.neck + b.head_ry * 1.2 + 1.55)
        top = rng.uniform(0.02, 0.07) * height
    neck = np.array([width / 2 + rng.normal(0, 0.03) * width, top + (b.neck + b.head_ry * 1.2) * unit])
    return build(app, angles, neck, unit, view)


def annotate(fig: Figure, height: int, width: int) -> Pose:
    """The Pose a data set reports for ``fig``: joints off the canvas, a back view's
    face (nose, eyes) and a profile's far ear / far eye are missing."""
    xy = fig.xy
    vis = (xy[:, 0] >= 0) & (xy[:, 0] <= width - 1) & (xy[:, 1] >= 0) & (xy[:, 1] <= height - 1)
    if fig.view == "back":
        vis[[NOSE, REY, LEY]] = False
    far = "l" if fig.yaw > 0 else "r"
    if fig.view == "back":
        far = "r" if far == "l" else "l"
    if abs(fig.yaw) > 0.6:
        vis[LEA if far == "l" else REA] = False
    if abs(fig.yaw) > 1.05 and fig.view == "front":
        vis[LEY if far == "l" else REY] = False
    return Pose(xy.copy(), vis)


def random_figure(app: Appearance, rng: np.random.Generator, height: int, width: int,
                  view: str | None = None, framing: str | None = None) -> Figure:  # fmt: skip
    """A pose from the joint-angle prior, front (80%) or back (20%) view."""
    view = view or ("back" if rng.random() < 0.2 else "front")
    return place(app, prior_angles(rng), height, width, rng, framing, view)


# -- perturbed real keypoints ---------------------------------------------------
_BONES = {  # bone name -> (parent joint, child joint), front-view joint ids
    "r_upper": (RSH, REL), "r_fore": (REL, RWR), "l_upper": (LSH, LEL), "l_fore": (LEL, LWR),
    "r_thigh": (RHI, RKN), "r_shin": (RKN, RAN), "l_thigh": (LHI, LKN), "l_shin": (LKN, LAN),
}  # fmt: skip


def figure_from_pose(app: Appearance, pose: Pose, rng: np.random.Generator, jitter: float = 0.15,
                     canvas: tuple[int, int] = (256, 256), size: tuple[int, int] = (256, 176)) -> Figure:  # fmt: skip
    """Retarget a real pose (``canvas`` = its (H, W)) onto ``app``'s proportions, with each bone
    angle jittered by N(0, ``jitter``) radians; missing bones come from the prior.

    The pose is mapped to the output ``size`` as the data sets do (scale to the
    height, centre crop the width). Back views (person's right shoulder on
    screen right) are recognised and kept.
    """
    H, W = size
    s = H / canvas[0]
    off = (canvas[1] * s - W) / 2
    xy = pose.xy * s - np.array([off, 0.0])
    vis = pose.visible.copy()
    view = "back" if vis[RSH] and vis[LSH] and xy[RSH, 0] > xy[LSH, 0] else "front"
    if view == "back":  # work in front-view geometry, relabel at the end (build does it)
        perm = list(skeleton.FLIP_PERMUTATION)
        xy, vis = xy[perm], vis[perm]
    a = prior_angles(rng)
    b = app.body
    # Torso length: from hips when seen, else from the shoulder span.
    if vis[NECK] and (vis[RHI] or vis[LHI]):
        hips = [j for j in (RHI, LHI) if vis[j]]
        hip_c = xy[hips].mean(0) if len(hips) == 2 else xy[hips[0]]
        axis = hip_c - xy[NECK]
        unit = float(np.hypot(*axis))
        if unit > 0.02 * H:  # a degenerate torso (hips on the neck) says nothing about lean
            a["lean"] = math.atan2(axis[0], axis[1])
    else:
        unit = 0.0
    min_unit = 0.08 * H  # below this the annotation is degenerate: fall back to a typical size
    span = float(np.hypot(*(xy[LSH] - xy[RSH]))) if vis[RSH] and vis[LSH] else 0.0
    if unit < min_unit and span > 0.02 * H:
        unit = span / (2 * b.shoulder * 0.9)
    if unit < min_unit:
        unit = H / 4.0
    if span > 0.02 * H:
        ratio = np.clip(span / (2 * b.shoulder * unit), 0.3, 1.0)
        yaw_mag = math.acos(float(ratio))
        sign = 1.0
        if vis[NOSE]:
            sign = 1.0 if xy[NOSE, 0] >= xy[NECK, 0] else -1.0
        elif vis[REA] != vis[LEA]:
            sign = 1.0 if vis[REA] else -1.0
        a["yaw"] = sign * yaw_mag
    if vis[NECK] and vis[NOSE]:
        v = xy[NOSE] - xy[NECK]
        # nose straight above the neck: 0; a head turned over the shoulder moves the nose
        # sideways without tilting, so keep the estimate in a plausible range
        a["tilt"] = float(np.clip(math.atan2(-v[0], -v[1]) - a["lean"], -0.35, 0.35))
    for bone, (j0, j1) in _BONES.items():
        if vis[j0] and vis[j1]:
            v = xy[j1] - xy[j0]
            a[bone] = math.atan2(v[0], v[1])
            full = getattr(b, {"upper": "upper_arm", "fore": "forearm"}.get(bone[2:], bone[2:])) * unit
            a["fs_" + bone] = float(np.clip(np.hypot(*v) / full, 0.4, 1.1))
        elif vis[j0] and bone.endswith(("fore", "shin")):
            pass  # keep the prior angle for a bone whose far end is unknown
    for key in list(a):
        if key[:2] in ("r_", "l_") or key in ("lean", "tilt"):
            a[key] = float(a[key] + rng.normal(0, jitter))
    neck = xy[NECK] if vis[NECK] else np.array([W / 2, 0.25 * H])
    g = rng.normal(0, 0.02, 3) * (jitter / 0.15)  # global scale/shift noise grows with the jitter
    unit *= 1 + g[0]
    neck = neck + g[1:] * np.array([W, H])
    return build(app, a, neck, unit, view)
