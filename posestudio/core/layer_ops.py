"""Layer commands of the layer panel's context menu as edit records: duplicate a
layer, merge a layer down into the one below it (one undo step each)."""

from __future__ import annotations

import uuid

import numpy as np

from posestudio.core.edits import AddLayer, Compound, RemoveLayer, ReplaceData, SetPoses
from posestudio.errors import InputError

PICTURES = ("image", "result")


def duplicate(doc, layer) -> AddLayer:
    """A copy of ``layer`` (own id, name "… copy", unlocked) just above it."""
    new = layer.clone()
    new.id = uuid.uuid4().hex[:12]
    new._name = f"{layer.name} copy"
    new._locked = False
    return AddLayer(new, doc.layers.index(layer) + 1, f"Duplicate {layer.name}")


def below(doc, layer):
    """The layer under ``layer``, or None at the bottom."""
    i = doc.layers.index(layer)
    return doc.layers[i - 1] if i > 0 else None


def _over(top: np.ndarray, bottom: np.ndarray, opacity: float) -> np.ndarray:
    t = top.astype(np.float32) / 255.0
    b = bottom.astype(np.float32) / 255.0
    ta = (t[:, :, 3:] if t.shape[2] == 4 else np.ones_like(t[:, :, :1])) * opacity
    rgb = t[:, :, :3] * ta + b[:, :, :3] * (1 - ta)
    if bottom.shape[2] == 4:
        ba = b[:, :, 3:]
        a = ta + ba * (1 - ta)
        rgb = np.divide(t[:, :, :3] * ta + b[:, :, :3] * ba * (1 - ta), a, out=np.zeros_like(rgb), where=a > 0)
        rgb = np.concatenate([rgb, a], axis=2)
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


def can_merge_down(doc, layer) -> bool:
    """Whether :func:`merge_down` would accept ``layer``."""
    try:
        merge_down(doc, layer)
    except InputError:
        return False
    return True


def merge_down(doc, layer) -> Compound:
    """``layer`` painted into the layer below (pictures composited with its opacity, label
    maps where it has labels, poses joined), then removed. Raises ``InputError`` when the
    two cannot merge."""
    under = below(doc, layer)
    if under is None:
        raise InputError(f"layer {layer.name!r} is at the bottom: there is nothing to merge it into")
    if under.locked or layer.locked:
        raise InputError(f"layer {(under if under.locked else layer).name!r} is locked; unlock it to merge")
    kinds = (layer.kind, under.kind)
    if kinds[0] in PICTURES and kinds[1] in PICTURES:
        if layer.data.shape[:2] != under.data.shape[:2]:
            raise InputError(f"layers {layer.name!r} and {under.name!r} differ in size")
        change = ReplaceData(under.id, under.data.copy(), _over(layer.data, under.data, layer.opacity))
    elif kinds == ("parsing", "parsing"):
        if layer.label_set != under.label_set or layer.data.shape != under.data.shape:
            raise InputError(f"label maps {layer.name!r} and {under.name!r} differ in label set or size")
        change = ReplaceData(under.id, under.data.copy(), np.where(layer.data > 0, layer.data, under.data))
    elif kinds == ("pose", "pose"):
        change = SetPoses(under.id, list(under.poses), list(under.poses) + [p.copy() for p in layer.poses])
    else:
        raise InputError(f"cannot merge a {kinds[0]} layer into a {kinds[1]} layer")
    return Compound([change, RemoveLayer(layer, doc.layers.index(layer))], f"Merge {layer.name} down")
