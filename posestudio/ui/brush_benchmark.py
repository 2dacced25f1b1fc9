"""Brush repaint benchmark: the cost of one mouse-move step of a parsing brush
stroke on a 1024x1024 label map in the real window, offscreen.

One step = the mouse-move event through the tool's event filter (the swept
disc into the stroke mask, the label written into the layer, the dirty
rectangle of the layer's pixmap redrawn) + the canvas repainting that dirty
region (``processEvents`` runs the pending paint). Writes JSON.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m posestudio.ui.brush_benchmark --out bench_brush.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def run(size: int = 1024, moves: int = 200, brush: int = 24, zoom: float | None = None) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import posestudio.ui  # noqa: F401
    from posestudio.core.document import Document
    from posestudio.core.layers import ParsingLayer
    from posestudio.ui.editing_tools import install_editing_tools
    from posestudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = MainWindow()
    w.resize(1280, 860)
    w.show()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    doc = Document.from_image(img, "bench")
    labels_ = np.zeros((size, size), np.uint8)
    labels_[size // 4: 3 * size // 4, size // 3: 2 * size // 3] = 3
    doc.layers.insert(1, ParsingLayer("Parsing", labels_, "spt10", opacity=0.6))
    w.session.set_document(doc)
    install_editing_tools(w)
    for _ in range(5):
        app.processEvents()
    w.view.fit() if zoom is None else w.view.set_zoom(zoom)
    app.processEvents()
    ed = w.editing
    ed.actions["tool_brush"].trigger()
    ed.tools.set_label(2)
    ed.tools.set_size(brush)
    vp = w.view.viewport()
    c = vp.rect().center()
    start = QPoint(c.x() - 150, c.y() - 100)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    app.processEvents()
    ed.tools.last_move_ms.clear()
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        paints = 0
        area = 0

        def eventFilter(self, obj, ev):  # noqa: N802
            if ev.type() == QEvent.Type.Paint:
                PaintCounter.paints += 1
                r = ev.region().boundingRect()
                PaintCounter.area += r.width() * r.height()
            return False

    counter = PaintCounter()
    vp.installEventFilter(counter)
    steps = []
    for i in range(1, moves + 1):
        p = QPoint(start.x() + (i * 3) % 300, start.y() + (i * 7) % 200)
        t0 = time.perf_counter()
        QTest.mouseMove(vp, p)
        app.processEvents()  # the scene's change notice is queued, then the viewport's repaint
        app.processEvents()
        steps.append((time.perf_counter() - t0) * 1000)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
    app.processEvents()
    handler = list(ed.tools.last_move_ms)
    out = {
        "map": f"{size}x{size}", "moves": moves, "brush_px": brush, "zoom": round(w.view.zoom, 3),
        "step_ms_median": round(statistics.median(steps), 3),
        "step_ms_p95": round(sorted(steps)[int(0.95 * len(steps)) - 1], 3),
        "step_ms_max": round(max(steps), 3),
        "mask_and_layer_ms_median": round(statistics.median(handler), 3),
        "viewport_paints": PaintCounter.paints,
        "mean_painted_px": round(PaintCounter.area / max(1, PaintCounter.paints)),
        "viewport_px": vp.width() * vp.height(),
        "undo_steps": w.session.undo.count(),
    }
    ed.shutdown()
    w.generation.shutdown()
    w.session.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--brush", type=int, default=24)
    ap.add_argument("--zoom", type=float, default=None, help="view zoom (default: fit to window)")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    res = run(a.size, a.moves, a.brush, a.zoom)
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        from posestudio.core.formats.atomic import atomic_write_bytes

        atomic_write_bytes(a.out, (text + "\n").encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
