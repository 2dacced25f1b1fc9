"""Attribute editing, SCM-Net's swap (docs/ARCHS_PARSING.md): choose a region
(upper clothes, pants, hair …) and a reference person; task ``attribute``
replaces that region's style code with the reference's (the per-region style
codes of SCM-Net's encoder) and renders the person in the target pose. The
result goes into the "Attribute result" layer."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from posestudio.core import labels
from posestudio.ui.editing.jobs import put_full_size_result, read_reference, source_inputs

RESULT_NAME = "Attribute result"


class AttributePanel(QWidget):
    def __init__(self, window, jobs):
        super().__init__()
        self.window, self.jobs = window, jobs
        self.reference_image: np.ndarray | None = None
        self.reference_parsing: np.ndarray | None = None
        self.reference_pose = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.region = QComboBox()
        self.region.setToolTip("The region whose look comes from the reference person")
        form.addRow("Region", self.region)
        self.model = QComboBox()
        self.model.addItems(["auto", "puppet"])
        form.addRow("Model", self.model)
        lay.addLayout(form)
        self.reference_button = QPushButton("Reference person…")
        self.reference_button.clicked.connect(self.choose_reference)
        lay.addWidget(self.reference_button)
        self.reference_label = QLabel("No reference person")
        self.reference_label.setWordWrap(True)
        lay.addWidget(self.reference_label)
        self.transfer_button = QPushButton("Transfer attribute")
        self.transfer_button.clicked.connect(self.transfer)
        lay.addWidget(self.transfer_button)
        self.message = QLabel("")  # why a transfer cannot be done, in the panel itself
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c0392b")
        lay.addWidget(self.message)
        lay.addStretch(1)
        self.refresh()

    def parsing_layer(self):
        return next(iter(self.window.session.doc.layers.of_kind("parsing")), None)

    def refresh(self) -> None:
        layer = self.parsing_layer()
        ls = labels.get(getattr(layer, "label_set", "spt10"))
        keep = self.region.currentText()
        self.region.clear()
        self.region.addItems(list(ls.names[1:]))
        i = self.region.findText(keep or "upper clothes")
        self.region.setCurrentIndex(max(i, 0))

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference person", "", "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.load_reference(path)

    def load_reference(self, image_path, parsing_path=None, pose_path=None) -> bool:
        """The reference picture, its parsing and its pose (``pose_path``, else
        ``<name>.json`` beside the picture, else the picture's row of a
        ``keypoints.csv`` / ``annotations.csv`` beside it)."""
        from posestudio.errors import InputError

        layer = self.parsing_layer()
        try:
            self.reference_image, self.reference_parsing, text = read_reference(
                image_path, parsing_path, getattr(layer, "label_set", "spt10"))
            self.reference_pose = reference_pose(image_path, pose_path)
        except InputError as exc:
            self.window.show_error(str(exc))
            return False
        self.reference_label.setText(text)
        return True

    def transfer(self):
        from posestudio.engine import Request

        layer = self.parsing_layer()
        if layer is None:
            self.window.show_error("attribute editing needs the picture's parsing map: import one first")
            return None
        if self.reference_image is None:
            self.window.show_error("choose a reference person first")
            return None
        try:
            inputs = source_inputs(self.window.session.doc)
        except ValueError as exc:
            self.window.show_error(f"cannot transfer: {exc}")
            return None
        req = Request(task="attribute", model=self.model.currentText(), **inputs,
                      source_parsing=layer.data.astype(np.int64), label_set=layer.label_set,
                      reference_image=self.reference_image, reference_parsing=self.reference_parsing,
                      region=self.region.currentText(), reference_pose=self.reference_pose)
        return self.jobs.submit(req, "Attribute", self._done, on_error=self.message.setText)

    def _done(self, res) -> None:
        self.message.setText("")
        put_full_size_result(self.window, RESULT_NAME, res)


def reference_pose(image_path, pose_path=None):
    """The reference person's pose (see ``AttributePanel.load_reference``); InputError when none is found."""
    from pathlib import Path

    from posestudio.core.formats import read_poses
    from posestudio.errors import InputError

    image_path = Path(image_path)
    if pose_path is not None:
        candidates = [(Path(pose_path), None)]
    else:
        candidates = [(image_path.with_suffix(".json"), None)] + [
            (image_path.with_name(n), image_path.name) for n in ("keypoints.csv", "annotations.csv")]
    for path, name in candidates:
        if path.is_file():
            try:
                people = read_poses(path, name=name).people
            except InputError:
                continue
            if people:
                return people[0]
    raise InputError("no pose for the reference person (put an OpenPose .json or keypoints.csv beside it)",
                     image_path)
