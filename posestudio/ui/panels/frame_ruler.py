"""The timeline's frame ruler: keyframe marks coloured by the interpolation of the segment they
start, hollow marks for unkeyed edits, the playhead; click or drag to scrub, drag a mark to
move that keyframe."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

PREV_TINT, NEXT_TINT = QColor(230, 70, 70), QColor(60, 200, 90)
MODE_COLOURS = {"bones": QColor(90, 140, 220), "linear": QColor(150, 150, 160), "hold": QColor(200, 120, 60),
                "ease": QColor(120, 190, 120)}
UNKEYED = QColor(255, 150, 40)


class FrameRuler(QWidget):
    """Frames ``0..length`` left to right; keyframes are diamonds. ``scrubbed(frame)``
    while clicking/dragging empty ruler; ``key_moved(src, dst)`` on release of a dragged mark."""

    scrubbed = Signal(int)
    key_moved = Signal(int, int)

    def __init__(self):
        super().__init__()
        self.length = 48
        self.current = 0
        self.keys: list[int] = []
        self.unkeyed: list[int] = []  # frames with pose edits not keyed yet
        self.modes: dict[int, str] = {}  # segment start key -> interpolation mode
        self._dragging: int | None = None
        self._drag_to: int | None = None
        self.setMinimumHeight(56)
        self.setMouseTracking(False)
        self.setToolTip("Click or drag to scrub; drag a keyframe mark to move it")

    def frame_at(self, x: float) -> int:
        w = max(1, self.width() - 16)
        return int(round(min(max((x - 8) / w, 0.0), 1.0) * self.length))

    def x_of(self, frame: int) -> float:
        return 8 + (self.width() - 16) * frame / max(1, self.length)

    def paintEvent(self, _ev) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(40, 40, 44))
        h = self.height()
        step = max(1, self.length // 48)
        for f in range(0, self.length + 1, step):
            x = self.x_of(f)
            big = f % (step * 6) == 0
            p.setPen(QPen(QColor(150, 150, 150) if big else QColor(90, 90, 90), 1))
            p.drawLine(QPointF(x, h - (14 if big else 7)), QPointF(x, h))
            if big:
                p.drawText(QRectF(x - 20, h - 30, 40, 14), Qt.AlignmentFlag.AlignCenter, str(f))
        # each segment as a band in its interpolation's colour, named where it fits
        for a, b in zip(self.keys, self.keys[1:], strict=False):
            mode = self.modes.get(a, "bones")
            xa, xb = self.x_of(a), self.x_of(b)
            band = QRectF(xa, 7, xb - xa, 6)
            p.fillRect(band, MODE_COLOURS.get(mode, QColor(120, 120, 120)))
            if xb - xa > 50:  # below the marks, above the frame numbers
                p.setPen(QPen(QColor(200, 200, 200), 1))
                p.drawText(QRectF(xa, 15, xb - xa, 12), Qt.AlignmentFlag.AlignCenter, mode)
        for k in self.keys:
            x = self.x_of(self._drag_to if k == self._dragging and self._drag_to is not None else k)
            p.setPen(QPen(QColor(20, 20, 20), 1))
            p.setBrush(QColor(250, 200, 60))
            p.drawPolygon(QPolygonF([QPointF(x, 4), QPointF(x + 6, 10), QPointF(x, 16), QPointF(x - 6, 10)]))
        for k in self.unkeyed:  # hollow orange: work kept for this frame, not a keyframe yet
            x = self.x_of(k)
            p.setPen(QPen(UNKEYED, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPolygon(QPolygonF([QPointF(x, 4), QPointF(x + 6, 10), QPointF(x, 16), QPointF(x - 6, 10)]))
        x = self.x_of(self.current)
        p.setPen(QPen(QColor(80, 160, 255), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, h))
        p.end()

    def _key_near(self, x: float) -> int | None:
        near = [k for k in self.keys if abs(self.x_of(k) - x) <= 7]
        return min(near, key=lambda k: abs(self.x_of(k) - x)) if near else None

    def mousePressEvent(self, ev) -> None:  # noqa: N802
        x = ev.position().x()
        key = self._key_near(x) if ev.position().y() <= 20 else None
        if key is not None:
            self._dragging, self._drag_to = key, key
        else:
            self.scrubbed.emit(self.frame_at(x))

    def mouseMoveEvent(self, ev) -> None:  # noqa: N802
        if self._dragging is not None:
            self._drag_to = self.frame_at(ev.position().x())
            self.update()
        else:
            self.scrubbed.emit(self.frame_at(ev.position().x()))

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
        if self._dragging is not None:
            src, dst = self._dragging, self.frame_at(ev.position().x())
            self._dragging = self._drag_to = None
            if dst != src:
                self.key_moved.emit(src, dst)
            else:
                self.scrubbed.emit(src)
            self.update()
