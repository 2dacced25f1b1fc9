"""Regenerate docs/screenshot_parsing.png and docs/screenshot_timeline.png (offscreen):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_editing_screenshots.py
"""

import os
import sys
import tempfile  # noqa: E402
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["POSESTUDIO_HOME"] = tempfile.mkdtemp(prefix="posestudio-shots-")  # no saved layout
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import posestudio.ui  # noqa: E402,F401


def settle(app, n=10):
    for _ in range(n):
        app.processEvents()


def shot(w, rel):
    pm = w.grab()
    print(rel, pm.width(), pm.height())
    pm.save(str(REPO / rel))


def main():
    app = QApplication.instance() or QApplication([])
    from posestudio.core import labels
    from posestudio.ui.editing_tools import install_editing_tools
    from posestudio.ui.main_window import MainWindow

    w = MainWindow()
    w.resize(1200, 800)
    w.show()
    assert w.open_file(str(REPO / "resources/samples/deepfashion_2A.psproj")), w.last_error
    install_editing_tools(w)
    ed = w.editing
    settle(app)
    # parsing editor: the garment flow mid-edit, long sleeves painted on the target parsing
    ed.garment.model.setCurrentText("puppet")
    ed.docks["garment"].raise_()
    ed.garment.predict()
    while ed.garment.target_layer() is None:
        settle(app, 1)
    target = ed.garment.target_layer()
    ls = labels.get("spt10")
    arms = np.isin(target.data, [ls.index("left arm"), ls.index("right arm")])
    ed.actions["tool_brush"].trigger()
    ed.tools.set_label(ls.index("upper clothes"))
    ed.tools.set_size(14)
    for off in (0, 128):
        ys, xs = np.nonzero(arms[:, off:off + 128])
        top = ys < ys.min() + 0.6 * (ys.max() - ys.min())
        ys, xs = ys[top], xs[top] + off
        order = np.argsort(ys)
        ed.tools.press(float(xs[order[0]]), float(ys[order[0]]))
        for i in order[::15]:
            ed.tools.move(float(xs[i]), float(ys[i]))
        ed.tools.release()
    ed.docks["labels"].raise_()
    w.view.fit()
    settle(app, 20)
    shot(w, "docs/screenshot_parsing.png")
    # timeline: frame 8 between the two keyframes, onion skin on
    ed.tools.set_tool("none")
    for l in list(w.session.doc.layers):
        if l.kind == "parsing":
            l.visible = False
    tp = ed.timeline
    tp.onion.setChecked(True)
    tp.onion_opacity.setValue(70)
    tp.scrub(8)
    ed.docks["timeline"].raise_()
    w.view.fit()
    settle(app, 20)
    shot(w, "docs/screenshot_timeline.png")
    ed.shutdown()
    w.generation.shutdown()
    w.session.close()


if __name__ == "__main__":
    main()
