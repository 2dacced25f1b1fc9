"""The editing panels share the window's one engine: per-panel preview channels,
one worker, one result-layer function, and their warnings in the panel that asked."""

from __future__ import annotations

import threading

import numpy as np

from posestudio.engine import Engine, Request
from posestudio.ui.result_layers import named_result


def _request(doc, channel: str, preview: bool = True) -> Request:
    target = doc.pose_layer().poses[0]
    return Request(task="pose", model="puppet", source_image=np.ascontiguousarray(doc.image_layer().data[..., :3]),
                   source_pose=(doc.source_pose() or target).copy(), target_pose=target.copy(),
                   preview=preview, channel=channel)


def test_a_preview_cancels_only_the_older_previews_of_its_own_channel(window):
    doc = window.session.doc
    engine = Engine(backend="puppet")
    gate, started = threading.Event(), threading.Event()

    def hold(done, total):  # keeps the worker busy until the queue is built
        started.set()
        gate.wait(30)

    blocker = threading.Thread(target=engine.render_batch, args=([_request(doc, "x", False)], hold))
    blocker.start()
    try:
        assert started.wait(60)
        old_garment = engine.submit(_request(doc, "garment"))
        old_face = engine.submit(_request(doc, "face"))
        new_garment = engine.submit(_request(doc, "garment"))
        full = engine.submit(_request(doc, "garment", preview=False))
        assert old_garment.cancelled()  # the same panel's newer preview wins
        assert not old_face.cancelled() and not new_garment.cancelled() and not full.cancelled()
        gate.set()
        assert old_face.result(60).image.shape == new_garment.result(60).image.shape
    finally:
        gate.set()
        blocker.join(60)
        engine.shutdown()


def _engine_threads() -> int:
    return sum(t.name == "posestudio-engine" and t.is_alive() for t in threading.enumerate())


def test_panels_and_generator_run_on_one_engine(ewindow, qtbot):
    w, ed = ewindow, ewindow.editing
    w.generator_panel.model.setCurrentText("puppet")
    w.generation.submit(preview=False)
    qtbot.waitUntil(lambda: named_result(w.session.doc, "Result") is not None, timeout=60000)
    with_generator = _engine_threads()
    ed.garment.model.setCurrentText("puppet")
    ed.garment.predict()
    qtbot.waitUntil(lambda: ed.garment.target_layer() is not None, timeout=60000)
    assert _engine_threads() == with_generator  # no second worker (and model cache) for the panels
    assert ed.jobs.bridge is w.generation.bridge


def test_a_pose_result_never_lands_in_an_edit_result_layer(ewindow, qtbot):
    """The generator used to take the first result layer of the document, which could
    be the garment panel's: generating a pose overwrote the repainted garment."""
    w, g = ewindow, ewindow.editing.garment
    g.model.setCurrentText("puppet")
    g.predict()
    qtbot.waitUntil(lambda: g.target_layer() is not None, timeout=60000)
    g.generate()
    qtbot.waitUntil(lambda: named_result(w.session.doc, "Garment result") is not None, timeout=60000)
    garment = named_result(w.session.doc, "Garment result")
    kept = garment.data.copy()
    w.generator_panel.model.setCurrentText("puppet")
    w.generation.submit(preview=False)
    qtbot.waitUntil(lambda: named_result(w.session.doc, "Result") is not None, timeout=60000)
    assert np.array_equal(garment.data, kept)
    assert w.session.doc.layers.index(named_result(w.session.doc, "Result")) < w.session.doc.layers.index(garment)


def test_face_warning_shows_in_the_face_panel_and_the_status_names_the_model(ewindow, qtbot):
    w, f = ewindow, ewindow.editing.face
    f.model.setCurrentText("puppet")
    assert f.make_layer()
    x0, y0, x1, y1 = f.box
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    f.box = (cx - 20, cy - 20, cx + 20, cy + 20)  # a face under 48 px: the engine says it left it unchanged
    assert f.message.text() == ""
    f.colorize()
    qtbot.waitUntil(lambda: named_result(w.session.doc, "Face result") is not None, timeout=60000)
    qtbot.waitUntil(lambda: f.message.text() != "", timeout=60000)
    assert "48" in f.message.text() and f.message.isVisibleTo(f)
    layer = named_result(w.session.doc, "Face result")
    assert layer.model and f"Face: {layer.model} (" in w.statusBar().currentMessage()
    assert w.generator_panel.status.text() == ""  # the generator panel did not ask


def test_a_panel_works_without_a_window_and_says_why_it_cannot_edit(window, qtbot):
    """Panels only emit intent signals: one made from a bare session asks for a request
    (on its own channel) and shows what stops an edit in itself."""
    from posestudio.ui.panels.attribute_panel import AttributePanel

    panel = AttributePanel(window.session)
    qtbot.addWidget(panel)
    panel.transfer()
    assert "reference person" in panel.message.text()
    asked = []
    panel.generate_requested.connect(lambda req, ctx: asked.append(req))
    panel.reference_image = window.session.doc.image_layer().data[..., :3].copy()
    panel.reference_parsing = window.session.doc.layers.first("parsing").data.copy()
    panel.reference_pose = window.session.doc.pose_layer().poses[0].copy()
    panel.transfer()
    assert len(asked) == 1 and asked[0].task == "attribute" and asked[0].channel == "attribute"


def test_a_failed_edit_shows_in_its_panel_and_the_window(ewindow, qtbot):
    w, a = ewindow, ewindow.editing.attribute
    a.model.addItem("no-such-model")
    a.model.setCurrentText("no-such-model")
    a.reference_image = w.session.doc.image_layer().data[..., :3].copy()
    a.reference_parsing = w.session.doc.layers.first("parsing").data.copy()
    a.reference_pose = w.session.doc.pose_layer().poses[0].copy()
    a.transfer()
    qtbot.waitUntil(lambda: "failed" in a.message.text(), timeout=60000)
    assert "no-such-model" in a.message.text()
    assert w.last_error and "Attribute failed" in w.last_error
    assert named_result(w.session.doc, "Attribute result") is None
    assert w.generator_panel.status.text() == ""
