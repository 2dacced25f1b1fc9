"""Layers of a document and the ordered ``LayerList`` that holds them.

No Qt: every change emits a plain Python event (callbacks), as napari's layer
model does, so a Qt item model (``posestudio.ui.panels.layer_model``) and the
canvas can follow the list without the list knowing about them.

Layer kinds: ``image`` (the source picture), ``pose`` (one or more people's
skeletons), ``parsing`` (integer garment labels + the name of their label set),
``edge`` (a face edge map), ``result`` (a generated picture) and
``intermediate`` (a generator's flow / visibility / parsing output, shown for
inspection). Index 0 is the bottom of the stack.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posestudio.core.pose import Pose

KINDS = ("image", "pose", "parsing", "edge", "result", "intermediate")
# Properties an artist edits in the layer panel; each change is one undoable record.
PROPERTIES = ("name", "visible", "opacity", "locked")


@dataclass
class Event:
    """What changed. ``type`` is one of: inserted, removed, moved, changed (a
    property: ``prop``, ``old``, ``new``), data (pixels or poses: ``info``),
    reset (everything), solo."""

    type: str
    layer: Layer | None = None
    index: int = -1
    prop: str = ""
    old: Any = None
    new: Any = None
    info: dict = field(default_factory=dict)


class Emitter:
    """A list of callbacks; ``emit`` calls them in order. A callback that raises
    is a bug in the listener, so the exception propagates."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Event], None]] = []

    def connect(self, callback: Callable[[Event], None]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Event], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: Event) -> None:
        for cb in list(self._callbacks):
            cb(event)


class Layer:
    """Base layer. Setting a property emits a ``changed`` event on ``events``."""

    kind = "layer"

    def __init__(self, name: str, *, visible: bool = True, opacity: float = 1.0, locked: bool = False,
                 layer_id: str | None = None):
        self.events = Emitter()
        self.id = layer_id or uuid.uuid4().hex[:12]
        self._name = str(name)
        self._visible = bool(visible)
        self._opacity = float(np.clip(opacity, 0.0, 1.0))
        self._locked = bool(locked)

    def _set(self, prop: str, value) -> None:
        old = getattr(self, "_" + prop)
        if old == value:
            return
        setattr(self, "_" + prop, value)
        self.events.emit(Event("changed", self, prop=prop, old=old, new=value))

    name = property(lambda self: self._name, lambda self, v: self._set("name", str(v)))
    visible = property(lambda self: self._visible, lambda self, v: self._set("visible", bool(v)))
    opacity = property(lambda self: self._opacity,
                       lambda self, v: self._set("opacity", float(np.clip(v, 0.0, 1.0))))
    locked = property(lambda self: self._locked, lambda self, v: self._set("locked", bool(v)))

    def props(self) -> dict:
        return {p: getattr(self, p) for p in PROPERTIES}

    def clone(self) -> Layer:
        """An independent copy with the same id and no listeners (snapshots, autosave)."""
        new = copy.copy(self)
        new.events = Emitter()
        if isinstance(getattr(self, "data", None), np.ndarray):
            new.data = self.data.copy()
        if isinstance(getattr(self, "poses", None), list):
            new.poses = [p.copy() for p in self.poses]
        return new

    def data_changed(self, **info) -> None:
        """Tell listeners that the layer's pixels or poses changed (``info`` says where)."""
        self.events.emit(Event("data", self, info=info))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self.id}>"


class RasterLayer(Layer):
    """A layer holding a numpy array ``data`` (H x W or H x W x C)."""

    kind = "raster"

    def __init__(self, name: str, data: np.ndarray, **kw):
        super().__init__(name, **kw)
        self.data = np.ascontiguousarray(data)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.data.shape[1]), int(self.data.shape[0])


class ImageLayer(RasterLayer):
    """An RGB or RGBA uint8 picture (H x W x 3 or 4)."""

    kind = "image"

    def __init__(self, name: str, data: np.ndarray, **kw):
        data = np.asarray(data)
        if data.dtype != np.uint8 or data.ndim != 3 or data.shape[2] not in (3, 4):
            raise ValueError(f"an image layer needs uint8 HxWx3 or HxWx4, got {data.dtype} {data.shape}")
        super().__init__(name, data, **kw)


class ResultLayer(ImageLayer):
    """A generated picture; ``model`` and ``seconds`` record how it was made."""

    kind = "result"

    def __init__(self, name: str, data: np.ndarray, *, model: str = "", seconds: float = 0.0, **kw):
        super().__init__(name, data, **kw)
        self.model = model
        self.seconds = float(seconds)


class ParsingLayer(RasterLayer):
    """Integer garment labels (H x W) in the label set ``label_set`` (e.g. ``spt10``)."""

    kind = "parsing"

    def __init__(self, name: str, data: np.ndarray, label_set: str = "spt10", **kw):
        data = np.asarray(data)
        if data.ndim != 2 or not np.issubdtype(data.dtype, np.integer):
            raise ValueError(f"a parsing layer needs an integer HxW label map, got {data.dtype} {data.shape}")
        super().__init__(name, data.astype(np.uint8 if data.max(initial=0) < 256 else np.uint16), **kw)
        self.label_set = label_set


