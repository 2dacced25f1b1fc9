"""Detection in the window: opening a photo finds the person in the background and fits
both the Source pose and the Pose to them, with the person's matte as a layer, in one
undo step; Pose > Detect re-runs it; Pose > Set as Source Pose keeps a hand-made fit.

The work runs on the engine's worker (``Engine.detect``); its completion hops to the GUI
thread through a queued signal, as generation results do. A result for a document that
has since been replaced is dropped."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressBar

from posestudio.core import edits
from posestudio.core.layers import IntermediateLayer, PoseLayer

MATTE_ROLE = "matte"  # an intermediate layer, uint8 0..255: the people's soft matte


def matte_layer(doc) -> IntermediateLayer | None:
    return next((l for l in doc.layers if isinstance(l, IntermediateLayer) and l.role == MATTE_ROLE), None)


def source_matte(doc) -> np.ndarray | None:
    """The matte layer as HxW float32 in [0, 1] (what the engine's ``source_matte`` takes)."""
    layer = matte_layer(doc)
    return None if layer is None else layer.data.astype(np.float32) / 255.0


def source_layer(doc) -> PoseLayer | None:
    return next((l for l in doc.layers.of_kind("pose") if getattr(l, "role", "") == "source"), None)


class DetectionController(QObject):
    """``status`` carries one-line messages; ``done`` fires with the number of people found
    (-1: detection could not run)."""

    status = Signal(str)
    done = Signal(int)
    _finished = Signal(object, object)  # Future, document id (emitted from the worker thread)

    def __init__(self, session, bridge, statusbar=None, parent=None):
        super().__init__(parent)
        self.session, self.bridge = session, bridge
        self.running = False
        self.last_message = ""
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy
        self.progress.setMaximumWidth(120)
        self.progress.setToolTip("Finding the person in the picture")
        self.progress.hide()
        if statusbar is not None:
            statusbar.addPermanentWidget(self.progress)
        self._finished.connect(self._on_finished)

    def _say(self, message: str) -> None:
        self.last_message = message
        self.status.emit(message)

    def start(self) -> bool:
        """Detect the people in the document's picture (in the background)."""
        from posestudio.engine.detect import INSTALL_HINT, installed

        doc = self.session.doc
        image = doc.image_layer()
        if image is None:
            self._say("No picture to detect a person in")
            return False
        if not installed():
            self._say(f"Pose detection unavailable ({INSTALL_HINT}); the template skeleton is in place")
            self.done.emit(-1)
            return False
        try:
            fut = self.bridge.engine().detect(image.data.copy())
        except Exception as exc:  # noqa: BLE001 - the engine could not start: say so, keep editing
            self._say(f"Pose detection failed: {' '.join(str(exc).split())}")
            self.done.emit(-1)
            return False
        self.running = True
        self.progress.show()
        self._say("Finding the person in the picture…")
        doc_id = id(doc)
        fut.add_done_callback(lambda f: self._finished.emit(f, doc_id))
        return True

    def _on_finished(self, fut, doc_id) -> None:
        self.running = False
        self.progress.hide()
        if fut.cancelled():
            return
        if doc_id != id(self.session.doc):
            return  # the user opened something else meanwhile
        exc = fut.exception()
        if exc is not None:
            self._say(f"Pose detection failed: {' '.join(str(exc).split()) or type(exc).__name__}")
            self.done.emit(-1)
            return
        people = fut.result()
        if not people:
            self._say("No person found in the picture: the template skeleton is in place; pose it by hand "
                      "and use Pose > Set as Source Pose")
            self.done.emit(0)
            return
        self.apply(people)
        n = len(people)
        self._say(f"Fitted the pose to {'the person' if n == 1 else f'{n} people'} (undo to get the template back)")
        self.done.emit(n)

    def apply(self, people) -> None:
        """Source pose, Pose and matte from ``people`` as one undo step."""
        from posestudio.engine.detect import people_matte, whole_body_pose

        doc = self.session.doc
        poses = [whole_body_pose(p) for p in people]
        parts: list[edits.Edit] = []
        for layer in (source_layer(doc), doc.pose_layer()):
            if layer is not None:
                parts.append(edits.SetPoses(layer.id, layer.poses, poses, "Detected pose"))
        matte = (people_matte(people, doc.height, doc.width) * 255).round().astype(np.uint8)
        old = matte_layer(doc)
        if old is None:
            layer = IntermediateLayer("Person matte", matte, role=MATTE_ROLE, visible=False)
            parts.append(edits.AddLayer(layer, doc.layers.index(doc.image_layer()) + 1))
        else:
            parts.append(edits.ReplaceData(old.id, old.data.copy(), matte))
        self.session.push(edits.Compound(parts, "Detect pose"))

    def set_as_source(self) -> bool:
        """The current Pose becomes the Source pose (a hand-made fit), one undo step."""
        doc = self.session.doc
        src, target = source_layer(doc), doc.pose_layer()
        if src is None or target is None or not target.poses:
            self._say("No pose to use as the source pose")
            return False
        # a Compound: the source layer is locked against posing by hand, not against this command
        edit = edits.SetPoses(src.id, src.poses, target.poses, "Set as source pose")
        self.session.push(edits.Compound([edit], "Set as source pose"))
        self._say("The pose is now the source pose")
        return True
