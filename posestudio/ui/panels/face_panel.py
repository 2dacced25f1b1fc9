"""Face edge editing, SCM-Net's reference-based edge colorization
(scmnet-face, docs/ARCHS_PARSING.md): a face layer holds an edge map (0
background, 255 edge) drawn with a fixed-width pen and eraser; a reference
face gives the colours; "Colorize" runs task ``face`` on the face crop of the
current result and pastes it back into the "Face result" layer (live after
each stroke when asked).

The crop comes from the head joints (nose, eyes, ears): a square around them,
``FACE_SCALE`` times their spread, clamped to the picture."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from posestudio.core import skeleton
from posestudio.core.edits import AddLayer, ReplaceData
from posestudio.core.layers import EdgeLayer
from posestudio.ui.panels.edit_panel import EditPanel
from posestudio.ui.result_layers import put_result

EDGE_NAME = "Face edges"
RESULT_NAME = "Face result"
FACE_SCALE = 2.2
MIN_FACE = 32


def face_box(pose, width: int, height: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of a square face crop from the visible head joints, or None."""
    if pose is None:
        return None
    head = [j for j in skeleton.HEAD_JOINTS if pose.visible[j]]
    if not head:
        return None
    xy = pose.xy[head]
    cx, cy = xy.mean(0)
    spread = float(np.ptp(xy, axis=0).max()) if len(head) > 1 else 0.0
    neck = skeleton.JOINTS.index("neck") if "neck" in skeleton.JOINTS else 1
    if pose.visible[neck]:  # the neck bounds the face from below even when the head joints bunch up
        spread = max(spread, float(np.hypot(*(pose.xy[neck] - (cx, cy)))))
    side = max(MIN_FACE, FACE_SCALE * spread)
    side = min(side, width, height)
    x0 = int(round(min(max(cx - side / 2, 0), width - side)))
    y0 = int(round(min(max(cy - side / 2, 0), height - side)))
    return x0, y0, x0 + int(side), y0 + int(side)


def current_picture(doc) -> np.ndarray:
    """What the face lands on: the topmost result layer of the picture's size (a
    posed or repainted result), else the picture itself."""
    from posestudio.core.layers import ResultLayer

    for layer in reversed(list(doc.layers)):
        if (isinstance(layer, ResultLayer) and layer.name != RESULT_NAME and getattr(layer, "visible", True)
                and layer.data.shape[:2] == (doc.height, doc.width)):
            return layer.data
    return doc.image_layer().data


