"""The document an artist edits: layers + keyframes + generator settings.

A ``Document`` has a canvas size (the source image's pixels), a ``LayerList``,
``keyframes`` (frame number -> the poses of every person at that frame; the
timeline is built on them later) and ``generator`` settings (task, model, live
preview). It changes only through ``apply(edit)`` / ``revert(edit)`` with the
records of ``posestudio.core.edits``, so every change can be undone; the
window's undo stack calls exactly these two methods.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posestudio.core.edits import Edit
from posestudio.core.layers import Emitter, Event, ImageLayer, LayerList, PoseLayer
from posestudio.core.pose import Pose, default_pose

# ``personal_model``: the installed personal model of this document's character (`posestudio personal`),
# which ``auto`` may pick for this document only (engine.runner.Runner.auto_candidates); None: no such model
DEFAULT_GENERATOR = {"task": "pose", "model": "auto", "live_preview": False, "intermediates": False,
                     "personal_model": None}


class Document:
    def __init__(self, width: int, height: int, layers=None, keyframes: dict[int, list[Pose]] | None = None,
                 generator: dict | None = None, meta: dict | None = None):
        if width <= 0 or height <= 0:
            raise ValueError(f"canvas size must be positive, got {width}x{height}")
        self.width, self.height = int(width), int(height)
        self.layers = LayerList(layers)
        self.keyframes: dict[int, list[Pose]] = {int(k): [p.copy() for p in v] for k, v in (keyframes or {}).items()}
        self.generator = {**DEFAULT_GENERATOR, **(generator or {})}
        self.meta = dict(meta or {})
        self.events = Emitter()  # document-level: "keyframes", "generator", "size"
        self.path: Path | None = None  # where it was last saved or opened from; not saved

    # -- construction -----------------------------------------------------------
    @classmethod
    def from_image(cls, image: np.ndarray, name: str = "Image", pose: Pose | None = None) -> Document:
        """A new document: the picture at the bottom and one person's skeleton on top
        (``pose`` or the default standing pose fitted to the image)."""
        h, w = image.shape[:2]
        doc = cls(w, h)
        start = pose if pose is not None else default_pose(w, h)
        doc.layers.append(ImageLayer(name, image))
        doc.layers.append(PoseLayer("Source pose", [start], role="source", visible=False, locked=True,
                                    opacity=0.5))
        doc.layers.append(PoseLayer("Pose", [start]))
        return doc

    def snapshot(self) -> Document:
        """An independent copy (layers, poses, pixels, keyframes, settings, path) that
        another thread may save while this one keeps editing."""
        doc = Document(self.width, self.height, [l.clone() for l in self.layers], self.keyframes,
                       dict(self.generator), dict(self.meta))
        doc.path = self.path
        return doc

    # -- queries ----------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def pose_layer(self) -> PoseLayer | None:
        """The top-most target pose layer (the one the posing tools act on)."""
        layers = [l for l in self.layers.of_kind("pose") if getattr(l, "role", "target") == "target"]
        return layers[-1] if layers else None  # type: ignore[return-value]

    def source_pose(self) -> Pose | None:
        """The pose of the person in the source picture (first person of the source
        pose layer), or None when the document has none."""
        for layer in self.layers.of_kind("pose"):
            if getattr(layer, "role", "") == "source" and layer.poses:  # type: ignore[attr-defined]
                return layer.poses[0]  # type: ignore[attr-defined]
        return None

    def image_layer(self) -> ImageLayer | None:
        return self.layers.first("image")  # type: ignore[return-value]

    # -- changes ------------------------------------------------------------------
    def apply(self, edit: Edit) -> None:
        edit.redo(self)

    def revert(self, edit: Edit) -> None:
        edit.undo(self)

    def size_changed(self) -> None:
        self.events.emit(Event("size", info={"size": self.size}))

    def keyframes_changed(self, frame: int | None = None) -> None:
        self.events.emit(Event("keyframes", info={"frame": frame}))

    def set_generator(self, **settings) -> None:
        """Generator settings are preferences of the document, not undoable content."""
        self.generator.update(settings)
        self.events.emit(Event("generator", info=dict(settings)))
