"""Issue 15 in the window: Parsing ▸ New Empty Layer / Parsing Map from Photo, the
garment panel saying what stops an edit, the face landing on the current result."""

from __future__ import annotations

import numpy as np

from posestudio.core import labels
from posestudio.ui.result_layers import put_result

LS = labels.get("spt10")


def _layer(window, kind, name):
    return next((l for l in window.session.doc.layers.of_kind(kind) if l.name == name), None)


def test_new_empty_parsing_layer_and_one_from_the_photo(ewindow):
    w = ewindow
    n = len(w.session.doc.layers)
    w.editing.actions["new_parsing_layer"].trigger()
    empty = _layer(w, "parsing", "Parsing")
    assert empty is not None and len(w.session.doc.layers) == n + 1
    assert empty.data.shape == (w.session.doc.height, w.session.doc.width) and not empty.data.any()
    w.session.undo.undo()
    assert _layer(w, "parsing", "Parsing") is None
    w.editing.actions["parsing_from_photo"].trigger()
    est = _layer(w, "parsing", "Parsing (estimated)")
    assert est is not None
    given = w.session.doc.layers.first("parsing").data  # the sample's own map
    person = ((est.data > 0) & (given > 0)).sum() / ((est.data > 0) | (given > 0)).sum()
    assert person > 0.6 and (est.data == LS.index("upper clothes")).sum() > 1000


def test_garment_panel_says_which_label_has_no_look(ewindow, qtbot):
    w, ed = ewindow, ewindow.editing
    g = ed.garment
    g.model.setCurrentText("puppet")
    g.predict()
    qtbot.waitUntil(lambda: g.target_layer() is not None, timeout=60000)
    target = g.target_layer()
    pants = target.data == LS.index("pants")
    assert pants.sum() > 500
    w.editing.actions["tool_fill"].trigger()
    ed.tools.set_label(LS.index("skirt"))
    ys, xs = np.nonzero(pants)
    ed.tools.press(float(xs[len(xs) // 2]), float(ys[len(ys) // 2]))
    assert g.message.text() == ""
    g.generate()
    qtbot.waitUntil(lambda: "skirt" in g.message.text(), timeout=60000)
    assert "reference" in g.message.text()


def test_the_face_lands_on_the_current_result(ewindow, qtbot):
    w, f = ewindow, ewindow.editing.face
    f.model.setCurrentText("puppet")
    picture = w.session.doc.image_layer().data[..., :3]
    posed = np.ascontiguousarray(255 - picture)  # stands for a generated result
    put_result(w.session, "Result", posed, None)
    assert f.make_layer()
    x0, y0, x1, y1 = f.box
    f.colorize()
    qtbot.waitUntil(lambda: _layer(w, "result", "Face result") is not None, timeout=60000)
    out = _layer(w, "result", "Face result").data
    assert np.array_equal(out, posed)  # unedited sketch: the result itself, not the unposed picture
