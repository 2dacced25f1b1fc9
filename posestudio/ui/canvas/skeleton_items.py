"""Graphics items for one pose layer: a joint dot per joint, a line per limb.

Joints ignore the view's transform and bones use cosmetic pens, so both keep
their screen size at any zoom; a joint outside the image is an ordinary item
and stays visible and selectable. A hidden (missing) joint is drawn as a grey
hollow ring so it can be selected and restored, and its limbs are not drawn.
Scene coordinates: pixel (x, y) of the image has its centre at (x + 0.5, y + 0.5).
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem, QStyle

from posestudio.core import skeleton
from posestudio.core.layers import PoseLayer
from posestudio.ui.canvas.extras_items import ExtrasItem

JOINT_RADIUS = 5.0  # screen pixels
BONE_WIDTH = 4.0  # screen pixels
OFFSET = 0.5  # pixel centre


def to_scene(x: float, y: float) -> QPointF:
    return QPointF(x + OFFSET, y + OFFSET)


def from_scene(p: QPointF) -> tuple[float, float]:
    return p.x() - OFFSET, p.y() - OFFSET


class JointItem(QGraphicsEllipseItem):
    """One joint of one person. ``layer_id``, ``person``, ``joint`` identify it."""

    def __init__(self, layer_id: str, person: int, joint: int, parent: QGraphicsItem):
        r = JOINT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, parent)
        self.layer_id, self.person, self.joint = layer_id, person, joint
        self.hidden_joint = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(2)
        self.setAcceptHoverEvents(True)
        self.setToolTip(skeleton.JOINTS[joint].replace("_", " "))
        self._style()

    def _style(self) -> None:
        selected = self.isSelected()
        self._styled_selected = selected
        if self.hidden_joint:
            self.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            pen = QPen(QColor(255, 255, 0) if selected else QColor(160, 160, 160, 200), 1.5, Qt.PenStyle.DashLine)
        else:
            self.setBrush(QColor(*skeleton.COLORS[self.joint]))
            pen = QPen(QColor(255, 255, 0) if selected else QColor(255, 255, 255), 2.5 if selected else 1.2)
        pen.setCosmetic(True)
        self.setPen(pen)

    def set_hidden_joint(self, hidden: bool) -> None:
        if hidden != self.hidden_joint:
            self.hidden_joint = hidden
            self._style()
            self.setToolTip(skeleton.JOINTS[self.joint].replace("_", " ") + (" (hidden)" if hidden else ""))

    def hoverEnterEvent(self, event) -> None:
        self.setScale(1.5)  # show what a click would grab
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.setScale(1.0)
        super().hoverLeaveEvent(event)

    def paint(self, painter, option, widget=None) -> None:
        # restyle on selection here, not in itemChange: PySide6's itemChange
        # override leaks a reference to None per call and crashes after many edits
        if self._styled_selected != self.isSelected():
            self._style()
        option.state &= ~QStyle.StateFlag.State_Selected  # no dashed Qt selection box
        super().paint(painter, option, widget)

    def shape(self) -> QPainterPath:
        # a little larger than drawn: easier to grab
        path = QPainterPath()
        r = JOINT_RADIUS + 3
        path.addEllipse(QRectF(-r, -r, 2 * r, 2 * r))
        return path


class BoneItem(QGraphicsLineItem):
    """The limb from ``parent_joint`` to ``child``; dragging it rotates the child's chain."""

    def __init__(self, layer_id: str, person: int, limb: int, parent: QGraphicsItem):
        super().__init__(parent)
        a, b = skeleton.LIMBS[limb]
        # the end nearer the root is the pivot
        if skeleton.PARENT[a] == b or (skeleton.PARENT[b] != a and b == 1):
            a, b = b, a
        self.layer_id, self.person, self.parent_joint, self.child = layer_id, person, a, b
        color = QColor(*skeleton.COLORS[limb])
        color.setAlpha(200)
        pen = QPen(color, BONE_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setZValue(1)
        self.setToolTip(f"{skeleton.JOINTS[a]} → {skeleton.JOINTS[b]}: drag to rotate".replace("_", " "))

    def _view_scale(self) -> float:
        scene = self.scene()
        if scene is not None and scene.views():
            return max(1e-6, scene.views()[0].transform().m11())
        return 1.0

    def shape(self) -> QPainterPath:
        # the default shape of a cosmetic line is one scene unit wide: widen it to
        # about 8 screen pixels; cached per (line, zoom) since Qt asks often
        line, scale = self.line(), self._view_scale()
        key = (line.x1(), line.y1(), line.x2(), line.y2(), scale)
        if getattr(self, "_shape_key", None) != key:
            path = QPainterPath()
            path.moveTo(line.p1())
            path.lineTo(line.p2())
            stroker = QPainterPathStroker()
            stroker.setWidth(8.0 / scale)
            self._shape_key, self._shape = key, stroker.createStroke(path)
        return self._shape

    def boundingRect(self) -> QRectF:
        pad = 6.0 / self._view_scale()
        return QRectF(self.line().p1(), self.line().p2()).normalized().adjusted(-pad, -pad, pad, pad)


class SkeletonItem(QGraphicsItem):
    """All people of one pose layer. Rebuilt when the number of people changes;
    otherwise only the joints named by a data event move."""

    def __init__(self, layer: PoseLayer):
        super().__init__()
        self.layer = layer
        self.joints: list[list[JointItem]] = []
        self.bones: list[list[BoneItem]] = []
        self.extras: list[list[ExtrasItem]] = []  # right hand, left hand, face per person
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.rebuild()

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(self, painter, option, widget=None) -> None:
        pass

    def rebuild(self) -> None:
        for items in self.joints + self.bones + self.extras:
            for it in items:
                it.setParentItem(None)
                if it.scene() is not None:
                    it.scene().removeItem(it)
        self.joints, self.bones, self.extras = [], [], []
        for person in range(len(self.layer.poses)):
            self.joints.append([JointItem(self.layer.id, person, j, self) for j in range(skeleton.NUM_JOINTS)])
            self.bones.append([BoneItem(self.layer.id, person, k, self) for k in range(len(skeleton.LIMBS))])
            self.extras.append([ExtrasItem(self.layer, person, part, self) for part in range(3)])
        self.refresh()

    def refresh(self, person: int | None = None, joints=None) -> None:
        """Move items to the layer's poses (only ``joints`` of ``person`` when given)."""
        if len(self.joints) != len(self.layer.poses):
            self.rebuild()
            return
        people = range(len(self.layer.poses)) if person is None else [person]
        for p in people:
            pose = self.layer.poses[p]
            for item in self.extras[p]:
                item.changed()
            todo = range(skeleton.NUM_JOINTS) if joints is None else joints
            for j in todo:
                item = self.joints[p][j]
                item.setPos(to_scene(*pose.xy[j]))
                item.set_hidden_joint(not pose.visible[j])
                # a missing joint that was never placed (0, 0 from a file) is not drawn at the corner;
                # Restore puts it beside its parent
                item.setVisible(bool(pose.visible[j] or pose.xy[j].any()))
            for k, (a, b) in enumerate(skeleton.LIMBS):
                if joints is not None and a not in joints and b not in joints:
                    continue
                bone = self.bones[p][k]
                bone.prepareGeometryChange()
                bone.setLine(QLineF(to_scene(*pose.xy[bone.parent_joint]), to_scene(*pose.xy[bone.child])))
                bone.setVisible(bool(pose.visible[a] and pose.visible[b]))

    def joint_items(self):
        for items in self.joints:
            yield from items


class PivotItem(QGraphicsItem):
    """The centre that Ctrl+drag rotates and Alt+drag scales the selection about."""

    SIZE = 7.0

    def __init__(self):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(10_000)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip("Pivot of the selection: Ctrl+drag rotates about it, Alt+drag scales")

    def boundingRect(self) -> QRectF:
        s = self.SIZE + 2
        return QRectF(-s, -s, 2 * s, 2 * s)

    def paint(self, painter, option, widget=None) -> None:
        s = self.SIZE
        for color, width in ((QColor(0, 0, 0, 180), 3.0), (QColor(255, 255, 0), 1.2)):
            pen = QPen(color, width)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(QLineF(-s, 0, s, 0))
            painter.drawLine(QLineF(0, -s, 0, s))
            painter.drawEllipse(QRectF(-s / 2, -s / 2, s, s))
