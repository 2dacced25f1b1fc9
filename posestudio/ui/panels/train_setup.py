"""The Train dock's choices: the material (a folder of pictures or a video), the
model, the device (the GPU only where one is present), the time budget and the
run folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from posestudio.ui import settings, train_run

MODELS = {"refine": "Personal refiner (light)", "scmnet": "SCM-Net, self-supervised"}
VIDEO_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.gif)"


class TrainSetup(QWidget):
    """``run_changed()``: the run folder is another one (the dock shows what it holds)."""

    run_changed = Signal()

    def __init__(self, gpu: bool | None = None, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        self.source = QLineEdit()
        self.source.setPlaceholderText("a folder of pictures or a video")
        self.source.setToolTip("The character's own material: a turnaround sheet, photos, a short video")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.clicked.connect(self.choose_folder)
        self.video_button = QPushButton("Video…")
        self.video_button.clicked.connect(self.choose_video)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(self.folder_button)
        row.addWidget(self.video_button)
        form.addRow("Material", row)
        self.model = QComboBox()
        for key, title in MODELS.items():
            self.model.addItem(title, key)
        self.model.setToolTip("The refiner learns to correct the weight-free engine's output (fast); SCM-Net "
                              "learns the character from single pictures, with no pairs (slower)")
        form.addRow("Model", self.model)
        self.device = QComboBox()
        self.device.addItem("Auto", "auto")
        self.device.addItem("CPU", "cpu")
        if train_run.gpu_present() if gpu is None else gpu:
            self.device.addItem("GPU", "cuda")
        self.device.setToolTip("Auto: the GPU when there is one, else the CPU")
        form.addRow("Device", self.device)
        self.minutes = QSpinBox()
        self.minutes.setRange(1, 24 * 60)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("Training time budget (preparation and scoring come on top)")
        form.addRow("Time budget", self.minutes)
        self.run_folder = QLineEdit()
        self.run_folder.setPlaceholderText("where the run keeps its frames, curves and model")
        self.run_folder.editingFinished.connect(self.run_changed)
        self.run_button = QPushButton("…")
        self.run_button.clicked.connect(self.choose_run)
        rrow = QHBoxLayout()
        rrow.addWidget(self.run_folder, 1)
        rrow.addWidget(self.run_button)
        form.addRow("Run folder", rrow)

    def set_source(self, path: str | Path) -> None:
        """Use ``path`` as material, with the run folder ``<name>_personal`` beside it (the
        artist may choose another after): a run folder never silently mixes two materials."""
        path = Path(path)
        self.source.setText(str(path))
        self.run_folder.setText(str(path.parent / f"{path.stem or path.name}_personal"))
        self.run_changed.emit()

    def remember(self, pid: int | None = None) -> None:
        """Keep the choices and the running process for the next window (which shows the run
        folder's state again, and follows the run if it is still going)."""
        s = settings.settings()
        for key, v in (("source", self.source.text()), ("run", self.run_folder.text()),
                       ("model", self.model.currentData()), ("device", self.device.currentData()),
                       ("minutes", self.minutes.value()), ("pid", int(pid or 0))):
            s.setValue(f"train/{key}", v)
        s.sync()

    def restore(self) -> bool:
        """The choices the last run was started with; whether there was a run folder."""
        self.source.setText(str(settings.value("train/source", "") or ""))
        self.run_folder.setText(str(settings.value("train/run", "") or ""))
        for combo, key in ((self.model, "train/model"), (self.device, "train/device")):
            index = combo.findData(settings.value(key, ""))
            if index >= 0:
                combo.setCurrentIndex(index)
        try:
            self.minutes.setValue(int(settings.value("train/minutes", self.minutes.value())))
        except (TypeError, ValueError):
            pass
        return bool(self.run_folder.text().strip())

    @staticmethod
    def remembered_run() -> Path | None:
        text = str(settings.value("train/run", "") or "").strip()
        return Path(text).expanduser() if text else None

    @staticmethod
    def remembered_pid() -> int | None:
        try:
            return int(settings.value("train/pid", 0) or 0) or None
        except (TypeError, ValueError):
            return None

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Material: a folder of pictures")
        if path:
            self.set_source(path)

    def choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Material: a video", "", VIDEO_FILTER)
        if path:
            self.set_source(path)

    def choose_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Run folder")
        if path:
            self.run_folder.setText(path)
            self.run_changed.emit()

    def run_path(self) -> Path | None:
        text = self.run_folder.text().strip()
        return Path(text).expanduser() if text else None

    def model_name(self) -> str:
        """The name the run installs its model under (passed as ``--name``): the run folder's."""
        run = self.run_path()
        return run.name if run is not None else "personal"

    def command(self, source: str, prepare_only: bool = False, resume: bool = False) -> list[str]:
        return train_run.personal_command(source, self.run_path(), model=self.model.currentData(),
                                          minutes=self.minutes.value(), device=self.device.currentData(),
                                          resume=resume, prepare_only=prepare_only, name=self.model_name())

    def set_editable(self, on: bool) -> None:
        for w in (self.source, self.folder_button, self.video_button, self.model, self.device, self.minutes,
                  self.run_folder, self.run_button):
            w.setEnabled(on)
