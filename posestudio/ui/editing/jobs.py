"""What the editing panels share: one engine bridge (its own worker, so the
pose generator's results and these never mix) and the helpers that build
requests from the document and put results into named layers."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from posestudio.core.layers import ResultLayer
from posestudio.ui.workers import EngineBridge


class EditingJobs(QObject):
    """``submit(request, panel, callback, preview)``: the callback runs on the GUI
    thread with the Result; failures go to the window's status bar / error box."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        gen = getattr(getattr(window, "generation", None), "bridge", None)
        self.bridge = EngineBridge(getattr(gen, "device", "auto"), getattr(gen, "backend", "auto"), parent=self)
        self.bridge.finished.connect(self._done)
        self.bridge.failed.connect(self._failed)
        self._callbacks: dict[int, object] = {}
        self._errors: dict[int, object] = {}
        self._serial = 0
        self.latest: dict[str, int] = {}  # panel -> serial of its newest request (older previews are stale)

    def follow_preferences(self) -> None:
        """Use the device/backend the window's generator uses (Preferences may have changed them)."""
        gen = getattr(getattr(self.window, "generation", None), "bridge", None)
        if gen is not None:
            self.bridge.configure(gen.device, gen.backend)

    def engine(self):
        self.follow_preferences()
        return self.bridge.engine()

    def submit(self, request, panel: str, callback, preview: bool = False, on_error=None):
        """``on_error(message)``, when given, shows a failure in the panel itself."""
        self.follow_preferences()
        self._serial += 1
        self._callbacks[self._serial] = callback
        if on_error is not None:
            self._errors[self._serial] = on_error
        self.latest[panel] = self._serial
        request.preview = preview
        self.window.statusBar().showMessage(f"{panel}: generating…", 3000)
        return self.bridge.submit(request, {"serial": self._serial, "panel": panel, "preview": preview,
                                            "doc": id(self.window.session.doc)})

    @property
    def pending(self) -> int:
        return self.bridge.pending

    def _done(self, res, meta) -> None:
        cb = self._callbacks.pop(meta["serial"], None)
        self._errors.pop(meta["serial"], None)
        if cb is None or meta.get("doc") != id(self.window.session.doc):
            return
        if meta.get("preview") and self.latest.get(meta["panel"]) != meta["serial"]:
            return  # a newer preview is on its way
        warnings = list(getattr(res, "warnings", []) or [])
        self.window.statusBar().showMessage(
            f"{meta['panel']}: {getattr(res, 'model', '')} {float(getattr(res, 'seconds', 0)) * 1000:.0f} ms"
            + (f" — {warnings[0]}" if warnings else ""), 6000)
        cb(res)

    def _failed(self, message: str, meta) -> None:
        self._callbacks.pop(meta.get("serial"), None)
        on_error = self._errors.pop(meta.get("serial"), None)
        if on_error is not None:
            on_error(message)
        if meta.get("preview"):
            self.window.statusBar().showMessage(f"{meta.get('panel')}: {message}", 6000)
        else:
            self.window.show_error(f"{meta.get('panel')} failed: {message}")

    def shutdown(self) -> None:
        self.bridge.shutdown()


def source_inputs(doc) -> dict:
    """Source picture, source pose, target pose (first person) of a document."""
    image = doc.image_layer()
    target = doc.pose_layer()
    if image is None:
        raise ValueError("the document has no picture")
    tp = target.poses[0].copy() if target is not None and target.poses else None
    sp = doc.source_pose() or tp
    return {"source_image": np.ascontiguousarray(image.data[..., :3]), "source_pose": sp, "target_pose": tp}


def put_result(session, name: str, img: np.ndarray, res, above=None) -> ResultLayer:
    """Put ``img`` into the result layer called ``name`` (made when missing, above the
    picture/parsing layers). Like the pose generator's results this is no undo step
    (a live preview must never wipe the redo history), but the document is modified."""
    doc = session.doc
    layer = next((l for l in doc.layers if isinstance(l, ResultLayer) and l.name == name), None)
    img = np.ascontiguousarray(img)
    if layer is None:
        layer = ResultLayer(name, img, model=str(getattr(res, "model", "")), seconds=float(getattr(res, "seconds", 0)))
        index = max((doc.layers.index(l) for l in doc.layers if l.kind in ("image", "parsing", "edge", "result")),
                    default=-1) + 1
        doc.layers.insert(index, layer)
    else:
        layer.data = img
        layer.model, layer.seconds = str(getattr(res, "model", "")), float(getattr(res, "seconds", 0))
        layer.data_changed(bbox=None)
    session.mark_dirty()
    return layer


def put_full_size_result(window, name: str, res) -> ResultLayer | None:
    """``put_result`` for a whole-canvas result: refused with a message when the
    engine's image does not have the document's size."""
    doc = window.session.doc
    img = np.asarray(res.image)
    if img.shape[:2] != (doc.height, doc.width):
        window.show_error(f"result is {img.shape[1]}x{img.shape[0]}, expected {doc.width}x{doc.height}")
        return None
    return put_result(window.session, name, img, res)


def select_layer(window, layer) -> None:
    """Make ``layer`` the current row of the layer panel (the tools paint the current parsing layer)."""
    from posestudio.ui.panels.layer_model import NAME

    panel = window.layers_panel
    try:
        panel.tree.setCurrentIndex(panel.model.index(panel.model.row_of(layer), NAME))
    except (KeyError, AttributeError):
        pass


def read_reference(image_path, parsing_path=None, label_set: str = "spt10"):
    """(picture uint8 HxWx3, parsing HxW, description) of a reference person; the
    parsing defaults to ``<name>_parsing.png`` beside the picture. Raises InputError."""
    from pathlib import Path

    from posestudio.core import project
    from posestudio.core.formats import label_png
    from posestudio.errors import InputError

    image_path = Path(image_path)
    parsing_path = Path(parsing_path) if parsing_path else image_path.with_name(image_path.stem + "_parsing.png")
    img = project.read_image(image_path)
    par = label_png.read(parsing_path, label_set)
    if par.shape != img.shape[:2]:
        raise InputError(f"parsing is {par.shape[1]}x{par.shape[0]}, the picture {img.shape[1]}x{img.shape[0]}",
                         parsing_path)
    return np.ascontiguousarray(img[..., :3]), par, f"Reference: {image_path.name} + {parsing_path.name}"
