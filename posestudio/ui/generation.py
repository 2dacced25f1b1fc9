"""Generation from the window: builds engine Requests from the document, puts
results into a result layer (and intermediates into optional layers), and runs
the live preview: every pose change submits a preview request (the engine's
latest-wins channel drops stale ones), so the UI never waits."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from posestudio.core.layers import IntermediateLayer, ResultLayer
from posestudio.ui.detection import source_matte
from posestudio.ui.workers import EngineBridge

INTERMEDIATE_TITLES = {"flow": "Flow", "visibility": "Visibility", "parsing": "Generated parsing"}


class GenerationController(QObject):
    """``result_applied(Result)`` fires on the GUI thread after the layer changed."""

    result_applied = Signal(object)
    status = Signal(str)

    def __init__(self, session, panel, parent=None):
        super().__init__(parent)
        self.session, self.panel = session, panel
        self.bridge = EngineBridge(parent=self)
        self.bridge.finished.connect(self._on_result)
        self.bridge.failed.connect(self._on_failed)
        self.live = False
        self.last_seconds: float | None = None
        self.last_model = ""
        self.last_device = ""
        self._submitted_at: dict[int, float] = {}
        self._serial = 0
        # coalesce bursts of pose events (one mouse move can touch several joints)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(0)
        self._live_timer.timeout.connect(lambda: self.submit(preview=True))
        panel.generate_requested.connect(lambda: self.submit(preview=False))
        panel.live_toggled.connect(self.set_live)
        panel.settings_changed.connect(lambda s: session.doc.set_generator(**s))

    # -- requests -------------------------------------------------------------------------
    def request(self, preview: bool):
        from posestudio.engine import Request

        doc = self.session.doc
        image_layer = doc.image_layer()
        target = doc.pose_layer()
        if image_layer is None or target is None or not target.poses:
            raise ValueError("the document needs a picture and a pose to generate")
        img = image_layer.data[..., :3]
        source = doc.source_pose() or target.poses[0]
        parsing_layer = doc.layers.first("parsing")
        settings = self.panel.settings()
        return Request(task=settings["task"], model=settings["model"], source_image=np.ascontiguousarray(img),
                       source_pose=source.copy(), target_pose=target.poses[0].copy(),
                       source_parsing=None if parsing_layer is None else parsing_layer.data.astype(np.int64),
                       label_set=getattr(parsing_layer, "label_set", "spt10"), preview=preview,
                       source_matte=source_matte(doc))

    def submit(self, preview: bool = False):
        try:
            req = self.request(preview)
        except Exception as exc:
            self.status.emit(f"Cannot generate: {' '.join(str(exc).split())}")
            return None
        self._serial += 1
        self._submitted_at[self._serial] = time.perf_counter()
        self.status.emit("Generating preview…" if preview else "Generating…")
        return self.bridge.submit(req, {"preview": preview, "serial": self._serial,
                                        "doc": id(self.session.doc)})

    def set_live(self, on: bool) -> None:
        self.live = bool(on)
        if self.live:
            self.pose_changed()

    def pose_changed(self) -> None:
        if self.live:
            self._live_timer.start()

    # -- results (GUI thread) -------------------------------------------------------------------
    def _on_result(self, res, meta) -> None:
        if meta.get("doc") != id(self.session.doc):
            return  # a result for a document that was closed meanwhile
        self._submitted_at.pop(meta.get("serial"), None)
        doc = self.session.doc
        img = np.asarray(res.image)
        if img.shape[:2] != (doc.height, doc.width):
            self.status.emit(f"Result has size {img.shape[1]}x{img.shape[0]}, expected {doc.width}x{doc.height}")
            return
        self._put_result(img, res)
        if self.panel.settings().get("intermediates"):
            for role, data in (getattr(res, "layers", None) or {}).items():
                self._put_intermediate(role, np.asarray(data))
        self.last_seconds = float(getattr(res, "seconds", 0.0))
        self.last_model = str(getattr(res, "model", ""))
        self.last_device = f"{getattr(res, 'backend', '')} on {getattr(res, 'device', '')}".strip()
        warnings = list(getattr(res, "warnings", []) or [])
        self.status.emit(f"{'Preview' if meta.get('preview') else 'Result'}: {self.last_model}, "
                         f"{self.last_seconds * 1000:.0f} ms" + (f" — {warnings[0]}" if warnings else ""))
        self.result_applied.emit(res)

    def _put_result(self, img: np.ndarray, res) -> None:
        doc = self.session.doc
        layer = next((l for l in doc.layers if isinstance(l, ResultLayer)), None)
        if layer is None:
            layer = ResultLayer("Result", img, model=str(getattr(res, "model", "")),
                                seconds=float(getattr(res, "seconds", 0)))
            # above the image, below the skeletons. Not an undo step: with live preview on,
            # a result landing after an undo must not wipe the redo history
            index = max((doc.layers.index(l) for l in doc.layers if l.kind in ("image", "parsing", "edge")),
                        default=-1) + 1
            doc.layers.insert(index, layer)
        else:
            layer.data = np.ascontiguousarray(img)
            layer.model, layer.seconds = str(getattr(res, "model", "")), float(getattr(res, "seconds", 0))
            layer.data_changed(bbox=None)
        self.session.mark_dirty()

    def _put_intermediate(self, role: str, data: np.ndarray) -> None:
        doc = self.session.doc
        if data.shape[:2] != (doc.height, doc.width):
            return
        layer = next((l for l in doc.layers if isinstance(l, IntermediateLayer) and l.role == role), None)
        if layer is None:
            result = next((l for l in doc.layers if isinstance(l, ResultLayer)), None)
            index = doc.layers.index(result) if result is not None else len(doc.layers)
            layer = IntermediateLayer(INTERMEDIATE_TITLES.get(role, role.title()), data, role=role, visible=False)
            doc.layers.insert(index, layer)
        else:
            layer.data = np.ascontiguousarray(data)
            layer.data_changed(bbox=None)

    def _on_failed(self, message: str, meta) -> None:
        self.status.emit(f"Generation failed: {message}")
        if not meta.get("preview"):
            self.session.error.emit(f"generation failed: {message}")

    def shutdown(self) -> None:
        self._live_timer.stop()
        self.bridge.shutdown()
