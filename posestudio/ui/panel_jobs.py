"""The editing panels' requests on the window's one engine: ``PanelJobs`` submits
each panel's ``generate_requested`` through the pose generator's own bridge
(one worker, one model cache), on the panel's preview channel, so a newer
preview of one panel cancels only that panel's older ones. Results go back to
the panel that asked (``apply_result``), with the engine's warnings and the
edit's errors shown in that panel; the status bar names the model used.
Also the helpers that read the document and reference people for the panels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal


class PanelJobs(QObject):
    """``status(str)``: a line for the status bar; ``failed(str)``: a full edit failed."""

    status = Signal(str)
    failed = Signal(str)

    def __init__(self, session, bridge, parent=None):
        super().__init__(parent)
        self.session, self.bridge = session, bridge
        bridge.finished.connect(self._done)
        bridge.failed.connect(self._failed)
        self._serial = 0
        self._waiting: dict[int, tuple] = {}  # serial -> (panel, context, preview)
        self.latest: dict[str, int] = {}  # channel -> serial of its newest request (older previews are stale)

    def connect_panel(self, panel) -> None:
        panel.generate_requested.connect(lambda req, context, p=panel: self.submit(p, req, context))

    def submit(self, panel, request, context=None):
        request.channel = panel.channel
        if request.preview:  # the engine drops this channel's waiting previews; so do we
            for serial in [s for s, (p, _c, pv) in self._waiting.items() if pv and p is panel]:
                del self._waiting[serial]
        self._serial += 1
        self._waiting[self._serial] = (panel, context, bool(request.preview))
        self.latest[panel.channel] = self._serial
        self.status.emit(f"{panel.title}: generating…")
        return self.bridge.submit(request, {"panel": panel.channel, "serial": self._serial,
                                            "preview": bool(request.preview), "doc": id(self.session.doc)})

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def _take(self, meta):
        """The (panel, context) a finished request belongs to, or None when it is not ours or stale."""
        if "panel" not in meta:
            return None  # the pose generator's
        hit = self._waiting.pop(meta.get("serial"), None)
        if hit is None or meta.get("doc") != id(self.session.doc):
            return None
        if meta.get("preview") and self.latest.get(meta["panel"]) != meta["serial"]:
            return None  # a newer preview is on its way
        return hit

    def _done(self, res, meta) -> None:
        hit = self._take(meta)
        if hit is None:
            return
        panel, context, _ = hit
        try:
            panel.apply_result(res, context)
        except ValueError as exc:
            panel.show_message(f"{panel.title}: {exc}", warning=True)
            self.status.emit(f"{panel.title}: {exc}")
            return
        panel.show_result_notes(res)
        warnings = list(getattr(res, "errors", None) or []) + list(getattr(res, "warnings", None) or [])
        self.status.emit(f"{panel.title}: {getattr(res, 'model', '')} ({getattr(res, 'backend', '')} on "
                         f"{getattr(res, 'device', '')}), {float(getattr(res, 'seconds', 0)) * 1000:.0f} ms"
                         + (f" — {warnings[0]}" if warnings else ""))

    def _failed(self, message: str, meta) -> None:
        hit = self._take(meta)
        if hit is None:
            return
        panel, _context, preview = hit
        panel.show_message(f"{panel.title} failed: {message}", warning=True)
        self.status.emit(f"{panel.title} failed: {message}")
        if not preview:
            self.failed.emit(f"{panel.title} failed: {message}")


def source_inputs(doc) -> dict:
    """Source picture, source pose, target pose (first person) of a document."""
    image = doc.image_layer()
    target = doc.pose_layer()
    if image is None:
        raise ValueError("the document has no picture")
    tp = target.poses[0].copy() if target is not None and target.poses else None
    sp = doc.source_pose() or tp
    return {"source_image": np.ascontiguousarray(image.data[..., :3]), "source_pose": sp, "target_pose": tp}


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
