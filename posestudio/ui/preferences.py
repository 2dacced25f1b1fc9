"""Preferences: compute device, inference backend, model folder (kept in QSettings)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from posestudio.ui import settings

DEVICES = [("auto", "Automatic (GPU when present)"), ("cpu", "CPU"), ("cuda", "CUDA GPU")]
BACKENDS = [("auto", "Automatic"), ("torch", "PyTorch"), ("onnx", "ONNX Runtime"), ("puppet", "Puppet warp (no weights)")]


class PreferencesDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.device = QComboBox()
        for key, title in DEVICES:
            self.device.addItem(title, key)
        self.device.setToolTip("Where generators run; Automatic uses a CUDA GPU when one is present")
        self.backend = QComboBox()
        for key, title in BACKENDS:
            self.backend.addItem(title, key)
        self.backend.setToolTip("Inference runtime for the generators")
        self.models_dir = QLineEdit()
        self.models_dir.setPlaceholderText("default model folder")
        self.models_dir.setToolTip("Folder with your imported or trained models (POSESTUDIO_MODELS_DIR)")
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose the model folder")
        browse.clicked.connect(self._browse)
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.models_dir, 1)
        lay.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Device", self.device)
        form.addRow("Backend", self.backend)
        form.addRow("Model folder", row)
        form.addRow(buttons)
        self.load()

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Model folder", self.models_dir.text())
        if d:
            self.models_dir.setText(d)

    def load(self) -> None:
        self.device.setCurrentIndex(max(0, self.device.findData(settings.value("engine/device", "auto"))))
        self.backend.setCurrentIndex(max(0, self.backend.findData(settings.value("engine/backend", "auto"))))
        self.models_dir.setText(str(settings.value("engine/models_dir", "") or ""))

    def store(self) -> None:
        settings.set_value("engine/device", self.device.currentData())
        settings.set_value("engine/backend", self.backend.currentData())
        settings.set_value("engine/models_dir", self.models_dir.text().strip())
