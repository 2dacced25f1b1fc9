"""The one way a generated picture gets into the document: ``put_result`` puts
it into the result layer of that name (the pose generator's "Result", the
editing panels' "Garment result", "Attribute result", "Face result"), making
the layer when it is missing. Like every generated result this is no undo step
(a live preview landing after an undo must never wipe the redo history), but
the document is modified."""

from __future__ import annotations

import numpy as np

from posestudio.core.layers import ResultLayer

GENERATOR_RESULT = "Result"
# a new result layer goes above the last layer of these kinds (the generator's
# own result sits below the edit results made from it)
SOURCE_KINDS = ("image", "parsing", "edge")


def named_result(doc, name: str) -> ResultLayer | None:
    return next((l for l in doc.layers if isinstance(l, ResultLayer) and l.name == name), None)


def put_result(session, name: str, img, res, over: tuple[str, ...] = SOURCE_KINDS + ("result",)) -> ResultLayer:
    """Put ``img`` (uint8 HxWx3 of the document's size; ValueError otherwise) into the
    result layer ``name``, recording the model and time of ``res`` (a Result or None).
    A new layer goes just above the last layer whose kind is in ``over``."""
    doc = session.doc
    img = np.ascontiguousarray(img)
    if img.shape[:2] != (doc.height, doc.width):
        raise ValueError(f"the result is {img.shape[1]}x{img.shape[0]}, the picture {doc.width}x{doc.height}")
    model, seconds = str(getattr(res, "model", "") or ""), float(getattr(res, "seconds", 0) or 0)
    layer = named_result(doc, name)
    if layer is None:
        layer = ResultLayer(name, img, model=model, seconds=seconds)
        index = max((doc.layers.index(l) for l in doc.layers if l.kind in over), default=-1) + 1
        doc.layers.insert(index, layer)
    else:
        layer.data = img
        layer.model, layer.seconds = model, seconds
        layer.data_changed(bbox=None)
    session.mark_dirty()
    return layer
