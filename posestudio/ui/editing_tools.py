"""Adds the editing tools to the app's ``MainWindow``: the parsing tools on the
canvas, the label palette, garment / attribute / face panels, the timeline dock,
the render dialog, and their menu entries and shortcuts.

The window only composes: ``install_editing_tools(window)`` is the one call it
makes; everything here uses the window's public attributes (``session``,
``view``, ``scene``, ``docks``, ``actions``, ``layers_panel``, ``paint_target``,
``show_error``, ``generation``) and keeps its own objects on ``window.editing``.
The garment, attribute and face panels only emit intent signals; they are
wired here: their requests run on the generator's one engine (``PanelJobs``),
their new layers become the current layer, a failed edit shows in the window's
error line as well as in the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QToolBar

from posestudio.ui.canvas.parsing_tools import ParsingTools
from posestudio.ui.panel_jobs import PanelJobs, select_layer
from posestudio.ui.panels.attribute_panel import AttributePanel
from posestudio.ui.panels.face_panel import FacePanel
from posestudio.ui.panels.garment_panel import GarmentPanel
from posestudio.ui.panels.label_palette import LabelPalette
from posestudio.ui.panels.timeline_panel import TimelinePanel

# name: (text, shortcut, tip); the shortcuts avoid every key the app's action table uses
TOOL_SPECS = {
    "brush": ("Brush", "Shift+B", "Paint the chosen label ([ and ] size it)"),
    "eraser": ("Eraser", "E", "Paint background, with its own size"),
    "fill": ("Fill", "G", "Fill the region under the click (contiguous or every pixel of that label)"),
    "lasso": ("Lasso", "Shift+L", "Draw a closed outline and fill it with the chosen label"),
    "eyedropper": ("Pick", "I", "Pick the label under the click"),
    "replace": ("Replace", "R", "Every pixel of the clicked label becomes the chosen label"),
}


@dataclass
class EditingTools:
    tools: ParsingTools
    jobs: PanelJobs
    palette: LabelPalette
    garment: GarmentPanel
    attribute: AttributePanel
    face: FacePanel
    timeline: TimelinePanel
    actions: dict = field(default_factory=dict)
    docks: dict = field(default_factory=dict)
    render_dialog: object = None

    def open_render_dialog(self, window):
        from posestudio.ui.render_dialog import RenderDialog

        dlg = RenderDialog(window, self.jobs.bridge.engine)
        self.render_dialog = dlg
        dlg.show()
        return dlg

    def shutdown(self) -> None:
        self.timeline.set_playing(False)
        if self.render_dialog is not None:
            self.render_dialog.cancel_event.set()
            self.render_dialog.wait(30)


def _action(window, text: str, shortcut: str, tip: str, checkable: bool = False) -> QAction:
    a = QAction(text, window)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
        tip = f"{tip} ({shortcut})"
    a.setToolTip(tip)
    a.setStatusTip(tip)
    a.setCheckable(checkable)
    return a


def _menu(window, title: str):
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == title.replace("&", ""):
            return a.menu()
    from PySide6.QtWidgets import QMenu

    menu = QMenu(title, window)
    help_ = next((a for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None)
    if help_ is None:
        window.menuBar().addMenu(menu)
    else:
        window.menuBar().insertMenu(help_, menu)  # before Help, as menus usually go
    return menu


def install_editing_tools(window) -> None:
    """Add the parsing tools, label palette, garment/attribute/face panels, timeline and
    render dialog to ``window`` (a ``posestudio.ui.main_window.MainWindow``)."""
    if getattr(window, "editing", None) is not None:
        return
    tools = ParsingTools(window)
    jobs = PanelJobs(window.session, window.generation.bridge, parent=window)
    jobs.status.connect(lambda m: window.statusBar().showMessage(m, 6000))
    jobs.failed.connect(window.show_error)
    actions: dict[str, QAction] = {}
    group = QActionGroup(window)
    group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for name, (text, key, tip) in TOOL_SPECS.items():
        a = _action(window, text, key, tip, checkable=True)
        group.addAction(a)
        a.toggled.connect(lambda on, n=name: _tool_toggled(window, tools, n, on))
        actions["tool_" + name] = a
    tools.changed.connect(lambda: _sync_tool_actions(actions, tools))
    paint = window.actions.get("paint_labels")
    if paint is not None:  # the app's simple brush and these tools take turns
        paint.toggled.connect(lambda on: on and tools.set_tool("none"))

    palette = LabelPalette(window.session, tools, {n: actions["tool_" + n] for n in TOOL_SPECS}, window.paint_target)
    palette.error.connect(window.show_error)
    garment = GarmentPanel(window.session, tools)
    attribute = AttributePanel(window.session)
    face = FacePanel(window.session, tools)
    for panel in (garment, attribute, face):
        jobs.connect_panel(panel)
        panel.layer_made.connect(lambda layer: select_layer(window, layer))
    timeline = TimelinePanel(window.session, window.playhead, window.scene)
    ed = EditingTools(tools, jobs, palette, garment, attribute, face, timeline, actions)
    window.editing = ed

    right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    for key, title, widget, area in (("labels", "Labels", palette, right), ("garment", "Garment", garment, right),
                                     ("attribute", "Attribute", attribute, right), ("face", "Face", face, right),
                                     ("timeline", "Timeline", timeline, bottom)):
        dock = QDockWidget(title, window)
        dock.setObjectName(f"{key}_dock")
        dock.setWidget(widget)
        window.addDockWidget(area, dock)
        ed.docks[key] = dock
        window.docks[key] = dock
    # one tab group on the right with the generator: the layer list stays tall
    first = window.docks.get("generator", ed.docks["labels"])
    for key in ("labels", "garment", "attribute", "face"):
        if ed.docks[key] is not first:
            window.tabifyDockWidget(first, ed.docks[key])
    ed.docks["labels"].raise_()

    actions["mirror_labels"] = _action(window, "Mirror &Labels", "Ctrl+Shift+M",
                                       "Mirror the parsing layer left-right, swapping left and right labels")
    actions["mirror_labels"].triggered.connect(palette.mirror)
    actions["render_sequence"] = _action(window, "&Render Sequence…", "Ctrl+R",
                                         "Render the timeline to PNG frames, GIF, APNG, WebP or MP4")
    actions["render_sequence"].triggered.connect(lambda: ed.open_render_dialog(window))
    actions["add_keyframe"] = _action(window, "Add &Keyframe Here", "Shift+K", "Store the pose at the playhead frame")
    actions["add_keyframe"].triggered.connect(timeline.add_key)

    from posestudio.ui import parsing_layers

    actions["new_parsing_layer"] = _action(window, "New &Empty Layer", "",
                                           "Add an all-background parsing layer to paint garments on")
    actions["new_parsing_layer"].triggered.connect(lambda: parsing_layers.new_empty_layer(window))
    actions["parsing_from_photo"] = _action(window, "Parsing Map from &Photo", "",
                                            "Estimate a first parsing map from the picture and its pose")
    actions["parsing_from_photo"].triggered.connect(lambda: parsing_layers.layer_from_photo(window))
    menu = _menu(window, "&Parsing")
    menu.addAction(actions["new_parsing_layer"])
    menu.addAction(actions["parsing_from_photo"])
    menu.addSeparator()
    for name in TOOL_SPECS:
        menu.addAction(actions["tool_" + name])
    menu.addSeparator()
    menu.addAction(actions["mirror_labels"])
    _menu(window, "&Image").addAction(actions["mirror_labels"])
    file_menu = _menu(window, "&File")
    file_menu.addSeparator()
    file_menu.addAction(actions["render_sequence"])
    _menu(window, "&Pose").addAction(actions["add_keyframe"])
    view_menu = _menu(window, "&View")
    for dock in ed.docks.values():
        view_menu.addAction(dock.toggleViewAction())

    tb = QToolBar("Parsing tools", window)
    tb.setObjectName("parsing_toolbar")
    for name in TOOL_SPECS:
        tb.addAction(actions["tool_" + name])
    tb.addSeparator()
    tb.addAction(actions["mirror_labels"])
    tb.addAction(actions["render_sequence"])
    window.addToolBar(tb)
    ed.toolbar = tb
    for a in actions.values():
        if a not in window.actions.values():
            window.addAction(a)  # shortcuts work wherever the focus is in the window

    def refresh(*_args) -> None:
        palette.refresh()
        attribute.refresh()

    window.session.document_replaced.connect(lambda doc: (doc.layers.events.connect(_layer_event), refresh()))
    window.layers_panel.current_layer_changed.connect(refresh)

    def _layer_event(ev) -> None:
        if ev.type in ("inserted", "removed") or (ev.type == "data" and "label_set" in ev.info):
            refresh()

    window.session.doc.layers.events.connect(_layer_event)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(ed.shutdown)


def _tool_toggled(window, tools, name: str, on: bool) -> None:
    if on:
        paint = window.actions.get("paint_labels")
        if paint is not None and paint.isChecked():
            paint.setChecked(False)  # one brush at a time: the app's simple brush steps aside
        tools.set_tool(name)
    elif tools.tool == name:
        tools.set_tool("none")


def _sync_tool_actions(actions: dict, tools) -> None:
    for name in TOOL_SPECS:
        a = actions["tool_" + name]
        if a.isChecked() != (tools.tool == name):
            a.blockSignals(True)
            a.setChecked(tools.tool == name)
            a.blockSignals(False)
