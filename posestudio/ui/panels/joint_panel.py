"""Numeric position and visibility of the selected joint."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

from posestudio.core import skeleton
from posestudio.core.edits import MoveJoints, SetVisibility


class JointPanel(QWidget):
    """Shows the first selected joint; editing x / y / visible pushes one edit.
    ``select_joint(person, joint)`` asks the window to select a joint by name
    (useful for joints that are hidden or far outside the image)."""

    select_joint = Signal(int, int)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.person = QSpinBox()
        self.person.setToolTip("Which person of the pose layer")
        self.joint = QComboBox()
        self.joint.addItems([n.replace("_", " ") for n in skeleton.JOINTS])
        self.joint.setToolTip("Select a joint by name")
        self.x = QDoubleSpinBox()
        self.y = QDoubleSpinBox()
        for sb, axis in ((self.x, "x"), (self.y, "y")):
            sb.setRange(-100000, 100000)
            sb.setDecimals(1)
            sb.setKeyboardTracking(False)
            sb.setToolTip(f"{axis} of the joint in image pixels ({'right' if axis == 'x' else 'down'} is positive)")
        self.visible = QCheckBox("Visible")
        self.visible.setToolTip("Hide a joint the picture does not show: its limbs are dropped everywhere "
                                "(canvas, saved projects, exports); restoring keeps its position (H)")
        self.info = QLabel("")
        form = QFormLayout(self)
        form.addRow("Person", self.person)
        form.addRow("Joint", self.joint)
        form.addRow("x", self.x)
        form.addRow("y", self.y)
        form.addRow("", self.visible)
        form.addRow(self.info)
        self._updating = False
        self.x.valueChanged.connect(self._xy_edited)
        self.y.valueChanged.connect(self._xy_edited)
        self.visible.toggled.connect(self._visible_edited)
        self.joint.activated.connect(lambda j: self.select_joint.emit(self.person.value(), j))
        self.person.valueChanged.connect(self._person_changed)
        self.current = (0, 0)

    def show_joint(self, person: int, joint: int) -> None:
        layer = self.session.pose_layer()
        if layer is None or not layer.poses:
            self.setEnabled(False)
            return
        self.setEnabled(True)
        person = min(person, len(layer.poses) - 1)
        self.current = (person, joint)
        pose = layer.poses[person]
        self._updating = True
        self.person.setRange(0, len(layer.poses) - 1)
        self.person.setValue(person)
        self.joint.setCurrentIndex(joint)
        self.x.setValue(float(pose.xy[joint][0]))
        self.y.setValue(float(pose.xy[joint][1]))
        self.visible.setChecked(bool(pose.visible[joint]))
        w, h = self.session.doc.size
        outside = not (0 <= pose.xy[joint][0] < w and 0 <= pose.xy[joint][1] < h)
        self.info.setText("outside the image" if outside else "")
        self._updating = False

    def _person_changed(self, person: int) -> None:
        if not self._updating:
            self.select_joint.emit(person, self.joint.currentIndex())

    def refresh(self) -> None:
        self.show_joint(*self.current)

    def _xy_edited(self) -> None:
        if self._updating:
            return
        layer = self.session.pose_layer()
        person, joint = self.current
        old = layer.poses[person].xy[joint].copy()
        new = [self.x.value(), self.y.value()]
        if abs(old[0] - new[0]) < 1e-6 and abs(old[1] - new[1]) < 1e-6:
            return
        self.session.push(MoveJoints(layer.id, person, [joint], [old], [new],
                                     text=f"Set {skeleton.JOINTS[joint].replace('_', ' ')} position"))

    def _visible_edited(self, on: bool) -> None:
        if self._updating:
            return
        layer = self.session.pose_layer()
        person, joint = self.current
        self.session.push(SetVisibility(layer.id, person, [joint], on))
