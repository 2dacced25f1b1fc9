"""Garment, attribute and face editing flows with the weight-free puppet engine."""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.engine.edit.garment import feather_reach


def _layer(window, kind, name):
    return next((l for l in window.session.doc.layers.of_kind(kind) if l.name == name), None)


def test_garment_flow_predict_paint_generate(ewindow, qtbot):
    w, ed = ewindow, ewindow.editing
    g = ed.garment
    g.model.setCurrentText("puppet")
    src = w.session.doc.layers.first("parsing")
    g.predict()
    qtbot.waitUntil(lambda: g.target_layer() is not None, timeout=60000)
    target = g.target_layer()
    assert target.data.shape == src.data.shape and target.label_set == "spt10"
    assert not np.array_equal(target.data, src.data)  # carried to the target pose
    assert not src.visible and w.paint_target() is target
    w.session.undo.undo()  # one step: the layer goes and the source map shows again
    assert g.target_layer() is None and src.visible
    w.session.undo.redo()
    target = g.target_layer()
    g.generate()
    qtbot.waitUntil(lambda: _layer(w, "result", "Garment result") is not None, timeout=60000)
    result = _layer(w, "result", "Garment result")
    assert result.data.shape == (w.session.doc.height, w.session.doc.width, 3)
    plain = result.data.copy()  # the target parsing as predicted: the plain pose warp
    predicted = target.data.copy()
    # repaint with live preview on: the arms of the target become upper clothes (long sleeves)
    g.live.setChecked(True)
    ls = labels.get("spt10")
    arms = np.isin(target.data, [ls.index("left arm"), ls.index("right arm")])
    assert arms.any()
    ys, xs = np.nonzero(arms)
    tools = ed.tools
    w.editing.actions["tool_brush"].trigger()
    tools.set_label(ls.index("upper clothes"))
    tools.set_size(9)
    tools.press(float(xs[0]), float(ys[0]))
    for x, y in zip(xs[::25], ys[::25], strict=False):
        tools.move(float(x), float(y))
    tools.release()
    painted = (target.data == ls.index("upper clothes")) & arms
    assert painted.sum() > 50
    qtbot.waitUntil(lambda: not np.array_equal(result.data, plain), timeout=60000)
    # the repainted pixels took new colours; far from them the picture is the same warp
    assert (np.abs(result.data[painted].astype(int) - plain[painted]).sum(1) > 0).mean() > 0.5
    repainted = (target.data != predicted).astype(np.uint8)
    r = feather_reach(repainted.shape)  # the soft edge: a few pixels
    far = ~np.asarray(cv2.dilate(repainted, np.ones((2 * r + 1, 2 * r + 1), np.uint8)), bool)
    assert far.sum() > 0.5 * far.size and np.array_equal(result.data[far], plain[far])


def test_attribute_transfer_with_a_reference_person(ewindow, qtbot, samples_dir):
    w, a = ewindow, ewindow.editing.attribute
    a.model.setCurrentText("puppet")
    assert a.region.currentText() == "upper clothes"
    assert a.load_reference(samples_dir / "3_A.jpg")
    a.transfer()
    qtbot.waitUntil(lambda: _layer(w, "result", "Attribute result") is not None, timeout=60000)
    assert _layer(w, "result", "Attribute result").data.shape[:2] == (w.session.doc.height, w.session.doc.width)


def test_face_layer_pen_and_colorize_paste_back(ewindow, qtbot):
    w, f, tools = ewindow, ewindow.editing.face, ewindow.editing.tools
    f.model.setCurrentText("puppet")
    assert f.make_layer()
    layer = f.edge_layer()
    x0, y0, x1, y1 = f.box
    assert 0 <= x0 < x1 <= w.session.doc.width and (x1 - x0) == (y1 - y0) >= 32
    assert layer.data[y0:y1, x0:x1].any() and not layer.data[:y0].any()
    f.pen.click()
    assert tools.tool == "edge_pen" and tools.size == 3
    before = layer.data.copy()
    tools.press(x0 + 5, y0 + 5)
    tools.move(x0 + 25, y0 + 5)
    tools.release()
    assert (layer.data[y0 + 5, x0 + 6:x0 + 24] == 255).all() and (layer.data != before).sum() < 200
    w.session.undo.undo()
    assert np.array_equal(layer.data, before)
    f.colorize()
    qtbot.waitUntil(lambda: _layer(w, "result", "Face result") is not None, timeout=60000)
    out = _layer(w, "result", "Face result").data
    picture = w.session.doc.image_layer().data[..., :3]
    assert np.array_equal(out[:y0], picture[:y0])  # pasted back only inside the face box


def test_garment_texture_comes_from_the_reference_person(ewindow, qtbot, samples_dir, tmp_path):
    """A label the picture does not have (a skirt) takes its texture from the second
    person: the reference parsing marks 3_A's trousers as the skirt."""
    from PIL import Image

    w, ed = ewindow, ewindow.editing
    g = ed.garment
    g.model.setCurrentText("puppet")
    ref_par = np.array(Image.open(samples_dir / "3_A_parsing.png"))
    ls = labels.get("spt10")
    skirt, pants = ls.index("skirt"), ls.index("pants")
    ref_par[ref_par == pants] = skirt
    Image.fromarray(ref_par).save(tmp_path / "ref_parsing.png")
    assert g.load_reference(samples_dir / "3_A.jpg", tmp_path / "ref_parsing.png")
    g.predict()
    qtbot.waitUntil(lambda: g.target_layer() is not None, timeout=60000)
    target = g.target_layer()
    w.editing.actions["tool_fill"].trigger()
    ed.tools.set_label(skirt)
    ys, xs = np.nonzero(target.data == pants)
    ed.tools.press(float(xs[len(xs) // 2]), float(ys[len(ys) // 2]))
    repainted = target.data == skirt
    assert repainted.sum() > 1000
    g.generate()
    qtbot.waitUntil(lambda: _layer(w, "result", "Garment result") is not None, timeout=60000)
    out = _layer(w, "result", "Garment result").data[repainted].reshape(-1, 3).astype(float).mean(0)
    ref_img = np.array(Image.open(samples_dir / "3_A.jpg").convert("RGB"))
    ref_colour = ref_img[ref_par == skirt].astype(float).mean(0)
    own = w.session.doc.image_layer().data[..., :3]
    own_colour = own[w.session.doc.layers.first("parsing").data == pants].astype(float).mean(0)
    assert np.abs(out - ref_colour).sum() < np.abs(out - own_colour).sum()
