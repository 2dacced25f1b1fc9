"""Regenerate docs/app_train_frames.png, docs/app_train_running.png and
docs/app_train_score.png: the real window at 1280x800 with the Train dock after
Prepare (the kept frames), during a run (curves) and after it (the score table).

    xvfb-run -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb PYTHONPATH=$PWD \\
        .venv/bin/python docs/make_train_screenshots.py [--double] [--minutes N]

The material is the four DeepFashion photos of ../shared/samples. With
``--double`` the dock runs tests/ui/personal_double.py (the tests' stand-in that
follows ``posestudio personal``'s run-folder contract) instead of the real
command, so the curves and scores are the stand-in's, not a trained model's.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["POSESTUDIO_HOME"] = tempfile.mkdtemp(prefix="posestudio-shots-")  # no saved layout
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

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


def main():
    app = QApplication.instance() or QApplication([])
    from posestudio.ui import train_run
    from posestudio.ui.main_window import MainWindow

    if "--double" in sys.argv:
        train_run.PERSONAL_PROGRAM = [sys.executable, str(REPO / "tests/ui/personal_double.py")]
        os.environ.setdefault("POSESTUDIO_DOUBLE_STEP_S", "0.08")
        os.environ["PYTHONPATH"] = str(REPO)
    work = Path(tempfile.mkdtemp(prefix="posestudio-train-shots-"))
    material = work / "character"
    material.mkdir()
    for p in sorted((REPO.parent / "shared/samples/deepfashion").glob("*.jpg")):
        shutil.copy(p, material / p.name)

    w = MainWindow()
    w.headless = True
    w.resize(1280, 800)
    w.move(0, 0)
    w.show()
    settle(app, 60)  # the editing docks and the Train dock install after the first show
    assert w.open_file(str(REPO / "resources/samples/deepfashion_2A.psproj")), w.last_error
    # while it trains, the timeline can go (View menu): the Train tab gets the right column's height
    w.docks["timeline"].hide()
    settle(app)
    w.training.action.trigger()
    panel = w.training.panel
    panel.set_source(material)
    minutes = int(sys.argv[sys.argv.index("--minutes") + 1]) if "--minutes" in sys.argv else 5
    panel.setup.minutes.setValue(minutes)
    panel.prepare()
    while panel.running:
        settle(app, 1)
        time.sleep(0.02)
    panel.frames.frames.setCurrentRow(1)
    shot(app, "docs/app_train_frames.png")
    panel.start()
    while panel.running and panel.progress.get("step", 0) < 25:
        settle(app, 1)
        time.sleep(0.02)
    settle(app, 60)
    shot(app, "docs/app_train_running.png")
    while panel.running:
        settle(app, 1)
        time.sleep(0.02)
    settle(app, 60)
    shot(app, "docs/app_train_score.png")
    w.ask_to_save = lambda: True
    w.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
