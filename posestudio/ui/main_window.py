"""The main window: composition only (labelme's shape). Actions come from
``actions.py``, posing commands from ``pose_commands.py``, generation from
``generation.py``, file commands and recovery from ``file_commands.py``, the document and
undo from ``session.py``."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QToolBar

from posestudio import __version__
from posestudio.core.layers import Event
from posestudio.ui import actions as actions_mod
from posestudio.ui import dock_layout, icons, paint_focus, settings
from posestudio.ui.canvas import CanvasScene, CanvasView
from posestudio.ui.detection import DetectionController
from posestudio.ui.file_commands import FileCommands
from posestudio.ui.file_export import ExportCommands
from posestudio.ui.generation import GenerationController
from posestudio.ui.panels.brush_bar import BrushBar
from posestudio.ui.panels.generator_panel import GeneratorPanel
from posestudio.ui.panels.joint_panel import JointPanel
from posestudio.ui.panels.layers_panel import LayersPanel
from posestudio.ui.panels.pose_library import PoseLibraryPanel
from posestudio.ui.playhead import Playhead
from posestudio.ui.pose_commands import PoseCommands
from posestudio.ui.session import Session


class MainWindow(PoseCommands, ExportCommands, FileCommands, QMainWindow):
    # headless runs (``--screenshot``) never wait for input: no message boxes, no row dialogs
    headless = False

    def __init__(self):
        super().__init__()
        self.setWindowTitle("PoseStudio")
        self.setWindowIcon(icons.icon("app"))
        self.last_error: str | None = None
        self.ask_to_save = self._ask_to_save  # replaced in tests
        self.session = Session(self)
        self.session.choose_row = self._choose_row
        self.playhead = Playhead(self.session)
        self.scene = CanvasScene(self)
        self.view = CanvasView(self.scene, self)
        self.view.push_edit = self.session.push
        self.setCentralWidget(self.view)
        self._setup_docks()
        self.actions = actions_mod.build(self)
        self._setup_menus()
        self._setup_toolbar()
        self._setup_brush_bar()
        self._setup_statusbar()
        self.generation = GenerationController(self.session, self.generator_panel, self, self.playhead)
        self.detection = DetectionController(self.session, self.generation.bridge, self.statusBar(), self)
        self._wire()
        self._on_document(self.session.doc)
        self._editing_pending = True  # installed once the window is on screen (see showEvent)
        self._restore_layout()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._editing_pending:
            self._editing_pending = False
            # after the first show: docks tabified before it leave stale tab bars on screen,
            # and the window appears sooner
            QTimer.singleShot(0, self._install_editing)

    def _install_editing(self) -> None:
        """The garment/attribute/face editing tools and the timeline (their own package)."""
        try:
            from posestudio.ui.editing_tools import install_editing_tools
        except ImportError as exc:  # the window works without them
            self.statusBar().showMessage(f"Editing tools unavailable: {exc}", 5000)
            return
        install_editing_tools(self)
        if getattr(self, "editing", None) is not None:
            self.brush_bar.hide()
        from posestudio.ui.training_dock import install_training

        install_training(self)  # the editing palette has the full brush; B still toggles the simple one
        dock_layout.arrange(self)
        paint_focus.follow_editing_tools(self)
        # docks added one by one can leave a minimum size for them all stacked: recompute it
        self.setMinimumSize(0, 0)
        self.layout().activate()

    # -- composition ---------------------------------------------------------------------------
    def _dock(self, title: str, widget, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _setup_docks(self) -> None:
        right, left = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea
        self.layers_panel = LayersPanel(self.session)
        self.generator_panel = GeneratorPanel()
        self.joint_panel = JointPanel(self.session)
        self.library_panel = PoseLibraryPanel()
        self.docks = {
            "layers": self._dock("Layers", self.layers_panel, right, "layers_dock"),
            "generator": self._dock("Generator", self.generator_panel, right, "generator_dock"),
            "joint": self._dock("Joint", self.joint_panel, left, "joint_dock"),
            "library": self._dock("Pose Library", self.library_panel, left, "library_dock"),
        }
        from PySide6.QtWidgets import QUndoView

        history = QUndoView(self.session.undo)
        history.setEmptyLabel("Opened")
        history.setToolTip("Every change, oldest first: click a step to go back to it")
        self.docks["history"] = self._dock("History", history, left, "history_dock")
        self.tabifyDockWidget(self.docks["library"], self.docks["history"])
        self.docks["library"].raise_()

    def _setup_menus(self) -> None:
        a, mb = self.actions, self.menuBar()
        undo = self.session.undo.createUndoAction(self, "&Undo")
        undo.setShortcut("Ctrl+Z")
        undo.setIcon(icons.icon("undo"))
        undo.setToolTip("Undo the last change (Ctrl+Z)")
        redo = self.session.undo.createRedoAction(self, "&Redo")
        redo.setShortcuts(["Ctrl+Shift+Z", "Ctrl+Y"])
        redo.setIcon(icons.icon("redo"))
        redo.setToolTip("Redo (Ctrl+Shift+Z)")
        a["undo"], a["redo"] = undo, redo
        menus = {
            "&File": ["new_from_image", "open", "open_sample", None, "save", "save_as", None, "import_pose",
                      "import_parsing", None, "export_image", "export_openpose", "export_skeleton", None, "preferences", None, "quit"],
            "&Edit": ["undo", "redo", None, "select_all", "deselect"],
            "&View": ["zoom_in", "zoom_out", "zoom_fit", "zoom_100"],
            "&Pose": ["hide_joints", "restore_joints", None, "mirror_pose", "swap_sides", "flip_pose", None,
                      "rotate_left", "rotate_right", "scale_up", "scale_down", "bone_lock", None, "add_person",
                      "remove_person", "reset_pose", None, "detect_pose", "set_source_pose", None,
                      "save_to_library", "set_keyframe"],
            "&Image": ["replace_picture", "mirror_canvas", None, "paint_labels"],
            "&Generate": ["generate", "live_preview"],
            "&Help": ["open_sample", "about"],
        }
        for title, names in menus.items():
            menu = mb.addMenu(title)
            for n in names:
                menu.addSeparator() if n is None else menu.addAction(a[n])
            if title == "&View":
                menu.addSeparator()
                for dock in self.docks.values():
                    menu.addAction(dock.toggleViewAction())

    def _setup_toolbar(self) -> None:
        tb = QToolBar("Tools", self)
        tb.setObjectName("main_toolbar")
        self.addToolBar(tb)
        for n in ["open", "save", None, "undo", "redo", None, "zoom_fit", "zoom_100", None, "hide_joints",
                  "restore_joints", "mirror_pose", "bone_lock", "add_person", None, "generate"]:
            tb.addSeparator() if n is None else tb.addAction(self.actions[n])

    def _setup_brush_bar(self) -> None:
        self.brush_bar = BrushBar(self.view, self.actions["paint_labels"], self)
        self.addToolBar(self.brush_bar)
        self.brush_label, self.brush_size = self.brush_bar.label, self.brush_bar.size
        self.view.paint_layer = self.paint_target
        self.view.refuse = self.show_error
        paint_focus.follow(self)

    def paint_target(self):
        """The parsing layer the brush paints: the current layer if it is one, else the top-most."""
        current = self.layers_panel.current_layer()
        if current is not None and current.kind == "parsing":
            return current
        found = self.session.doc.layers.of_kind("parsing")
        return found[-1] if found else None

    def _fill_brush_labels(self) -> None:
        target = self.paint_target()
        self.brush_bar.fill(target.label_set if target is not None else "spt10")

    def toggle_paint(self, on: bool) -> None:
        self.view.paint_mode = bool(on)
        if on:
            self._fill_brush_labels()
            self.view.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.view.viewport().setCursor(Qt.CursorShape.ArrowCursor)

    def _setup_statusbar(self) -> None:
        sb = self.statusBar()
        self.cursor_label = QLabel("")
        self.zoom_label = QLabel("100%")
        self.device_label = QLabel("Device: " + str(settings.value("engine/device", "auto")))
        self.model_label = QLabel("Model: auto")
        self.time_label = QLabel("Last generation: –")
        # fixed widths: a changing text must not re-layout the status bar on every mouse move
        fm = self.cursor_label.fontMetrics()
        self.cursor_label.setFixedWidth(fm.horizontalAdvance("x -00000  y -00000") + 12)
        self.zoom_label.setFixedWidth(fm.horizontalAdvance("6400%") + 12)
        for w, tip in ((self.cursor_label, "Image position under the mouse"), (self.zoom_label, "Zoom"),
                       (self.device_label, "Compute device (Preferences)"), (self.model_label, "Generator model"),
                       (self.time_label, "Time the last generation took")):
            w.setToolTip(tip)
            sb.addPermanentWidget(w)

    def _wire(self) -> None:
        s = self.session
        s.document_replaced.connect(self._on_document)
        s.modified_changed.connect(self._on_modified)
        s.error.connect(self.show_error)
        s.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.view.cursor_moved.connect(self._cursor_moved)
        self.view.files_dropped.connect(self.open_paths)
        self.view.pose_dragged.connect(self.generation.pose_changed)
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.size_changed.connect(lambda: QTimer.singleShot(0, self.view.fit))
        self.joint_panel.select_joint.connect(self.select_joint)
        self.library_panel.apply.connect(self.apply_library_pose)
        self.library_panel.save_requested.connect(self.save_to_library)
        self.layers_panel.export_requested.connect(self.export_layer)
        self.generation.status.connect(lambda m: self.statusBar().showMessage(m, 4000))
        s.image_opened.connect(self.detection.start)
        self.detection.status.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.generation.result_applied.connect(self._on_result)
        self.generation.busy_changed.connect(lambda busy: self.actions["generate"].setEnabled(not busy))
        self.generator_panel.live.toggled.connect(self.actions["live_preview"].setChecked)
        self.actions["live_preview"].toggled.connect(self.generator_panel.live.setChecked)
        self.generator_panel.model.currentTextChanged.connect(lambda m: self.model_label.setText(f"Model: {m}"))
        self.setAcceptDrops(True)
        self._cursor_xy = (0.0, 0.0)
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setSingleShot(True)
        self._cursor_timer.setInterval(50)
        self._cursor_timer.timeout.connect(self._show_cursor)
        self._joint_timer = QTimer(self)
        self._joint_timer.setSingleShot(True)
        self._joint_timer.setInterval(50)
        self._joint_timer.timeout.connect(self.joint_panel.refresh)

    def _cursor_moved(self, x: float, y: float) -> None:
        # the status bar repaints with the window behind it: follow the mouse at ~20 Hz, and
        # not during a drag (the Joint panel shows the dragged joint)
        self._cursor_xy = (x, y)
        if self.view._drag is None and self.view._stroke is None and not self._cursor_timer.isActive():
            self._cursor_timer.start()

    def _show_cursor(self) -> None:
        x, y = self._cursor_xy
        self.cursor_label.setText(f"x {x:.0f}  y {y:.0f}")

    # -- document ----------------------------------------------------------------------------
    def _on_document(self, doc) -> None:
        self.scene.set_document(doc)
        self.layers_panel.set_document(doc)
        self.generator_panel.apply_settings(doc.generator)
        self.model_label.setText(f"Model: {self.generator_panel.model.currentText()}")
        doc.layers.events.connect(self._on_layer_event)
        self.joint_panel.show_joint(0, 1)
        self._fill_brush_labels()
        self._on_modified(self.session.modified)
        QTimer.singleShot(0, self.view.fit)

    def _on_layer_event(self, ev: Event) -> None:
        if ev.type == "data" and ev.layer is not None and ev.layer.kind == "pose":
            # the numeric readout follows a drag at ~20 Hz, not on every mouse move
            if not self._joint_timer.isActive():
                self._joint_timer.start()
            if ev.layer is self.session.pose_layer() and self.view._drag is None:
                self.generation.pose_changed()

    def _on_selection(self) -> None:
        sel = self.scene.selected_joints()
        if sel:
            self.joint_panel.show_joint(sel[0].person, sel[0].joint)

    def _on_modified(self, modified: bool) -> None:
        name = self.session.doc.path.name if self.session.doc.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — PoseStudio")
        self.setWindowModified(modified)

    def _on_result(self, res) -> None:
        chosen = self.generator_panel.model.currentText()  # the model used, and "auto" when it chose it
        self.model_label.setText(f"Model: {getattr(res, 'model', '')}" + (" (auto)" if chosen == "auto" else ""))
        self.device_label.setText(f"Device: {getattr(res, 'device', '')} ({getattr(res, 'backend', '')})")
        self.time_label.setText(f"Last generation: {float(getattr(res, 'seconds', 0)) * 1000:.0f} ms")

    # -- messages ----------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """One line in the status bar and a non-blocking message box."""
        self.last_error = message
        self.statusBar().showMessage(message, 10000)
        if self.headless:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "PoseStudio", message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def preferences(self) -> None:
        from posestudio.ui.preferences import PreferencesDialog

        dlg = PreferencesDialog(self)
        if dlg.exec():
            dlg.store()
            device, backend = settings.value("engine/device"), settings.value("engine/backend")
            self.generation.bridge.configure(device, backend)
            self.device_label.setText(f"Device: {device}")
            folder = str(settings.value("engine/models_dir", "") or "")
            if folder:
                import os

                os.environ["POSESTUDIO_MODELS_DIR"] = folder
            self.refresh_models()

    def about(self) -> None:
        QMessageBox.about(self, "About PoseStudio", f"PoseStudio {__version__}\nPose characters, repaint garments "
                          "and make image sequences, offline.")

    # -- view and generation commands --------------------------------------------------------------
    def zoom_in(self) -> None:
        self.view.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.view.zoom_by(0.8)

    def zoom_fit(self) -> None:
        self.view.fit()

    def zoom_100(self) -> None:
        self.view.actual_size()

    def detect_pose(self) -> None:
        self.detection.start()

    def set_source_pose(self) -> None:
        self.detection.set_as_source()

    def generate(self) -> None:
        self.generation.submit(preview=False)

    def toggle_live(self, on: bool) -> None:
        self.generator_panel.live.setChecked(on)

    def refresh_models(self) -> None:
        """Ask the engine for the installed models (after the window is shown: never at start-up)."""
        self.generator_panel.set_models(self.generation.bridge.available_models(self.generator_panel.settings()["task"]))
        self.generator_panel.apply_settings(self.session.doc.generator)

    def closeEvent(self, event) -> None:
        from posestudio.ui.training_dock import may_close

        if not self.ask_to_save() or not may_close(self):
            event.ignore()
            return
        s = settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.sync()
        self.generation.shutdown()
        self.session.close()
        event.accept()

    def _restore_layout(self) -> None:
        s = settings.settings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        if isinstance(state, QByteArray):
            self.restoreState(state)
