"""The pose library: named poses saved under ``paths.config_dir()``; apply one to
the current person as it is or mirrored (left/right swapped)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from posestudio import paths
from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.core.pose import Pose
from posestudio.core.project import pose_from_json, pose_to_json


def library_path():
    return paths.config_dir() / "pose_library.json"


def builtin_poses() -> dict[str, Pose]:
    """A few starting poses made from the default standing pose by turning limbs
    about their parents (so bone lengths are those of the default figure)."""
    import math

    from posestudio.core import skeleton
    from posestudio.core.pose import default_pose

    j = skeleton.JOINT_INDEX
    base = default_pose(400, 400)

    def turn(pose, *moves):
        for name, deg in moves:
            pose = pose.rotate_limb(j[name], math.radians(deg))
        return pose

    return {
        "Standing (A-pose)": base,
        "T-pose": turn(base, ("r_shoulder", 0), ("r_elbow", 61), ("l_elbow", -61)),
        "Arms raised": turn(base, ("r_elbow", 125), ("l_elbow", -125)),
        "Hands on hips": turn(base, ("r_elbow", 40), ("r_wrist", -95), ("l_elbow", -40), ("l_wrist", 95)),
        "Waving": turn(base, ("l_elbow", -130), ("l_wrist", -60)),
    }


class PoseLibrary:
    """name -> Pose, normalised to a unit box (so a pose fits any picture): stored
    as the pose relative to its bounding box centre, divided by its height."""

    def __init__(self):
        self.poses: dict[str, Pose] = {}
        self.load()

    def load(self) -> None:
        """The user's library; on first use it starts with a few built-in poses."""
        path = library_path()
        if not path.exists():
            self.poses = {k: self.normalise(v) for k, v in builtin_poses().items()}
            return
        try:
            data = json.loads(path.read_text())
            self.poses = {k: pose_from_json(v) for k, v in data.get("poses", {}).items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.poses = {}

    def save(self) -> None:
        data = {"version": 1, "poses": {k: pose_to_json(v) for k, v in self.poses.items()}}
        atomic_write_bytes(library_path(), json.dumps(data, indent=1).encode())

    @staticmethod
    def frame(pose: Pose) -> tuple[float, float, float]:
        """(anchor x, anchor y, scale) of a pose: the neck and the torso length
        (neck to mid-hip) when known, else the box centre and a third of its height.
        Raising the arms changes neither, so a library pose keeps the person's size."""
        neck, hips = 1, [h for h in (8, 11) if pose.visible[h]]
        if pose.visible[neck] and hips:
            mid = pose.xy[hips].mean(axis=0)
            torso = float(((pose.xy[neck] - mid) ** 2).sum() ** 0.5)
            if torso > 1e-6:
                return float(pose.xy[neck][0]), float(pose.xy[neck][1]), torso
        box = pose.bbox() or (0.0, 0.0, 1.0, 3.0)
        return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, max(box[3] - box[1], 1e-6) / 3

    @classmethod
    def normalise(cls, pose: Pose) -> Pose:
        x, y, s = cls.frame(pose)
        return pose.transformed([[1 / s, 0, -x / s], [0, 1 / s, -y / s]])

    @classmethod
    def fit(cls, unit: Pose, like: Pose, width: int, height: int) -> Pose:
        """Place a unit pose where ``like`` stands, at its size."""
        if like.bbox() is None:
            x, y, s = width / 2, 0.2 * height, 0.25 * height
        else:
            x, y, s = cls.frame(like)
        return unit.transformed([[s, 0, x], [0, s, y]])

    def add(self, name: str, pose: Pose) -> None:
        self.poses[name] = self.normalise(pose)
        self.save()

    def remove(self, name: str) -> None:
        self.poses.pop(name, None)
        self.save()


class PoseLibraryPanel(QWidget):
    """Emits ``apply(pose_unit, mirrored)``; the window turns it into an edit."""

    apply = Signal(object, bool)
    save_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.library = PoseLibrary()
        self.list = QListWidget()
        self.list.setToolTip("Saved poses (stored in your settings folder). Double-click to apply.")
        self.list.itemDoubleClicked.connect(lambda item: self._apply(False))
        save = QPushButton("Save current…")
        save.setToolTip("Save the current person's pose to the library")
        save.clicked.connect(self._ask_name)
        apply_b = QPushButton("Apply")
        apply_b.setToolTip("Apply the selected library pose to the current person")
        apply_b.clicked.connect(lambda: self._apply(False))
        mirror_b = QPushButton("Apply mirrored")
        mirror_b.setToolTip("Apply the selected pose mirrored (left and right swapped)")
        mirror_b.clicked.connect(lambda: self._apply(True))
        delete_b = QPushButton("Delete")
        delete_b.setToolTip("Remove the selected pose from the library")
        delete_b.clicked.connect(self._delete)
        row = QHBoxLayout()
        for b in (apply_b, mirror_b, delete_b):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        lay.addWidget(save)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for name in sorted(self.library.poses):
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save pose", "Name:")
        if ok and name.strip():
            self.save_requested.emit(name.strip())

    def _apply(self, mirrored: bool) -> None:
        name = self.selected_name()
        if name in self.library.poses:
            self.apply.emit(self.library.poses[name], mirrored)

    def _delete(self) -> None:
        name = self.selected_name()
        if name:
            self.library.remove(name)
            self.refresh()
