"""Hand and face points on the canvas: one item per hand and per face of a person.

They are drawn (hand bones in the openpose_full colours, blue hand points, white face
points) once the hand or face is big enough on screen to tell its points apart, or while
its wrist (a hand) or nose, eyes or ears (the face) are selected; then each point is a
handle the view lets the artist drag. Posing the body carries them (core.wholebody)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from posestudio.core import wholebody
from posestudio.core.formats.skeleton_image import hand_bone_colors
from posestudio.core.layers import PoseLayer

SHOW_EXTENT = 60.0  # screen pixels a hand or face must span before its points are drawn
POINT_RADIUS = 2.5  # screen pixels
GRAB_RADIUS = 6.0  # screen pixels
FACE = 2  # part index of the face (0, 1: right, left hand)
TRIGGERS = {0: {4}, 1: {7}, FACE: {0, 14, 15, 16, 17}}  # joints whose selection shows the part
_BONE_COLORS = [QColor(*c) for c in hand_bone_colors()]


class ExtrasItem(QGraphicsItem):
    """The right hand (``part`` 0), left hand (1) or face (2) of one person of a pose layer."""

    def __init__(self, layer: PoseLayer, person: int, part: int, parent: QGraphicsItem):
        super().__init__(parent)
        self.layer, self.person, self.part = layer, person, part
        self.forced = False  # shown whatever the zoom (its joint is selected)
        self.setZValue(1.5)  # above bones, under joints: a wrist joint still wins the click
        self.setToolTip(("right hand", "left hand", "face")[part] + ": drag a point to move it")

    def points(self) -> np.ndarray | None:
        """(K, 3) x, y, confidence, or None."""
        if self.person >= len(self.layer.poses):
            return None
        pose = self.layer.poses[self.person]
        arr = pose.face if self.part == FACE else (None if pose.hands is None else pose.hands[self.part])
        if arr is None or not (arr[:, 2] > 0).any():
            return None
        return arr

    def _view_scale(self) -> float:
        scene = self.scene()
        if scene is not None and scene.views():
            return max(1e-6, scene.views()[0].transform().m11())
        return 1.0

    def shown(self, scale: float | None = None) -> bool:
        pts = self.points()
        if pts is None:
            return False
        if self.forced:
            return True
        vis = pts[pts[:, 2] > 0, :2]
        return float(np.ptp(vis, axis=0).max()) * (scale or self._view_scale()) >= SHOW_EXTENT

    def set_forced(self, on: bool) -> None:
        if on != self.forced:
            self.forced = on
            self.changed()

    def changed(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        pts = self.points()
        if pts is None:
            return QRectF()
        vis = pts[pts[:, 2] > 0, :2] + 0.5
        pad = (GRAB_RADIUS + 2) / self._view_scale()
        (x0, y0), (x1, y1) = vis.min(0), vis.max(0)
        return QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        if not self.shown():
            return path  # clicks fall through to the joints, bones and picture
        r = GRAB_RADIUS / self._view_scale()
        pts = self.points()
        for x, y in pts[pts[:, 2] > 0, :2] + 0.5:
            path.addEllipse(QPointF(x, y), r, r)
        return path

    def nearest(self, scene_pos: QPointF) -> int | None:
        """Index of the shown point under ``scene_pos`` (within the grab radius), or None."""
        pts = self.points()
        if pts is None or not self.shown():
            return None
        d = np.hypot(pts[:, 0] + 0.5 - scene_pos.x(), pts[:, 1] + 0.5 - scene_pos.y())
        d[pts[:, 2] <= 0] = np.inf
        k = int(np.argmin(d))
        return k if d[k] <= GRAB_RADIUS / self._view_scale() else None

    def paint(self, painter, option, widget=None) -> None:
        scale = max(1e-6, painter.worldTransform().m11())
        if not self.shown(scale):
            return
        pts = self.points()
        xy, ok = pts[:, :2] + 0.5, pts[:, 2] > 0
        if self.part != FACE:
            for k, (a, b) in enumerate(wholebody.HAND_BONES):
                if ok[a] and ok[b]:
                    pen = QPen(_BONE_COLORS[k], 1.5)
                    pen.setCosmetic(True)
                    painter.setPen(pen)
                    painter.drawLine(QPointF(*xy[a]), QPointF(*xy[b]))
        outline = QPen(QColor(0, 0, 0, 160), 1.0)
        outline.setCosmetic(True)
        painter.setPen(outline)
        painter.setBrush(QBrush(QColor(255, 255, 255) if self.part == FACE else QColor(40, 90, 255)))
        r = POINT_RADIUS / scale
        for x, y in xy[ok]:
            painter.drawEllipse(QPointF(x, y), r, r)
        painter.setBrush(Qt.BrushStyle.NoBrush)
