"""Attribute editing, SCM-Net's swap (docs/ARCHS_PARSING.md): choose a region
(upper clothes, pants, hair …) and a reference person; task ``attribute``
replaces that region's style code with the reference's (the per-region style
codes of SCM-Net's encoder) and renders the person in the target pose. The
result goes into the "Attribute result" layer."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QLabel, QPushButton, QVBoxLayout

from posestudio.core import labels
from posestudio.ui.panel_jobs import read_reference, source_inputs
from posestudio.ui.panels.edit_panel import EditPanel
from posestudio.ui.result_layers import put_result

RESULT_NAME = "Attribute result"


class AttributePanel(EditPanel):
    channel, title = "attribute", "Attribute"

    def __init__(self, session):
        super().__init__(session)
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
        lay.addWidget(self.message)  # why a transfer cannot be done, and the engine's warnings
        lay.addStretch(1)
        self.refresh()

    def parsing_layer(self):
        return next(iter(self.session.doc.layers.of_kind("parsing")), None)

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
            self.show_message(str(exc), warning=True)
            return False
        self.show_message("")
        self.reference_label.setText(text)
        return True

    def transfer(self):
        from posestudio.engine import Request

        layer = self.parsing_layer()
        if layer is None:
            self.show_message("Attribute editing needs the picture's parsing map: import one first", warning=True)
            return None
        if self.reference_image is None:
            self.show_message("Choose a reference person first", warning=True)
            return None
        try:
            inputs = source_inputs(self.session.doc)
        except ValueError as exc:
            self.show_message(f"Cannot transfer: {exc}", warning=True)
            return None
        req = Request(task="attribute", model=self.model.currentText(), **inputs,
                      source_parsing=layer.data.astype(np.int64), label_set=layer.label_set,
                      reference_image=self.reference_image, reference_parsing=self.reference_parsing,
                      region=self.region.currentText(), reference_pose=self.reference_pose)
        return self.request(req)

    def apply_result(self, res, context) -> None:
        put_result(self.session, RESULT_NAME, res.image, res)


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
