"""The Train dock's result views: the material's frames as thumbnails with what
was left out and why, the newest sample grid, and the held-out score table."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from posestudio.ui.train_run import Material

THUMB = QSize(64, 86)


class WrapLabel(QLabel):
    """A word-wrapped label in a fixed room of ``lines`` lines. A plain wrapping QLabel is
    height-for-width (QLabel turns that on again at every setText), and a dock's scroll area
    then lays the whole dock out at its preferred height: it scrolls at 1280x800 though
    everything would fit."""

    def __init__(self, text: str = "", lines: int = 2, parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 2)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False


def thumbnail(path: Path, size: QSize = THUMB) -> QPixmap:
    """A small copy of a frame, decoded at the small size (a 200-frame clip lists quickly)."""
    reader = QImageReader(str(path))
    full = reader.size()
    if full.isValid():
        reader.setScaledSize(full.scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
    img = reader.read()
    return QPixmap.fromImage(img) if not img.isNull() else QPixmap()


class FramesView(QWidget):
    """Kept frames as thumbnails (held-out ones marked), left-out frames with their reasons.
    ``open_requested(index)``: the artist wants to review that frame's pose."""

    open_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.material: Material | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.summary = WrapLabel("Prepare the material to see its frames")
        lay.addWidget(self.summary)
        self.frames = QListWidget()
        self.frames.setObjectName("train_frames")
        self.frames.setViewMode(QListWidget.ViewMode.IconMode)
        self.frames.setIconSize(THUMB)
        self.frames.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.frames.setMovement(QListWidget.Movement.Static)
        self.frames.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 2 * self.fontMetrics().lineSpacing() + 8))
        self.frames.setWordWrap(True)
        self.frames.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.frames.setMinimumHeight(THUMB.height() + 16)  # one row of thumbnails; more when the dock is taller
        self.frames.setToolTip("Double-click a frame to correct its pose on the canvas")
        self.frames.itemDoubleClicked.connect(lambda item: self.open_requested.emit(self.frames.row(item)))
        lay.addWidget(self.frames, 1)
        self.left_out = QListWidget()
        self.left_out.setObjectName("train_left_out")
        self.left_out.setMaximumHeight(60)
        self.left_out.setToolTip("Frames the preparation left out, and why")
        self.left_out.hide()  # shown when something was left out
        lay.addWidget(self.left_out)

    def show_material(self, material: Material) -> None:
        self.material = material
        self.frames.clear()
        self.left_out.clear()
        for i, f in enumerate(material.frames):
            name = Path(f["file"]).stem
            item = QListWidgetItem(thumbnail(material.frame_file(i)), name + ("\nheld out" if f.get("holdout") else ""))
            item.setToolTip(f"{f['file']}" + (": held out for the score, never trained on" if f.get("holdout") else ""))
            self.frames.addItem(item)
        for entry in material.left_out:
            self.left_out.addItem(f"{entry.get('what', '?')}: {entry.get('why', 'no reason given')}")
        self.left_out.setVisible(bool(material.left_out))
        n, held, out = len(material.frames), material.held_out, len(material.left_out)
        text = f"{n} frame{'s' * (n != 1)} kept ({held} held out for the score), {out} left out"
        if material.notes:
            text += " · " + " · ".join(material.notes)
        self.summary.setText(text)

    def selected(self) -> int | None:
        rows = [self.frames.row(i) for i in self.frames.selectedItems()]
        return rows[0] if rows else (0 if self.frames.count() else None)


class SampleView(QLabel):
    """The newest sample grid, reloaded when the file changes."""

    def __init__(self, parent=None):
        super().__init__("No sample yet", parent)
        self.setObjectName("train_sample")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(100)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.shown: tuple[str, float] | None = None
        self._pixmap = QPixmap()

    def show_file(self, path: Path | None) -> bool:
        """Load ``path`` if it is new or rewritten; whether the picture changed."""
        if path is None:
            return False
        try:
            key = (str(path), path.stat().st_mtime)
        except OSError:
            return False
        if key == self.shown:
            return False
        pm = QPixmap(str(path))
        if pm.isNull():
            return False  # being written: the next poll reads it
        self.shown, self._pixmap = key, pm
        self.setToolTip(str(path))
        self._fit()
        return True

    def clear_sample(self) -> None:
        self.shown, self._pixmap = None, QPixmap()
        self.clear()
        self.setText("No sample yet")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self._pixmap.isNull():
            w = max(64, self.width() - 4)
            self.setPixmap(self._pixmap.scaledToWidth(min(w, self._pixmap.width() * 3),
                                                      Qt.TransformationMode.SmoothTransformation))


class ScoreView(QWidget):
    """score.json: personal model vs the weight-free engine on the held-out frames, and,
    when the model won, "Use for this document"."""

    use_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(2, 2)
        self.table.setObjectName("train_score")
        self.table.setHorizontalHeaderLabels(["Personal", "Engine"])
        self.table.setVerticalHeaderLabels(["SSIM", "PSNR (dB)"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setFixedHeight(self.table.verticalHeader().length() + self.table.horizontalHeader().sizeHint().height()
                                  + 2 * self.table.frameWidth())
        lay.addWidget(self.table)
        self.verdict = WrapLabel("Scores appear when a run ends", lines=3)
        self.verdict.setObjectName("train_verdict")
        lay.addWidget(self.verdict)
        self.use_button = QPushButton("Use for this document")
        self.use_button.setToolTip("This document's generator uses the personal model (it beat the engine)")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_requested)
        lay.addWidget(self.use_button)
        lay.addStretch(1)
        self.score: dict | None = None

    def show_score(self, score: dict) -> None:
        self.score = score
        rows = (("ssim", "{:.3f}"), ("psnr", "{:.2f}"))
        for r, (key, fmt) in enumerate(rows):
            values = [(score.get(who) or {}).get(key) for who in ("personal", "engine")]
            for c, v in enumerate(values):
                item = QTableWidgetItem(fmt.format(v) if isinstance(v, (int, float)) else "–")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if all(isinstance(x, (int, float)) for x in values) and v == max(values):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        wins = bool(score.get("wins"))
        parts = [f"{'Beats' if wins else 'Does not beat'} the weight-free engine on "
                 f"{score.get('frames', '?')} held-out frames"]
        if "identity" in score:
            parts.append("identity test " + ("passed" if score["identity"] else "failed"))
        loc = score.get("locality")
        if isinstance(loc, dict) and isinstance(loc.get("mean"), (int, float)):
            verdict = {True: "passed", False: "failed"}.get(bool(loc["pass"]) if "pass" in loc else None, "")
            parts.append(f"locality: {100 * loc['mean']:.2f} % changed outside a bent forearm {verdict}".rstrip())
        self.verdict.setText(" · ".join(parts))
        self.verdict.setStyleSheet("" if wins else "color: #e08a1e;")
        self.use_button.setEnabled(wins)

    def clear_score(self) -> None:
        self.score = None
        self.table.clearContents()
        self.verdict.setText("Scores appear when a run ends")
        self.verdict.setStyleSheet("")
        self.use_button.setEnabled(False)