class EdgeLayer(RasterLayer):
    """A face edge map, uint8 H x W (0 background, 255 edge)."""

    kind = "edge"

    def __init__(self, name: str, data: np.ndarray, **kw):
        data = np.asarray(data)
        if data.ndim != 2:
            raise ValueError(f"an edge layer needs an HxW map, got {data.shape}")
        super().__init__(name, data.astype(np.uint8), **kw)


class IntermediateLayer(RasterLayer):
    """A generator's intermediate output kept for inspection: ``role`` is flow
    (H x W x 2 float32 pixel offsets), visibility (H x W float or int) or parsing."""

    kind = "intermediate"

    def __init__(self, name: str, data: np.ndarray, role: str, **kw):
        super().__init__(name, np.asarray(data), **kw)
        self.role = role


class PoseLayer(Layer):
    """Skeletons of one or more people (``poses``), in source-image pixels.

    ``role`` is ``target`` (the pose the artist makes; generators render it) or
    ``source`` (the pose of the person in the source picture, which pose
    transfer needs as its starting point; kept locked and hidden by default)."""

    kind = "pose"

    def __init__(self, name: str, poses: list[Pose] | None = None, role: str = "target", **kw):
        super().__init__(name, **kw)
        self.poses: list[Pose] = [p.copy() for p in (poses or [])]
        self.role = role

    def set_pose(self, person: int, pose: Pose, joints=None) -> None:
        self.poses[person] = pose.copy()
        self.data_changed(person=person, joints=None if joints is None else list(joints))

    def set_poses(self, poses: list[Pose]) -> None:
        self.poses = [p.copy() for p in poses]
        self.data_changed(person=None, joints=None)


class LayerList:
    """Ordered layers (index 0 at the bottom). ``events`` reports inserts,
    removals, moves, and forwards every layer's own events."""

    def __init__(self, layers: list[Layer] | None = None):
        self.events = Emitter()
        self._layers: list[Layer] = []
        self._solo: str | None = None
        for layer in layers or []:
            self.insert(len(self._layers), layer)

    # -- sequence protocol ---------------------------------------------------
    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers))

    def __getitem__(self, i: int) -> Layer:
        return self._layers[i]

    def index(self, layer: Layer | str) -> int:
        lid = layer if isinstance(layer, str) else layer.id
        for i, l in enumerate(self._layers):
            if l.id == lid:
                return i
        raise KeyError(f"no layer with id {lid}")

    def by_id(self, lid: str) -> Layer:
        return self._layers[self.index(lid)]

    def of_kind(self, kind: str) -> list[Layer]:
        return [l for l in self._layers if l.kind == kind]

    def first(self, kind: str) -> Layer | None:
        found = self.of_kind(kind)
        return found[0] if found else None

    # -- changes --------------------------------------------------------------
    def _forward(self, event: Event) -> None:
        self.events.emit(event)

    def insert(self, index: int, layer: Layer) -> None:
        if any(l.id == layer.id for l in self._layers):
            raise ValueError(f"layer {layer.id} is already in the list")
        index = max(0, min(index, len(self._layers)))
        self._layers.insert(index, layer)
        layer.events.connect(self._forward)
        self.events.emit(Event("inserted", layer, index))

    def append(self, layer: Layer) -> None:
        self.insert(len(self._layers), layer)

    def remove(self, layer: Layer | str) -> Layer:
        i = self.index(layer)
        removed = self._layers.pop(i)
        removed.events.disconnect(self._forward)
        if self._solo == removed.id:
            self._solo = None
        self.events.emit(Event("removed", removed, i))
        return removed

    def move(self, src: int, dst: int) -> None:
        """Move the layer at ``src`` so that it ends at index ``dst``."""
        if src == dst:
            return
        layer = self._layers.pop(src)
        self._layers.insert(dst, layer)
        self.events.emit(Event("moved", layer, dst, old=src, new=dst))

    def clear(self) -> None:
        for layer in list(self._layers):
            self.remove(layer)

    # -- solo: view state, not saved, not undoable ------------------------------
    @property
    def solo(self) -> str | None:
        return self._solo

    def set_solo(self, layer: Layer | str | None) -> None:
        """Show only ``layer`` (Krita/Photoshop Alt+click); None or the same layer again ends solo."""
        lid = None if layer is None else (layer if isinstance(layer, str) else layer.id)
        self._solo = None if lid == self._solo else lid
        self.events.emit(Event("solo", None if self._solo is None else self.by_id(self._solo)))

    def is_shown(self, layer: Layer) -> bool:
        if self._solo is not None:
            return layer.id == self._solo
        return layer.visible
