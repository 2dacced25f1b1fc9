"""The mannequin's part map: :class:`PartCanvas` rasterises polygons, capsules and ellipses
with sub-pixel precision into a map of part ids (each part with its parsing label and its
composition layer), and :class:`FigureDrawer` draws one figure's body, garments and hair into
it in depth order. ``mannequin.render`` composes the picture from that map."""

from __future__ import annotations

import math

import cv2
import numpy as np

from posestudio.training.synth.appearance import Appearance
from posestudio.training.synth.poses import (
    LAN,
    LEL,
    LHI,
    LKN,
    LSH,
    LWR,
    NECK,
    RAN,
    REL,
    RHI,
    RKN,
    RSH,
    RWR,
    Figure,
)  # fmt: skip

BACKGROUND, FACE, HAIR, UPPER, PANTS, SKIRT, L_ARM, R_ARM, L_LEG, R_LEG = range(10)
SKIN, HAIR_L, TOP, BOTTOM, SHOE = 1, 2, 3, 4, 5  # composition layers
SHIFT = 3
ONE = 1 << SHIFT



class PartCanvas:
    def __init__(self, height: int, width: int):
        self.parts = np.zeros((height, width), np.uint8)
        self.labels = [BACKGROUND]
        self.layers = [0]

    def part(self, label: int, layer: int) -> int:
        self.labels.append(label)
        self.layers.append(layer)
        return len(self.labels) - 1

    @staticmethod
    def _p(pt) -> tuple[int, int]:
        return int(pt[0] * ONE + 0.5), int(pt[1] * ONE + 0.5)

    def poly(self, pid: int, pts) -> None:
        arr = np.round(np.asarray(pts, np.float64) * ONE).astype(np.int32)
        cv2.fillPoly(self.parts, [arr], pid, cv2.LINE_8, SHIFT)

    def circle(self, pid: int, c, r: float) -> None:
        cv2.circle(self.parts, self._p(c), max(1, int(r * ONE + 0.5)), pid, -1, cv2.LINE_8, SHIFT)

    def ellipse(self, pid: int, c, axes, angle_deg: float, start: float = 0, end: float = 360) -> None:
        ax = (max(1, int(round(axes[0] * ONE))), max(1, int(round(axes[1] * ONE))))
        cv2.ellipse(self.parts, self._p(c), ax, angle_deg, start, end, pid, -1, cv2.LINE_8, SHIFT)

    def capsule(self, pid: int, a, b, wa: float, wb: float) -> None:
        """A limb segment from ``a`` (width ``wa``) to ``b`` (width ``wb``) with round ends."""
        ax, ay, bx, by = float(a[0]), float(a[1]), float(b[0]), float(b[1])
        dx, dy = bx - ax, by - ay
        n = math.hypot(dx, dy)
        nx, ny = (-dy / n, dx / n) if n > 1e-6 else (1.0, 0.0)
        ha, hb = wa * 0.5, wb * 0.5
        pts = np.array(
            [[ax + nx * ha, ay + ny * ha], [bx + nx * hb, by + ny * hb], [bx - nx * hb, by - ny * hb],
             [ax - nx * ha, ay - ny * ha]]
        )  # fmt: skip
        cv2.fillConvexPoly(self.parts, (pts * ONE + 0.5).astype(np.int32), pid, cv2.LINE_8, SHIFT)
        cv2.circle(self.parts, (int(ax * ONE + 0.5), int(ay * ONE + 0.5)), max(1, int(ha * ONE + 0.5)), pid, -1,
                   cv2.LINE_8, SHIFT)  # fmt: skip
        cv2.circle(self.parts, (int(bx * ONE + 0.5), int(by * ONE + 0.5)), max(1, int(hb * ONE + 0.5)), pid, -1,
                   cv2.LINE_8, SHIFT)  # fmt: skip


def lerp(a, b, t):
    return np.asarray(a) + (np.asarray(b) - np.asarray(a)) * t


