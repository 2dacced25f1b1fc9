"""Garment editing, SPT's loop (docs/ARCHS_PARSING.md): "Predict target
parsing" runs task ``parsing`` (SPT's semantic generator H_S, eq. 1, when a
model is installed; else the puppet warp carries the source parsing to the
target pose) into a "Target parsing" layer; the artist repaints it with the
parsing tools; "Generate appearance" runs task ``garment`` (SPT's appearance
generator H_A with the edited map as its target parsing) into the "Garment
result" layer, again after every stroke when live preview is on. A second
person's picture + parsing can be loaded as the reference whose clothing
texture the generator transfers into the repainted regions."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QFormLayout, QLabel, QPushButton, QVBoxLayout

from posestudio.core.edits import AddLayer, Compound, LayerProps, ReplaceData
from posestudio.core.layers import ParsingLayer
from posestudio.ui.panel_jobs import read_reference, source_inputs
from posestudio.ui.panels.edit_panel import EditPanel
from posestudio.ui.result_layers import put_result

TARGET_NAME = "Target parsing"
RESULT_NAME = "Garment result"


class GarmentPanel(EditPanel):
    channel, title = "garment", "Garment"

    def __init__(self, session, tools):
        super().__init__(session)
        self.tools = tools
        self.reference_image: np.ndarray | None = None
        self.reference_parsing: np.ndarray | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.model = QComboBox()
        self.model.addItems(["auto", "puppet"])
        self.model.setToolTip("auto: the installed SPT model for the task, else the weight-free puppet warp")
        form.addRow("Model", self.model)
        lay.addLayout(form)
        self.predict_button = QPushButton("1. Predict target parsing")
        self.predict_button.setToolTip("Parsing of the person in the target pose (SPT H_S, or the puppet warp)")
        self.predict_button.clicked.connect(self.predict)
        lay.addWidget(self.predict_button)
        lay.addWidget(QLabel("2. Repaint the target parsing with the label tools"))
        self.reference_button = QPushButton("Reference person (texture)…")
        self.reference_button.setToolTip("A second person's picture and parsing whose clothing texture to transfer")
        self.reference_button.clicked.connect(self.choose_reference)
        lay.addWidget(self.reference_button)
        self.reference_label = QLabel("No reference: textures come from this picture")
        self.reference_label.setWordWrap(True)
        lay.addWidget(self.reference_label)
        lay.addWidget(self.message)  # what stops an edit (a label nobody shows) and the engine's warnings
        self.generate_button = QPushButton("3. Generate appearance")
        self.generate_button.clicked.connect(lambda: self.generate(preview=False))
        lay.addWidget(self.generate_button)
        self.live = QCheckBox("Live preview after each stroke")
        lay.addWidget(self.live)
        lay.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(lambda: self.generate(preview=True))
        tools.stroke_finished.connect(self._stroke_finished)

    # -- layers ----------------------------------------------------------------------------------
    def target_layer(self) -> ParsingLayer | None:
        return next((l for l in self.session.doc.layers.of_kind("parsing") if l.name == TARGET_NAME), None)

    def source_parsing_layer(self) -> ParsingLayer | None:
        return next((l for l in self.session.doc.layers.of_kind("parsing") if l.name != TARGET_NAME), None)

    # -- step 1 ----------------------------------------------------------------------------------
    def predict(self):
        from posestudio.engine import Request

        doc = self.session.doc
        src = self.source_parsing_layer()
        try:
            inputs = source_inputs(doc)
            if inputs["target_pose"] is None:
                raise ValueError("the document has no target pose")
        except ValueError as exc:
            self.show_message(f"Cannot predict the parsing: {exc}", warning=True)
            return None
        req = Request(task="parsing", model=self.model.currentText(), **inputs,
                      source_parsing=None if src is None else src.data.astype(np.int64),
                      label_set=getattr(src, "label_set", "spt10"))
        return self.request(req, ("predict", req.label_set))

    def apply_result(self, res, context) -> None:
        if context[0] == "predict":
            self._predicted(res, context[1])
        else:
            put_result(self.session, RESULT_NAME, res.image, res)

    def _predicted(self, res, label_set: str) -> None:
        parsing = (getattr(res, "layers", None) or {}).get("parsing")
        if parsing is None:
            raise ValueError("the model returned no parsing map: import a source parsing map first")
        parsing = np.asarray(parsing).astype(np.uint8)
        doc = self.session.doc
        layer = self.target_layer()
        if layer is None:
            layer = ParsingLayer(TARGET_NAME, parsing, label_set=label_set, opacity=0.6)
            src = self.source_parsing_layer()
            index = doc.layers.index(src) + 1 if src is not None else len(doc.layers)
            parts = [AddLayer(layer, index)]
            if src is not None and src.visible:  # the source map stays, hidden: the artist paints the target
                parts.append(LayerProps.make(src, visible=False))
            self.session.push(Compound(parts, "Predict target parsing"))
        else:
            self.session.push(ReplaceData(layer.id, layer.data.copy(), parsing, "Predict target parsing"))
        self.layer_made.emit(layer)

    # -- reference -------------------------------------------------------------------------------
    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference person", "", "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.load_reference(path)

    def load_reference(self, image_path, parsing_path=None) -> bool:
        """A reference picture and its parsing (``<name>_parsing.png`` beside it when not given)."""
        from posestudio.errors import InputError

        try:
            self.reference_image, self.reference_parsing, text = read_reference(image_path, parsing_path)
        except InputError as exc:
            self.show_message(str(exc), warning=True)
            return False
        self.show_message("")
        self.reference_label.setText(text)
        return True

    # -- step 3 ----------------------------------------------------------------------------------
    def generate(self, preview: bool = False):
        from posestudio.engine import Request

        target = self.target_layer()
        if target is None:
            if not preview:
                self.show_message("Predict the target parsing first (step 1)", warning=True)
            return None
        src = self.source_parsing_layer()
        try:
            inputs = source_inputs(self.session.doc)
        except ValueError as exc:
            self.show_message(f"Cannot generate: {exc}", warning=True)
            return None
        req = Request(task="garment", model=self.model.currentText(), **inputs,
                      source_parsing=None if src is None else src.data.astype(np.int64),
                      target_parsing=target.data.astype(np.int64), label_set=target.label_set,
                      reference_image=self.reference_image, reference_parsing=self.reference_parsing)
        return self.request(req, ("garment",), preview=preview)

    def _stroke_finished(self, layer_id: str) -> None:
        target = self.target_layer()
        if self.live.isChecked() and target is not None and target.id == layer_id:
            self._timer.start()
