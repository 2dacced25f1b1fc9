"""Parsing brush operations: the records they build and their exact undo."""

import numpy as np
import pytest

from posestudio.core import parsing_ops as ops
from posestudio.core.document import Document
from posestudio.core.edits import Paint
from posestudio.core.layers import ParsingLayer


def _doc(data):
    doc = Document(data.shape[1], data.shape[0])
    layer = ParsingLayer("P", data, "spt10")
    doc.layers.append(layer)
    return doc, layer


def test_brush_stroke_paints_the_disc_and_undo_restores_exact_pixels():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 10, (64, 80)).astype(np.uint8)
    doc, layer = _doc(data.copy())
    rec = ops.brush_stroke(layer, [(20, 30), (50, 30)], size=11, value=3)
    assert isinstance(rec, Paint)
    doc.apply(rec)
    yy, xx = np.mgrid[0:64, 0:80]
    # distance of each pixel centre to the segment (20..50, y=30)
    px = np.clip(xx, 20, 50)
    inside = (xx - px) ** 2 + (yy - 30) ** 2 <= 5.5**2
    assert (layer.data[inside] == 3).all()
    assert np.array_equal(layer.data[~inside], data[~inside])
    doc.revert(rec)
    assert np.array_equal(layer.data, data)


def test_size_is_clamped_and_one_pixel_brush_hits_its_pixel():
    assert ops.clamp_size(0) == 1 and ops.clamp_size(1000) == 300
    doc, layer = _doc(np.zeros((10, 10), np.uint8))
    doc.apply(ops.brush_stroke(layer, [(4, 6)], size=1, value=2))
    assert layer.data.sum() == 2 and layer.data[6, 4] == 2


def test_preserve_other_labels_paints_only_over_background_or_a_chosen_label():
    data = np.zeros((20, 20), np.uint8)
    data[:, 10:] = 3
    data[:5] = 4
    doc, layer = _doc(data.copy())
    doc.apply(ops.brush_stroke(layer, [(0, 10), (19, 10)], size=9, value=1, protect="background"))
    assert (layer.data[data == 3] == 3).all() and (layer.data[data == 4] == 4).all()
    assert (layer.data[6:15, :10] == 1).all()
    doc, layer = _doc(data.copy())
    doc.apply(ops.brush_stroke(layer, [(0, 10), (19, 10)], size=40, value=1, protect=3))
    assert (layer.data[data == 3] == 1).all() and (layer.data[data != 3] == data[data != 3]).all()


def test_fill_contiguous_toggle():
    data = np.zeros((20, 20), np.uint8)
    data[:, 9:11] = 5  # a wall: left and right background regions
    doc, layer = _doc(data.copy())
    rec = ops.fill(layer, 2, 2, 7, contiguous=True)
    doc.apply(rec)
    assert (layer.data[:, :9] == 7).all() and (layer.data[:, 11:] == 0).all()
    doc.revert(rec)
    assert np.array_equal(layer.data, data)
    doc.apply(ops.fill(layer, 2, 2, 7, contiguous=False))
    assert (layer.data[:, :9] == 7).all() and (layer.data[:, 11:] == 7).all() and (layer.data[:, 9:11] == 5).all()


def test_fill_with_preserve_does_nothing_on_a_protected_label():
    data = np.zeros((10, 10), np.uint8)
    data[3:6, 3:6] = 2
    doc, layer = _doc(data.copy())
    assert ops.fill(layer, 4, 4, 1, protect="background") is None
    rec = ops.fill(layer, 4, 4, 1, protect=2)
    doc.apply(rec)
    assert (layer.data == 1).sum() == 9


def test_polygon_replace_eyedropper_and_stroke_builder():
    data = np.zeros((30, 30), np.uint8)
    data[20:, :] = 8
    doc, layer = _doc(data.copy())
    doc.apply(ops.polygon_fill(layer, [(5, 5), (15, 5), (15, 15), (5, 15)], 2))
    assert (layer.data[5:16, 5:16] == 2).all() and (layer.data == 2).sum() == 121
    assert ops.eyedropper(layer, 10.5, 10.2) == 2 and ops.eyedropper(layer, 40, 1) is None
    rec = ops.replace_label(layer, 8, 9)
    doc.apply(rec)
    assert (layer.data[20:] == 9).all()
    doc.revert(rec)
    assert (layer.data[20:] == 8).all()
    before = layer.data.copy()
    sb = ops.StrokeBuilder(layer, 4, 5, protect="background")
    for x in range(0, 30, 3):
        sb.to(x, 18)
    live = layer.data.copy()
    rec = sb.record()
    assert rec is not None and (live[20:] == 8).all()  # the pants are protected
    doc.revert(rec)
    assert np.array_equal(layer.data, before)
    doc.apply(rec)
    assert np.array_equal(layer.data, live)


@pytest.mark.parametrize("pts", [[(-50, -50), (-40, -40)]])
def test_stroke_outside_the_image_makes_no_record(pts):
    doc, layer = _doc(np.zeros((10, 10), np.uint8))
    assert ops.brush_stroke(layer, pts, 5, 1) is None
