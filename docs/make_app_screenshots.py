"""Regenerate the docs/app_*.png screenshots: the real window on an X server at 1280x800.

    Xvfb :99 -screen 0 1280x800x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python docs/make_app_screenshots.py

Each picture is the X screen as the server shows it (menus and dialogs included),
taken with QScreen.grabWindow(0) once the window has settled.
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ["POSESTUDIO_HOME"] = tempfile.mkdtemp(prefix="posestudio-shots-")  # no saved layout
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QPoint, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import posestudio.ui  # noqa: E402,F401


def settle(app, n=30):
    for _ in range(n):
        app.processEvents()


def shot(app, rel):
    settle(app)
    pm = app.primaryScreen().grabWindow(0)
    pm.save(str(REPO / rel))
    print(rel, pm.width(), pm.height())


def generate(app, w):
    done = []
    w.generation.result_applied.connect(done.append)
    w.generate()
    while not done:
        settle(app, 1)


def main():
    app = QApplication.instance() or QApplication([])
    from posestudio.core.edits import MoveJoints
    from posestudio.ui.main_window import MainWindow
    from posestudio.ui.panels import layer_menu

    w = MainWindow()
    w.resize(1280, 800)
    w.move(0, 0)
    w.show()
    settle(app, 60)  # the editing docks install after the first show
    assert w.open_file(str(REPO / "resources/samples/deepfashion_2A.psproj")), w.last_error
    settle(app)
    ed = w.editing
    tp = ed.timeline
    w.generator_panel.model.setCurrentText("puppet")

    # 1. keyframing: the turn between the back view (0) and the front view (24) at frame 12,
    # onion skin on, and an unkeyed edit kept at frame 12 (orange frame field, hollow mark)
    tp.onion.setChecked(True)
    tp.onion_opacity.setValue(60)
    tp.scrub(12)
    layer = w.session.pose_layer()
    before = layer.poses[0].copy()
    after = before.copy()
    after.xy[4] = (after.xy[4][0] + 40, after.xy[4][1] - 70)
    w.session.push(MoveJoints(layer.id, 0, [4], before.xy[[4]], after.xy[[4]], text="Move joint"))
    ed.docks["timeline"].raise_()
    shot(app, "docs/app_keyframing.png")
    tp.playhead.discard()
    tp.onion.setChecked(False)

    # 2. feedback: a result at frame 24, then the pose edited: the Result row says out of date
    tp.scrub(24)
    generate(app, w)
    layer = w.session.pose_layer()
    before = layer.poses[0].copy()
    after = before.copy()
    after.xy[7] = (after.xy[7][0] + 30, after.xy[7][1] - 60)
    w.session.push(MoveJoints(layer.id, 0, [7], before.xy[[7]], after.xy[[7]], text="Move joint"))
    w.docks["generator"].raise_()
    shot(app, "docs/app_feedback.png")
    w.session.undo.undo()

    # 3. the layer context menu (the parsing layer shown above the result while a brush is active)
    parsing = w.session.doc.layers.first("parsing")
    parsing.visible = True
    model = w.layers_panel.model
    row = model.row_of(parsing)
    w.layers_panel.tree.setCurrentIndex(model.index(row, 2))
    ed.actions["tool_brush"].trigger()
    menu = layer_menu.build_menu(w.layers_panel, parsing)
    rect = w.layers_panel.tree.visualRect(model.index(row, 2))
    pos = w.layers_panel.tree.viewport().mapToGlobal(rect.center() + QPoint(-40, 0))
    QTimer.singleShot(300, lambda: (shot(app, "docs/app_layer_menu.png"), menu.close()))
    menu.exec(pos)
    ed.actions["tool_brush"].trigger()

    # 4. File menu with Export Image…
    file_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
    file_menu.setActiveAction(w.actions["export_image"])
    QTimer.singleShot(300, lambda: (shot(app, "docs/app_export_menu.png"), file_menu.close()))
    file_menu.exec(w.menuBar().mapToGlobal(QPoint(0, w.menuBar().height())))

    # 5. the render dialog after an OpenPose JSON sequence
    out = Path(tempfile.mkdtemp(prefix="posestudio-render-"))
    dlg = ed.open_render_dialog(w)
    dlg.hide()
    dlg.move(w.geometry().center() - dlg.rect().center())
    dlg.show()
    dlg.format.setCurrentIndex(dlg.format.findData("openpose"))
    dlg.path.setText(str(out / "deepfashion_2A_poses"))
    dlg.start_render()
    dlg.wait()
    settle(app, 60)
    shot(app, "docs/app_render_dialog.png")
    dlg.close()

    ed.shutdown()
    w.generation.shutdown()
    w.ask_to_save = lambda: True
    w.close()


if __name__ == "__main__":
    main()
