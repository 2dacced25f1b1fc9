"""Reversible edit records: every change an artist makes to a ``Document``.

Each record holds exactly what it needs to go both ways (``redo(doc)`` and
``undo(doc)``) and refers to layers by id, so a record stays valid when layers
are reordered. The window wraps each record in one ``QUndoCommand``
(``posestudio.ui.undo``); a whole mouse drag becomes one record pushed on
release. A paint stroke is napari's form: (bbox, mask, old values, new value),
so undo memory is the size of the stroke, not of the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from posestudio.core import skeleton
from posestudio.core.layers import PROPERTIES, Layer, PoseLayer, RasterLayer
from posestudio.core.pose import Pose

if TYPE_CHECKING:
    from posestudio.core.document import Document


class LockedLayerError(ValueError):
    """An edit tried to change a locked layer's content."""


class Edit:
    """Base class. ``text`` names the edit in the Undo menu."""

    text = "Edit"

    def redo(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError


def _pose_layer(doc: Document, layer_id: str) -> PoseLayer:
    layer = doc.layers.by_id(layer_id)
    if not isinstance(layer, PoseLayer):
        raise TypeError(f"layer {layer.name!r} is not a pose layer")
    return layer


@dataclass
class MoveJoints(Edit):
    """Joints of one person moved (drag, rotate a limb, scale a selection, numeric x/y)."""

    layer_id: str
    person: int
    joints: list[int]
    old_xy: np.ndarray
    new_xy: np.ndarray
    text: str = "Move joints"

    def __post_init__(self):
        self.joints = [int(j) for j in self.joints]
        self.old_xy = np.array(self.old_xy, dtype=np.float64).reshape(len(self.joints), 2)
        self.new_xy = np.array(self.new_xy, dtype=np.float64).reshape(len(self.joints), 2)

    def _apply(self, doc: Document, xy: np.ndarray) -> None:
        layer = _pose_layer(doc, self.layer_id)
        pose = layer.poses[self.person]
        new = pose.xy.copy()
        new[self.joints] = xy
        layer.set_pose(self.person, pose.with_xy(new), self.joints)  # hands and face follow

    def redo(self, doc):
        self._apply(doc, self.new_xy)

    def undo(self, doc):
        self._apply(doc, self.old_xy)


@dataclass
class SetVisibility(Edit):
    """Hide or restore joints. A hidden joint keeps its position (restoring is
    lossless) and drops its limbs, in the canvas, in saved files and exports."""

    layer_id: str
    person: int
    joints: list[int]
    visible: bool
    old: np.ndarray = None  # type: ignore[assignment]
    text: str = ""

    def __post_init__(self):
        self.joints = [int(j) for j in self.joints]
        if not self.text:
            names = ", ".join(skeleton.JOINTS[j].replace("_", " ") for j in self.joints[:3])
            more = "…" if len(self.joints) > 3 else ""
            self.text = f"{'Restore' if self.visible else 'Hide'} {names}{more}"

    def redo(self, doc):
        layer = _pose_layer(doc, self.layer_id)
        pose = layer.poses[self.person].copy()
        if self.old is None:
            self.old = pose.visible[self.joints].copy()
        pose.visible[self.joints] = self.visible
        layer.set_pose(self.person, pose, self.joints)

    def undo(self, doc):
        layer = _pose_layer(doc, self.layer_id)
        pose = layer.poses[self.person].copy()
        pose.visible[self.joints] = self.old
        layer.set_pose(self.person, pose, self.joints)


@dataclass
class SetPoses(Edit):
    """Replace a pose layer's whole list of people (mirror, flip, apply from the
    library, import, add or remove a person)."""

    layer_id: str
    old: list[Pose]
    new: list[Pose]
    text: str = "Change poses"

    def __post_init__(self):
        self.old = [p.copy() for p in self.old]
        self.new = [p.copy() for p in self.new]

    def redo(self, doc):
        _pose_layer(doc, self.layer_id).set_poses(self.new)

    def undo(self, doc):
        _pose_layer(doc, self.layer_id).set_poses(self.old)

    @classmethod
    def for_person(cls, layer: PoseLayer, person: int, pose: Pose, text: str) -> SetPoses:
        new = [p.copy() for p in layer.poses]
        new[person] = pose
        return cls(layer.id, layer.poses, new, text)


@dataclass
class LayerProps(Edit):
    """Layer properties changed: ``changes`` maps a property (name, visible,
    opacity, locked) to (old, new)."""

    layer_id: str
    changes: dict
    text: str = ""

    def __post_init__(self):
        bad = set(self.changes) - set(PROPERTIES)
        if bad:
            raise ValueError(f"not a layer property: {', '.join(sorted(bad))}")
        if not self.text:
            prop = next(iter(self.changes), "properties")
            self.text = {"visible": "Toggle visibility", "opacity": "Change opacity", "locked": "Toggle lock",
                         "name": "Rename layer"}.get(prop, "Layer properties")

    @classmethod
    def make(cls, layer: Layer, **new) -> LayerProps:
        return cls(layer.id, {k: (getattr(layer, k), v) for k, v in new.items()})

    def redo(self, doc):
        layer = doc.layers.by_id(self.layer_id)
        for k, (_, new) in self.changes.items():
            setattr(layer, k, new)

    def undo(self, doc):
        layer = doc.layers.by_id(self.layer_id)
        for k, (old, _) in self.changes.items():
            setattr(layer, k, old)


@dataclass
class Paint(Edit):
    """A stroke on a raster layer (parsing labels, edges): within ``bbox``
    (y0, x0, y1, x1), the pixels under ``mask`` (bool, bbox-sized) took ``new``;
    ``old`` holds their previous values (1-D, in mask order)."""

    layer_id: str
    bbox: tuple[int, int, int, int]
    mask: np.ndarray
    old: np.ndarray
    new: object
    text: str = "Paint"

    @classmethod
    def stroke(cls, layer: RasterLayer, mask: np.ndarray, value, text: str = "Paint") -> Paint | None:
        """The record for painting ``value`` where the full-size ``mask`` is set; None when empty."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != layer.data.shape[:2]:
            raise ValueError(f"stroke mask {mask.shape} does not match layer {layer.data.shape[:2]}")
        ys, xs = np.nonzero(mask)
        if len(ys) == 0:
            return None
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        sub = mask[y0:y1, x0:x1].copy()
        old = layer.data[y0:y1, x0:x1][sub].copy()
        return cls(layer.id, (y0, x0, y1, x1), sub, old, value, text)

    def _region(self, doc) -> tuple[RasterLayer, np.ndarray]:
        layer = doc.layers.by_id(self.layer_id)
        y0, x0, y1, x1 = self.bbox
        return layer, layer.data[y0:y1, x0:x1]

    def redo(self, doc):
        layer, region = self._region(doc)
        if layer.locked:
            raise LockedLayerError(f"layer {layer.name!r} is locked")
        region[self.mask] = self.new
        layer.data_changed(bbox=self.bbox)

    def undo(self, doc):
        layer, region = self._region(doc)
        region[self.mask] = self.old
        layer.data_changed(bbox=self.bbox)


@dataclass
class ReplaceData(Edit):
    """A raster layer's whole array replaced (mirror the canvas, a filter)."""

    layer_id: str
    old: np.ndarray
    new: np.ndarray
    text: str = "Replace pixels"

    def _put(self, doc, data):
        layer = doc.layers.by_id(self.layer_id)
        layer.data = data.copy()
        layer.data_changed(bbox=None)

    def redo(self, doc):
        self._put(doc, self.new)

    def undo(self, doc):
        self._put(doc, self.old)


@dataclass
class AddLayer(Edit):
    layer: Layer
    index: int
    text: str = "Add layer"

    def redo(self, doc):
        doc.layers.insert(self.index, self.layer)

    def undo(self, doc):
        doc.layers.remove(self.layer.id)


@dataclass
class RemoveLayer(Edit):
    """Delete a layer; only unlocked layers may be deleted."""

    layer: Layer
    index: int
    text: str = "Delete layer"

    def redo(self, doc):
        if self.layer.locked:
            raise LockedLayerError(f"layer {self.layer.name!r} is locked")
        doc.layers.remove(self.layer.id)

    def undo(self, doc):
        doc.layers.insert(self.index, self.layer)


@dataclass
class MoveLayer(Edit):
    """Move the layer ``layer_id`` to index ``dst``; undo puts it back where it was
    (found by id, so layers added meanwhile by a preview do not confuse it)."""

    layer_id: str
    dst: int
    text: str = "Reorder layers"
    below: str | None = None  # the layer it sat on before the move (None: it was at the bottom)

    def redo(self, doc):
        src = doc.layers.index(self.layer_id)
        self.below = doc.layers[src - 1].id if src > 0 else None
        doc.layers.move(src, max(0, min(self.dst, len(doc.layers) - 1)))

    def undo(self, doc):
        others = [l.id for l in doc.layers if l.id != self.layer_id]
        pos = others.index(self.below) + 1 if self.below in others else 0
        doc.layers.move(doc.layers.index(self.layer_id), pos)


@dataclass
class ResizeCanvas(Edit):
    """The canvas size changed (a new picture of another size); the records for the
    layers' content go beside it in the same Compound."""

    old: tuple[int, int]
    new: tuple[int, int]
    text: str = "Resize canvas"

    def _put(self, doc, size):
        doc.width, doc.height = int(size[0]), int(size[1])
        doc.size_changed()

    def redo(self, doc):
        self._put(doc, self.new)

    def undo(self, doc):
        self._put(doc, self.old)


@dataclass
class SetKeyframe(Edit):
    """Set (``new`` = list of poses) or delete (``new`` = None) the keyframe at ``frame``."""

    frame: int
    old: list[Pose] | None
    new: list[Pose] | None
    text: str = "Set keyframe"

    def _put(self, doc, poses):
        if poses is None:
            doc.keyframes.pop(self.frame, None)
        else:
            doc.keyframes[self.frame] = [p.copy() for p in poses]
        doc.keyframes_changed(self.frame)

    def redo(self, doc):
        self._put(doc, self.new)

    def undo(self, doc):
        self._put(doc, self.old)


@dataclass
class Compound(Edit):
    """Several records as one undo step (applied in order, undone in reverse)."""

    edits: list[Edit] = field(default_factory=list)
    text: str = "Edit"

    def redo(self, doc):
        for e in self.edits:
            e.redo(doc)

    def undo(self, doc):
        for e in reversed(self.edits):
            e.undo(doc)
