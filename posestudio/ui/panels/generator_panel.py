"""Generator panel: task and model, Generate, live preview, intermediate layers; a busy
bar while a generation runs (Generate disabled meanwhile) and the panel's own messages."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QProgressBar, QPushButton, QWidget

from posestudio.ui import icons

TASKS = {"pose": "Pose transfer"}


class GeneratorPanel(QWidget):
    generate_requested = Signal()
    live_toggled = Signal(bool)
    settings_changed = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.task = QComboBox()
        for key, title in TASKS.items():
            self.task.addItem(title, key)
        self.task.setToolTip("What to generate: pose transfer re-renders the person of the source image "
                             "in the target pose")
        self.model = QComboBox()
        self.model.addItems(["auto", "puppet"])
        self.model.setToolTip("Installed models for this task; 'auto' is the first installed one (the shipped "
                              "default), 'puppet' the weight-free warp, always present")
        self.generate = QPushButton(icons.icon("generate"), "Generate")
        self.generate.setToolTip("Generate the result layer now (Ctrl+Return)")
        self.generate.clicked.connect(self.generate_requested)
        self.live = QCheckBox("Live preview")
        self.live.setToolTip("Regenerate a quick preview after every pose change (the newest change wins)")
        self.live.toggled.connect(self.live_toggled)
        self.intermediates = QCheckBox("Intermediate layers (flow, visibility, parsing)")
        self.intermediates.setToolTip("Also add the generator's flow field, visibility map and parsing as layers")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: the engine gives no progress for one picture
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.setToolTip("Generating…")
        self.busy.hide()
        form = QFormLayout(self)
        form.addRow("Task", self.task)
        form.addRow("Model", self.model)
        form.addRow(self.generate)
        form.addRow(self.busy)
        form.addRow(self.live)
        form.addRow(self.intermediates)
        form.addRow(self.status)
        for w in (self.task, self.model):
            w.currentIndexChanged.connect(lambda *_: self.settings_changed.emit(self.settings()))
        self.intermediates.toggled.connect(lambda *_: self.settings_changed.emit(self.settings()))
        self.live.toggled.connect(lambda *_: self.settings_changed.emit(self.settings()))

    def set_busy(self, busy: bool) -> None:
        """While a generation runs: the busy bar shows and Generate waits."""
        self.busy.setVisible(busy)
        self.generate.setEnabled(not busy)
        self.generate.setText("Generating…" if busy else "Generate")

    def show_message(self, text: str, warning: bool = False) -> None:
        """A line under the controls: a warning (orange) or a note; empty clears it."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #e08a1e;" if warning and text else "")

    def settings(self) -> dict:
        return {"task": self.task.currentData() or "pose", "model": self.model.currentText() or "auto",
                "live_preview": self.live.isChecked(), "intermediates": self.intermediates.isChecked()}

    def set_models(self, names: list[str]) -> None:
        current = self.model.currentText()
        self.model.blockSignals(True)
        self.model.clear()
        names = list(dict.fromkeys(["auto", "puppet", *names]))
        self.model.addItems(names)
        self.model.setCurrentIndex(max(0, names.index(current) if current in names else 0))
        self.model.blockSignals(False)

    def apply_settings(self, settings: dict) -> None:
        for w in (self.task, self.model, self.live, self.intermediates):
            w.blockSignals(True)
        i = self.task.findData(settings.get("task", "pose"))
        self.task.setCurrentIndex(max(i, 0))
        j = self.model.findText(settings.get("model", "puppet"))
        if j < 0 and settings.get("model"):
            self.model.addItem(settings["model"])
            j = self.model.count() - 1
        self.model.setCurrentIndex(max(j, 0))
        self.live.setChecked(bool(settings.get("live_preview", False)))
        self.intermediates.setChecked(bool(settings.get("intermediates", False)))
        for w in (self.task, self.model, self.live, self.intermediates):
            w.blockSignals(False)
