"""Parsing ▸ New Empty Layer and Parsing ▸ Parsing Map from Photo: the garment
flow starts on a photo that came without a parsing map."""

from __future__ import annotations

import numpy as np

from posestudio.core.edits import AddLayer
from posestudio.core.layers import ParsingLayer
from posestudio.ui.panel_jobs import select_layer


def _add(window, name: str, data: np.ndarray, text: str):
    doc = window.session.doc
    layer = ParsingLayer(name, data, "spt10")
    if not window.session.push(AddLayer(layer, len(doc.layers), text)):
        return None
    select_layer(window, layer)
    return layer


def new_empty_layer(window):
    """An all-background parsing layer (SPT-10) at the picture's size; one undo step."""
    doc = window.session.doc
    if doc.image_layer() is None:
        window.show_error("a parsing layer needs a picture: open one first")
        return None
    return _add(window, "Parsing", np.zeros((doc.height, doc.width), np.uint8), "New empty parsing layer")


def layer_from_photo(window):
    """A first parsing layer estimated from the picture and its source pose
    (:func:`posestudio.engine.edit.parsing.estimate`); one undo step."""
    from posestudio.engine.edit.parsing import estimate

    doc = window.session.doc
    image, pose = doc.image_layer(), doc.source_pose()
    if image is None or pose is None or not pose.visible.any():
        window.show_error("a parsing map from the photo needs a picture and its pose")
        return None
    data = estimate(np.ascontiguousarray(image.data[..., :3]), pose, "spt10")
    return _add(window, "Parsing (estimated)", data, "Parsing map from photo")
