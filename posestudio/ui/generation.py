"""Generation from the window: builds engine Requests from the document, puts
results into a result layer (and intermediates into optional layers), and runs
the live preview: every pose change submits a preview request (the engine's
latest-wins channel drops stale ones), so the UI never waits.

While a full generation runs the panel shows a busy bar and Generate is disabled;
problems and the engine's warnings are shown in the panel (and the status bar);
the result is marked out of date when the pose moves away from the one it was
made from, and each timeline frame's results are cached for scrubbing and
playback (``result_state.py``)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from posestudio.core.layers import IntermediateLayer
from posestudio.ui.detection import source_matte
from posestudio.ui.result_layers import GENERATOR_RESULT, SOURCE_KINDS, named_result, put_result
from posestudio.ui.result_state import FrameResults
from posestudio.ui.workers import EngineBridge

STALE_MESSAGE = "The result is out of date: the pose changed since it was generated. Generate to refresh it."
INTERMEDIATE_TITLES = {"flow": "Flow", "visibility": "Visibility", "parsing": "Generated parsing"}


class GenerationController(QObject):
    """``result_applied(Result)`` fires on the GUI thread after the layer changed."""

    result_applied = Signal(object)
    status = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, session, panel, parent=None, playhead=None):
        super().__init__(parent)
        self.session, self.panel, self.playhead = session, panel, playhead
        self.frames = FrameResults()
        self._running: set[int] = set()  # serials of full generations not back yet
        session.document_replaced.connect(self._document_replaced)
        self._document_replaced(session.doc)
        if playhead is not None:
            playhead.changed.connect(self.refresh_result)
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
                       source_matte=source_matte(doc), channel="generator",
                       personal_model=doc.generator.get("personal_model"))

    def submit(self, preview: bool = False):
        try:
            req = self.request(preview)
        except Exception as exc:
            self._tell(f"Cannot generate: {' '.join(str(exc).split())}", warning=True)
            return None
        self._serial += 1
        self._submitted_at[self._serial] = time.perf_counter()
        self.status.emit("Generating preview…" if preview else "Generating…")
        if not preview:
            self._running.add(self._serial)
            self._set_busy()
        target = self.session.doc.pose_layer()
        return self.bridge.submit(req, {"preview": preview, "serial": self._serial, "doc": id(self.session.doc),
                                        "frame": self._frame(), "poses": [p.copy() for p in target.poses]})

    def _frame(self) -> int:
        return self.playhead.frame if self.playhead is not None else 0

    def _set_busy(self) -> None:
        busy = bool(self._running)
        self.panel.set_busy(busy)
        self.busy_changed.emit(busy)

    def _tell(self, message: str, warning: bool = False) -> None:
        """A line in the generator panel (where Generate was pressed) and the status bar."""
        self.panel.show_message(message, warning)
        self.status.emit(message)

    def _document_replaced(self, doc) -> None:
        self.frames.reset(doc)
        target = doc.pose_layer()
        if target is not None:  # a saved result was made from the saved pose
            self.frames.made_from = [p.copy() for p in target.poses]
        self.panel.show_message("")

    def refresh_result(self) -> None:
        """Show the frame's own cached result if there is one; mark the result out of date."""
        current = self.frames.update(self.session.doc, self._frame())
        if not current:
            self.panel.show_message(STALE_MESSAGE)
        elif self.panel.status.text() == STALE_MESSAGE:
            self.panel.show_message("")

    def set_live(self, on: bool) -> None:
        self.live = bool(on)
        if self.live:
            self.pose_changed()

    def pose_changed(self) -> None:
        self.refresh_result()
        if self.live:
            self._live_timer.start()

    # -- results (GUI thread) -------------------------------------------------------------------
    def _on_result(self, res, meta) -> None:
        if "panel" in meta:
            return  # an editing panel's result on the same engine: PanelJobs has it
        self._done(meta)
        if meta.get("doc") != id(self.session.doc):
            return  # a result for a document that was closed meanwhile
        self._submitted_at.pop(meta.get("serial"), None)
        img = np.asarray(res.image)
        try:  # above the picture and its maps, below the skeletons and the edit results
            put_result(self.session, GENERATOR_RESULT, img, res, over=SOURCE_KINDS)
        except ValueError as exc:
            self._tell(f"Generation failed: {exc}", warning=True)
            return
        self.frames.stored(meta.get("frame", 0), meta.get("poses") or [], img, str(getattr(res, "model", "")))
        if self.panel.settings().get("intermediates"):
            for role, data in (getattr(res, "layers", None) or {}).items():
                self._put_intermediate(role, np.asarray(data))
        self.last_seconds = float(getattr(res, "seconds", 0.0))
        self.last_model = str(getattr(res, "model", ""))
        self.last_device = f"{getattr(res, 'backend', '')} on {getattr(res, 'device', '')}".strip()
        warnings = list(getattr(res, "warnings", []) or [])
        self.status.emit(f"{'Preview' if meta.get('preview') else 'Result'}: {self.last_model}, "
                         f"{self.last_seconds * 1000:.0f} ms" + (f" — {warnings[0]}" if warnings else ""))
        self.panel.show_message(" ".join(warnings), warning=True)
        self.refresh_result()
        self.result_applied.emit(res)

    def _done(self, meta) -> None:
        if meta.get("serial") in self._running:
            self._running.discard(meta.get("serial"))
            self._set_busy()

    def _put_intermediate(self, role: str, data: np.ndarray) -> None:
        doc = self.session.doc
        if data.shape[:2] != (doc.height, doc.width):
            return
        layer = next((l for l in doc.layers if isinstance(l, IntermediateLayer) and l.role == role), None)
        if layer is None:
            result = named_result(doc, GENERATOR_RESULT)
            index = doc.layers.index(result) if result is not None else len(doc.layers)
            layer = IntermediateLayer(INTERMEDIATE_TITLES.get(role, role.title()), data, role=role, visible=False)
            doc.layers.insert(index, layer)
        else:
            layer.data = np.ascontiguousarray(data)
            layer.data_changed(bbox=None)

    def _on_failed(self, message: str, meta) -> None:
        if "panel" in meta:
            return
        self._done(meta)
        self._tell(f"Generation failed: {message}", warning=True)
        if not meta.get("preview"):
            self.session.error.emit(f"generation failed: {message}")

    def shutdown(self) -> None:
        self._live_timer.stop()
        self.bridge.shutdown()
