"""Adds the Train dock to the app's ``MainWindow`` and wires its intents to the
window: a reviewed frame opens on the canvas as a document, its corrected pose
goes back into the run's ``material.json``, a winning model becomes the
document's personal model, and closing the window while a run goes on asks
(keep training in the background / cancel training / don't close).

The window makes two calls: ``install_training(window)`` once its docks exist,
and ``may_close(window)`` from its ``closeEvent``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMessageBox

from posestudio.core import project
from posestudio.core.document import Document
from posestudio.errors import InputError
from posestudio.ui import train_run
from posestudio.ui.panels.train_panel import TrainPanel

SHORTCUT = "Ctrl+Shift+T"
KEEP, CANCEL, STAY = "keep", "cancel", "stay"
CANCEL_WAIT_S = 10.0  # how long closing waits for a cancelled run to save and exit 3


@dataclass
class Training:
    panel: TrainPanel
    dock: QDockWidget
    action: QAction
    reviewed: tuple | None = None  # (Document, Material, index) of the frame on the canvas


def install_training(window) -> Training:
    """The Train dock, tabbed with the generator docks, its View menu entry and shortcut."""
    if getattr(window, "training", None) is not None:
        return window.training
    panel = TrainPanel(restore=True)
    dock = QDockWidget("Train", window)
    dock.setObjectName("train_dock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    first = window.docks.get("generator")
    if first is not None:
        window.tabifyDockWidget(first, dock)  # one tab among the generator docks: the layer list stays tall
    window.docks["train"] = dock
    action = QAction("&Train Personal Model", window)
    action.setShortcut(QKeySequence(SHORTCUT))
    tip = "Train a model on this character's own pictures or video"
    action.setToolTip(f"{tip} ({SHORTCUT})")
    action.setStatusTip(tip)
    action.triggered.connect(lambda: show_dock(window))
    window.addAction(action)  # the shortcut works wherever the focus is
    training = Training(panel, dock, action)
    window.training = training
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == "View":
            a.menu().addSeparator()
            a.menu().addAction(action)
            a.menu().addAction(dock.toggleViewAction())
            break
    panel.open_frame.connect(lambda material, index: open_frame(window, material, index))
    panel.save_pose.connect(lambda material, index: save_pose(window, material, index))
    panel.use_model.connect(lambda name: use_personal_model(window, name))
    if panel.running:
        window.statusBar().showMessage("A personal model is training in the background: see the Train dock", 10000)
    panel.running_changed.connect(lambda running: window.statusBar().showMessage(
        "Training a personal model in a separate process" if running else "Training process ended", 5000))
    return training


def show_dock(window) -> None:
    """Show and raise the Train tab and give its tab group the column's height the Layers
    list can spare (the curves need it more than a fifth empty layer row)."""
    dock = window.training.dock
    dock.show()
    dock.raise_()
    layers = window.docks.get("layers")
    if layers is not None and layers.isVisible() and not dock.isFloating():
        spare = layers.height() - layers.minimumSizeHint().height()
        if spare > 0:
            window.resizeDocks([layers, dock], [layers.height() - spare, dock.height() + spare],
                               Qt.Orientation.Vertical)
    window.training.panel.setFocus()


# -- reviewing poses ---------------------------------------------------------------------------------
def open_frame(window, material: train_run.Material, index: int) -> bool:
    """Frame ``index`` and its pose as the window's document, to correct on the canvas."""
    if not window.ask_to_save():
        return False
    path = material.frame_file(index)
    try:
        image = project.read_image(path)
        pose = material.pose(index)
    except (InputError, KeyError, TypeError, ValueError) as exc:
        window.training.panel.show_message(str(exc) if isinstance(exc, InputError) else
                                           f"{material.path}: frame {index} has a damaged pose ({exc})", warning=True)
        return False
    doc = Document.from_image(image, path.stem, pose=pose)
    window.session.set_document(doc)
    window.training.reviewed = (doc, material, index)
    window.training.panel.show_message(f"Frame {path.stem} is on the canvas: correct its pose, then "
                                       "\"Save pose to material\"")
    return True


def save_pose(window, material: train_run.Material, index: int) -> bool:
    """The canvas pose becomes frame ``index``'s pose in material.json (atomic, project codec)."""
    panel = window.training.panel
    reviewed = window.training.reviewed
    if reviewed is None or reviewed[0] is not window.session.doc or reviewed[2] != index:
        panel.show_message("The canvas no longer shows that frame: open it again with Review poses", warning=True)
        return False
    layer = window.session.pose_layer()
    if layer is None or not layer.poses:
        panel.show_message("The document has no pose to save", warning=True)
        return False
    try:
        train_run.save_frame_pose(material.run, index, layer.poses[0])
        panel.material = train_run.read_material(material.run)
    except InputError as exc:
        panel.show_message(str(exc), warning=True)
        return False
    except OSError as exc:
        panel.show_message(f"{material.path}: could not save the pose ({exc.strerror or exc})", warning=True)
        return False
    window.training.reviewed = (reviewed[0], panel.material, index)
    window.session.undo.setClean()  # the corrections are saved where they belong: the material
    panel.show_message(f"Saved the pose of frame {material.frame_file(index).stem} into material.json")
    return True


# -- the model -----------------------------------------------------------------------------------------
def use_personal_model(window, name: str) -> None:
    """The document's personal model (``personal_model``): ``auto`` uses it for this character.
    Kept in the document's generator settings, which the project file saves."""
    window.session.doc.set_generator(personal_model=name)
    window.session.mark_dirty()
    window.statusBar().showMessage(f"This document uses the personal model {name!r}", 5000)
    window.training.panel.show_message(f"This document now uses the personal model {name!r}")


# -- closing ---------------------------------------------------------------------------------------------
def ask_about_training(window) -> str:
    """The question closing asks while a run goes on: KEEP, CANCEL or STAY."""
    if getattr(window, "headless", False):
        return CANCEL
    box = QMessageBox(QMessageBox.Icon.Question, "Training in progress",
                      "A personal model is still training. Close PoseStudio anyway?", parent=window)
    keep = box.addButton("Keep training in the background", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Cancel training", QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton("Don't close", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.exec()
    return {keep: KEEP, cancel: CANCEL}.get(box.clickedButton(), STAY)


def may_close(window) -> bool:
    """Whether the window may close now; asks first while a run goes on and then keeps it
    (it outlives the window) or cancels it (STOP, then a brief wait for exit code 3)."""
    training = getattr(window, "training", None)
    if training is None or training.panel.job is None:
        return True
    ask = getattr(window, "ask_about_training", None) or ask_about_training
    choice = ask(window)
    if choice == STAY:
        return False
    panel, job = training.panel, training.panel.job
    panel.timer.stop()
    panel.job = None
    if choice == KEEP:
        job.detach()
        who = f" (process {job.pid})" if job.pid else ""
        print(f"posestudio: training goes on in the background{who}; its run folder is {job.run}", file=sys.stderr)
        return True
    code = job.cancel_and_wait(CANCEL_WAIT_S)
    if code != train_run.EXIT_CANCELLED:
        print(f"posestudio: the training process ended with code {code} instead of saving (3); "
              f"{job.run} may need --resume from its last saved step", file=sys.stderr)
    job.cleanup()
    return True