class FacePanel(EditPanel):
    channel, title = "face", "Face"

    def __init__(self, session, tools):
        super().__init__(session)
        self.tools = tools
        self.reference: np.ndarray | None = None
        self.box: tuple[int, int, int, int] | None = None
        self.start_edges: np.ndarray | None = None  # the sketch as made: the photo's own face shape
        self.start_landmarks: np.ndarray | None = None  # its 68 landmarks, in the crop
        tools.edge_target = self.edge_layer
        lay = QVBoxLayout(self)
        self.new_button = QPushButton("Face layer from head joints")
        self.new_button.setToolTip("Crop the face from the head joints and start an edge layer (a face sketch on the eyes and nose)")
        self.new_button.clicked.connect(self.make_layer)
        lay.addWidget(self.new_button)
        row = QHBoxLayout()
        self.pen = QPushButton("Pen")
        self.eraser = QPushButton("Eraser")
        for b, tool in ((self.pen, "edge_pen"), (self.eraser, "edge_eraser")):
            b.setCheckable(True)
            b.clicked.connect(lambda on, t=tool: tools.set_tool(t if on else "none"))
            row.addWidget(b)
        lay.addLayout(row)
        tools.changed.connect(self._follow_tool)
        form = QFormLayout()
        self.model = QComboBox()
        self.model.addItems(["auto", "puppet"])
        form.addRow("Model", self.model)
        lay.addLayout(form)
        self.reference_button = QPushButton("Reference face…")
        self.reference_button.clicked.connect(self.choose_reference)
        lay.addWidget(self.reference_button)
        self.reference_label = QLabel("No reference face: colours of this picture")
        self.reference_label.setWordWrap(True)
        lay.addWidget(self.reference_label)
        self.colorize_button = QPushButton("Colorize")
        self.colorize_button.clicked.connect(lambda: self.colorize(preview=False))
        lay.addWidget(self.colorize_button)
        self.live = QCheckBox("Live preview after each stroke")
        lay.addWidget(self.live)
        lay.addWidget(self.message)  # the engine's warnings (a face too small to read …)
        lay.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(lambda: self.colorize(preview=True))
        tools.stroke_finished.connect(self._stroke_finished)
        session.document_replaced.connect(lambda _doc: setattr(self, "box", None))
        session.document_replaced.connect(lambda _doc: setattr(self, "start_edges", None))

    def edge_layer(self) -> EdgeLayer | None:
        return next((l for l in self.session.doc.layers.of_kind("edge") if l.name == EDGE_NAME), None)

    def _follow_tool(self) -> None:
        self.pen.setChecked(self.tools.tool == "edge_pen")
        self.eraser.setChecked(self.tools.tool == "edge_eraser")

    def current_pose(self):
        doc = self.session.doc
        target = doc.pose_layer()
        return target.poses[0] if target is not None and target.poses else doc.source_pose()

    def current_box(self):
        doc = self.session.doc
        return face_box(self.current_pose(), doc.width, doc.height)

    def make_layer(self) -> bool:
        doc = self.session.doc
        box = self.current_box()
        image = doc.image_layer()
        if box is None or image is None:
            self.show_message("A face layer needs a picture and visible head joints", warning=True)
            return False
        self.box = box
        x0, y0, x1, y1 = box
        from posestudio.core.face_edges import draw_face_edges
        from posestudio.engine.edit.face import template_on_joints

        # 68 landmarks laid on the eyes and nose, drawn by the face layer's rule: colorize
        # reads the artist's changes back from the strokes, starting from these
        self.start_landmarks = template_on_joints(self.current_pose(), box)
        edges = np.zeros((doc.height, doc.width), np.uint8)
        edges[y0:y1, x0:x1] = draw_face_edges(self.start_landmarks, y1 - y0, x1 - x0)
        self.start_edges = edges.copy()
        layer = self.edge_layer()
        if layer is None:
            layer = EdgeLayer(EDGE_NAME, edges)
            ok = self.session.push(AddLayer(layer, len(doc.layers), "Face edge layer"))
        else:
            ok = self.session.push(ReplaceData(layer.id, layer.data.copy(), edges, "Face edges from picture"))
        self.layer_made.emit(layer)
        return ok

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference face", "", "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.load_reference(path)

    def load_reference(self, path) -> bool:
        from posestudio.core import project
        from posestudio.errors import InputError

        try:
            self.reference = np.ascontiguousarray(project.read_image(path)[..., :3])
        except InputError as exc:
            self.show_message(str(exc), warning=True)
            return False
        self.show_message("")
        self.reference_label.setText(f"Reference face: {path}")
        return True

    def colorize(self, preview: bool = False):
        from posestudio.engine import Request

        doc = self.session.doc
        layer, image = self.edge_layer(), doc.image_layer()
        if layer is None or image is None:
            if not preview:
                self.show_message("Make a face layer first", warning=True)
            return None
        box = self.box or self.current_box()
        if box is None:
            return None
        x0, y0, x1, y1 = box
        base = current_picture(doc)
        crop = np.ascontiguousarray(base[y0:y1, x0:x1, :3])
        own = (self.reference is None and self.start_edges is not None and self.start_edges.shape == layer.data.shape
               and box == self.box)  # fmt: skip
        req = Request(task="face", model=self.model.currentText(), source_image=crop,
                      edges=np.ascontiguousarray(layer.data[y0:y1, x0:x1]),
                      reference_image=self.reference if self.reference is not None else crop, label_set="face8",
                      reference_edges=np.ascontiguousarray(self.start_edges[y0:y1, x0:x1]) if own else None,
                      reference_landmarks=self.start_landmarks if own else None)
        return self.request(req, (box, base), preview=preview)

    def apply_result(self, res, context) -> None:
        box, picture = context
        x0, y0, x1, y1 = box
        face = np.asarray(res.image)[..., :3]
        if face.shape[:2] != (y1 - y0, x1 - x0):
            face = cv2.resize(face, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        out = np.ascontiguousarray(picture[..., :3]).copy()
        out[y0:y1, x0:x1] = face
        put_result(self.session, RESULT_NAME, out, res)

    def _stroke_finished(self, layer_id: str) -> None:
        layer = self.edge_layer()
        if self.live.isChecked() and layer is not None and layer.id == layer_id:
            self._timer.start()