class FigureDrawer:
    """Draws one figure of one appearance into a part map."""

    def __init__(self, app: Appearance, fig: Figure, cv: PartCanvas, sides: str):
        self.app, self.fig, self.cv = app, fig, cv
        self.b = app.body
        self.u = fig.unit
        self.xy = fig.front_xy()
        t = np.array([math.sin(fig.lean), math.cos(fig.lean)])
        self.t, self.p = t, np.array([t[1], -t[0]])
        # body widths shrink with the yaw but never below the body's depth (a profile is not flat)
        self.cy = max(math.cos(fig.yaw), 0.55)
        self.hip_c = (self.xy[RHI] + self.xy[LHI]) / 2
        # Geometry side 'r' is on screen left; its parsing label is the person's side.
        person_r = fig.view == "front" or sides == "screen"
        self.arm_label = {"r": R_ARM if person_r else L_ARM, "l": L_ARM if person_r else R_ARM}
        self.leg_label = {"r": R_LEG if person_r else L_LEG, "l": L_LEG if person_r else R_LEG}

    # -- limbs ------------------------------------------------------------------
    def arm_crosses_body(self, s: str) -> bool:
        """True when the wrist reaches into the inner half of the torso (arms folded, hand on
        the chest or the other side): the forearm then lies in front of the body."""
        wr = RWR if s == "r" else LWR
        side = -1.0 if s == "r" else 1.0  # geometry side r is on screen left
        off = float((self.xy[wr] - lerp(self.xy[NECK], self.hip_c, 0.5)) @ self.p) * side
        return off < 0.5 * self.b.shoulder * self.u

    def arm(self, s: str) -> None:
        b, u, cv, xy = self.b, self.u, self.cv, self.xy
        sh, el, wr = (RSH, REL, RWR) if s == "r" else (LSH, LEL, LWR)
        lab = self.arm_label[s]
        pid = cv.part(lab, SKIN)
        # start a little down the arm so the deltoid's round end does not poke above the shoulder line
        cv.capsule(pid, lerp(xy[sh], xy[el], 0.1), xy[el], b.arm_w * u, b.forearm_w * 1.1 * u)
        cv.capsule(pid, xy[el], xy[wr], b.forearm_w * 1.05 * u, b.forearm_w * 0.8 * u)
        fore = xy[wr] - xy[el]
        n = max(np.hypot(*fore), 1e-6)
        cv.circle(pid, xy[wr] + fore / n * 0.07 * u, 0.075 * u)
        if self.app.sleeves == "none":
            return
        sid = cv.part(UPPER, TOP)
        if self.app.sleeves == "short":
            end = lerp(xy[sh], xy[el], self.app.sleeve_len)
            cv.capsule(sid, xy[sh], end, b.arm_w * 1.25 * u, b.arm_w * 1.15 * u)
        else:
            cv.capsule(sid, xy[sh], xy[el], b.arm_w * 1.2 * u, b.forearm_w * 1.3 * u)
            cv.capsule(sid, xy[el], xy[wr], b.forearm_w * 1.3 * u, b.forearm_w * 1.1 * u)

    def leg(self, s: str) -> None:
        app, b, u, cv, xy = self.app, self.b, self.u, self.cv, self.xy
        hi, kn, an = (RHI, RKN, RAN) if s == "r" else (LHI, LKN, LAN)
        lab = self.leg_label[s]
        pid = cv.part(lab, SKIN)
        cv.capsule(pid, xy[hi], xy[kn], b.thigh_w * u, b.shin_w * 1.1 * u)
        cv.capsule(pid, xy[kn], xy[an], b.shin_w * 1.05 * u, b.shin_w * 0.65 * u)
        shin = xy[an] - xy[kn]
        n = max(np.hypot(*shin), 1e-6)
        shoe = cv.part(lab, SHOE)
        ang = math.degrees(math.atan2(shin[1], shin[0]))
        cv.ellipse(shoe, xy[an] + shin / n * 0.05 * u, (0.11 * u, 0.075 * u), ang, 0, 360)
        if app.bottom_kind == "skirt":
            return
        bid = cv.part(PANTS, BOTTOM)
        if app.bottom_kind == "shorts":
            end = lerp(xy[hi], xy[kn], app.bottom_len)
            cv.capsule(bid, xy[hi], end, b.thigh_w * 1.15 * u, b.thigh_w * 1.05 * u)
        else:
            cv.capsule(bid, xy[hi], xy[kn], b.thigh_w * 1.12 * u, b.shin_w * 1.25 * u)
            cv.capsule(bid, xy[kn], lerp(xy[kn], xy[an], 0.92), b.shin_w * 1.25 * u, b.shin_w * 1.05 * u)

    # -- torso ----------------------------------------------------------------------
    def _waist(self, f: float):
        b, u, p, cy = self.b, self.u, self.p, self.cy
        c = lerp(self.xy[NECK], self.hip_c, f)
        hw = (b.shoulder * b.waist * (1 - (f - 0.6)) + (f - 0.6) * (b.hip + b.thigh_w / 2)) * cy * u
        hw = max(hw, (b.hip + b.thigh_w / 2) * cy * u * 0.92) if f > 0.85 else hw
        return c - p * hw, c + p * hw

    def shoulders(self):
        """Outer shoulder points of the torso: the shoulder joints, pushed out to the body's
        minimum width when a turned figure brings the joints together."""
        xy, p, t, neck = self.xy, self.p, self.t, self.xy[NECK]
        wmin = self.b.shoulder * 0.55 * self.u
        r, l = xy[RSH] - neck, xy[LSH] - neck
        sr = neck + t * float(r @ t) - p * max(-float(r @ p), wmin)
        sl = neck + t * float(l @ t) + p * max(float(l @ p), wmin)
        return sr, sl

    def top(self) -> None:
        u, p, t, cy, xy = self.u, self.p, self.t, self.cy, self.xy
        pid = self.cv.part(UPPER, TOP)
        out = 0.07 * u * cy
        neck_w = 0.13 * u * cy
        wr6, wl6 = self._waist(0.62)
        hr, hl = self._waist(self.app.top_len)
        sr, sl = self.shoulders()
        self.cv.poly(pid, [
            sr - t * 0.05 * u, xy[NECK] - p * neck_w - t * 0.03 * u, xy[NECK] + t * 0.06 * u,
            xy[NECK] + p * neck_w - t * 0.03 * u, sl - t * 0.05 * u, sl + p * out + t * 0.04 * u,
            sl + p * out * 0.2 + t * 0.3 * u, wl6, hl, hr, wr6,
            sr - p * out * 0.2 + t * 0.3 * u, sr - p * out + t * 0.04 * u,
        ])  # fmt: skip
        if self.app.sleeves != "none":  # round shoulders under the sleeve caps
            for sh, sg in ((sr, -1), (sl, 1)):
                self.cv.circle(pid, sh + t * 0.06 * u + p * sg * 0.01 * u, self.b.arm_w * 0.62 * u)

    def bottom(self) -> None:
        app, b, u, p, t, cy, xy = self.app, self.b, self.u, self.p, self.t, self.cy, self.xy
        wr, wl = self._waist(0.86)
        if app.bottom_kind == "skirt":
            pid = self.cv.part(SKIRT, BOTTOM)
            length = app.bottom_len * (b.thigh + b.shin) * u
            hem_c = self.hip_c + t * length
            spread = max(abs(float(np.dot(xy[k] - self.hip_c, p))) for k in (RKN, LKN, RAN, LAN)) * min(
                1.0, app.bottom_len * 1.3
            )
            hw = max((b.hip + b.thigh_w / 2) * cy * u * (1 + app.skirt_flare * 2 * app.bottom_len),
                     spread + b.thigh_w * 0.6 * u)  # fmt: skip
            self.cv.poly(pid, [wr, wl, hem_c + p * hw, hem_c + t * 0.04 * u, hem_c - p * hw])
            return
        pid = self.cv.part(PANTS, BOTTOM)
        hr = xy[RHI] - p * b.thigh_w * 0.56 * u
        hl = xy[LHI] + p * b.thigh_w * 0.56 * u
        self.cv.poly(pid, [wr, wl, hl, hl + t * 0.12 * u, self.hip_c + t * 0.16 * u, hr + t * 0.12 * u, hr])

    # -- head ---------------------------------------------------------------------------
    def head_frame(self):
        fig = self.fig
        down = np.array([math.sin(fig.head_angle), math.cos(fig.head_angle)])
        return fig.head_center, down, np.array([down[1], -down[0]]), -math.degrees(fig.head_angle)

    def neck_and_face(self) -> int:
        b, u = self.b, self.u
        hc, down, ph, ang = self.head_frame()
        rx, ry = b.head_rx * u, b.head_ry * u
        nid = self.cv.part(FACE, SKIN)
        self.cv.capsule(nid, self.xy[NECK] + self.t * 0.02 * u, hc + down * 0.3 * ry, 0.2 * u * max(self.cy, 0.7),
                        0.2 * u * max(self.cy, 0.7))  # fmt: skip
        if self.fig.view == "back":
            hid = self.cv.part(HAIR, HAIR_L)
            self.cv.ellipse(hid, hc, (rx * 1.05, ry * 1.02), ang)
            return hid
        fid = self.cv.part(FACE, SKIN)
        self.cv.ellipse(fid, hc, (rx, ry), ang)
        return fid

    def hair_back(self) -> None:
        style = self.app.hair_style
        if style in ("buzz", "short"):
            return
        b, u = self.b, self.u
        hc, down, ph, ang = self.head_frame()
        rx, ry = b.head_rx * u, b.head_ry * u
        pid = self.cv.part(HAIR, HAIR_L)
        sy = math.sin(self.fig.yaw)
        if style == "bob":
            self.cv.ellipse(pid, hc + down * 0.2 * ry - ph * sy * 0.2 * rx, (rx * 1.3, ry * 1.12), ang)
        elif style == "long":
            self.cv.ellipse(pid, hc - ph * sy * 0.2 * rx, (rx * 1.25, ry * 1.1), ang)
            top = hc + down * 0.2 * ry
            t, p = self.t, self.p  # long hair hangs along the body, not along a tilted head
            bot = top + t * (0.8 * ry + 0.65 * u)
            self.cv.poly(
                pid, [top - ph * rx * 1.2, top + ph * rx * 1.2, bot + p * rx * 1.1, bot - p * rx * 1.1]
            )
            self.cv.ellipse(pid, bot, (rx * 1.1, rx * 0.45), -math.degrees(self.fig.lean))  # rounded ends
        elif style == "ponytail":
            side = -1.0 if sy >= 0 else 1.0
            if self.fig.view == "back":  # seen from behind: the tail hangs down the middle
                c = hc + down * 0.35 * ry + self.t * 0.85 * ry + ph * sy * 0.3 * rx
                self.cv.ellipse(pid, c, (rx * 0.38, ry * 1.0), -math.degrees(self.fig.lean))
            elif abs(sy) < 0.3:
                c = hc - down * 1.0 * ry
                self.cv.ellipse(pid, c, (rx * 0.35, ry * 0.35), ang)
            else:
                c = hc + ph * side * 1.0 * rx + down * 0.55 * ry
                self.cv.ellipse(pid, c, (rx * 0.35, ry * 1.0), ang + side * 15)
        elif style == "bun":
            self.cv.circle(pid, hc - down * 1.02 * ry, 0.45 * rx)

    def hair_front(self) -> None:
        b, u = self.b, self.u
        hc, down, ph, ang = self.head_frame()
        rx, ry = b.head_rx * u, b.head_ry * u
        sy = math.sin(self.fig.yaw)
        pid = self.cv.part(HAIR, HAIR_L)
        lift = 0.3 if self.app.hair_style != "buzz" else 0.38
        axes = (rx * 1.02, ry * 0.75) if self.app.hair_style == "buzz" else (rx * 1.1, ry * 0.92)
        c = hc - down * lift * ry - ph * sy * 0.25 * rx
        self.cv.ellipse(pid, c, axes, ang, 180, 360)
        if self.app.hair_style in ("short", "bob", "long") and abs(sy) > 0.3:
            side = -1.0 if sy > 0 else 1.0  # hair covers the side of the head away from the nose
            self.cv.ellipse(pid, hc + ph * side * 0.55 * rx - down * 0.05 * ry, (rx * 0.5, ry * 0.75), ang)
        if self.app.hair_style == "long" and self.fig.view == "front" and abs(sy) < 0.5:
            for s in (-1, 1):  # strands falling in front of the shoulders
                top = hc + ph * s * 0.95 * rx - down * 0.1 * ry
                self.cv.capsule(pid, top, top + down * (ry + 0.45 * u) + ph * s * 0.12 * u, 0.14 * u, 0.1 * u)
